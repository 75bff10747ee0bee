package requests_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/pquerna/otp/totp"

	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/account/credentials"
	"github.com/speks-portal/speks/modules/foundation/notify/notifytest"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/modules/foundation/web/webtest"
	"github.com/speks-portal/speks/modules/requests"
	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// seedMelaka gives a tenant Melaka's organisation, officers and staff (browser server).
func seedMelaka(ctx context.Context, env *tenanttest.Env, tn *tenant.Tenant) error {
	db, err := env.Databases.Schema(tn.Schema)
	if err != nil {
		return err
	}
	for _, stmt := range []string{
		`INSERT INTO departments (code, name) VALUES ('D01', 'Jabatan Ketua Menteri'), ('D02', 'Perbendaharaan Negeri')`,
		`INSERT INTO ptjs (code, department_code, name) VALUES ('P0101', 'D01', 'Bahagian Khidmat Pengurusan'), ('P0201', 'D02', 'Bahagian Gaji')`,
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	hash, err := credentials.HashPassword(officerPass, credentials.Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})
	if err != nil {
		return err
	}
	for _, p := range []person{rosnah, hashim, farah, siti, norlela} {
		if err := insertPerson(ctx, db, p, hash); err != nil {
			return err
		}
	}
	return nil
}

func insertPerson(ctx context.Context, db *tenant.DB, p person, hash string) error {
	if _, err := db.ExecContext(ctx, `INSERT INTO employees (ic_no, salary_no, name, email, department_code, ptj_code)
		VALUES ($1, 'G' || right($1, 5), $2, $3, $4, $5)`, p.IC, p.Name, p.Email, p.Dept, p.PTJ); err != nil {
		return err
	}
	if p.Password == "" {
		return nil
	}
	_, err := db.ExecContext(ctx, `INSERT INTO users (category, login_id, name, email, status, password_hash, secret_phrase, roles,
		employee_ic, department_code, ptj_code, activated_at) VALUES ('staff', $1, $2, $3, 'active', $4, 'pintu gerbang santiago', $5, $1, $6, $7, now())`,
		p.IC, p.Name, p.Email, hash, pq.StringArray(p.Roles), p.Dept, p.PTJ)
	return err
}

// logout ends the browser's session from the home page.
func logout(t *testing.T, srv *webtest.Server, tab *webtest.Tab) {
	t.Helper()
	tab.Open(srv.TenantURL("melaka", "/home"))
	tab.Click("#logout")
	if path := webtest.Eval[string](tab, "location.pathname"); path != "/login" {
		t.Fatalf("after logout at %s", path)
	}
}

// officerLogin logs in through the pages (ID, phrase, password) and enrols TOTP as the
// account module requires of any role.
func officerLogin(t *testing.T, srv *webtest.Server, tab *webtest.Tab, id string) {
	t.Helper()
	tab.Open(srv.TenantURL("melaka", "/login?lang=ms"))
	tab.Fill(map[string]string{"#id": id})
	tab.Click("#next")
	tab.Fill(map[string]string{"#password": officerPass})
	tab.Click("#login")
	secret := tab.Text("#totp-secret")
	if secret == "" {
		t.Fatalf("no TOTP enrolment after login: %s", tab.Text("main"))
	}
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tab.Fill(map[string]string{"#code": code})
	tab.Click("#submit")
}

// melakaServer serves the account and requests modules for Melaka, provisioned by provision.
func melakaServer(t *testing.T, provision func(context.Context, *tenanttest.Env, *tenant.Tenant) error) *webtest.Server {
	svc := account.NewService("browser-session-secret-0123456789", "browser-decoy-secret-0123456789", quiet)
	svc.Argon = credentials.Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	var srv *webtest.Server
	reqs := requests.NewModule(&requests.Service{Accounts: svc.Registration,
		LoginURL: func(tn *tenant.Tenant) string { return srv.TenantURL(tn.Code, "/login") },
		BaseURL:  func(tn *tenant.Tenant) string { return srv.TenantURL(tn.Code, "") }})
	srv = webtest.Start(t, webtest.Options{
		Tenants: []tenant.Spec{{Code: "melaka", Name: "Melaka", Hosts: []string{"p.ispeks.melaka.gov.my"}, RegistrationMode: tenant.AdminOnly}},
		// The policies are proven by cmd/speks's matrix and this package's HTTP tests; here the
		// pages and the service's own scoping are what is under test.
		Modules:   []web.Module{account.NewModule(svc), reqs},
		Provision: provision,
	})
	return srv
}

