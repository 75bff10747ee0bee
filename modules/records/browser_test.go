package records

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/account/credentials"
	"github.com/speks-portal/speks/modules/admin"
	"github.com/speks-portal/speks/modules/demo"
	"github.com/speks-portal/speks/modules/feed"
	"github.com/speks-portal/speks/modules/foundation/ids"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/modules/foundation/web/webtest"
	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// browserArgon keeps the password hashing of the test accounts cheap; the login path is
// otherwise the production one.
var browserArgon = credentials.Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// startBrowserServer serves the four demo states, each with the test records, behind the
// real account module mounted first (as `speks serve` mounts it), and returns the accounts
// `speks demo` makes in each state.
func startBrowserServer(t *testing.T) (*webtest.Server, map[string]*demo.TenantEntry, *webtest.Browser) {
	t.Helper()
	// The IT officer's console reads the trail the records pages write (authz, which keeps it
	// to officers, is the admin module's own test).
	return startRecordsServer(t, nil, &Module{Now: func() time.Time { return testNow }}, admin.NewModule(nil, nil))
}

// startRecordsServer is startBrowserServer with more set-up for each state and the given
// modules after the account module.
func startRecordsServer(t *testing.T, more func(ctx context.Context, env *tenanttest.Env, tn *tenant.Tenant, db *tenant.DB) error,
	modules ...web.Module) (*webtest.Server, map[string]*demo.TenantEntry, *webtest.Browser) {
	t.Helper()
	svc := account.NewService("records-browser-session-secret-0123", "records-browser-decoy-secret-01234",
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	svc.Argon = browserArgon
	accounts := map[string]*demo.TenantEntry{}
	srv := webtest.Start(t, webtest.Options{
		Modules: append([]web.Module{account.NewModule(svc)}, modules...),
		Provision: func(ctx context.Context, env *tenanttest.Env, tn *tenant.Tenant) error {
			db, err := env.Databases.Schema(tn.Schema)
			if err != nil {
				return fmt.Errorf("database of %s: %w", tn.Code, err)
			}
			if err := seedRecords(ctx, &tenant.Scope{Tenant: tn, DB: db}); err != nil {
				return fmt.Errorf("records of %s: %w", tn.Code, err)
			}
			// The demo step of `speks demo`: an active staff account for the first employee
			// (Aminah) and a supplier account for the first company (Syarikat Contoh).
			entry := &demo.TenantEntry{}
			if err := demo.StaffStep(browserArgon)(ctx, tn, db, entry); err != nil {
				return err
			}
			if entry.Staff == nil || entry.Supplier == nil {
				return fmt.Errorf("demo step made no staff or supplier account in %s", tn.Code)
			}
			accounts[tn.Code] = entry // Provision runs once per state, one after another
			if more != nil {
				return more(ctx, env, tn, db)
			}
			return nil
		},
	})
	return srv, accounts, webtest.NewBrowser(t)
}

// login logs in through the real /login page — the ID, then the secret phrase shown with the
// password field, then the password — and then opens next. The tabs of one browser share
// cookies, and /login sends a signed-in person home, so an earlier session of the state is
// ended first with the account page's log-out button.
func login(t *testing.T, srv *webtest.Server, tab *webtest.Tab, code string, who *demo.Account, next string) {
	t.Helper()
	if status := tab.Open(srv.TenantURL(code, "/login")); status != http.StatusOK {
		t.Fatalf("login page of %s: %d", code, status)
	}
	if webtest.Eval[string](tab, "location.pathname") != "/login" {
		tab.Open(srv.TenantURL(code, "/account"))
		tab.Click("#logout")
	}
	tab.Fill(map[string]string{"#id": who.ID})
	if status := tab.Click("#next"); status != http.StatusOK {
		t.Fatalf("identify %s on %s: %d", who.ID, code, status)
	}
	if phrase := tab.Text("#secret-phrase"); phrase != account.DemoSecretPhrase {
		t.Fatalf("secret phrase shown: %q", phrase)
	}
	tab.Fill(map[string]string{"#password": who.Password})
	if status := tab.Click("#login"); status != http.StatusOK {
		t.Fatalf("login %s on %s: %d", who.ID, code, status)
	}
	if path := webtest.Eval[string](tab, "location.pathname"); path != "/home" {
		t.Fatalf("after login on %s at %s: %s", code, path, tab.Text("main"))
	}
	if status := tab.Open(srv.TenantURL(code, next)); status != http.StatusOK {
		t.Fatalf("open %s on %s: %d", next, code, status)
	}
}

// fetchStatus fetches url from the page (with its cookies) and returns "status content-type".
func fetchStatus(t *testing.T, tab *webtest.Tab, url string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab.Context(), webtest.ActionTimeout)
	defer cancel()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`fetch(`+jsString(url)+`).then(r => r.status + " " + r.headers.get("content-type"))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("fetch %s: %v", url, err)
	}
	return got
}

func jsString(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }

func TestBrowserRecords(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	srv, accounts, browser := startBrowserServer(t)

	t.Run("a visitor who is not logged in is sent to the login page, and back after", func(t *testing.T) {
		tab := browser.NewTab(t)
		tab.Open(srv.TenantURL("kelantan", "/payslips/2026/10?lang=ms"))
		if path := webtest.Eval[string](tab, "location.pathname + location.search"); !strings.HasPrefix(path, "/login?next=%2Fpayslips%2F2026%2F10") {
			t.Errorf("anonymous visitor at %q", path)
		}
		if got := tab.Text("main"); strings.Contains(got, "3,263.46") {
			t.Errorf("the login page shows pay: %q", got)
		}
	})

	t.Run("kelantan staff opens the latest payslip, compares months and prints", func(t *testing.T) {
		tab := browser.NewTab(t)
		login(t, srv, tab, "kelantan", accounts["kelantan"].Staff, "/home?lang=ms")
		if got := tab.Text("#latest-payslip"); !strings.Contains(got, "Oktober 2026") || !strings.Contains(got, "3,263.46") {
			t.Fatalf("home: %q", got)
		}
		tab.ScreenshotIfAsked("records-home")
		if status := tab.Click("#latest-payslip a"); status != 200 {
			t.Fatalf("payslip: %d", status)
		}
		if got := tab.Text("#net-pay"); got != "RM 3,263.46" {
			t.Errorf("net pay %q", got)
		}
		// The IC is shown the one way every page shows an ID: only its last four digits.
		ic := accounts["kelantan"].Staff.ID
		if got := tab.Text("main"); !strings.Contains(got, ids.Mask(ic)) || strings.Contains(got, ic[:6]) {
			t.Errorf("payslip shows the IC as more than its last four digits: %q", got)
		}
		if n := tab.Count("#changes tbody tr"); n != 3 {
			t.Errorf("changes from September: %d rows", n)
		}
		if tab.Count("[data-print]:not([hidden])") != 1 {
			t.Errorf("print button not enabled by print.js")
		}
		tab.ScreenshotIfAsked("records-payslip")
		if got := fetchStatus(t, tab, tab.Attr("#pdf-link", "href")); got != "200 application/pdf" {
			t.Errorf("pdf link: %q", got)
		}
		ctx, cancel := context.WithTimeout(tab.Context(), webtest.ActionTimeout)
		defer cancel()
		printed, err := chromedp.Run(ctx, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4)))
		if err != nil {
			t.Fatalf("print: %v", err)
		}
		text := pdfText(t, printed)
		if !strings.Contains(text, "3,263.46") || strings.Contains(text, "Perubahan berbanding") {
			t.Errorf("printed page (print CSS hides the comparison): %s", text)
		}
		tab.ExpectNoConsoleErrors()
	})

	t.Run("pahang supplier finds a payment and opens its detail", func(t *testing.T) {
		tab := browser.NewTab(t)
		login(t, srv, tab, "pahang", accounts["pahang"].Supplier, "/payments?lang=ms")
		run := func(a chromedp.Action[chromedp.Void]) {
			ctx, cancel := context.WithTimeout(tab.Context(), webtest.ActionTimeout)
			defer cancel()
			if _, err := chromedp.Run(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		run(chromedp.SetValue(chromedp.CSS("#from"), "2026-05-01"))
		run(chromedp.SetValue(chromedp.CSS("#to"), "2026-11-21"))
		tab.Click("#search")
		if n := tab.Count("#payment-list tbody tr"); n != 3 {
			t.Fatalf("payments in range: %d", n)
		}
		tab.ScreenshotIfAsked("records-payments")
		tab.Click(`a[data-ref="PV-0001"]`)
		run(chromedp.SendKeys(chromedp.CSS("#account_no"), "000"))
		if status := tab.Click("#check"); status != http.StatusForbidden {
			t.Errorf("wrong account: %d", status)
		}
		run(chromedp.SendKeys(chromedp.CSS("#account_no"), "512345678901"))
		if status := tab.Click("#check"); status != 200 {
			t.Fatalf("right account: %d", status)
		}
		if n := tab.Count("#invoices tbody tr"); n != 2 {
			t.Errorf("invoices: %d", n)
		}
		if got := tab.Text("#payment-status"); got != "Diterima oleh bank" {
			t.Errorf("status %q", got)
		}
		// The history dates each status on the day the feed says it happened (paid on 5
		// October, credited two days later), not on the day it was imported.
		if got := tab.Text("#status-history tbody"); got != "05/10/2026\tDihantar ke bank\n07/10/2026\tDiterima oleh bank" {
			t.Errorf("status history %q", got)
		}
		tab.ScreenshotIfAsked("records-payment-detail")
		if got := fetchStatus(t, tab, tab.Attr("#pdf-link", "href")); got != "200 application/pdf" {
			t.Errorf("advice pdf: %q", got)
		}
		// The only console error is the browser noting the 403 of the wrong account number.
		for _, e := range tab.ConsoleErrors() {
			if !strings.Contains(e, "403") || !strings.Contains(e, "/payments/PV-0001") {
				t.Errorf("console error: %s", e)
			}
		}
	})

	t.Run("kelantan staff reads every date day first", func(t *testing.T) {
		tab := browser.NewTab(t)
		login(t, srv, tab, "kelantan", accounts["kelantan"].Staff, "/home?lang=ms")
		if got := tab.Text("main"); !strings.Contains(got, "08/10/2026 · EFT0004") || strings.Contains(got, "2026-10-08") {
			t.Errorf("home lists the claim paid 2026-10-08 as: %q", got)
		}
		tab.Open(srv.TenantURL("kelantan", "/payslips?year=2026"))
		if got := tab.Text("#payslip-list tbody tr:first-child td:nth-child(2)"); got != "23/10/2026" {
			t.Errorf("pay date of October in the list: %q", got)
		}
		tab.Open(srv.TenantURL("kelantan", "/payslips/2026/10"))
		if got := tab.Text(".particulars"); !strings.Contains(got, "23/10/2026") {
			t.Errorf("pay date on the payslip: %q", got)
		}
		tab.Open(srv.TenantURL("kelantan", "/payments?from=2026-10-01&to=2026-10-31"))
		if got := tab.Text("#payment-list caption"); !strings.Contains(got, "01/10/2026") || !strings.Contains(got, "31/10/2026") {
			t.Errorf("range caption: %q", got)
		}
		if got := tab.Text("#payment-list tbody tr td:nth-child(3)"); got != "08/10/2026" {
			t.Errorf("payment date in the list: %q", got)
		}
		// The profile page confirms a cancellation request with its due date.
		tab.Open(srv.TenantURL("kelantan", "/account/profile?cancellation=2026-12-09"))
		if got := tab.Text("#cancellation-done"); !strings.Contains(got, "09/12/2026") {
			t.Errorf("cancellation due date on the profile: %q", got)
		}
		tab.ExpectNoConsoleErrors()
	})

	t.Run("on a phone the lists scroll inside their own box, never the whole page", func(t *testing.T) {
		tab := browser.NewTab(t)
		tab.Phone()
		login(t, srv, tab, "kelantan", accounts["kelantan"].Staff, "/payslips?lang=ms")
		if w := webtest.Eval[int](tab, "window.innerWidth"); w != 390 {
			t.Fatalf("not at phone width: %d", w)
		}
		tab.ExpectTableInItsBox("#payslip-list")
		tab.ScreenshotIfAsked("records-phone-payslips")
		tab.ExpectNoConsoleErrors()

		supplier := browser.NewTab(t)
		supplier.Phone()
		login(t, srv, supplier, "pahang", accounts["pahang"].Supplier, "/payments?from=2026-05-01&to=2026-11-21&lang=ms")
		supplier.ExpectTableInItsBox("#payment-list")
		// A reference stays whole on one line in its cell.
		if lines := webtest.Eval[int](supplier, `document.querySelector('#payment-list a[data-ref]').getClientRects().length`); lines != 1 {
			t.Errorf("the first reference is broken over %d lines", lines)
		}
		supplier.ScreenshotIfAsked("records-phone-payments")
		supplier.ExpectNoConsoleErrors()
	})

	t.Run("melaka staff reads a pay line that stopped and when the EC comes", func(t *testing.T) {
		// August had a special allowance that September no longer pays.
		_, scope, err := srv.Env.Scoper.ForCode(context.Background(), "melaka")
		if err != nil {
			t.Fatal(err)
		}
		august := csvOf("ic_no,year,month,pay_date,kind,code,description,amount",
			icAminah+",2026,8,2026-08-25,E,0001,Gaji Pokok,4521.30",
			icAminah+",2026,8,2026-08-25,E,0201,Imbuhan Tetap Perumahan,300.00",
			icAminah+",2026,8,2026-08-25,E,0401,Elaun Khas Bulanan,150.00",
			icAminah+",2026,8,2026-08-25,D,4001,Cukai Pendapatan (PCB),210.50",
			icAminah+",2026,8,2026-08-25,D,4101,Caruman KWSP,497.34",
			icAminah+",2026,8,2026-08-25,D,5101,LPPSA Pembiayaan Perumahan,850.00",
			icAminah+",2026,8,2026-08-25,D,5201,Koperasi Guru Kelantan,120.00")
		if _, err := feed.Import(tenant.NewContext(context.Background(), scope), feed.Payslips, strings.NewReader(august), feed.Options{Actor: "test", Now: testNow}); err != nil {
			t.Fatal(err)
		}
		tab := browser.NewTab(t)
		login(t, srv, tab, "melaka", accounts["melaka"].Staff, "/payslips/2026/9?lang=ms")
		if got := tab.Text(`#changes tr[data-change="removed"]`); !strings.Contains(got, "Elaun Khas Bulanan") || !strings.Contains(got, "Tiada lagi bulan ini") {
			t.Errorf("a stopped pay line reads %q", got)
		}
		if strings.Contains(tab.Text("#changes"), "Dikeluarkan") {
			t.Errorf("a stopped pay line still reads as paid out: %s", tab.Text("#changes"))
		}
		tab.Open(srv.TenantURL("melaka", "/statements"))
		if got := tab.Text("main"); !strings.Contains(got, "selewat-lewatnya pada akhir bulan Februari") {
			t.Errorf("EC availability: %s", got)
		}
		tab.Open(srv.TenantURL("melaka", "/"))
		if got := tab.Text("main"); !strings.Contains(got, "selewat-lewatnya pada akhir bulan Februari") || strings.Contains(got, "Mac") {
			t.Errorf("EC availability on the home page: %s", got)
		}
		tab.ExpectNoConsoleErrors()
	})

	t.Run("pahang supplier opens a cheque with its number; the officer sees who tried", func(t *testing.T) {
		tab := browser.NewTab(t)
		login(t, srv, tab, "pahang", accounts["pahang"].Supplier, "/payments?lang=ms&from=2026-07-01&to=2026-07-31")
		if got := tab.Text("#payment-list tbody"); !strings.Contains(got, "PV-0005") || strings.Contains(got, chequeNo) {
			t.Errorf("the list names the cheque payment by its reference, not the cheque number: %q", got)
		}
		tab.Click(`a[data-ref="PV-0005"]`)
		if tab.Count("#cheque_no") != 1 || tab.Count("#account_no") != 0 || !strings.Contains(tab.Text("form label"), "No. cek") {
			t.Fatalf("a cheque payment asks for the cheque number: %q", tab.Text("main"))
		}
		if got := tab.Text("#proof-hint"); !strings.Contains(got, "tercetak pada cek") {
			t.Errorf("hint %q", got)
		}
		tab.Fill(map[string]string{"#cheque_no": "111111"})
		if status := tab.Click("#check"); status != http.StatusForbidden {
			t.Errorf("wrong cheque number: %d", status)
		}
		want := "Unit Perunding SPEKS, Perbendaharaan Negeri Pahang (espeks@pahang.gov.my 09-512 5000)"
		if got := tab.Text("#proof-error"); !strings.Contains(got, "No. cek tidak sepadan") || !strings.Contains(got, want) {
			t.Errorf("mismatch message names the treasury contact: %q", got)
		}
		tab.ScreenshotIfAsked("records-cheque-mismatch")
		tab.Fill(map[string]string{"#cheque_no": chequeNo})
		if status := tab.Click("#check"); status != http.StatusOK {
			t.Fatalf("right cheque number: %d", status)
		}
		if got := tab.Text("#payment-method"); got != "Cek" {
			t.Errorf("method %q", got)
		}
		if got := tab.Text("#status-history tbody"); got != "15/07/2026\tCek dikeluarkan" {
			t.Errorf("cheque history %q", got)
		}

		// The state's IT officer reads in the audit trail who typed the wrong number.
		db := srv.Env.DB(t, srv.Tenants["pahang"])
		var officerID int64
		if err := db.Get(&officerID, `INSERT INTO users (category, login_id, name, email, status, roles)
			VALUES ('officer', 'it-records', 'Pegawai IT Ujian', 'it@pahang.gov.my', 'active', '{it_officer}') RETURNING id`); err != nil {
			t.Fatal(err)
		}
		token := "records-browser-officer-session"
		sum := sha256.Sum256([]byte(token))
		db.MustExec(`INSERT INTO sessions (id_hash, user_id, csrf_token, purpose, created_at, last_seen_at)
			VALUES ($1, $2, 'csrf-records', '', now(), now())`, sum[:], officerID)
		officer := webtest.NewBrowser(t).NewTab(t)
		officer.Open(srv.TenantURL("pahang", "/?lang=ms"))
		webtest.Eval[string](officer, `document.cookie = "speks_session=`+token+`; path=/"`)
		officer.Open(srv.TenantURL("pahang", "/admin/audit?action=payment.account_mismatch"))
		var supplierUser int64
		if err := db.Get(&supplierUser, `SELECT id FROM users WHERE category = 'supplier' ORDER BY id LIMIT 1`); err != nil {
			t.Fatal(err)
		}
		id := accounts["pahang"].Supplier.ID
		actor := strings.Repeat("*", len(id)-4) + id[len(id)-4:] + " #" + strconv.FormatInt(supplierUser, 10)
		rows := officer.Text("#audit-list tbody")
		if !strings.Contains(rows, actor) || !strings.Contains(rows, "payment PV-0005") {
			t.Errorf("the trail shows the actor %q of the mismatch: %q", actor, rows)
		}
		officer.ScreenshotIfAsked("admin-audit-payment-actor")
	})

	t.Run("selangor staff downloads last year's EC", func(t *testing.T) {
		tab := browser.NewTab(t)
		login(t, srv, tab, "selangor", accounts["selangor"].Staff, "/statements?lang=en")
		tab.Click(`#statement-list a`)
		if got := tab.Text("h1"); !strings.Contains(got, "2025") {
			t.Errorf("EC heading %q", got)
		}
		tab.ScreenshotIfAsked("records-ec")
		href := tab.Attr("#pdf-link", "href")
		if got := fetchStatus(t, tab, href); got != "200 application/pdf" {
			t.Errorf("EC pdf: %q", got)
		}
		tab.ExpectNoConsoleErrors()
	})

	t.Run("the EC reads as Borang EC in both languages, on a desk and on a phone", func(t *testing.T) {
		tab := browser.NewTab(t)
		login(t, srv, tab, "kelantan", accounts["kelantan"].Staff, "/statements?lang=ms")
		tab.Click(`#statement-list a`)
		path := webtest.Eval[string](tab, "location.pathname")
		if got := tab.Text("#ec-part-A"); got != "A. Butiran pekerja" {
			t.Errorf("part A heading %q", got)
		}
		for _, part := range []string{"B", "C", "D", "E", "F"} {
			if tab.Count("#ec-part-"+part) != 1 {
				t.Errorf("part %s missing", part)
			}
		}
		if got := tab.Text(`#ec-part-B caption`); got != "B. Pendapatan penggajian, manfaat dan tempat kediaman" {
			t.Errorf("part B caption %q", got)
		}
		if got := tab.Text(`tr[data-item="B1a"] td.amount`); got == "" || strings.HasPrefix(got, "–") {
			t.Errorf("gross salary B1a: %q", got)
		}
		if got := tab.Text(`tr[data-item="C1"] td.amount`); !strings.HasPrefix(got, "–") {
			t.Errorf("a blank item prints %q, not –", got)
		}
		if n := tab.Count(`tr[data-item]`); n < 21 {
			t.Errorf("%d items on the page, the form has 21", n)
		}
		if got := tab.Text("main"); strings.Contains(got, "A7") && !strings.Contains(got, "No. PERKESO") {
			t.Errorf("part A: %s", got)
		}
		tab.ExpectAccessible()
		tab.Open(srv.TenantURL("kelantan", path+"?lang=en"))
		if got := tab.Text(`#ec-part-D caption`); got != "D. Total deductions" {
			t.Errorf("English part D caption %q", got)
		}
		if got := tab.Text(`tr[data-item="D1"] td:nth-child(2)`); got != "Monthly tax deductions (PCB) remitted to LHDNM" {
			t.Errorf("English D1 %q", got)
		}
		tab.ExpectAccessible()
		tab.ExpectNoConsoleErrors()

		phone := browser.NewTab(t)
		phone.Phone()
		login(t, srv, phone, "kelantan", accounts["kelantan"].Staff, path+"?lang=ms")
		phone.ExpectTableInItsBox("#ec-part-B")
		phone.ExpectAccessible()
		phone.ScreenshotIfAsked("records-phone-ec")
		phone.ExpectNoConsoleErrors()
	})

	t.Run("the verify page opened from the QR URL", func(t *testing.T) {
		tab := browser.NewTab(t)
		login(t, srv, tab, "kelantan", accounts["kelantan"].Staff, "/payslips/2026/10")
		text := tab.Text(".payslip .muted")
		i := strings.Index(text, "/verify/")
		if i < 0 {
			t.Fatalf("no verify url on the payslip: %q", text)
		}
		verifyURL := srv.TenantURL("kelantan", text[i:])
		fresh := webtest.NewBrowser(t).NewTab(t) // a bank officer: no session at all
		if status := fresh.Open(verifyURL); status != 200 {
			t.Fatalf("verify: %d", status)
		}
		if got := fresh.Attr(".verify-status", "data-status"); got != "valid" {
			t.Errorf("status %q", got)
		}
		if got := fresh.Text(`[data-field="holder"]`); got != "Aminah binti Ahmad" {
			t.Errorf("holder %q", got)
		}
		fresh.ScreenshotIfAsked("records-verify")
		fresh.ExpectNoConsoleErrors()
	})
}
