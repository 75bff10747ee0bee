package webtest_test

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/modules/foundation/web/webtest"
	"github.com/speks-portal/speks/tenant"
)

// brokenPage is a module whose page breaks two rules on purpose: an inline script (which
// the Content-Security-Policy must block) and an image that does not exist.
type brokenPage struct{}

func (brokenPage) Mount(app *fiber.App) {
	app.Get("/broken", func(c *fiber.Ctx) error { return web.Render(c, "broken/page", nil) })
}

func (brokenPage) Templates() fs.FS {
	return fstest.MapFS{"broken/page.html": {Data: []byte(
		`<h1>Broken</h1><img src="/static/no-such-image.png" alt=""><script>document.title = "script ran";</script>`)}}
}

// TestHarnessSeesConsoleErrors proves ExpectNoConsoleErrors can fail: a page with a failed
// request and a script the CSP blocks yields errors, and the script did not run.
func TestHarnessSeesConsoleErrors(t *testing.T) {
	srv := webtest.Start(t, webtest.Options{
		Modules: []web.Module{brokenPage{}},
		Tenants: []tenant.Spec{{Code: "perlis", Name: "Perlis", RegistrationMode: tenant.AdminOnly}},
	})
	tab := webtest.NewBrowser(t).NewTab(t)
	tab.Open(srv.TenantURL("perlis", "/broken"))

	errs := strings.Join(tab.ConsoleErrors(), "\n")
	if !strings.Contains(errs, "no-such-image.png") && !strings.Contains(errs, "404") {
		t.Errorf("the failed image request is not among the console errors:\n%s", errs)
	}
	if !strings.Contains(errs, "Content Security Policy") {
		t.Errorf("the blocked inline script is not among the console errors:\n%s", errs)
	}
	if title := webtest.Eval[string](tab, "document.title"); title == "script ran" {
		t.Error("an inline script ran despite the Content-Security-Policy")
	}
}

// inaccessiblePage breaks two WCAG rules axe-core rates critical: an image without a text
// alternative and a button without a name.
type inaccessiblePage struct{}

func (inaccessiblePage) Mount(app *fiber.App) {
	app.Get("/inaccessible", func(c *fiber.Ctx) error { return web.Render(c, "inaccessible/page", nil) })
}

func (inaccessiblePage) Templates() fs.FS {
	return fstest.MapFS{"inaccessible/page.html": {Data: []byte(
		`<h1>Inaccessible</h1><img src="/static/favicon.svg"><button type="button"></button>`)}}
}

// TestHarnessSeesAccessibilityViolations proves ExpectAccessible can fail: axe-core, injected
// into a page under the portal's CSP, names both violations.
func TestHarnessSeesAccessibilityViolations(t *testing.T) {
	srv := webtest.Start(t, webtest.Options{
		Modules: []web.Module{inaccessiblePage{}},
		Tenants: []tenant.Spec{{Code: "perlis", Name: "Perlis", RegistrationMode: tenant.AdminOnly}},
	})
	tab := webtest.NewBrowser(t).NewTab(t)
	tab.Open(srv.TenantURL("perlis", "/inaccessible"))
	found := map[string]bool{}
	for _, v := range tab.Violations() {
		found[v.ID] = true
	}
	if !found["image-alt"] || !found["button-name"] {
		t.Errorf("axe-core found %v, want image-alt and button-name", found)
	}
}
