package account_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/speks-portal/speks/modules/account/credentials"
	"github.com/speks-portal/speks/modules/foundation/web/apitest"
)

const (
	newPass = "nasi lemak sambal sotong pedas"
)

func activation(password string) map[string]any {
	return map[string]any{
		"new_password": password,
		"security_answers": []map[string]any{
			{"question_id": 1, "answer": "SK Taman Melawati"},
			{"question_id": 3, "answer": "Comel"},
			{"question_id": 5, "answer": "Proton Saga"},
		},
		"secret_phrase": "pokok kelapa di tepi pantai",
	}
}

// Selangor "Login Kali Pertama": ID + official e-mail matched against the payroll master.
func TestFirstLoginFromThePayrollMaster(t *testing.T) {
	h := newHarness(t)
	h.addEmployee(t, "selangor", aminahIC, "Aminah binti Yusof", "aminah@selangor.gov.my")
	h.addEmployee(t, "selangor", "900202105555", "Bala a/l Muthu", "bala@gmail.com") // outside the state's domains
	c := h.client(t, "selangor")

	// Every request answers 202 with the same body; only the matching one sends mail.
	requests := []map[string]string{
		{"id": "850101-14-5123", "email": "someone@selangor.gov.my"}, // wrong e-mail
		{"id": "900202105555", "email": "bala@gmail.com"},            // e-mail outside selangor.gov.my
		{"id": "770707077777", "email": "x@selangor.gov.my"},         // not in the master
		{"id": "850101-14-5123", "email": "Aminah@Selangor.gov.my"},  // the match
	}
	var first apitest.Response
	for i, body := range requests {
		r := c.Post("/api/v1/auth/first-login", body)
		if i == 0 {
			first = r
		}
		if r.Status != http.StatusAccepted || r.Raw != first.Raw {
			t.Fatalf("first-login %v = %d %s, want the same 202 as %s", body, r.Status, r.Raw, first.Raw)
		}
	}
	if n := h.mailCount(t, "selangor", "someone@selangor.gov.my") + h.mailCount(t, "selangor", "bala@gmail.com") +
		h.mailCount(t, "selangor", "x@selangor.gov.my"); n != 0 {
		t.Fatalf("%d mails sent for requests that did not match", n)
	}
	code := h.lastCode(t, "selangor", "aminah@selangor.gov.my")
	if len(strings.ReplaceAll(code, "-", "")) < 10 || strings.ContainsAny(code, "01OIL5S2Z8B") {
		t.Fatalf("code %q is short or has ambiguous characters", code)
	}

	// The code opens a session that can only complete the activation.
	r := c.login(aminahIC, strings.ToLower(code))
	if r.Status != http.StatusOK || r.Body["next"] != "complete_activation" {
		t.Fatalf("login with code = %s", r.Raw)
	}
	apitest.Expect(t, c.Post("/api/v1/account/password", map[string]string{"new_password": newPass}), http.StatusForbidden, "restricted_session")
	apitest.Expect(t, c.Get("/api/v1/payslips?year=2025"), http.StatusForbidden, "restricted_session")
	qs := c.Get("/api/v1/auth/security-questions")
	if qs.Status != http.StatusOK || !strings.Contains(qs.Raw, "sekolah rendah") {
		t.Fatalf("questions = %s", qs.Raw)
	}
	weak := c.Post("/api/v1/auth/activate", activation("aminah12345678"))
	apitest.Expect(t, weak, http.StatusUnprocessableEntity, "weak_password")
	if !strings.Contains(weak.Raw, `"contains_name"`) {
		t.Fatalf("weak password reasons: %s", weak.Raw)
	}
	bad := activation(newPass)
	bad["security_answers"] = []map[string]any{{"question_id": 1, "answer": "a b"}, {"question_id": 1, "answer": "c d"}}
	apitest.Expect(t, c.Post("/api/v1/auth/activate", bad), http.StatusUnprocessableEntity, "invalid_input")
	apitest.Expect(t, c.Post("/api/v1/auth/activate", activation(newPass)), http.StatusNoContent, "")

	// Activated: the session is gone, the code is spent, the new password and phrase work.
	apitest.Expect(t, c.Get("/api/v1/session"), http.StatusUnauthorized, "")
	apitest.Expect(t, c.login(aminahIC, code), http.StatusUnauthorized, "invalid_credentials")
	if r := c.Post("/api/v1/auth/identify", map[string]string{"id": aminahIC}); r.Body["secret_phrase"] != "pokok kelapa di tepi pantai" {
		t.Fatalf("phrase after activation = %s", r.Raw)
	}
	if r := c.login(aminahIC, newPass); r.Status != http.StatusOK || r.Body["next"] != "home" {
		t.Fatalf("login after activation = %s", r.Raw)
	}
	var hashes []string
	h.db(t, "selangor").Select(&hashes, `SELECT answer_hash FROM user_security_answers`)
	if len(hashes) != 3 || !strings.HasPrefix(hashes[0], "$argon2id$") {
		t.Fatalf("answers stored as %v, want three argon2id hashes", hashes)
	}

	// An active account gets no further first-login codes.
	before := h.mailCount(t, "selangor", "aminah@selangor.gov.my")
	apitest.Expect(t, c.Post("/api/v1/auth/first-login", requests[3]), http.StatusAccepted, "")
	if h.mailCount(t, "selangor", "aminah@selangor.gov.my") != before {
		t.Fatal("first login mailed a code to an active account")
	}
}

