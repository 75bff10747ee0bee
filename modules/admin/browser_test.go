package admin_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/admin"
	"github.com/speks-portal/speks/modules/foundation/authz"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/modules/foundation/web/webtest"
	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// In Chromium, in both languages and without console errors (CSP included): the IT officer
// searches a locked account, unlocks it with the form's button and reads the confirmation;
// the console and the audit trail pages show the action.
func TestConsoleInBrowser(t *testing.T) {
	srv := consoleServer(t)
	db := srv.Env.DB(t, srv.Tenants["selangor"])
	token := signedInOfficer(t, db, "browser-session-admin")
	var victim int64
	if err := db.Get(&victim, `INSERT INTO users (category, login_id, name, email, status)
		VALUES ('staff', $1, 'Aminah binti Yusof', 'aminah@selangor.gov.my', 'locked') RETURNING id`, icA); err != nil {
		t.Fatal(err)
	}

	base := "http://selangor.localhost:" + strconv.Itoa(srv.Port)
	tab := webtest.NewBrowser(t).NewTab(t)
	tab.Open(base + "/?lang=ms") // Malay, the default of the portal (Chromium asks for English)
	webtest.Eval[string](tab, `document.cookie = "speks_session=`+token+`; path=/"`)
	if code := tab.Open(base + "/admin/users?q=5523"); code != 200 {
		t.Fatalf("users page: %d", code)
	}
	if got := tab.Text(fmt.Sprintf(`tr[data-user="%d"] td:nth-child(2)`, victim)); got != "********5523" {
		t.Errorf("masked ID %q", got)
	}
	tab.Click(fmt.Sprintf(`tr[data-user="%d"] button[data-action="unlock"]`, victim))
	if got := tab.Text("#done"); got != "Akaun telah dibuka kunci." {
		t.Errorf("confirmation %q", got)
	}
	var st string
	if err := db.Get(&st, `SELECT status FROM users WHERE id = $1`, victim); err != nil || st != "active" {
		t.Errorf("status after unlock: %s %v", st, err)
	}
	tab.Open(base + "/admin/audit?lang=en")
	if !strings.Contains(tab.Text("#audit-list"), "Account unlocked") || tab.Text("#audit-heading") != "Audit trail" {
		t.Errorf("audit page: %s", tab.Text("#audit-list"))
	}
	expectMalaysianTimes(t, tab, db, base)
	tab.Open(base + "/admin/settings")
	tab.ExpectNoConsoleErrors()
	// Last: Chromium reports the refused form's 422 answer as a console error.
	walkLoginThrottleSettings(t, tab, db, base)
}

// walkLoginThrottleSettings: the officer raises the spraying limit on the settings page, at a
// phone's width; a value out of range comes back named in words, and nothing is saved then.
func walkLoginThrottleSettings(t *testing.T, tab *webtest.Tab, db *tenant.DB, base string) {
	t.Helper()
	tab.Phone()
	tab.Open(base + "/admin/settings?lang=ms")
	if got := tab.Text("#login-throttle legend"); got != "Had cubaan log masuk" {
		t.Errorf("login throttling legend %q", got)
	}
	if got := tab.Attr("#login_accounts_per_address", "value"); got != "50" {
		t.Errorf("spraying limit shown %q, want the default 50", got)
	}
	tab.ExpectAccessible()
	tab.ScreenshotIfAsked("admin-settings-login-throttle")
	tab.Fill(map[string]string{"#login_accounts_per_address": "2"})
	webtest.Eval[bool](tab, `(() => { document.querySelector("#login_accounts_per_address").removeAttribute("min"); return true })()`)
	tab.Click("#save")
	if got := tab.Text(`#problems li[data-field="login_accounts_per_address"]`); !strings.Contains(got, "(5–10000)") {
		t.Errorf("problem shown for the spraying limit: %q", got)
	}
	tab.ExpectAccessible()
	tab.Fill(map[string]string{"#login_accounts_per_address": "120"})
	tab.Click("#save")
	if tab.Count("#saved") != 1 {
		t.Errorf("not saved: %s", tab.Text("main"))
	}
	var n int
	if err := db.Get(&n, `SELECT login_accounts_per_address FROM account_settings`); err != nil || n != 120 {
		t.Errorf("stored spraying limit %d, %v", n, err)
	}
}

