package account_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/account/credentials"
	"github.com/speks-portal/speks/modules/foundation/notify/notifytest"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/modules/foundation/web/webtest"
	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// browserServer serves the account module over the demo states; Selangor and Pahang get an
// organisation and one person in the payroll master.
func browserServer(t *testing.T) (*webtest.Server, *account.Service) {
	t.Helper()
	svc := account.NewService("browser-session-secret-0123456789", "browser-decoy-secret-0123456789", slog.Default())
	svc.Argon = testArgon
	srv := webtest.Start(t, webtest.Options{
		Modules: []web.Module{account.NewModule(svc)},
		Provision: func(ctx context.Context, env *tenanttest.Env, tn *tenant.Tenant) error {
			db, err := env.Databases.Schema(tn.Schema)
			if err != nil {
				return err
			}
			for _, stmt := range []string{
				`INSERT INTO departments (code, name) VALUES ('D01', 'Jabatan Kewangan'), ('D02', 'Jabatan Kerja Raya')`,
				`INSERT INTO ptjs (code, department_code, name) VALUES ('P0101', 'D01', 'Bahagian Gaji'), ('P0201', 'D02', 'JKR Daerah')`,
			} {
				if _, err := db.ExecContext(ctx, stmt); err != nil {
					return err
				}
			}
			_, err = db.ExecContext(ctx, `INSERT INTO employees (ic_no, salary_no, name, email, department_code, ptj_code)
				VALUES ('850101145123', 'S1', 'Aminah binti Yusof', 'aminah@' || $1 || '.gov.my', 'D01', 'P0101')`, tn.Code)
			return err
		},
	})
	return srv, svc
}

func outboxValue(t *testing.T, srv *webtest.Server, code, template, key string) string {
	t.Helper()
	var v string
	if err := srv.Env.DB(t, srv.Tenants[code]).Get(&v, `SELECT data->>$2 FROM outbox WHERE template = $1 ORDER BY id DESC LIMIT 1`, template, key); err != nil {
		t.Fatalf("no %s mail: %v", template, err)
	}
	return v
}

// loginInBrowser goes through both login steps and returns the phrase shown.
func loginInBrowser(t *testing.T, tab *webtest.Tab, id, password string) string {
	t.Helper()
	tab.Fill(map[string]string{"#id": id})
	if status := tab.Click("#next"); status != http.StatusOK {
		t.Fatalf("identify step: %d", status)
	}
	phrase := tab.Text("#secret-phrase")
	tab.Fill(map[string]string{"#password": password})
	tab.Click("#login")
	return phrase
}

func TestBrowserSelangorFirstLoginFromEmailToHome(t *testing.T) {
	srv, _ := browserServer(t)
	mails := notifytest.StartPipeline(t, srv.Env)
	tab := webtest.NewBrowser(t).NewTab(t)

	tab.Open(srv.TenantURL("selangor", "/first-login?lang=ms"))
	if h := tab.Text("h1"); h != "Login Kali Pertama" {
		t.Fatalf("heading %q", h)
	}
	tab.Fill(map[string]string{"#id": "850101-14-5123", "#email": "aminah@selangor.gov.my"})
	tab.Click("#submit")
	if !strings.Contains(tab.Text("#form-done"), "kod sekali guna") {
		t.Fatalf("after first login: %q", tab.Text("main"))
	}

	// The mail, as it arrives over SMTP through the outbox, Redis and the worker.
	mail := mails.Next(t, 1)
	code := notifytest.CodePattern.FindString(mail)
	link := notifytest.Link(t, mail, srv.TenantURL("selangor", "/login"))
	if code == "" {
		t.Fatalf("no code in the mail:\n%s", mail)
	}
	tab.Open(link)
	// No phrase yet: the page shows a Malay decoy and tells a person with a code to go on.
	phrase := identifyInBrowser(t, tab, "850101145123")
	wantWordsOf(t, phrase, "decoy_words_ms.txt")
	if got := tab.Text("#phrase-if-code"); !strings.Contains(got, "Log masuk dengan kod sekali guna?") ||
		!strings.Contains(got, "teruskan dengan memasukkan kod sekali guna") {
		t.Fatalf("guidance for a first login: %q", got)
	}
	tab.Fill(map[string]string{"#password": code})
	tab.Click("#login")
	if h := tab.Text("h1"); h != "Maklumat Pendaftaran Baru" {
		t.Fatalf("after code login: %q", h)
	}
	tab.Fill(map[string]string{"#new_password": newPass, "#confirm_password": newPass,
		"#answer_1": "SK Taman Melawati", "#answer_2": "Kuala Kubu Bharu", "#answer_3": "Comel", "#secret_phrase": "pokok kelapa di tepi pantai"})
	tab.Click("#submit")
	if !strings.Contains(webtest.Eval[string](tab, "location.pathname"), "/login") {
		t.Fatalf("after activation at %s: %s", webtest.Eval[string](tab, "location.href"), tab.Text("main"))
	}
	if phrase := loginInBrowser(t, tab, "850101145123", newPass); phrase != "pokok kelapa di tepi pantai" {
		t.Fatalf("phrase shown %q", phrase)
	}
	if h := tab.Text("#welcome"); h != "Selamat datang, Aminah binti Yusof" {
		t.Fatalf("home heading %q", h)
	}
	tab.ExpectNoConsoleErrors()
}

