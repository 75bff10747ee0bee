package account_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/foundation/web/apitest"
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
	h.addUser(t, "selangor", "staff", aminahIC, "Aminah binti Yusof", "aminah@selangor.gov.my", aminahPass, "bunga raya merah")
	c := h.client(t, "selangor")
	apitest.Expect(t, c.Post("/api/v1/account/cancellation", map[string]string{"reason": "Bersara"}), http.StatusUnauthorized, "unauthenticated")
	apitest.Expect(t, c.login(aminahIC, aminahPass), http.StatusOK, "")
	apitest.Expect(t, c.Post("/api/v1/account/cancellation", map[string]string{"reason": " "}), http.StatusUnprocessableEntity, "invalid_input")
	r := c.Post("/api/v1/account/cancellation", map[string]string{"reason": "Bersara pada bulan ini"})
	if r.Status != http.StatusAccepted || r.Body["due_on"] == "" {
		t.Fatalf("cancellation = %s", r.Raw)
	}
	var open int
	h.db(t, "selangor").Get(&open, `SELECT count(*) FROM cancellation_requests WHERE status = 'open'`)
	if open != 1 {
		t.Fatalf("%d open requests", open)
	}
	friday := time.Date(2026, 11, 20, 16, 0, 0, 0, time.UTC)
	if got := account.AddWorkingDays(friday, 3).Format(time.DateOnly); got != "2026-11-25" {
		t.Fatalf("Friday + 3 working days = %s, want Wednesday 2026-11-25", got)
	}
}
