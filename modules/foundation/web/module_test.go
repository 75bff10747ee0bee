package web_test

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/config"
	"github.com/speks-portal/speks/modules/foundation/fault"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/tenant"
)

// sampleModule is what a feature module looks like to the shell: routes, its own
// templates and its own messages.
type sampleModule struct{}

func (sampleModule) Mount(app *fiber.App) {
	app.Get("/sample/page", func(c *fiber.Ctx) error {
		c.Locals(web.CSRFTokenLocal, "tok<en>")
		return web.Render(c, "sample/page", map[string]string{"Greeting": web.T(c, "sample_greeting", map[string]any{"Name": "Siti"})})
	})
	app.Get("/api/v1/sample/coded", func(c *fiber.Ctx) error {
		e := fault.New(fault.Invalid, "weak_password", errors.New("zxcvbn score 1")).With("reasons", []string{"too_short"})
		e.Params = map[string]any{"Min": 12}
		return fmt.Errorf("change password: %w", e)
	})
	app.Get("/api/v1/sample/plain", func(*fiber.Ctx) error {
		return errors.New("pq: relation \"tenant_selangor.payslips\" does not exist")
	})
	app.Get("/api/v1/sample/report", func(*fiber.Ctx) error {
		e := fault.New(fault.Invalid, "invalid_file", nil)
		e.Body = map[string]any{"rows": 3, "errors": []string{"line 2"}}
		return e
	})
	app.Get("/sample/echo", func(c *fiber.Ctx) error {
		return web.Render(c, "sample/echo", map[string]string{"Name": c.Query("name")})
	})
	app.Get("/sample/crash", func(*fiber.Ctx) error { panic("nil map in payslip totals") })
	app.Get("/sample/uncoded-message", func(*fiber.Ctx) error {
		return fault.New(fault.Conflict, "already_active", nil)
	})
}

func (sampleModule) Templates() fs.FS {
	return fstest.MapFS{
		"sample/page.html": {Data: []byte(
			`<h1 id="greeting">{{.Data.Greeting}}</h1><form method="post">{{.CSRFField}}</form><p id="lang">{{.T "sample_lang"}}</p>`)},
		"sample/echo.html": {Data: []byte(`<p id="echo">{{.Data.Name}}</p>`)},
	}
}

func (sampleModule) Locales() fs.FS {
	return fstest.MapFS{
		"sample.ms.yaml": {Data: []byte("sample_greeting: \"Selamat pagi, {{.Name}}\"\nsample_lang: \"Bahasa Melayu\"\nsample_page_title: \"Contoh\"\nerror_weak_password: \"Kata laluan mesti sekurang-kurangnya {{.Min}} aksara.\"\n")},
		"sample.en.yaml": {Data: []byte("sample_greeting: \"Good morning, {{.Name}}\"\nsample_lang: \"English\"\nsample_page_title: \"Sample\"\nerror_weak_password: \"The password must have at least {{.Min}} characters.\"\n")},
	}
}

func withSample(_ *config.Config, o *web.Options) { o.Modules = append(o.Modules, sampleModule{}) }

func TestModulesRenderTheirPagesInTheLayout(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withSample)
	h.tenant(t, "selangor", tenant.PayrollMatch, nil)

	ms := h.get(t, "selangor.example.test", "/sample/page")
	wantStatus(t, ms, http.StatusOK)
	wantContains(t, ms.Raw,
		`<title>Contoh · Portal SPEKS Negeri selangor</title>`,
		`<h1 id="greeting">Selamat pagi, Siti</h1>`,
		`<input type="hidden" name="csrf_token" value="tok&lt;en&gt;">`,
		`class="skip-link"`, `href="/sample/page?lang=en"`)

	en := h.get(t, "selangor.example.test", "/sample/page?lang=en")
	wantContains(t, en.Raw, `<html lang="en">`, "Good morning, Siti", `<p id="lang">English</p>`, "<title>Sample ·")
}