// identifyInBrowser sends the ID (first login step) and returns the phrase shown.
func identifyInBrowser(t *testing.T, tab *webtest.Tab, id string) string {
	t.Helper()
	tab.Fill(map[string]string{"#id": id})
	if status := tab.Click("#next"); status != http.StatusOK {
		t.Fatalf("identify step: %d", status)
	}
	return tab.Text("#secret-phrase")
}

// wantWordsOf fails unless every word of phrase is in the decoy word list file.
func wantWordsOf(t *testing.T, phrase, file string) {
	t.Helper()
	words := wordSet(t, file)
	for _, w := range strings.Fields(phrase) {
		if !words[w] {
			t.Fatalf("phrase %q: %q is not a word of %s", phrase, w, file)
		}
	}
}

// A person who set a phrase and a person with only a one-time code (or a stranger) see the
// same page with the same two pieces of advice; only the phrase differs. A decoy is in the
// state's language and stays the same when the page's language changes, as a real phrase does.
func TestBrowserPhraseStepSpeaksToBothKindsOfUser(t *testing.T) {
	srv, _ := browserServer(t)
	db := srv.Env.DB(t, srv.Tenants["selangor"])
	hash, _ := credentials.HashPassword(aminahPass, testArgon)
	db.MustExec(`INSERT INTO users (category, login_id, name, email, status, password_hash, secret_phrase, department_code, ptj_code, employee_ic)
		VALUES ('staff', '850101145123', 'Aminah binti Yusof', 'aminah@selangor.gov.my', 'active', $1, 'bunga raya merah', 'D01', 'P0101', '850101145123')`, hash)
	tab := webtest.NewBrowser(t).NewTab(t)

	decoys := map[string]bool{}
	for _, lang := range []struct{ code, words, ifSet, ifCode string }{
		{"ms", "decoy_words_ms.txt", "Sudah menetapkan frasa rahsia?", "Log masuk dengan kod sekali guna?"},
		{"en", "decoy_words_ms.txt", "Have you set a secret phrase?", "Logging in with a one-time code?"},
	} {
		tab.Open(srv.TenantURL("selangor", "/login?lang="+lang.code))
		if phrase := identifyInBrowser(t, tab, "850101145123"); phrase != "bunga raya merah" {
			t.Fatalf("%s: own phrase shown as %q", lang.code, phrase)
		}
		known := tab.Text("#phrase-guidance")
		tab.Open(srv.TenantURL("selangor", "/login"))
		decoy := identifyInBrowser(t, tab, "770707077777")
		wantWordsOf(t, decoy, lang.words)
		decoys[decoy] = true
		tab.ScreenshotIfAsked("account-phrase-step-" + lang.code)
		if unknown := tab.Text("#phrase-guidance"); unknown != known {
			t.Fatalf("%s: advice differs between a known and an unknown ID:\n%s\n%s", lang.code, known, unknown)
		}
		if !strings.Contains(known, lang.ifSet) || !strings.Contains(known, lang.ifCode) {
			t.Fatalf("%s: advice %q", lang.code, known)
		}
	}
	if len(decoys) != 1 {
		t.Fatalf("the decoy of one ID changed with the page language (%v): a prober could tell it from a real phrase", decoys)
	}
	tab.ExpectNoConsoleErrors()
}

