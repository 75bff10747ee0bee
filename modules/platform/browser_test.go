package platform_test

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/pquerna/otp/totp"

	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/foundation/authz"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/modules/foundation/web/webtest"
	"github.com/speks-portal/speks/modules/platform"
	"github.com/speks-portal/speks/tenant"
)

// lateAuthz mounts the authz middleware now and binds it once the test database exists
// (webtest.Start makes the database after the modules are built).
type lateAuthz struct{ m *authz.Module }

func (l *lateAuthz) Mount(app *fiber.App) {
	app.Use(func(c *fiber.Ctx) error { return l.m.Middleware(c) })
}

// In a browser: a JANM administrator logs in to the console with TOTP and onboards
// "terengganu" with the form: a gmail address for the first IT officer is refused beside the
// field, as Terengganu takes only terengganu.gov.my; with the official address and the
// helpdesk contact it is onboarded, its storage reads in MB, its landing and error pages show
// the helpdesk, and the new IT officer logs in with the code mailed to them and is asked to set
// a password. Suspending the state then takes a ticked confirmation.
func TestBrowserOnboardTerengganuThenItsOfficerLogsIn(t *testing.T) {
	svc := &platform.Service{Log: quiet}
	accounts := account.NewService("platform-test-session-secret-0123456789", "platform-test-decoy", quiet)
	az := &lateAuthz{}
	srv := webtest.Start(t, webtest.Options{Tenants: []tenant.Spec{},
		Modules: []web.Module{account.NewModule(accounts), platform.NewSessions(svc), az, platform.NewModule(svc)}})
	env := srv.Env
	env.Provisioner.AfterMigrate = append(env.Provisioner.AfterMigrate, account.SeedSecurityQuestions, authz.SeedTenant)
	*svc = platform.Service{DBs: env.Databases, Registry: env.Registry, Resolver: env.Resolver, Provisioner: env.Provisioner,
		Accounts: accounts, PlatformHost: env.PlatformHost, Log: quiet,
		LoginURL: func(tn *tenant.Tenant) string {
			return "http://" + tn.Code + ".localhost:" + strconv.Itoa(srv.Port) + "/login"
		}}
	az.m = authz.NewModule(authz.Options{DB: env.Databases.Public(), DSN: env.URL, Logger: quiet})
	t.Cleanup(az.m.Close)
	created, err := svc.CreateAdmin(t.Context(), platform.NewAdmin{Email: adminEmail, Name: "Pentadbir Ujian", Password: adminPassword}, "test")
	if err != nil {
		t.Fatal(err)
	}

	base := fmt.Sprintf("http://%s:%d", env.PlatformHost, srv.Port)
	browser := webtest.NewBrowser(t)
	tab := browser.NewTab(t)
	if status := tab.Open(base + "/platform/login?lang=ms"); status != 200 {
		t.Fatalf("login page: %d", status)
	}
	code, _ := totp.GenerateCode(created.TOTPSecret, time.Now())
	tab.Fill(map[string]string{"#email": adminEmail, "#password": adminPassword, "#totp": code})
	if status := tab.Click("#login"); status != 200 || !strings.Contains(tab.Text("h1"), "Konsol Platform") {
		t.Fatalf("after login: %d %q", status, tab.Text("h1"))
	}
	tab.Fill(map[string]string{"#code": "terengganu", "#name": "Negeri Terengganu", "#hosts": "espeks.terengganu.gov.my",
		"#email_domains": "terengganu.gov.my", "#admin_ic_no": officerIC, "#admin_name": "Wan Aziz bin Wan Ismail",
		"#admin_email": "wan.aziz@gmail.com", "#helpdesk_email": "helpdesk@espeks.terengganu.gov.my", "#helpdesk_phone": "09-627 0000"})
	if status := tab.Click("#onboard"); status != 422 {
		t.Fatalf("a gmail address for a terengganu.gov.my state: %d", status)
	}
	if got := tab.Text("#admin_email-error"); !strings.Contains(got, "domain rasmi negeri ini: terengganu.gov.my") ||
		tab.Attr("#admin_email", "aria-invalid") != "true" || tab.Count("#tenant-terengganu") != 0 {
		t.Fatalf("the refusal beside the field: %q", got)
	}
	if tab.Attr("#helpdesk_phone", "value") != "09-627 0000" {
		t.Error("the form lost what was typed")
	}
	tab.ScreenshotIfAsked("platform-onboard-refused")
	// Chromium reports the 422 answer itself in the console; the page is otherwise clean.
	expectOnlyStatusErrors(t, tab)
	tab = browser.NewTab(t)
	tab.Open(base + "/platform?lang=ms")
	tab.Fill(map[string]string{"#code": "terengganu", "#name": "Negeri Terengganu", "#hosts": "espeks.terengganu.gov.my",
		"#email_domains": "terengganu.gov.my", "#admin_ic_no": officerIC, "#admin_name": "Wan Aziz bin Wan Ismail",
		"#helpdesk_email": "helpdesk@espeks.terengganu.gov.my", "#helpdesk_phone": "09-627 0000"})
	tab.Fill(map[string]string{"#admin_email": "it@terengganu.gov.my"})
	if status := tab.Click("#onboard"); status != 200 || !strings.Contains(tab.Text("#notice"), "terengganu") {
		t.Fatalf("after onboarding: %d", status)
	}
	if !strings.Contains(tab.Text("#tenant-terengganu"), "Aktif") {
		t.Errorf("terengganu row: %q", tab.Text("#tenant-terengganu"))
	}
	if storage := tab.Text("#tenant-terengganu .storage"); !storageText.MatchString(storage) {
		t.Errorf("storage reads %q, want a size in MB", storage)
	}
	tab.ScreenshotIfAsked("platform-console-onboarded")
	tab.ExpectNoConsoleErrors()

	landing := fmt.Sprintf("http://terengganu.localhost:%d", srv.Port)
	tab.Open(landing + "/?lang=ms")
	if got := tab.Text("#helpdesk-contact"); !strings.Contains(got, "helpdesk@espeks.terengganu.gov.my") || !strings.Contains(got, "09-627 0000") {
		t.Errorf("the landing page's helpdesk: %q", got)
	}
	errors := browser.NewTab(t)
	if status := errors.Open(landing + "/tiada-halaman"); status != 404 || !strings.Contains(errors.Text("#helpdesk-contact"), "09-627 0000") {
		t.Errorf("the error page (%d) lacks the helpdesk", status)
	}

	mails := sendMail(t, env, 1)
	otc := codePattern.FindString(mails[0])
	if otc == "" {
		t.Fatalf("no code in the mail:\n%s", mails[0])
	}
	tab.Open(fmt.Sprintf("http://terengganu.localhost:%d/login", srv.Port))
	tab.Fill(map[string]string{"#id": officerIC})
	tab.Click("#next")
	tab.Fill(map[string]string{"#password": otc})
	tab.Click("#login")
	if url := webtest.Eval[string](tab, "location.pathname"); url != "/account/password" {
		t.Fatalf("the officer's first login ends on %s, want /account/password", url)
	}
	tab.ExpectNoConsoleErrors()

	// The console states the new state's last feed in Malaysia time, day first: a feed
	// received at 19:53 UTC on 4 December arrived at 03:53 on 5 December in Malaysia.
	env.Databases.Public().MustExec(`INSERT INTO tenant_terengganu.import_batches (kind, actor, content_hash, bytes, rows,
		inserted, updated, unchanged, received_at, duration_ms)
		VALUES ('employees', 'test', repeat('a', 64), 1, 1, 1, 0, 0, '2026-12-04 19:53:00+00', 1)`)
	tab.Open(base + "/platform?lang=ms")
	if got := tab.Text("#tenant-terengganu"); !strings.Contains(got, "05/12/2026 03:53") {
		t.Errorf("last feed of terengganu, want 05/12/2026 03:53: %q", got)
	}
	tab.Open(base + "/platform?lang=ms")
	if webtest.Eval[bool](tab, `document.querySelector("#suspend-terengganu").form.checkValidity()`) {
		t.Fatal("the state can be suspended without ticking the confirmation")
	}
	webtest.Eval[bool](tab, `document.querySelector("#suspend-confirm-terengganu").checked = true`)
	tab.Click("#suspend-terengganu")
	if !strings.Contains(tab.Text("#tenant-terengganu"), "Digantung") {
		t.Fatalf("after suspending: %q", tab.Text("#tenant-terengganu"))
	}
	tab.ExpectNoConsoleErrors()
	if status := errors.Open(landing + "/"); status != 503 || !strings.Contains(errors.Text("#helpdesk-contact"), "helpdesk@espeks.terengganu.gov.my") {
		t.Errorf("the suspended state's page (%d) lacks its helpdesk", status)
	}
}

// storageText is a humanised size; a fresh state's schema is about a megabyte.
var storageText = regexp.MustCompile(`^\d+\.\d (KB|MB|GB)$`)

// expectOnlyStatusErrors fails on any console error other than Chromium's note of a page's
// own 4xx status (a form refused with 422 is the journey, not a fault of the page).
func expectOnlyStatusErrors(t *testing.T, tab *webtest.Tab) {
	t.Helper()
	for _, e := range tab.ConsoleErrors() {
		if !strings.Contains(e, "the server responded with a status of 4") {
			t.Errorf("console error: %s", e)
		}
	}
}