func TestOneTimeCodesExpireAreSingleUseAndSuperseded(t *testing.T) {
	h := newHarness(t)
	h.addUser(t, "selangor", "staff", aminahIC, "Aminah binti Yusof", "aminah@selangor.gov.my", aminahPass, "bunga raya merah")
	c := h.client(t, "selangor")
	forgot := map[string]string{"id": aminahIC, "email": "aminah@selangor.gov.my"}

	apitest.Expect(t, c.Post("/api/v1/auth/forgot-password", forgot), http.StatusAccepted, "")
	first := h.lastCode(t, "selangor", "aminah@selangor.gov.my")
	apitest.Expect(t, c.Post("/api/v1/auth/forgot-password", forgot), http.StatusAccepted, "")
	second := h.lastCode(t, "selangor", "aminah@selangor.gov.my")
	if first == second {
		t.Fatal("two requests mailed the same code")
	}
	apitest.Expect(t, c.login(aminahIC, first), http.StatusUnauthorized, "invalid_credentials") // superseded

	h.clock.Advance(31 * time.Minute)
	apitest.Expect(t, c.login(aminahIC, second), http.StatusUnauthorized, "invalid_credentials") // expired

	apitest.Expect(t, c.Post("/api/v1/auth/forgot-password", forgot), http.StatusAccepted, "")
	third := h.lastCode(t, "selangor", "aminah@selangor.gov.my")
	r := c.login(aminahIC, third)
	if r.Status != http.StatusOK || r.Body["next"] != "change_password" {
		t.Fatalf("login with reset code = %s", r.Raw)
	}
	apitest.Expect(t, c.Get("/api/v1/payslips?year=2025"), http.StatusForbidden, "restricted_session")
	apitest.Expect(t, c.Post("/api/v1/account/password", map[string]string{"new_password": "password123456"}), http.StatusUnprocessableEntity, "weak_password")
	apitest.Expect(t, c.Post("/api/v1/account/password", map[string]string{"new_password": newPass}), http.StatusNoContent, "")
	if s := c.Get("/api/v1/session"); s.Body["next"] != "home" {
		t.Fatalf("after setting the password the session is %s, want a full one", s.Raw)
	}
	apitest.Expect(t, h.client(t, "selangor").login(aminahIC, third), http.StatusUnauthorized, "invalid_credentials") // used
	apitest.Expect(t, h.client(t, "selangor").login(aminahIC, aminahPass), http.StatusUnauthorized, "invalid_credentials")
	apitest.Expect(t, h.client(t, "selangor").login(aminahIC, newPass), http.StatusOK, "")
	// The reset never turned the code into the password, and a notice was mailed.
	var notices int
	h.db(t, "selangor").Get(&notices, `SELECT count(*) FROM outbox WHERE template = 'password_changed'`)
	if notices != 1 {
		t.Fatalf("%d password-changed notices, want 1", notices)
	}
}

func TestForgotPasswordAnswersAlikeAndIsThrottled(t *testing.T) {
	h := newHarness(t)
	h.addUser(t, "selangor", "staff", aminahIC, "Aminah binti Yusof", "aminah@selangor.gov.my", aminahPass, "bunga raya merah")
	c := h.client(t, "selangor")
	var first apitest.Response
	for i, body := range []map[string]string{
		{"id": aminahIC, "email": "other@selangor.gov.my"},
		{"id": "900202105555", "email": "aminah@selangor.gov.my"},
		{"id": "garbage", "email": "x"},
		{"id": aminahIC, "email": "aminah@selangor.gov.my"},
	} {
		r := c.Post("/api/v1/auth/forgot-password", body)
		if i == 0 {
			first = r
		}
		if r.Status != http.StatusAccepted || r.Raw != first.Raw {
			t.Fatalf("forgot %v = %d %s", body, r.Status, r.Raw)
		}
	}
	var mails int
	h.db(t, "selangor").Get(&mails, `SELECT count(*) FROM outbox`)
	if mails != 1 {
		t.Fatalf("%d mails, want exactly the one for the matching request", mails)
	}
	for range 4 {
		c.Post("/api/v1/auth/forgot-password", map[string]string{"id": aminahIC, "email": "aminah@selangor.gov.my"})
	}
	apitest.Expect(t, c.Post("/api/v1/auth/forgot-password", map[string]string{"id": aminahIC, "email": "aminah@selangor.gov.my"}),
		http.StatusTooManyRequests, "too_many_requests")
}

