package records

import (
	"net/http"
	"strings"
	"testing"

	"github.com/speks-portal/speks/modules/account"
)

func TestRecordsAPI(t *testing.T) {
	f := newFixture(t)
	t.Run("anonymous is unauthenticated", func(t *testing.T) {
		for _, path := range []string{"/api/v1/payslips", "/api/v1/payslips/2026/10", "/api/v1/statements", "/api/v1/payments", "/api/v1/account/export"} {
			r := f.do(t, http.MethodGet, "kelantan", "", path, "")
			if r.Status != http.StatusUnauthorized || r.Code() != "unauthenticated" {
				t.Errorf("%s: %d %s", path, r.Status, r.Raw)
			}
		}
	})
	t.Run("restricted session reads nothing", func(t *testing.T) {
		r := f.do(t, http.MethodGet, "kelantan", "restricted", "/api/v1/payslips?year=2026", "")
		if r.Status != http.StatusForbidden || r.Code() != "restricted_session" {
			t.Errorf("%d %s", r.Status, r.Raw)
		}
	})
	t.Run("payslip list newest first", func(t *testing.T) { testPayslipList(t, f) })
	t.Run("payslip detail", func(t *testing.T) { testPayslipDetail(t, f) })
	t.Run("payslip of another person or tenant is not found", func(t *testing.T) { testPayslipIsolation(t, f) })
	t.Run("statements", func(t *testing.T) { testStatements(t, f) })
	t.Run("payments", func(t *testing.T) { testPayments(t, f) })
	t.Run("payment account check", func(t *testing.T) { testPaymentAccount(t, f) })
	t.Run("cheque payment, status dates and the actor in the trail", func(t *testing.T) { testChequePayment(t, f) })
	t.Run("older than the retention period says so", func(t *testing.T) { testOutOfRetention(t, f) })
}

// testOutOfRetention: on 21 November 2026 with 24 months kept, payslips before November 2024
// and EC statements before 2024 are gone; asking for one says how long the state keeps them,
// while a missing record inside the window still sends the person to their payroll unit.
func testOutOfRetention(t *testing.T, f *fixture) {
	for path, want := range map[string]string{
		"/api/v1/payslips/2024/10":         "Penyata gaji bagi Oktober 2024 tidak lagi disimpan: penyata gaji disimpan selama 24 bulan sahaja.",
		"/api/v1/payslips/2024/10?lang=en": "The payslip for October 2024 is no longer kept: payslips are kept for 24 months only.",
		"/api/v1/statements/2023":          "Penyata Pendapatan Tahunan (EC) bagi tahun 2023 tidak lagi disimpan: penyata disimpan selama 24 bulan selepas tahunnya berakhir.",
		"/api/v1/statements/2023?lang=en":  "The annual income statement (EC) for 2023 is no longer kept: statements are kept for 24 months after their year ends.",
	} {
		r := f.do(t, http.MethodGet, "kelantan", "aminah", path, "")
		if r.Status != http.StatusNotFound || r.Code() != "out_of_retention" || !strings.Contains(r.Raw, want) {
			t.Errorf("%s: %d %s", path, r.Status, r.Raw)
		}
		if strings.Contains(r.Raw, "Unit Gaji") || strings.Contains(r.Raw, "payroll unit") {
			t.Errorf("%s still sends the person to the payroll unit: %s", path, r.Raw)
		}
	}
	for _, path := range []string{"/api/v1/payslips/2024/11", "/api/v1/statements/2024"} {
		if r := f.do(t, http.MethodGet, "kelantan", "aminah", path, ""); r.Status != http.StatusNotFound || r.Code() != "not_found" || !strings.Contains(r.Raw, "Unit Gaji") {
			t.Errorf("%s inside the window: %d %s", path, r.Status, r.Raw)
		}
	}
}

func testPayslipList(t *testing.T, f *fixture) {
	r := f.do(t, http.MethodGet, "kelantan", "aminah", "/api/v1/payslips?year=2026", "")
	var list []map[string]any
	r.JSON(t, &list)
	if r.Status != 200 || len(list) != 2 || list[0]["month"] != 10.0 || list[1]["month"] != 9.0 {
		t.Fatalf("list: %d %s", r.Status, r.Raw)
	}
	if list[0]["gross"] != "5071.30" || list[0]["total_deductions"] != "1807.84" || list[0]["net"] != "3263.46" || list[0]["pay_date"] != "2026-10-23" {
		t.Errorf("amounts: %s", r.Raw)
	}
	r = f.do(t, http.MethodGet, "kelantan", "aminah", "/api/v1/payslips?year=2024", "")
	if r.Status != 200 || strings.TrimSpace(r.Raw) != "[]" {
		t.Errorf("empty year: %d %s", r.Status, r.Raw)
	}
	r = f.do(t, http.MethodGet, "kelantan", "contoh", "/api/v1/payslips?year=2026", "")
	if r.Status != 200 || strings.TrimSpace(r.Raw) != "[]" {
		t.Errorf("supplier: %d %s", r.Status, r.Raw)
	}
}

