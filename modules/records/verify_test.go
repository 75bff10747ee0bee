package records

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/speks-portal/speks/modules/feed"
	"github.com/speks-portal/speks/tenant"
)

// verifyPath is the path of a verify_url.
func verifyPath(t *testing.T, url string) string {
	t.Helper()
	i := strings.Index(url, "/verify/")
	if i < 0 {
		t.Fatalf("not a verify url: %q", url)
	}
	return url[i:]
}

func TestVerify(t *testing.T) {
	f := newFixture(t)
	var ps struct {
		VerifyURL  string `json:"verify_url"`
		VerifyCode string `json:"verify_code"`
	}
	f.do(t, http.MethodGet, "kelantan", "aminah", "/api/v1/payslips/2026/9", "").JSON(t, &ps)
	path := verifyPath(t, ps.VerifyURL)

	t.Run("genuine document, no login", func(t *testing.T) {
		r := f.do(t, http.MethodGet, "kelantan", "", path, "")
		body := r.Raw
		if r.Status != 200 || !strings.Contains(body, `data-status="valid"`) {
			t.Fatalf("%d %s", r.Status, body)
		}
		for _, want := range []string{"Kerajaan Negeri Negeri kelantan", "Penyata Gaji", "September 2026", "Aminah binti Ahmad", "RM 3,143.46", ps.VerifyCode} {
			if !strings.Contains(body, want) {
				t.Errorf("verify page lacks %q", want)
			}
		}
		// Nothing else of the record: no IC, salary number, department, lines or account.
		for _, leak := range []string{"850314", "G1001", "Jabatan Kerja Raya", "Gaji Pokok", "5678", "4,821.30"} {
			if strings.Contains(body, leak) {
				t.Errorf("verify page shows %q", leak)
			}
		}
	})
	t.Run("a token altered by one character is not found", func(t *testing.T) {
		last := path[len(path)-1]
		swap := byte('A')
		if last == 'A' {
			swap = 'B'
		}
		altered := path[:len(path)-1] + string(swap)
		if r := f.do(t, http.MethodGet, "kelantan", "", altered, ""); r.Status != 404 || strings.Contains(r.Raw, "Aminah") {
			t.Errorf("altered: %d", r.Status)
		}
		if r := f.do(t, http.MethodGet, "kelantan", "", path[:len(path)-1], ""); r.Status != 404 {
			t.Errorf("shortened: %d", r.Status)
		}
	})
	t.Run("another tenant does not know the token", func(t *testing.T) {
		if r := f.do(t, http.MethodGet, "pahang", "", path, ""); r.Status != 404 {
			t.Errorf("pahang: %d", r.Status)
		}
	})
	t.Run("checks are counted and audited", func(t *testing.T) {
		var n int64
		_ = f.scopes["kelantan"].DB.Get(&n, `SELECT verify_count FROM document_tokens WHERE token = $1`, strings.TrimPrefix(path, "/verify/"))
		if n != 1 {
			t.Errorf("verify_count %d", n)
		}
		var audited int
		_ = f.scopes["kelantan"].DB.Get(&audited, `SELECT count(*) FROM audit_log WHERE action = $1 AND actor_user_id IS NULL`, ActionDocumentVerified)
		if audited != 1 {
			t.Errorf("audited %d", audited)
		}
	})
	t.Run("a payslip corrected by a later feed is superseded", func(t *testing.T) {
		body := csvOf("ic_no,year,month,pay_date,kind,code,description,amount",
			icAminah+",2026,9,2026-09-24,E,0001,Gaji Pokok,4621.30",
			icAminah+",2026,9,2026-09-24,D,4001,Cukai Pendapatan (PCB),210.50")
		if _, err := feed.Import(tenant.NewContext(context.Background(), f.scopes["kelantan"]), feed.Payslips, strings.NewReader(body), feed.Options{Actor: "test", Now: testNow}); err != nil {
			t.Fatal(err)
		}
		r := f.do(t, http.MethodGet, "kelantan", "", path+"?lang=en", "")
		if r.Status != 200 || !strings.Contains(r.Raw, `data-status="superseded"`) || !strings.Contains(r.Raw, "superseded") {
			t.Fatalf("%d %s", r.Status, r.Raw)
		}
		var fresh struct {
			VerifyURL string `json:"verify_url"`
		}
		f.do(t, http.MethodGet, "kelantan", "aminah", "/api/v1/payslips/2026/9", "").JSON(t, &fresh)
		if fresh.VerifyURL == ps.VerifyURL {
			t.Errorf("corrected payslip kept the old token")
		}
		if r := f.do(t, http.MethodGet, "kelantan", "", verifyPath(t, fresh.VerifyURL), ""); !strings.Contains(r.Raw, `data-status="valid"`) {
			t.Errorf("new token: %s", r.Raw)
		}
	})
	t.Run("checks are throttled per client", func(t *testing.T) {
		var status int
		for i := 0; i < verifyLimit.Max+1 && status != http.StatusTooManyRequests; i++ {
			status = f.do(t, http.MethodGet, "kelantan", "", path, "").Status
		}
		if status != http.StatusTooManyRequests {
			t.Errorf("never throttled: %d", status)
		}
	})
}

func TestPurge(t *testing.T) {
	f := newFixture(t)
	db := f.scopes["kelantan"].DB
	f.do(t, http.MethodGet, "kelantan", "aminah", "/api/v1/payslips/2026/10", "")
	f.do(t, http.MethodPost, "kelantan", "contoh", "/api/v1/payments/PV-0001/verify", `{"account_no":"512345678901"}`)
	if _, err := db.Exec(`UPDATE document_tokens SET created_at = '2024-01-01' WHERE doc_type = 'payslip'`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE payment_unlocks SET unlocked_at = now() - interval '1 hour'`); err != nil {
		t.Fatal(err)
	}
	res, err := Purge(context.Background(), db, testNow.AddDate(0, -24, 0))
	if err != nil {
		t.Fatal(err)
	}
	var left int
	_ = db.Get(&left, `SELECT count(*) FROM document_tokens`)
	if res.Tokens != 1 || res.Unlocks != 1 || left != 1 {
		t.Errorf("purge %+v, tokens left %d (the payment's)", res, left)
	}
}