func TestChangePasswordNeedsTheCurrentOneAndEndsOtherSessions(t *testing.T) {
	h := newHarness(t)
	h.addUser(t, "selangor", "staff", aminahIC, "Aminah binti Yusof", "aminah@selangor.gov.my", aminahPass, "bunga raya merah")
	a, b := h.client(t, "selangor"), h.client(t, "selangor")
	apitest.Expect(t, a.login(aminahIC, aminahPass), http.StatusOK, "")
	apitest.Expect(t, b.login(aminahIC, aminahPass), http.StatusOK, "")
	apitest.Expect(t, a.Post("/api/v1/account/password", map[string]string{"current_password": "wrong password here", "new_password": newPass}),
		http.StatusUnprocessableEntity, "wrong_current_password")
	r := a.Post("/api/v1/account/password", map[string]string{"current_password": aminahPass, "new_password": "short"})
	apitest.Expect(t, r, http.StatusUnprocessableEntity, "weak_password")
	if !strings.Contains(r.Raw, `"reasons":["too_short"`) {
		t.Fatalf("reasons: %s", r.Raw)
	}
	apitest.Expect(t, a.Post("/api/v1/account/password", map[string]string{"current_password": aminahPass, "new_password": newPass}), http.StatusNoContent, "")
	apitest.Expect(t, a.Get("/api/v1/session"), http.StatusOK, "")
	apitest.Expect(t, b.Get("/api/v1/session"), http.StatusUnauthorized, "")
	var to string
	h.db(t, "selangor").Get(&to, `SELECT recipient FROM outbox WHERE template = 'password_changed'`)
	if to != "aminah@selangor.gov.my" {
		t.Fatalf("password-changed notice went to %q", to)
	}
}

func TestForgotPasswordAsksForASecurityAnswerWhereTheTenantRequiresIt(t *testing.T) {
	h := newHarness(t)
	id := h.addUser(t, "selangor", "staff", aminahIC, "Aminah binti Yusof", "aminah@selangor.gov.my", aminahPass, "bunga raya merah")
	db := h.db(t, "selangor")
	hash, _ := credentials.HashPassword("comel", testArgon) // answers are stored folded to lower case
	db.MustExec(`INSERT INTO user_security_answers (user_id, question_id, answer_hash) VALUES ($1, 3, $2)`, id, hash)
	db.MustExec(`UPDATE account_settings SET require_security_answer = true`)
	c := h.client(t, "selangor")
	for _, body := range []map[string]any{
		{"id": aminahIC, "email": "aminah@selangor.gov.my"},                                               // no answer
		{"id": aminahIC, "email": "aminah@selangor.gov.my", "question_id": 3, "security_answer": "Oyen"},  // wrong answer
		{"id": aminahIC, "email": "aminah@selangor.gov.my", "question_id": 1, "security_answer": "Comel"}, // not her question
		{"id": aminahIC, "email": "other@selangor.gov.my", "question_id": 3, "security_answer": "Comel"},  // wrong e-mail
	} {
		apitest.Expect(t, c.Post("/api/v1/auth/forgot-password", body), http.StatusAccepted, "")
	}
	if n := h.mailCount(t, "selangor", "aminah@selangor.gov.my"); n != 0 {
		t.Fatalf("%d mails for requests without the right answer", n)
	}
	h.clock.Advance(2 * time.Hour) // past the per-account budget of the attempts above
	apitest.Expect(t, c.Post("/api/v1/auth/forgot-password", map[string]any{"id": aminahIC, "email": "aminah@selangor.gov.my",
		"question_id": 3, "security_answer": "  COMEL "}), http.StatusAccepted, "")
	if n := h.mailCount(t, "selangor", "aminah@selangor.gov.my"); n != 1 {
		t.Fatalf("%d mails for the right answer, want 1", n)
	}
}