func testPayslipDetail(t *testing.T, f *fixture) {
	before := f.auditCount(t, "kelantan", 1, ActionPayslipView)
	r := f.do(t, http.MethodGet, "kelantan", "aminah", "/api/v1/payslips/2026/10", "")
	if r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Raw)
	}
	var ps struct {
		Year, Month int
		Employee    map[string]string
		Earnings    []map[string]string
		Deductions  []map[string]string
		Net         string
		YTD         map[string]string `json:"ytd"`
		VerifyURL   string            `json:"verify_url"`
	}
	r.JSON(t, &ps)
	e := ps.Employee
	if e["ic_no_masked"] != "********5523" || e["account_masked"] != "**********5678" || e["department"] != "Jabatan Kerja Raya" || e["ptj"] != "JKR Ibu Pejabat" {
		t.Errorf("employee header: %v", e)
	}
	if strings.Contains(r.Raw, icAminah) || strings.Contains(r.Raw, "12010012345678") {
		t.Errorf("the full IC or account number leaked: %s", r.Raw)
	}
	if len(ps.Earnings) != 3 || ps.Earnings[0]["code"] != "0001" || ps.Earnings[0]["amount"] != "4521.30" || len(ps.Deductions) != 5 {
		t.Errorf("lines: %+v %+v", ps.Earnings, ps.Deductions)
	}
	// YTD: September 4821.30 / 1677.84 / 3143.46 plus October 5071.30 / 1807.84 / 3263.46.
	if ps.YTD["gross"] != "9892.60" || ps.YTD["deductions"] != "3485.68" || ps.YTD["net"] != "6406.92" {
		t.Errorf("ytd: %v", ps.YTD)
	}
	if !strings.HasPrefix(ps.VerifyURL, "http://kelantan.example.test/verify/") || len(ps.VerifyURL) != len("http://kelantan.example.test/verify/")+24 {
		t.Errorf("verify_url: %q", ps.VerifyURL)
	}
	again := f.do(t, http.MethodGet, "kelantan", "aminah", "/api/v1/payslips/2026/10", "")
	if !strings.Contains(again.Raw, ps.VerifyURL) {
		t.Errorf("the same payslip got a new token")
	}
	if got := f.auditCount(t, "kelantan", 1, ActionPayslipView); got != before+2 {
		t.Errorf("audit entries: %d, want %d", got, before+2)
	}
}

func testPayslipIsolation(t *testing.T, f *fixture) {
	// Badrul has no September payslip; Aminah has one. Badrul asking for 2026/9 gets 404.
	r := f.do(t, http.MethodGet, "kelantan", "badrul", "/api/v1/payslips/2026/9", "")
	if r.Status != 404 || r.Code() != "not_found" {
		t.Fatalf("%d %s", r.Status, r.Raw)
	}
	if !strings.Contains(r.Raw, "Unit Gaji") || !strings.Contains(r.Raw, "Perbendaharaan Negeri") || strings.Contains(r.Raw, "Aminah") {
		t.Errorf("message: %s", r.Raw)
	}
	en := f.do(t, http.MethodGet, "kelantan", "badrul", "/api/v1/payslips/2026/9?lang=en", "")
	if !strings.Contains(en.Raw, "payroll unit of your department") {
		t.Errorf("english message: %s", en.Raw)
	}
	// The same person's session on another tenant's host sees nothing of kelantan.
	r = f.do(t, http.MethodGet, "pahang", "aminah", "/api/v1/payslips/2026/10", "")
	if r.Status != 404 {
		t.Errorf("other tenant: %d %s", r.Status, r.Raw)
	}
	r = f.do(t, http.MethodGet, "pahang", "aminah", "/api/v1/payslips?year=2026", "")
	if strings.TrimSpace(r.Raw) != "[]" {
		t.Errorf("other tenant list: %s", r.Raw)
	}
	for _, p := range []string{"/api/v1/payslips/2026/13", "/api/v1/payslips/x/1", "/api/v1/payslips/2026/9.pdf", "/api/v1/payslips/2026/0"} {
		if r := f.do(t, http.MethodGet, "kelantan", "badrul", p, ""); r.Status != 404 {
			t.Errorf("%s: %d", p, r.Status)
		}
	}
}

