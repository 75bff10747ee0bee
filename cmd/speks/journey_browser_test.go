package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/speks-portal/speks/config"
	"github.com/speks-portal/speks/modules/feed"
	"github.com/speks-portal/speks/modules/foundation/notify/notifytest"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/modules/foundation/web/webtest"
	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// journeyServer serves the app exactly as `speks serve` composes it (every module, Casbin
// in front, the real provisioning hooks) over Pahang (self-registration) with one person on
// its payroll and two payslips of this year.
func journeyServer(t *testing.T) *webtest.Server {
	t.Helper()
	return webtest.Start(t, webtest.Options{
		Tenants: []tenant.Spec{webtest.DemoTenants()[0]},
		Setup: func(env *tenanttest.Env, cfg *config.Config) []web.Module {
			cfg.Database.URL = env.URL
			rt := &runtime{cfg: cfg, log: slog.New(slog.NewTextHandler(io.Discard, nil)), dbs: env.Databases,
				registry: env.Registry, resolver: env.Resolver, scoper: env.Scoper,
				provisioner: newProvisioner(env.Registry, env.Databases, env.PlatformHost)}
			env.Provisioner = rt.provisioner
			return rt.webModules()
		},
		Provision: func(ctx context.Context, env *tenanttest.Env, tn *tenant.Tenant) error {
			sc := &tenant.Scope{Tenant: tn, DB: env.DB(t, tn)}
			ctx = tenant.NewContext(ctx, sc)
			for _, feedFile := range payrollFeeds(tn.Code, linkedIC, linkedName) {
				if _, err := feed.Import(tenant.NewContext(ctx, sc), feedFile.kind, strings.NewReader(feedFile.csv), feed.Options{Actor: "test"}); err != nil {
					return err
				}
			}
			return nil
		},
	})
}