func TestBrowserPahangSelfRegistrationThroughVerification(t *testing.T) {
	srv, svc := browserServer(t)
	mails := notifytest.StartPipeline(t, srv.Env)
	tab := webtest.NewBrowser(t).NewTab(t)
	tab.Open(srv.TenantURL("pahang", "/register?lang=ms"))
	tab.Fill(map[string]string{"#category": "staff", "#id": "910909-06-5678", "#name": "Siti Hajar binti Omar",
		"#email": "siti@pahang.gov.my", "#phone": "019-555 1234", "#ptj_code": "P0201"})
	tab.Click("#submit")
	if !strings.Contains(tab.Text("#form-done"), "pautan pengesahan") {
		t.Fatalf("after register: %q", tab.Text("main"))
	}
	tab.Open(notifytest.Link(t, mails.Next(t, 1), srv.TenantURL("pahang", "/verify-email?token=")))
	if !strings.Contains(tab.Text("#form-done"), "telah disahkan") {
		t.Fatalf("verify page: %q", tab.Text("main"))
	}
	ctx, _, err := srv.Env.Scoper.ForCode(context.Background(), "pahang")
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Registration.ActivateRegistration(ctx, "910909065678", "test", srv.TenantURL("pahang", "/login")); err != nil {
		t.Fatal(err)
	}
	codeMail := mails.Next(t, 2)
	tab.Open(notifytest.Link(t, codeMail, srv.TenantURL("pahang", "/login")))
	loginInBrowser(t, tab, "910909065678", notifytest.CodePattern.FindString(codeMail))
	if tab.Count("#must-change") != 1 {
		t.Fatalf("code login did not lead to setting a password: %s", tab.Text("main"))
	}
	tab.Fill(map[string]string{"#new_password": newPass, "#confirm_password": newPass, "#secret_phrase": "burung enggang terbang"})
	tab.Click("#submit")
	if !strings.Contains(tab.Text("#form-done"), "telah ditukar") {
		t.Fatalf("after setting the password: %q", tab.Text("main"))
	}
	tab.ExpectNoConsoleErrors()
}

// browserTexts are the phrases the test looks for, per language.
type browserTexts struct {
	lang, welcome, nameReason, contextReason, changed, codeSent string
}

// Login with the phrase, change password, change profile, forgot password: in Malay, and in
// English.
func TestBrowserPhrasePasswordProfileAndForgot(t *testing.T) {
	for _, tx := range []browserTexts{
		{"ms", "Selamat datang, Aminah binti Yusof", "tidak boleh mengandungi nama", "nama portal atau nama negeri (SPEKS, eSPEKS, iSPEKS, portal, Selangor)",
			"telah ditukar", "kod sekali guna"},
		{"en", "Welcome, Aminah binti Yusof", "must not contain your name", "name of the portal or of the state (SPEKS, eSPEKS, iSPEKS, portal, Selangor)",
			"has been changed", "one-time code"},
	} {
		t.Run(tx.lang, func(t *testing.T) { phrasePasswordProfileForgot(t, tx) })
	}
}