// expectMalaysianTimes: the officer reads every time on the console and in the audit trail in
// Malaysia time, day first. 19:53 UTC on 4 December is 03:53 on 5 December in Malaysia.
func expectMalaysianTimes(t *testing.T, tab *webtest.Tab, db *tenant.DB, base string) {
	t.Helper()
	db.MustExec(`INSERT INTO import_batches (kind, actor, content_hash, bytes, rows, inserted, updated, unchanged,
		received_at, duration_ms) VALUES ('payments', 'test', repeat('b', 64), 1, 7, 7, 0, 0, '2026-12-04 19:53:00+00', 1)`)
	db.MustExec(`INSERT INTO cancellation_requests (user_id, reason, requested_at, due_on)
		SELECT id, 'Bersara', '2026-12-04 19:53:00+00', '2026-12-09' FROM users WHERE login_id = $1`, icA)
	db.MustExec(`INSERT INTO audit_log (at, actor, action, subject) VALUES ('2026-12-04 19:53:00+00', 'test', 'feed.import', 'payments')`)
	tab.Open(base + "/admin?lang=ms")
	if got := tab.Text("#batch-list tbody tr:first-child td:first-child"); got != "05/12/2026 03:53" {
		t.Errorf("feed batch received, want 05/12/2026 03:53: %q", got)
	}
	if got := tab.Text("#cancellation-list tbody tr td:nth-child(4)"); !strings.HasPrefix(got, "09/12/2026") {
		t.Errorf("cancellation due, want 09/12/2026: %q", got)
	}
	tab.Open(base + "/admin/audit?action=feed.import")
	if got := tab.Text("#audit-list tbody tr td:first-child"); got != "05/12/2026 03:53" {
		t.Errorf("audit entry time, want 05/12/2026 03:53: %q", got)
	}
}

// The officer's Chromium asks for English, as most government PCs do; the console stays in
// the state's Malay until the officer picks English, and roles, audit actions and feed kinds
// are named in words in both languages, never as codes.
func TestConsoleNamesCodesInTheStateLanguage(t *testing.T) {
	srv := consoleServer(t)
	db := srv.Env.DB(t, srv.Tenants["selangor"])
	token := signedInOfficer(t, db, "browser-session-labels")
	db.MustExec(`INSERT INTO users (category, login_id, name, email, status, roles)
		VALUES ('staff', $1, 'Aminah binti Yusof', 'aminah@selangor.gov.my', 'active', '{treasury,head_of_department}')`, icA)
	db.MustExec(`INSERT INTO audit_log (actor, action, subject) VALUES ('anonymous', 'account.login_failed', '********5523')`)
	db.MustExec(`INSERT INTO import_batches (kind, actor, content_hash, bytes, rows, inserted, updated, unchanged, received_at, duration_ms)
		VALUES ('payslips', 'apikey:modulpy', repeat('a', 64), 100, 3, 3, 0, 0, now(), 5)`)

	base := "http://selangor.localhost:" + strconv.Itoa(srv.Port)
	tab := webtest.NewBrowser(t).NewTab(t)
	tab.Open(base + "/")
	if lang := webtest.Eval[string](tab, "navigator.language"); !strings.HasPrefix(lang, "en") {
		t.Fatalf("the test browser asks for %q, not English", lang)
	}
	webtest.Eval[string](tab, `document.cookie = "speks_session=`+token+`; path=/"`)

	tab.Open(base + "/admin/users?q=Aminah")
	if lang := tab.Attr("html", "lang"); lang != "ms" {
		t.Fatalf("an English browser got the console in %q", lang)
	}
	if got := tab.Text("#user-list"); !strings.Contains(got, "Perbendaharaan Negeri, Ketua Jabatan") || strings.Contains(got, "treasury") {
		t.Errorf("role column in Malay: %s", got)
	}
	tab.Open(base + "/admin/audit?action=account.login_failed")
	if got := tab.Text("#audit-list tbody"); !strings.Contains(got, "Log masuk gagal") || !strings.Contains(got, "Tanpa nama") ||
		strings.Contains(got, "account.") || strings.Contains(got, "anonymous") {
		t.Errorf("audit trail in Malay: %s", got)
	}
	if got := webtest.Eval[string](tab, `document.querySelector("#action").selectedOptions[0].textContent`); got != "Log masuk gagal" {
		t.Errorf("action filter shows %q", got)
	}
	if n := tab.Count("#action option"); n < 40 {
		t.Errorf("action filter offers %d choices", n)
	}
	tab.Open(base + "/admin")
	if got := tab.Text("#batch-list tbody"); !strings.Contains(got, "Slip gaji") || strings.Contains(got, "payslips") {
		t.Errorf("feed batches in Malay: %s", got)
	}

	// The person chooses English with the switch; the choice holds on the next pages.
	tab.Click(`a[data-lang="en"]`)
	if got := tab.Text("#batch-list tbody"); !strings.Contains(got, "Payslips") {
		t.Errorf("feed batches in English: %s", got)
	}
	tab.Open(base + "/admin/users?q=Aminah")
	if got := tab.Text("#user-list"); !strings.Contains(got, "State treasury, Head of department") {
		t.Errorf("role column in English: %s", got)
	}
	tab.Open(base + "/admin/audit")
	if got := tab.Text("#audit-list tbody"); !strings.Contains(got, "Failed login") {
		t.Errorf("audit trail in English: %s", got)
	}
	tab.ExpectNoConsoleErrors()

	// On a phone the console's tables scroll inside their own box; the page does not.
	phone := webtest.NewBrowser(t).NewTab(t)
	phone.Phone()
	phone.Open(base + "/")
	webtest.Eval[string](phone, `document.cookie = "speks_session=`+token+`; path=/"`)
	for _, page := range []struct{ path, table string }{
		{"/admin/users?q=Aminah", "#user-list"}, {"/admin/audit", "#audit-list"}, {"/admin", "#batch-list"},
	} {
		phone.Open(base + page.path)
		phone.ExpectTableInItsBox(page.table)
		phone.ScreenshotIfAsked("admin-phone" + strings.ReplaceAll(strings.Split(page.path, "?")[0], "/", "-"))
	}
	phone.ExpectNoConsoleErrors()
}