// A newcomer in Pahang, in Chromium: registers on the form with the department and PTJ she
// typed a little differently from the payroll, verifies her e-mail from the mail she got,
// the IT officer sees the payroll record beside what she typed (the difference flagged) and
// activates her; she logs in with the mailed one-time code, sets her password, logs in again
// and sees her two payslips. Then she mistypes her password until she is locked out, and
// the IT officer finds her under "Dikunci" with the lock's end and unlocks her from the list.
func TestNewcomerRegistersAndSeesHerPayslips(t *testing.T) {
	srv := journeyServer(t)
	mails := notifytest.StartPipeline(t, srv.Env)
	db := srv.Env.DB(t, srv.Tenants["pahang"])
	// Two browsers, two people: the newcomer at home, the IT officer at the state's IT unit.
	person := webtest.NewBrowser(t).NewTab(t)
	desk := webtest.NewBrowser(t).NewTab(t)
	shot := func(tab *webtest.Tab, name string) {
		if dir := os.Getenv("SPEKS_SCREENSHOTS"); dir != "" {
			tab.Screenshot(filepath.Join(dir, name+".png"))
		}
	}

	person.Open(srv.TenantURL("pahang", "/register?lang=ms"))
	person.Fill(map[string]string{"#category": "staff", "#id": "850314-10-5523", "#name": "Aminah Ahmad",
		"#email": "aminah.ahmad@pahang.gov.my", "#phone": "019-555 1234", "#ptj_code": "JKR01"})
	person.Click("#submit")
	if !strings.Contains(person.Text("#form-done"), "pautan pengesahan") {
		t.Fatalf("after register: %q", person.Text("main"))
	}
	person.Open(notifytest.Link(t, mails.Next(t, 1), srv.TenantURL("pahang", "/verify-email?token=")))
	if !strings.Contains(person.Text("#form-done"), "telah disahkan") {
		t.Fatalf("verify page: %q", person.Text("main"))
	}

	// The IT officer's console: the registration beside the payroll record.
	desk.Open(srv.TenantURL("pahang", "/?lang=ms"))
	webtest.Eval[string](desk, `document.cookie = "speks_session=`+officerSession(t, db)+`; path=/"`)
	// An IT officer with no records of their own starts at the console: /home leads there.
	desk.Open(srv.TenantURL("pahang", "/home"))
	if path := webtest.Eval[string](desk, "location.pathname"); path != "/admin" {
		t.Fatalf("the IT officer's home is %s, want /admin", path)
	}
	row := `#activation-list tr[data-user]`
	if got := desk.Text(row + " td.master"); !strings.Contains(got, linkedName) || !strings.Contains(got, "JKR Ibu Pejabat") {
		t.Fatalf("the payroll record is not shown beside the registration: %q", got)
	}
	if got := desk.Text(row + " td.check"); !strings.Contains(got, "Tidak sepadan") || !strings.Contains(got, "Nama berbeza") ||
		!strings.Contains(got, "E-mel berbeza") || strings.Contains(got, "PTJ berbeza") {
		t.Fatalf("the mismatch flags: %q", got)
	}
	if got := desk.Text("#main-nav"); !strings.Contains(got, "Konsol IT") || !strings.Contains(got, "Jejak Audit") ||
		strings.Contains(got, "ePayslip") {
		t.Errorf("the IT officer's navigation: %q", got)
	}
	shot(desk, "it-officer-activation")
	desk.Click(row + ` button[data-action="activate"]`)
	if got := desk.Text("#done"); got != "Akaun telah diaktifkan." {
		t.Fatalf("after activating: %q", got)
	}

	// The newcomer's first login with the mailed code, then with her own password.
	codeMail := mails.Next(t, 2)
	person.Open(notifytest.Link(t, codeMail, srv.TenantURL("pahang", "/login")))
	loginWith(t, person, "850314105523", notifytest.CodePattern.FindString(codeMail))
	if person.Count("#must-change") != 1 {
		t.Fatalf("code login did not lead to setting a password: %s", person.Text("main"))
	}
	const password = "sawit berbuah lebat di kuantan"
	person.Fill(map[string]string{"#new_password": password, "#confirm_password": password, "#secret_phrase": "burung enggang terbang"})
	person.Click("#submit")
	if !strings.Contains(person.Text("#form-done"), "telah ditukar") {
		t.Fatalf("after setting the password: %q", person.Text("main"))
	}
	person.Open(srv.TenantURL("pahang", "/payslips"))
	if webtest.Eval[string](person, "location.pathname") == "/login" { // the code's session ended with it
		loginWith(t, person, "850314105523", password)
		person.Open(srv.TenantURL("pahang", "/payslips"))
	}
	if n := person.Count("main table tbody tr"); n != 2 {
		t.Fatalf("the newcomer sees %d payslips, want 2: %s", n, person.Text("main"))
	}
	// The header knows her: her name, the staff navigation (ePayslip current) and Log Keluar.
	if got := person.Text("#viewer-name"); got != "Aminah Ahmad" {
		t.Errorf("the header names %q", got)
	}
	if got := person.Text("#main-nav"); !strings.Contains(got, "Laman Utama") || !strings.Contains(got, "eEC") ||
		!strings.Contains(got, "eMaklum") || !strings.Contains(got, "Akaun Saya") || strings.Contains(got, "Konsol") {
		t.Errorf("the staff navigation: %q", got)
	}
	if got := person.Text(`#main-nav a[aria-current="page"]`); got != "ePayslip" {
		t.Errorf("current page in the navigation: %q", got)
	}
	if person.Count("#login-link") != 0 {
		t.Errorf("a signed-in page still offers Log Masuk")
	}
	shot(person, "newcomer-payslips")
	person.ExpectNoConsoleErrors() // the wrong passwords below answer 401 and 423, which the console reports

	// She logs out; later she mistypes her password until she is locked out, and the IT
	// officer finds her under "Dikunci" and lifts the lock from the list.
	person.Click("#logout-header")
	if person.Count("#viewer") != 0 || person.Count("#login-link") != 1 {
		t.Fatalf("after Log Keluar the header still shows the person: %s", person.Text("header"))
	}
	for range srv.Tenants["pahang"].LockoutMaxFailures {
		person.Open(srv.TenantURL("pahang", "/login"))
		loginWith(t, person, "850314105523", "bukan kata laluan saya")
	}
	var id int64
	if err := db.Get(&id, `SELECT id FROM users WHERE login_id = '850314105523'`); err != nil {
		t.Fatal(err)
	}
	mine := fmt.Sprintf(`tr[data-user="%d"]`, id)
	desk.Open(srv.TenantURL("pahang", "/admin/users?status=locked"))
	if got := desk.Text(mine + " td.status"); !strings.HasPrefix(got, "Dikunci") || !strings.Contains(got, "hingga ") {
		t.Fatalf("the locked account in the Dikunci filter: %q", got)
	}
	if desk.Count(mine+` [data-action="activate"]`) != 0 || desk.Count(mine+` [data-action="reset"]`) != 0 {
		t.Errorf("actions that do not apply to a locked account are offered")
	}
	shot(desk, "it-officer-locked")
	desk.Click(mine + ` button[data-action="unlock"]`)
	if got := desk.Text("#done"); got != "Akaun telah dibuka kunci." {
		t.Fatalf("after unlocking: %q", got)
	}
	desk.Open(srv.TenantURL("pahang", "/admin/users?status=locked"))
	if desk.Count(mine) != 0 {
		t.Errorf("still listed as locked after unlocking")
	}
	person.Open(srv.TenantURL("pahang", "/login"))
	loginWith(t, person, "850314105523", password)
	person.Open(srv.TenantURL("pahang", "/payslips"))
	if n := person.Count("main table tbody tr"); n != 2 {
		t.Fatalf("after the unlock she sees %d payslips: %s", n, person.Text("main"))
	}

	// Deactivation asks first: the button only opens the confirmation.
	desk.Open(srv.TenantURL("pahang", "/admin/users?q=5523"))
	desk.Toggle(mine + ` details[data-action="deactivate"] summary`)
	if got := desk.Text(mine + ` details[data-action="deactivate"] p`); !strings.Contains(got, "Nyahaktifkan akaun Aminah Ahmad?") {
		t.Fatalf("confirmation text: %q", got)
	}
	desk.Click(mine + ` button[data-confirm="deactivate"]`)
	if got := desk.Text("#done"); got != "Akaun telah dinyahaktifkan." {
		t.Fatalf("after confirming: %q", got)
	}
	desk.ExpectNoConsoleErrors()
}

// officerSession adds Pahang's IT officer with a full session (the officer's own login, with
// TOTP, is tested in the account module) and returns the cookie value.
func officerSession(t *testing.T, db *tenant.DB) string {
	t.Helper()
	var id int64
	if err := db.Get(&id, `INSERT INTO users (category, login_id, name, email, status, roles)
		VALUES ('officer', '800101065555', 'Rohani binti Sulaiman', 'it@pahang.gov.my', 'active', '{it_officer}') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	token := "journey-it-officer"
	sum := sha256.Sum256([]byte(token))
	db.MustExec(`INSERT INTO sessions (id_hash, user_id, csrf_token, purpose, created_at, last_seen_at)
		VALUES ($1, $2, 'csrf-journey', '', now(), now())`, sum[:], id)
	return token
}

func loginWith(t *testing.T, tab *webtest.Tab, id, secret string) {
	t.Helper()
	tab.Fill(map[string]string{"#id": id})
	tab.Click("#next")
	tab.Fill(map[string]string{"#password": secret})
	tab.Click("#login")
}