func phrasePasswordProfileForgot(t *testing.T, tx browserTexts) {
	srv, _ := browserServer(t)
	db := srv.Env.DB(t, srv.Tenants["selangor"])
	hash, _ := credentials.HashPassword(aminahPass, testArgon)
	db.MustExec(`INSERT INTO users (category, login_id, name, email, status, password_hash, secret_phrase, department_code, ptj_code, employee_ic)
		VALUES ('staff', '850101145123', 'Aminah binti Yusof', 'aminah@selangor.gov.my', 'active', $1, 'bunga raya merah', 'D01', 'P0101', '850101145123')`, hash)
	tab := webtest.NewBrowser(t).NewTab(t)

	tab.Open(srv.TenantURL("selangor", "/login?lang="+tx.lang))
	if phrase := loginInBrowser(t, tab, "850101-14-5123", aminahPass); phrase != "bunga raya merah" {
		t.Fatalf("phrase %q", phrase)
	}
	if h := tab.Text("#welcome"); h != tx.welcome {
		t.Fatalf("home %q", h)
	}
	// The idle-timeout warning is on the page, hidden until two minutes before the end.
	if got := tab.Attr("#idle-warning", "data-idle-minutes"); got != "15" {
		t.Fatalf("idle warning minutes %q", got)
	}
	if webtest.Eval[bool](tab, "!document.getElementById('idle-warning').hidden") {
		t.Fatal("idle warning shown at once")
	}

	tab.Click("#password-link")
	tab.Fill(map[string]string{"#current_password": aminahPass, "#new_password": "aminah is here 2024", "#confirm_password": "aminah is here 2024"})
	tab.Click("#submit")
	if !strings.Contains(tab.Text("#reasons"), tx.nameReason) {
		t.Fatalf("weak password page: %q", tab.Text("main"))
	}
	// The portal's and the state's names are refused too, and the page names them.
	tab.Fill(map[string]string{"#current_password": aminahPass, "#new_password": "SpeksSelangor2026", "#confirm_password": "SpeksSelangor2026"})
	tab.Click("#submit")
	if !strings.Contains(tab.Text("#reasons"), tx.contextReason) {
		t.Fatalf("context-word password page: %q", tab.Text("main"))
	}
	tab.ExpectAccessible()
	tab.ScreenshotIfAsked("account-password-context-" + tx.lang)
	tab.Fill(map[string]string{"#current_password": aminahPass, "#new_password": newPass, "#confirm_password": newPass})
	tab.Click("#submit")
	if !strings.Contains(tab.Text("#form-done"), tx.changed) {
		t.Fatalf("after change: %q", tab.Text("main"))
	}

	tab.Open(srv.TenantURL("selangor", "/account/profile"))
	tab.Fill(map[string]string{"#phone": "012-345 6789", "#ptj_code": "P0201"})
	tab.Click("#save")
	if !strings.Contains(tab.Text("#current-ptj"), "JKR Daerah") || tab.Count("#form-done") != 1 {
		t.Fatalf("profile after save: %q", tab.Text("#profile"))
	}

	tab.Open(srv.TenantURL("selangor", "/home"))
	tab.Click("#logout")
	tab.Open(srv.TenantURL("selangor", "/forgot-password"))
	tab.Fill(map[string]string{"#id": "850101145123", "#email": "aminah@selangor.gov.my"})
	tab.Click("#submit")
	if !strings.Contains(tab.Text("#form-done"), tx.codeSent) {
		t.Fatalf("forgot: %q", tab.Text("main"))
	}
	tab.Open(srv.TenantURL("selangor", "/login"))
	loginInBrowser(t, tab, "850101145123", outboxValue(t, srv, "selangor", "one_time_code", "code"))
	if tab.Count("#must-change") != 1 {
		t.Fatalf("reset code login: %q", tab.Text("main"))
	}
	// The refused weak password answered 422 on purpose (Chromium logs every 4xx page load).
	for _, e := range tab.ConsoleErrors() {
		if !strings.Contains(e, "status of 422") {
			t.Errorf("console error: %s", e)
		}
	}
}