// lateAuthz is the authz middleware whose module is made in Provision (it needs the database).
type lateAuthz struct{ m *authz.Module }

func (l *lateAuthz) Mount(app *fiber.App) {
	app.Use(func(c *fiber.Ctx) error { return l.m.Middleware(c) })
}

// consoleServer serves Selangor with the account module, Casbin and the IT officer's console.
// The database exists only once webtest.Start has made it: the modules get their handles in
// Provision, before the first request.
func consoleServer(t *testing.T) *webtest.Server {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := account.NewService("browser-session-secret-0123456789", "browser-decoy-secret-0123456789", log)
	svc.Argon = testArgon
	mod := admin.NewModule(svc, nil)
	late := &lateAuthz{}
	return webtest.Start(t, webtest.Options{
		Tenants: []tenant.Spec{{Code: "selangor", Name: "Selangor", Hosts: []string{"p.ispeks.selangor.gov.my"},
			RegistrationMode: tenant.PayrollMatch}},
		Modules: []web.Module{account.NewModule(svc), late, mod},
		Provision: func(ctx context.Context, env *tenanttest.Env, tn *tenant.Tenant) error {
			mod.Registry = env.Registry
			late.m = authz.NewModule(authz.Options{DB: env.Databases.Public(), Logger: log})
			return authz.SeedTenant(ctx, tn, env.DB(t, tn))
		},
	})
}

// signedInOfficer adds Selangor's IT officer with a full session under token (logging in with
// TOTP is the account module's test) and returns the token for the browser's cookie.
func signedInOfficer(t *testing.T, db *tenant.DB, token string) string {
	t.Helper()
	var officerID int64
	if err := db.Get(&officerID, `INSERT INTO users (category, login_id, name, email, status, roles)
		VALUES ('officer', 'it-1', 'Rohani binti Sulaiman', 'it@selangor.gov.my', 'active', '{it_officer}') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(token))
	db.MustExec(`INSERT INTO sessions (id_hash, user_id, csrf_token, purpose, created_at, last_seen_at)
		VALUES ($1, $2, 'csrf-browser', '', now(), now())`, sum[:], officerID)
	return token
}