func testStatements(t *testing.T, f *fixture) {
	r := f.do(t, http.MethodGet, "kelantan", "aminah", "/api/v1/statements", "")
	if r.Status != 200 || strings.TrimSpace(r.Raw) != `[{"year":2025}]` {
		t.Fatalf("list: %d %s", r.Status, r.Raw)
	}
	r = f.do(t, http.MethodGet, "kelantan", "aminah", "/api/v1/statements/2025", "")
	var st struct {
		Employer map[string]string
		Employee map[string]any
		Sections []struct {
			Section string
			Items   []map[string]string
			Total   string
		}
		VerifyURL string `json:"verify_url"`
	}
	r.JSON(t, &st)
	if st.Employer["employer_no"] != "E1234567" || st.Employee["tax_no"] != "SG10012345" || st.Employee["ic_no_masked"] != "********5523" {
		t.Errorf("particulars: %s", r.Raw)
	}
	if len(st.Sections) != 3 || st.Sections[0].Total != "57855.60" || st.Sections[1].Total != "2526.00" || st.Sections[2].Total != "5968.08" || st.VerifyURL == "" {
		t.Errorf("sections: %s", r.Raw)
	}
	// The form: every part B to F with every item in Borang EC's numbering, blanks as null;
	// the feed's "e1" is stored as the form spells it. Part A's PERKESO number is the IC
	// number, masked like one.
	var form struct {
		Employee map[string]any
		Form     []struct {
			Part  string
			Items []struct {
				Code   string
				Amount *string
			}
			Total string
		}
	}
	r.JSON(t, &form)
	if len(form.Form) != 5 || form.Form[0].Part != "B" || form.Form[4].Part != "F" || len(form.Form[0].Items) != 10 {
		t.Fatalf("form parts: %s", r.Raw)
	}
	b, e := form.Form[0], form.Form[3]
	if b.Items[0].Code != "B1a" || *b.Items[0].Amount != "54255.60" || b.Items[1].Amount != nil || *b.Items[2].Amount != "3600.00" || b.Total != "57855.60" {
		t.Errorf("part B: %+v", b)
	}
	if e.Items[0].Code != "E1" || e.Items[0].Amount == nil || *e.Items[0].Amount != "5968.08" || e.Items[1].Amount != nil {
		t.Errorf("part E: %+v", e)
	}
	if form.Employee["perkeso_no_masked"] != "********5523" || form.Employee["children"] != 2.0 || form.Employee["kwap_no"] != "" {
		t.Errorf("part A: %v", form.Employee)
	}
	if n := f.auditCount(t, "kelantan", 1, ActionStatementView); n != 1 {
		t.Errorf("audit: %d", n)
	}
	for _, user := range []string{"badrul", "contoh"} {
		r = f.do(t, http.MethodGet, "kelantan", user, "/api/v1/statements/2025", "")
		if r.Status != 404 || strings.Contains(r.Raw, "E1234567") {
			t.Errorf("%s: %d %s", user, r.Status, r.Raw)
		}
	}
	r = f.do(t, http.MethodGet, "kelantan", "badrul", "/api/v1/statements", "")
	if strings.TrimSpace(r.Raw) != "[]" {
		t.Errorf("empty list: %s", r.Raw)
	}
}

