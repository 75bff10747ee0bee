package account_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/speks-portal/speks/modules/foundation/web/apitest"
	"github.com/speks-portal/speks/modules/foundation/web/myt"
	"github.com/speks-portal/speks/tenant"
)

func TestProfileChangesAreAuditedAndEmailNeedsTheNewAddress(t *testing.T) {
	h := newHarness(t)
	h.addEmployee(t, "selangor", aminahIC, "Aminah binti Yusof", "aminah@selangor.gov.my")
	h.db(t, "selangor").MustExec(`INSERT INTO departments (code, name) VALUES ('D02', 'Jabatan Kerja Raya')`)
	h.db(t, "selangor").MustExec(`INSERT INTO ptjs (code, department_code, name) VALUES ('P0201', 'D02', 'JKR Daerah Petaling')`)
	id := h.addUser(t, "selangor", "staff", aminahIC, "Aminah binti Yusof", "aminah@selangor.gov.my", aminahPass, "bunga raya merah")
	h.db(t, "selangor").MustExec(`UPDATE users SET department_code = 'D01', ptj_code = 'P0101', phone = '03-1111 2222' WHERE id = $1`, id)
	c := h.client(t, "selangor")
	apitest.Expect(t, c.login(aminahIC, aminahPass), http.StatusOK, "")

	p := c.Get("/api/v1/account/profile")
	if p.Status != http.StatusOK || p.Body["ptj_name"] != "Bahagian Gaji" || p.Body["email"] != "aminah@selangor.gov.my" {
		t.Fatalf("profile = %s", p.Raw)
	}
	apitest.Expect(t, c.Do(http.MethodPatch, "/api/v1/account/profile", map[string]string{"phone": "x"}, apitest.NoCSRF), http.StatusForbidden, "csrf_failed")
	bad := c.Do(http.MethodPatch, "/api/v1/account/profile", map[string]string{"department_code": "D01", "ptj_code": "P0201"})
	apitest.Expect(t, bad, http.StatusUnprocessableEntity, "invalid_input") // PTJ of another department
	r := c.Do(http.MethodPatch, "/api/v1/account/profile", map[string]string{
		"phone": "012-345 6789", "department_code": "D02", "ptj_code": "P0201", "email": "aminah.baru@selangor.gov.my"})
	if r.Status != http.StatusOK || r.Body["ptj_code"] != "P0201" || r.Body["email"] != "aminah@selangor.gov.my" ||
		r.Body["pending_email"] != "aminah.baru@selangor.gov.my" {
		t.Fatalf("patch = %s; the e-mail must wait for its link", r.Raw)
	}
	var detail string
	h.db(t, "selangor").Get(&detail, `SELECT detail::text FROM audit_log WHERE action = 'profile.update'`)
	var d map[string]map[string]string
	if err := json.Unmarshal([]byte(detail), &d); err != nil || d["phone"]["before"] != "03-1111 2222" || d["phone"]["after"] != "012-345 6789" ||
		d["ptj_code"]["before"] != "P0101" || d["ptj_code"]["after"] != "P0201" {
		t.Fatalf("audit detail = %s", detail)
	}
	var link string
	h.db(t, "selangor").Get(&link, `SELECT data->>'link' FROM outbox WHERE template = 'email_change' AND recipient = 'aminah.baru@selangor.gov.my'`)
	token := link[strings.Index(link, "token=")+6:]
	apitest.Expect(t, h.client(t, "selangor").Get("/api/v1/account/email/confirm?token="+token), http.StatusOK, "")
	apitest.Expect(t, h.client(t, "selangor").Get("/api/v1/account/email/confirm?token="+token), http.StatusNotFound, "invalid_link")
	if p := c.Get("/api/v1/account/profile"); p.Body["email"] != "aminah.baru@selangor.gov.my" {
		t.Fatalf("after confirmation: %s", p.Raw)
	}

	// The login phrase can be changed too; the audit says so without the phrase.
	apitest.Expect(t, c.Do(http.MethodPatch, "/api/v1/account/profile", map[string]string{"secret_phrase": "x"}), http.StatusUnprocessableEntity, "invalid_input")
	apitest.Expect(t, c.Do(http.MethodPatch, "/api/v1/account/profile", map[string]string{"secret_phrase": "rumah di atas bukit"}), http.StatusOK, "")
	if r := c.Post("/api/v1/auth/identify", map[string]string{"id": aminahIC}); r.Body["secret_phrase"] != "rumah di atas bukit" {
		t.Fatalf("phrase after change: %s", r.Raw)
	}
	var leaked int
	h.db(t, "selangor").Get(&leaked, `SELECT count(*) FROM audit_log WHERE detail::text LIKE '%bukit%'`)
	if leaked != 0 {
		t.Fatal("the audit log holds the secret phrase")
	}
}

