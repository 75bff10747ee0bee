package records

import (
	"net/http"
	"strings"
	"testing"

	"github.com/speks-portal/speks/modules/foundation/web/apitest"
)

// contains fails the test for every want missing from the page.
func contains(t *testing.T, what string, r apitest.Response, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(r.Raw, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

func TestPages(t *testing.T) {
	f := newFixture(t)
	t.Run("anonymous goes to the login page", func(t *testing.T) {
		r := f.do(t, http.MethodGet, "kelantan", "", "/payslips/2026/10", "")
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login?next=%2Fpayslips%2F2026%2F10" {
			t.Errorf("%d %v", r.Status, r.Header.Get("Location"))
		}
	})
	t.Run("home", func(t *testing.T) {
		r := f.do(t, http.MethodGet, "kelantan", "aminah", "/home", "")
		contains(t, "staff home", r, "Oktober 2026", "RM 3,263.46", "Maklumat Pinjaman", "LPPSA Pembiayaan Perumahan", "ANGKASA Potongan Koperasi", "Koperasi Guru Kelantan", "Borang EC 2025", "EFT0004")
		r = f.do(t, http.MethodGet, "kelantan", "contoh", "/home?lang=en", "")
		contains(t, "supplier home", r, "Recent payments", "EFT0001")
		if strings.Contains(r.Raw, "Latest payslip") || strings.Contains(r.Raw, "/payslips") {
			t.Errorf("a supplier's home shows payslips")
		}
	})
	t.Run("payslip list and nothing-there message", func(t *testing.T) {
		r := f.do(t, http.MethodGet, "kelantan", "aminah", "/payslips", "")
		contains(t, "list", r, "/payslips/2026/10", "/payslips/2026/9", "5,071.30")
		r = f.do(t, http.MethodGet, "kelantan", "aminah", "/payslips?year=2024&lang=en", "")
		contains(t, "empty year", r, "There are no payslips for 2024", "Data is kept for 24 months only", "payroll unit of your department")
		r = f.do(t, http.MethodGet, "kelantan", "aminah", "/payslips/2023/5", "")
		if r.Status != http.StatusNotFound {
			t.Errorf("a payslip past retention: %d", r.Status)
		}
		contains(t, "payslip past retention", r, "Penyata gaji bagi Mei 2023 tidak lagi disimpan", "24 bulan")
		r = f.do(t, http.MethodGet, "kelantan", "aminah", "/statements/2022?lang=en", "")
		contains(t, "EC past retention", r, "The annual income statement (EC) for 2022 is no longer kept", "24 months")
	})
	t.Run("payslip with the changes from last month", func(t *testing.T) {
		r := f.do(t, http.MethodGet, "kelantan", "aminah", "/payslips/2026/10", "")
		contains(t, "payslip", r, "********5523", "Gaji Pokok", "4,521.30", "RM 3,263.46", "9,892.60",
			`data-change="added"><td>0301`, `data-change="changed"><td>5201`, `data-change="added"><td>5301`, "/api/v1/payslips/2026/10.pdf", "/records/print.js")
		if strings.Contains(r.Raw, icAminah) {
			t.Errorf("full IC on the page")
		}
		r = f.do(t, http.MethodGet, "kelantan", "badrul", "/payslips/2026/9", "")
		if r.Status != 404 {
			t.Errorf("another person's month: %d", r.Status)
		}
		contains(t, "not found page", r, "Unit Gaji", "Perbendaharaan Negeri")
	})
	t.Run("statement", func(t *testing.T) {
		r := f.do(t, http.MethodGet, "kelantan", "aminah", "/statements/2025", "")
		contains(t, "EC", r, "E1234567", "A. Butiran pekerja", "A8 Bilangan anak yang layak untuk pelepasan cukai</dt><dd>2</dd>",
			"B. Pendapatan penggajian, manfaat dan tempat kediaman", `<tr data-item="B1b"><td>B1b</td>`, `<span aria-hidden="true">–</span>`,
			"F. Jumlah elaun, perkuisit, pemberian dan manfaat yang dikecualikan cukai", "57,855.60", "/api/v1/statements/2025.pdf")
		r = f.do(t, http.MethodGet, "kelantan", "badrul", "/statements", "")
		contains(t, "no EC", r, `id="statements-empty"`, "Unit Gaji")
	})
	t.Run("payments: range, account form, detail", func(t *testing.T) {
		r := f.do(t, http.MethodGet, "kelantan", "contoh", "/payments", "")
		contains(t, "list", r, `data-ref="PV-0001"`, "EFT0001", "1,500.00")
		r = f.do(t, http.MethodGet, "kelantan", "contoh", "/payments?from=2024-01-01&to=2024-02-01", "")
		if r.Status != 422 {
			t.Errorf("out of retention: %d", r.Status)
		}
		contains(t, "retention message", r, "24 bulan")
		r = f.do(t, http.MethodGet, "kelantan", "dua", "/payments?from=2026-11-01&to=2026-11-20", "")
		contains(t, "empty range", r, `id="payments-empty"`, "meja bantuan")
		r = f.do(t, http.MethodGet, "kelantan", "contoh", "/payments/PV-0001", "")
		contains(t, "form", r, `name="account_no"`)
		if strings.Contains(r.Raw, "INV-1") {
			t.Errorf("detail shown before the account number")
		}
		r = f.do(t, http.MethodPost, "kelantan", "contoh", "/payments/PV-0001", "account_no=999")
		if r.Status != 403 {
			t.Errorf("wrong account: %d", r.Status)
		}
		contains(t, "mismatch", r, "tidak sepadan")
		r = f.do(t, http.MethodPost, "kelantan", "contoh", "/payments/PV-0001", "account_no=512345678901")
		contains(t, "detail", r, "INV-1", "INV-2", "Diterima oleh bank", "Bahagian Akaun", "/api/v1/payments/PV-0001.pdf")
		r = f.do(t, http.MethodGet, "kelantan", "contoh", "/payments/PV-0001", "")
		contains(t, "detail while unlocked", r, "INV-2")
		if f.auditCount(t, "kelantan", 3, ActionPaymentDetailsView) != 1 {
			t.Errorf("detail view not audited")
		}
		if r := f.do(t, http.MethodGet, "kelantan", "dua", "/payments/PV-0001", ""); r.Status != 404 {
			t.Errorf("another supplier's payment: %d", r.Status)
		}
	})
}