func testPayments(t *testing.T, f *fixture) {
	r := f.do(t, http.MethodGet, "kelantan", "contoh", "/api/v1/payments", "")
	var list []map[string]string
	r.JSON(t, &list)
	if r.Status != 200 || len(list) != 1 || list[0]["ref"] != "PV-0001" || list[0]["amount"] != "1500.00" || list[0]["payer_ptj"] != "Bahagian Akaun" || list[0]["status"] != "received_by_bank" {
		t.Fatalf("default range: %d %s", r.Status, r.Raw)
	}
	r = f.do(t, http.MethodGet, "kelantan", "contoh", "/api/v1/payments?from=2026-01-01&to=2026-11-21", "")
	r.JSON(t, &list)
	if len(list) != 3 || list[0]["ref"] != "PV-0001" || list[1]["ref"] != "PV-0005" || list[2]["ref"] != "PV-0003" {
		t.Errorf("range: %s", r.Raw)
	}
	r = f.do(t, http.MethodGet, "kelantan", "aminah", "/api/v1/payments?from=2026-01-01", "")
	r.JSON(t, &list)
	if len(list) != 1 || list[0]["ref"] != "PV-0004" {
		t.Errorf("staff claims: %s", r.Raw)
	}
	r = f.do(t, http.MethodGet, "kelantan", "badrul", "/api/v1/payments?from=2026-01-01", "")
	if strings.TrimSpace(r.Raw) != "[]" {
		t.Errorf("none: %s", r.Raw)
	}
	for q, code := range map[string]string{
		"from=2024-01-01":               "out_of_retention",
		"from=2026-10-01&to=2026-09-01": "invalid_range",
		"from=01/10/2026":               "invalid_date",
	} {
		r := f.do(t, http.MethodGet, "kelantan", "contoh", "/api/v1/payments?"+q, "")
		if r.Status != 422 || r.Code() != code {
			t.Errorf("%s: %d %s", q, r.Status, r.Raw)
		}
	}
}

func testPaymentAccount(t *testing.T, f *fixture) {
	// Someone else's payment is not found, whatever the account number.
	r := f.do(t, http.MethodPost, "kelantan", "dua", "/api/v1/payments/PV-0001/verify", `{"account_no":"512345678901"}`)
	if r.Status != 404 || strings.Contains(r.Raw, "Contoh") {
		t.Errorf("other payee: %d %s", r.Status, r.Raw)
	}
	r = f.do(t, http.MethodGet, "kelantan", "contoh", "/api/v1/payments/PV-0001.pdf", "")
	if r.Status != 403 || r.Code() != "account_verification_required" {
		t.Errorf("pdf before the account check: %d %s", r.Status, r.Raw)
	}
	r = f.do(t, http.MethodPost, "kelantan", "contoh", "/api/v1/payments/PV-0001/verify", `{"account_no":"512345678900"}`)
	if r.Status != 403 || r.Code() != "account_mismatch" || strings.Contains(r.Raw, "INV-1") {
		t.Fatalf("wrong account: %d %s", r.Status, r.Raw)
	}
	r = f.do(t, http.MethodPost, "kelantan", "contoh", "/api/v1/payments/PV-0001/verify", `{"account_no":"5123-4567 8901"}`)
	var p struct {
		Invoices      []map[string]string
		History       []map[string]any `json:"status_history"`
		AccountMasked string           `json:"account_masked"`
		Bank          string
		VerifyURL     string `json:"verify_url"`
	}
	r.JSON(t, &p)
	if r.Status != 200 || len(p.Invoices) != 2 || p.Invoices[1]["amount"] != "500.00" || len(p.History) != 2 || p.AccountMasked != "********8901" || p.Bank != "Maybank" || p.VerifyURL == "" {
		t.Fatalf("detail: %d %s", r.Status, r.Raw)
	}
	if r := f.do(t, http.MethodGet, "kelantan", "contoh", "/api/v1/payments/PV-0001.pdf", ""); r.Status != 200 || r.Header.Get("Content-Type") != "application/pdf" {
		t.Errorf("pdf after the check: %d %s", r.Status, r.Header)
	}
	if f.auditCount(t, "kelantan", 3, ActionPaymentMismatch) != 1 || f.auditCount(t, "kelantan", 3, ActionPaymentVerified) != 1 {
		t.Errorf("audit of account checks")
	}
	// Throttle: five wrong numbers in 15 minutes, then even the right one is refused.
	for i := 0; i < 4; i++ {
		if r := f.do(t, http.MethodPost, "kelantan", "contoh", "/api/v1/payments/PV-0003/verify", `{"account_no":"1"}`); r.Status != 403 {
			t.Fatalf("wrong try %d: %d", i+2, r.Status)
		}
	}
	r = f.do(t, http.MethodPost, "kelantan", "contoh", "/api/v1/payments/PV-0003/verify", `{"account_no":"512345678901"}`)
	if r.Status != 429 || r.Code() != "too_many_attempts" {
		t.Errorf("throttle: %d %s", r.Status, r.Raw)
	}
	if f.auditCount(t, "kelantan", 3, ActionPaymentThrottled) != 1 {
		t.Errorf("throttled try not audited")
	}
	// Another user is not throttled by it.
	if r := f.do(t, http.MethodPost, "kelantan", "dua", "/api/v1/payments/PV-0002/verify", `{"account_no":"8001234567"}`); r.Status != 200 {
		t.Errorf("other user: %d %s", r.Status, r.Raw)
	}
}