func TestCancellationIsDueInThreeWorkingDays(t *testing.T) {
	h := newHarness(t)
	// Kelantan rests on Friday and Saturday (its working calendar's default weekend).
	kelantan, err := h.env.Provisioner.Create(context.Background(), tenant.Spec{Code: "kelantan", Name: "Kelantan",
		Hosts: []string{"kelantan.example.test"}, RegistrationMode: tenant.PayrollMatch}, "test")
	if err != nil {
		t.Fatalf("provision kelantan: %v", err)
	}
	h.tenants["kelantan"] = kelantan
	h.env.Resolver.Invalidate()
	// Friday 13 November 2026, mid-morning in Malaysia; no public holiday until Christmas.
	h.clock.mu.Lock()
	h.clock.now = time.Date(2026, 11, 13, 10, 0, 0, 0, myt.Zone)
	h.clock.mu.Unlock()
	raise := func(code, reason string) string {
		t.Helper()
		c := h.client(t, code)
		apitest.Expect(t, c.login(aminahIC, aminahPass), http.StatusOK, "")
		r := c.Post("/api/v1/account/cancellation", map[string]string{"reason": reason})
		if r.Status != http.StatusAccepted {
			t.Fatalf("%s cancellation = %s", code, r.Raw)
		}
		var stored time.Time
		h.db(t, code).Get(&stored, `SELECT due_on FROM cancellation_requests WHERE id = $1`, int64(r.Body["id"].(float64)))
		if got := stored.Format(time.DateOnly); got != r.Body["due_on"] {
			t.Errorf("%s: stored due date %s, answered %v", code, got, r.Body["due_on"])
		}
		return r.Body["due_on"].(string)
	}
	h.addUser(t, "selangor", "staff", aminahIC, "Aminah binti Yusof", "aminah@selangor.gov.my", aminahPass, "bunga raya merah")
	h.addUser(t, "kelantan", "staff", aminahIC, "Aminah binti Yusof", "aminah@kelantan.gov.my", aminahPass, "bunga raya merah")
	c := h.client(t, "selangor")
	apitest.Expect(t, c.Post("/api/v1/account/cancellation", map[string]string{"reason": "Bersara"}), http.StatusUnauthorized, "unauthenticated")
	apitest.Expect(t, c.login(aminahIC, aminahPass), http.StatusOK, "")
	apitest.Expect(t, c.Post("/api/v1/account/cancellation", map[string]string{"reason": " "}), http.StatusUnprocessableEntity, "invalid_input")

	if got := raise("selangor", "Bersara pada bulan ini"); got != "2026-11-18" {
		t.Errorf("Selangor, Friday + 3 working days = %s, want Wednesday 2026-11-18 (Mon, Tue, Wed)", got)
	}
	if got := raise("kelantan", "Bersara pada bulan ini"); got != "2026-11-17" {
		t.Errorf("Kelantan, Friday + 3 working days = %s, want Tuesday 2026-11-17 (Sun, Mon, Tue)", got)
	}
	// A state holiday in the window moves the due date one working day on.
	h.db(t, "kelantan").MustExec(`INSERT INTO public_holidays (day, name_ms, name_en, scope) VALUES ('2026-11-16', 'Cuti Peristiwa', 'Special holiday', 'state')`)
	if got := raise("kelantan", "Bertukar ke luar negeri"); got != "2026-11-18" {
		t.Errorf("Kelantan with Monday a holiday = %s, want Wednesday 2026-11-18", got)
	}
	var open int
	h.db(t, "selangor").Get(&open, `SELECT count(*) FROM cancellation_requests WHERE status = 'open'`)
	if open != 1 {
		t.Fatalf("%d open requests", open)
	}
}