// Pages render in parallel (no process-wide lock), so each response must hold its own
// request's page, escaped, inside the layout, and nothing of another's. Run under -race.
func TestPagesRenderConcurrentlyIntoTheirOwnLayout(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withSample)
	h.tenant(t, "selangor", tenant.PayrollMatch, nil)

	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				name := fmt.Sprintf("<b>w%d-%d</b>", w, i)
				req := httptest.NewRequest(http.MethodGet, "/sample/echo?name="+url.QueryEscape(name), nil)
				req.Host = "selangor.example.test"
				resp, err := h.app.Test(req, -1)
				if err != nil {
					errs <- err
					continue
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					errs <- err
					continue
				}
				page := string(body)
				want := fmt.Sprintf(`<p id="echo">&lt;b&gt;w%d-%d&lt;/b&gt;</p>`, w, i)
				main := strings.Index(page, `<main id="main"`)
				at := strings.Index(page, want)
				switch {
				case resp.StatusCode != http.StatusOK:
					errs <- fmt.Errorf("%s: status %d", name, resp.StatusCode)
				case at < 0 || main < 0 || at < main || strings.Count(page, `<p id="echo">`) != 1:
					errs <- fmt.Errorf("%s: page not once inside the layout's main:\n%s", name, page)
				case !strings.HasSuffix(strings.TrimSpace(page), "</html>"):
					errs <- fmt.Errorf("%s: layout cut short", name)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestErrorEdge(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withSample)
	h.tenant(t, "selangor", tenant.PayrollMatch, nil)
	const host = "selangor.example.test"

	t.Run("coded error keeps its status, code and message", func(t *testing.T) {
		r := h.get(t, host, "/api/v1/sample/coded?lang=en")
		wantStatus(t, r, http.StatusUnprocessableEntity)
		if code := r.Code(); code != "weak_password" {
			t.Errorf("code = %q", code)
		}
		wantContains(t, r.Raw, "The password must have at least 12 characters.", `"reasons":["too_short"]`)
		wantNotContains(t, r.Raw, "zxcvbn")
	})
	t.Run("a refusal's report stands beside the error", func(t *testing.T) {
		r := h.get(t, host, "/api/v1/sample/report")
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r.Raw, `"rows":3`, `"errors":["line 2"]`, `"code":"invalid_file"`)
	})
	t.Run("coded error without a message gets a generic one", func(t *testing.T) {
		r := h.get(t, host, "/sample/uncoded-message")
		wantStatus(t, r, http.StatusConflict)
		wantContains(t, r.Raw, "Permintaan tidak dapat diproses.", `data-code="already_active"`)
	})
	t.Run("plain error is a 500 with no detail", func(t *testing.T) {
		r := h.get(t, host, "/api/v1/sample/plain")
		wantStatus(t, r, http.StatusInternalServerError)
		if code := r.Code(); code != "internal_error" {
			t.Errorf("code = %q", code)
		}
		wantNotContains(t, r.Raw, "relation", "payslips", "pq:")
		wantContains(t, h.log.String(), "payslips\\\" does not exist") // detail goes to the log only
	})
	t.Run("panic is a 500 page with a reference and no stack", func(t *testing.T) {
		r := h.get(t, host, "/sample/crash")
		wantStatus(t, r, http.StatusInternalServerError)
		id := r.Header.Get("X-Request-Id")
		wantContains(t, r.Raw, "Ralat sistem", "Rujukan: "+id)
		wantNotContains(t, r.Raw, "goroutine", "nil map", "panic")
		wantContains(t, h.log.String(), "nil map in payslip totals", `"stack"`)
	})
	t.Run("fiber errors get codes", func(t *testing.T) {
		r := h.get(t, host, "/api/v1/nothing-here")
		wantStatus(t, r, http.StatusNotFound)
		if code := r.Code(); code != "not_found" {
			t.Errorf("code = %q", code)
		}
		page := h.get(t, host, "/nothing-here", "Accept", "text/html")
		wantStatus(t, page, http.StatusNotFound)
		wantContains(t, page.Raw, "Tidak dijumpai", "Portal SPEKS Negeri selangor", `href="/"`)
	})
}

func TestNewRefusesBrokenModuleFiles(t *testing.T) {
	t.Parallel()
	cases := map[string]func(*config.Config, *web.Options){
		"template defined twice": func(_ *config.Config, o *web.Options) {
			o.Templates = []fs.FS{fstest.MapFS{"web/landing.html": {Data: []byte("x")}}}
		},
		"message in one language only": func(_ *config.Config, o *web.Options) {
			o.Locales = []fs.FS{fstest.MapFS{"x.ms.yaml": {Data: []byte("only_malay: \"Hanya Melayu\"\n")}}}
		},
		"message defined twice": func(_ *config.Config, o *web.Options) {
			o.Locales = []fs.FS{fstest.MapFS{
				"x.ms.yaml": {Data: []byte("skip_link: \"Lagi\"\n")},
				"x.en.yaml": {Data: []byte("skip_link: \"Again\"\n")},
			}}
		},
		"unsupported language": func(_ *config.Config, o *web.Options) {
			o.Locales = []fs.FS{fstest.MapFS{"x.fr.yaml": {Data: []byte("bonjour: \"Bonjour\"\n")}}}
		},
		"template that does not parse": func(_ *config.Config, o *web.Options) {
			o.Templates = []fs.FS{fstest.MapFS{"broken/page.html": {Data: []byte("{{if}")}}}
		},
	}
	env := newHarness(t).env // one database for every case: New fails before any request
	for name, breakIt := range cases {
		t.Run(name, func(t *testing.T) {
			cfg, _ := config.Load(nil)
			opts := web.Options{Config: cfg, Scoper: env.Scoper, Tenants: env.Registry}
			breakIt(cfg, &opts)
			if _, err := web.New(opts); err == nil {
				t.Fatal("web.New accepted broken module files")
			} else if strings.TrimSpace(err.Error()) == "" {
				t.Fatal("empty error")
			}
		})
	}
}