// testChequePayment: a cheque payment is opened with the cheque's number (withheld until
// then), not a bank account; the history carries the status dates the feed sent; wrong
// numbers name the treasury's SPEKS unit, the lock says it covers every payment, and the
// trail names the actor. A second account of the supplier keeps the throttle of the first
// test out of the way.
func testChequePayment(t *testing.T, f *fixture) {
	var supplierID int64
	if err := f.scopes["kelantan"].DB.Get(&supplierID, `SELECT id FROM suppliers WHERE reg_no_new = '201901000005'`); err != nil {
		t.Fatal(err)
	}
	f.who.set("kelantan", "contoh-finance", &account.Principal{UserID: 7, Category: "supplier", LoginID: "201901000005", SupplierID: supplierID})
	r := f.do(t, http.MethodGet, "kelantan", "contoh-finance", "/api/v1/payments?from=2026-07-01&to=2026-10-31", "")
	var list []map[string]string
	r.JSON(t, &list)
	methods := map[string]string{}
	for _, p := range list {
		methods[p["ref"]] = p["payment_method"] + " " + p["cheque_eft_no"]
	}
	if methods["PV-0005"] != "cheque " || methods["PV-0001"] != "eft EFT0001" {
		t.Errorf("list: cheque number withheld, EFT shown: %v", methods)
	}

	r = f.do(t, http.MethodPost, "kelantan", "contoh-finance", "/api/v1/payments/PV-0005/verify", `{"account_no":"512345678901"}`)
	if r.Status != 403 || r.Code() != "account_mismatch" || !strings.Contains(r.Raw, "No. cek tidak sepadan") ||
		!strings.Contains(r.Raw, "Unit Perunding SPEKS, Perbendaharaan Negeri") {
		t.Fatalf("a bank account does not open a cheque: %d %s", r.Status, r.Raw)
	}
	var actor string
	var about int64
	if err := f.scopes["kelantan"].DB.QueryRow(`SELECT actor, user_id FROM audit_log WHERE action = $1 AND actor_user_id = 7`,
		ActionPaymentMismatch).Scan(&actor, &about); err != nil || actor != "********0005 #7" || about != 7 {
		t.Errorf("mismatch audited as %q about %d: %v", actor, about, err)
	}

	r = f.do(t, http.MethodPost, "kelantan", "contoh-finance", "/api/v1/payments/PV-0005/verify", `{"cheque_no":"204 518"}`)
	var p struct {
		ChequeEFTNo string              `json:"cheque_eft_no"`
		Method      string              `json:"payment_method"`
		History     []map[string]string `json:"status_history"`
	}
	r.JSON(t, &p)
	if r.Status != 200 || p.ChequeEFTNo != chequeNo || p.Method != "cheque" || len(p.History) != 1 || p.History[0]["status_date"] != "2026-07-15" {
		t.Fatalf("cheque detail: %d %s", r.Status, r.Raw)
	}
	r = f.do(t, http.MethodPost, "kelantan", "contoh-finance", "/api/v1/payments/PV-0001/verify", `{"account_no":"512345678901"}`)
	r.JSON(t, &p)
	if len(p.History) != 2 || p.History[0]["status"] != "sent_to_bank" || p.History[0]["status_date"] != "2026-10-05" ||
		p.History[1]["status"] != "received_by_bank" || p.History[1]["status_date"] != "2026-10-07" {
		t.Errorf("history with the feed's status dates: %s", r.Raw)
	}
	if err := f.scopes["kelantan"].DB.QueryRow(`SELECT actor FROM audit_log WHERE action = $1 AND actor_user_id = 7 ORDER BY id DESC LIMIT 1`,
		ActionPaymentVerified).Scan(&actor); err != nil || actor != "********0005 #7" {
		t.Errorf("verified payment audited as %q: %v", actor, err)
	}

	for range 4 {
		f.do(t, http.MethodPost, "kelantan", "contoh-finance", "/api/v1/payments/PV-0005/verify", `{"cheque_no":"1"}`)
	}
	r = f.do(t, http.MethodPost, "kelantan", "contoh-finance", "/api/v1/payments/PV-0001/verify", `{"account_no":"512345678901"}`)
	if r.Status != 429 || !strings.Contains(r.Raw, "semua bayaran anda dikunci sehingga 15 minit") ||
		!strings.Contains(r.Raw, "Unit Perunding SPEKS") {
		t.Errorf("lockout names its scope, its length and whom to ask: %d %s", r.Status, r.Raw)
	}
}
