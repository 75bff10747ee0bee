package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/speks-portal/speks/modules/foundation/web/webtest"
)

// A staff member who uses only the keyboard, in Chromium: types her ID and password on the
// login page, reaches ePayslip from the navigation, opens her latest payslip, reaches its
// PDF, and logs out, with Tab and Enter alone. Every control she lands on shows a visible
// focus ring, and the first Tab on a page offers the skip link.
func TestKeyboardOnlyPayslipJourney(t *testing.T) {
	srv, out := demoServer(t)
	staff := out.Tenants[demoState].Staff
	tab := webtest.NewBrowser(t).NewTab(t)

	tab.Open(srv.TenantURL(demoState, "/login?lang=ms"))
	expectFocusOn(t, tab, "#id") // the cursor starts in the ID field
	tab.Type(staff.ID)
	tab.PressEnter()
	expectFocusOn(t, tab, "#password")
	tab.Type(staff.Password)
	if status := tab.PressEnter(); status != 200 || webtest.Eval[string](tab, "location.pathname") != "/home" {
		t.Fatalf("after login by keyboard: %d at %s", status, webtest.Eval[string](tab, "location.pathname"))
	}

	tab.PressTab()
	expectFocusOn(t, tab, ".skip-link")
	if top := webtest.Eval[float64](tab, "document.activeElement.getBoundingClientRect().top"); top < 0 {
		t.Errorf("the focused skip link is off screen (top %.0f)", top)
	}
	tabTo(t, tab, `#main-nav a[href="/payslips"]`)
	tab.PressEnter()
	tabTo(t, tab, `main a[href^="/payslips/"]`)
	detail := webtest.Eval[string](tab, "document.activeElement.pathname")
	tab.PressEnter()
	if got := webtest.Eval[string](tab, "location.pathname"); got != detail {
		t.Fatalf("Enter on the payslip link leads to %s, want %s", got, detail)
	}
	tabTo(t, tab, "#pdf-link")
	pdf := webtest.Eval[string](tab, "document.activeElement.href")
	ctype, err := chromedp.Run(tab.Context(), chromedp.Evaluate[string](
		fmt.Sprintf(`fetch(%q).then(r => r.status + " " + r.headers.get("content-type"))`, pdf), chromedp.EvalAwaitPromise))
	if err != nil || ctype != "200 application/pdf" {
		t.Errorf("the PDF link answers %q (%v)", ctype, err)
	}
	if status := tab.PressEnter(); status != 200 {
		t.Errorf("Enter on the PDF link: %d", status)
	}

	tab.Open(srv.TenantURL(demoState, detail)) // back from the PDF viewer to the payslip
	tabTo(t, tab, "#logout-header")
	tab.PressEnter()
	if tab.Count("#viewer") != 0 || tab.Count("#login-link") != 1 {
		t.Errorf("after Log Keluar by keyboard the header still shows the person: %q", tab.Text("header"))
	}
}

// tabTo presses Tab until the element css selects has the focus, checking at every stop that
// the focus is visible; it fails after 60 stops.
func tabTo(t *testing.T, tab *webtest.Tab, css string) {
	t.Helper()
	for range 60 {
		tab.PressTab()
		focused := webtest.Eval[string](tab, "document.activeElement.outerHTML.slice(0, 100)")
		if !tab.FocusVisible() {
			t.Errorf("no visible focus on %s", focused)
		}
		if webtest.Eval[bool](tab, fmt.Sprintf("document.activeElement.matches(%q)", css)) {
			return
		}
	}
	t.Fatalf("Tab never reaches %s on %s", css, webtest.Eval[string](tab, "location.pathname"))
}

// expectFocusOn fails unless the element css selects has the focus, visibly.
func expectFocusOn(t *testing.T, tab *webtest.Tab, css string) {
	t.Helper()
	if !webtest.Eval[bool](tab, fmt.Sprintf("document.activeElement.matches(%q)", css)) {
		t.Fatalf("the focus is on %s, want %s", webtest.Eval[string](tab, "document.activeElement.outerHTML.slice(0, 100)"), css)
	}
	if !tab.FocusVisible() {
		t.Errorf("the focus on %s is not visible", strings.TrimSpace(css))
	}
}