// The words a person reads at the moments that matter, in Malay: a wrong current password is
// called that, cancellation help speaks of the transfer to the Federal service the FAQ
// describes, and first login speaks to suppliers as well as staff.
func TestBrowserWordingAtTheMomentsThatMatter(t *testing.T) {
	srv, _ := browserServer(t)
	db := srv.Env.DB(t, srv.Tenants["selangor"])
	hash, _ := credentials.HashPassword(aminahPass, testArgon)
	db.MustExec(`INSERT INTO users (category, login_id, name, email, status, password_hash, secret_phrase, department_code, ptj_code, employee_ic)
		VALUES ('staff', '850101145123', 'Aminah binti Yusof', 'aminah@selangor.gov.my', 'active', $1, 'bunga raya merah', 'D01', 'P0101', '850101145123')`, hash)
	tab := webtest.NewBrowser(t).NewTab(t)

	tab.Open(srv.TenantURL("selangor", "/first-login?lang=ms"))
	if got := tab.Text("main"); !strings.Contains(got, "pembekal") || !strings.Contains(got, "No. Pendaftaran Syarikat") {
		t.Errorf("first login speaks only to staff: %s", got)
	}
	tab.Open(srv.TenantURL("selangor", "/login"))
	if got := tab.Text("#login-form"); !strings.Contains(got, "No. Pendaftaran Syarikat") {
		t.Errorf("login form speaks only to staff: %s", got)
	}
	loginInBrowser(t, tab, "850101145123", aminahPass)

	tab.Open(srv.TenantURL("selangor", "/account/password"))
	tab.Fill(map[string]string{"#current_password": "not my password at all", "#new_password": newPass, "#confirm_password": newPass})
	tab.Click("#submit")
	if got := tab.Text("#form-error"); got != "Kata laluan semasa yang dimasukkan tidak betul. Cuba lagi." {
		t.Errorf("wrong current password reads %q", got)
	}
	if got := webtest.Eval[string](tab, "document.activeElement.id"); got != "current_password" {
		t.Errorf("focus after a wrong current password on %q", got)
	}
	if got := tab.Attr("#current_password", "aria-describedby"); got != "form-error" {
		t.Errorf("current password field described by %q", got)
	}

	tab.Open(srv.TenantURL("selangor", "/account/profile"))
	if got := tab.Text("#cancellation-intro"); !strings.Contains(got, "Perkhidmatan Awam Persekutuan") || strings.Contains(got, "luar negeri") {
		t.Errorf("cancellation help: %q", got)
	}
	// The refused password answered 422 on purpose (Chromium logs every 4xx page load).
	for _, e := range tab.ConsoleErrors() {
		if !strings.Contains(e, "status of 422") {
			t.Errorf("console error: %s", e)
		}
	}
}

// The login page puts the cursor in the ID field, keeps it on the field in error, and sends
// a person who is signed in already to their home instead of showing the form again.
func TestBrowserLoginFocusAndSignedInRedirect(t *testing.T) {
	srv, _ := browserServer(t)
	db := srv.Env.DB(t, srv.Tenants["selangor"])
	hash, _ := credentials.HashPassword(aminahPass, testArgon)
	db.MustExec(`INSERT INTO users (category, login_id, name, email, status, password_hash, secret_phrase, department_code, ptj_code, employee_ic)
		VALUES ('staff', '850101145123', 'Aminah binti Yusof', 'aminah@selangor.gov.my', 'active', $1, 'bunga raya merah', 'D01', 'P0101', '850101145123')`, hash)
	tab := webtest.NewBrowser(t).NewTab(t)
	focused := func() string { return webtest.Eval[string](tab, "document.activeElement.id") }

	tab.Open(srv.TenantURL("selangor", "/login?lang=ms"))
	if got := focused(); got != "id" {
		t.Errorf("login page focus on %q, want the ID field", got)
	}
	identifyInBrowser(t, tab, "850101145123")
	if got := focused(); got != "password" {
		t.Errorf("phrase step focus on %q, want the password field", got)
	}
	tab.Fill(map[string]string{"#password": "not the password at all"})
	tab.Click("#login")
	if tab.Text("#form-error") == "" || focused() != "id" {
		t.Errorf("after a failed login: error %q, focus on %q", tab.Text("#form-error"), focused())
	}
	if got := tab.Attr("#id", "aria-describedby"); got != "form-error id-hint" || tab.Attr("#id", "aria-invalid") != "true" {
		t.Errorf("ID field after the error: aria-describedby %q, aria-invalid %q", got, tab.Attr("#id", "aria-invalid"))
	}

	loginInBrowser(t, tab, "850101145123", aminahPass)
	if h := tab.Text("#welcome"); h != "Selamat datang, Aminah binti Yusof" {
		t.Fatalf("home %q", h)
	}
	tab.Open(srv.TenantURL("selangor", "/login"))
	if path := webtest.Eval[string](tab, "location.pathname"); path != "/home" || tab.Count("#login-form") != 0 {
		t.Errorf("a signed-in person opening /login is at %s: %s", path, tab.Text("main"))
	}
	for _, e := range tab.ConsoleErrors() {
		if !strings.Contains(e, "status of 401") {
			t.Errorf("console error: %s", e)
		}
	}
}
