package account_test

import (
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/pquerna/otp/totp"

	"github.com/speks-portal/speks/config"
	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/modules/foundation/web/apitest"
)

// page GETs path as a browser does and returns status, Location and body.
func (c client) page(path string) (int, string, string) {
	c.T.Helper()
	r := c.Get(path, apitest.WithHeader("Accept", "text/html"), apitest.WithHeader("Content-Type", ""))
	return r.Status, r.Location(), r.Raw
}

func TestRestrictedSessionsAreSentToTheirOnlyPage(t *testing.T) {
	h := newHarness(t)
	h.addUser(t, "selangor", "officer", "800303105050", "Rahman bin Ali", "rahman@selangor.gov.my", aminahPass, "kuda putih", "it_officer")
	c := h.client(t, "selangor")
	if r := c.login("800303105050", aminahPass); r.Body["next"] != "enrol_totp" {
		t.Fatalf("login: %s", r.Raw)
	}
	if status, loc, _ := c.page("/home"); status != http.StatusSeeOther || loc != "/account/totp" {
		t.Fatalf("home for an enrolling officer: %d → %q", status, loc)
	}
	status, _, body := c.page("/account/totp")
	if status != http.StatusOK || !strings.Contains(body, `src="data:image/png;base64,`) {
		t.Fatalf("enrolment page %d:\n%s", status, body)
	}
	secret := regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`).FindStringSubmatch(body)
	if secret == nil {
		t.Fatal("no secret on the enrolment page")
	}
	code, _ := totp.GenerateCode(secret[1], h.clock.Now())
	if r := c.Post("/api/v1/account/totp/confirm", map[string]string{"code": code}); r.Status != http.StatusNoContent {
		t.Fatalf("confirm: %s", r.Raw)
	}
	if status, _, body := c.page("/home"); status != http.StatusOK || !strings.Contains(body, "Rahman bin Ali") {
		t.Fatalf("home after enrolment: %d", status)
	}
}

func TestPagesNeedASessionAndLoginNoticesShow(t *testing.T) {
	h := newHarness(t)
	c := h.client(t, "selangor")
	for _, path := range []string{"/home", "/account/profile", "/account/password", "/activate"} {
		if status, loc, _ := c.page(path); status != http.StatusSeeOther || loc != "/login" {
			t.Errorf("%s without a session: %d → %q", path, status, loc)
		}
	}
	if _, _, body := c.page("/login?expired=1"); !strings.Contains(body, "Sesi anda telah tamat") {
		t.Error("the login page does not say the session expired")
	}
	if _, _, body := c.page("/register"); !strings.Contains(body, `id="mode-note"`) {
		t.Error("a payroll_match tenant's registration page does not explain the way in")
	}
}

// otherHome stands for a records module that serves its own /home.
type otherHome struct{}

func (otherHome) Mount(app *fiber.App) {
	app.Get("/home", func(c *fiber.Ctx) error { return c.SendString("records home") })
}

func TestAnotherModulesHomeTakesOverAfterLogin(t *testing.T) {
	h := newHarness(t)
	h.addUser(t, "selangor", "staff", aminahIC, "Aminah binti Yusof", "aminah@selangor.gov.my", aminahPass, "bunga raya merah")
	cfg, err := config.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Platform.Host = h.env.PlatformHost
	cfg.HTTP.TrustedProxies = nil
	h.app, err = web.New(web.Options{Config: cfg, Scoper: h.env.Scoper, Tenants: h.env.Registry,
		Modules: []web.Module{account.NewModule(h.svc), otherHome{}}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	c := h.client(t, "selangor")
	if status, loc, _ := c.page("/home"); status != http.StatusSeeOther || loc != "/login" {
		t.Fatalf("anonymous /home: %d %q", status, loc)
	}
	apitest.Expect(t, c.login(aminahIC, aminahPass), http.StatusOK, "")
	if _, _, body := c.page("/home"); body != "records home" {
		t.Fatalf("/home = %q, want the other module's page", body)
	}
	if _, _, body := c.page("/account"); !strings.Contains(body, "Aminah binti Yusof") || !strings.Contains(body, `id="logout"`) {
		t.Fatal("/account is not the account overview")
	}
}