// The Melaka workflow in a browser: the PTJ admin raises a new user and the head of department
// is told by e-mail; the treasury sees the request but no button while it waits for the head;
// the head approves, the treasury approves, and the new officer logs in with the code mailed to
// them. A second request is rejected by the head, which takes a reason and a ticked confirmation.
func TestBrowserMelakaNewUserWorkflow(t *testing.T) {
	srv := melakaServer(t, seedMelaka)
	mails := notifytest.StartPipeline(t, srv.Env)
	tab := webtest.NewBrowser(t).NewTab(t)

	officerLogin(t, srv, tab, rosnah.IC)
	tab.Open(srv.TenantURL("melaka", "/admin/requests?lang=ms"))
	// Roles are offered by their names (the shared labels), never by their codes.
	if got := tab.Text("#raise fieldset"); !strings.Contains(got, "Pentadbir Gaji PTJ") || !strings.Contains(got, "Ketua Jabatan") ||
		strings.Contains(got, "head_of_department") {
		t.Errorf("roles offered: %q", got)
	}
	raise := func(ic, reason string) string {
		tab.Open(srv.TenantURL("melaka", "/admin/requests?lang=ms"))
		tab.Fill(map[string]string{"#kind": "new_user", "#ic_no": ic, "#reason": reason})
		tab.Click("#raise-submit")
		if !strings.Contains(tab.Text("#done"), "Ketua Jabatan") || tab.Attr("#request-list tbody tr", "data-status") != "pending_head" {
			t.Fatalf("after raising: %s", tab.Text("main"))
		}
		return strings.TrimPrefix(tab.Attr("#request-list tbody tr", "id"), "request-")
	}
	id := raise("900404-04-5048", "Lantikan baharu Pembantu Tadbir")
	second := raise("890808-04-5086", "Pertukaran masuk")
	if tab.Count("#request-list button") != 0 {
		t.Fatal("the PTJ admin is offered a decision on her own request")
	}
	mail := mails.WaitFor(t, hashim.Email, "menunggu kelulusan anda sebagai Ketua Jabatan")
	if !strings.Contains(mail, "Siti Aishah binti Kamal") || !strings.Contains(mail, srv.TenantURL("melaka", "/admin/requests")) {
		t.Fatalf("the head's mail:\n%s", mail)
	}

	// The treasury officer, in a browser of her own, sees the request but nothing to press yet.
	treasury := webtest.NewBrowser(t).NewTab(t)
	officerLogin(t, srv, treasury, farah.IC)
	treasury.Open(srv.TenantURL("melaka", "/admin/requests?lang=ms"))
	if treasury.Count("#request-"+id+" button") != 0 || !strings.Contains(treasury.Text("#request-"+id), "Menunggu keputusan Ketua Jabatan") {
		t.Fatalf("the treasury is offered a decision before the head: %s", treasury.Text("#request-"+id))
	}
	treasury.ScreenshotIfAsked("requests-treasury-waiting")

	logout(t, srv, tab)
	officerLogin(t, srv, tab, hashim.IC)
	tab.Open(srv.TenantURL("melaka", "/admin/requests?lang=ms"))
	tab.Click("#approve-" + id)
	if tab.Attr("#request-"+id, "data-status") != "pending_treasury" {
		t.Fatalf("after the head: %s", tab.Text("main"))
	}
	// The second request: a rejection needs a reason and a ticked confirmation.
	tab.ScreenshotIfAsked("requests-head")
	if !strings.Contains(tab.Text("#request-"+second), "Sahkan penolakan") {
		t.Fatalf("no confirmation by the reject button: %s", tab.Text("#request-"+second))
	}
	tab.Fill(map[string]string{"#reject-reason-" + second: "Jawatan belum diluluskan"})
	if webtest.Eval[bool](tab, `document.querySelector("#reject-`+second+`").form.checkValidity()`) {
		t.Fatal("the rejection can be sent without ticking the confirmation")
	}
	webtest.Eval[bool](tab, `document.querySelector("#reject-confirm-`+second+`").checked = true`)
	tab.Click("#reject-" + second)
	if tab.Attr("#request-"+second, "data-status") != "rejected" || !strings.Contains(tab.Text("#done"), "ditolak") {
		t.Fatalf("after the rejection: %s", tab.Text("main"))
	}
	mails.WaitFor(t, rosnah.Email, "Sebab: Jawatan belum diluluskan")
	mails.WaitFor(t, farah.Email, "sebagai Perbendaharaan Negeri")
	mails.WaitFor(t, rosnah.Email, "telah diluluskan oleh Ketua Jabatan")

	treasury.Open(srv.TenantURL("melaka", "/admin/requests?lang=en"))
	treasury.Click("#approve-" + id)
	if treasury.Attr("#request-"+id, "data-status") != "completed" || !strings.Contains(treasury.Text("#done"), "carried out") {
		t.Fatalf("after the treasury: %s", treasury.Text("main"))
	}
	treasury.ExpectNoConsoleErrors()
	mails.WaitFor(t, rosnah.Email, "dilaksanakan")

	code := codePattern.FindString(mails.WaitFor(t, siti.Email, "Kod sekali guna anda"))
	if code == "" {
		t.Fatal("no code in the new officer's mail")
	}

	logout(t, srv, tab)
	tab.Open(srv.TenantURL("melaka", "/login?lang=ms"))
	tab.Fill(map[string]string{"#id": siti.IC})
	tab.Click("#next")
	tab.Fill(map[string]string{"#password": code})
	if status := tab.Click("#login"); status != http.StatusOK {
		t.Fatalf("code login: %d", status)
	}
	if path := webtest.Eval[string](tab, "location.pathname"); path != "/account/password" {
		t.Fatalf("after the code login at %s: %s", path, tab.Text("main"))
	}
	tab.ExpectNoConsoleErrors()
}
