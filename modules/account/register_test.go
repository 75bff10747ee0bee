package account_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/speks-portal/speks/modules/foundation/web/apitest"
)

func registration(id, email string) map[string]string {
	return map[string]string{"category": "staff", "id": id, "name": "Siti Hajar binti Omar", "email": email,
		"phone": "019-555 1234", "department_code": "D01", "ptj_code": "P0101"}
}

// Pahang (PK 0101): register → verify the address → IT activates → first login sets a password.
func TestSelfRegistrationThroughVerificationAndActivation(t *testing.T) {
	h := newHarness(t)
	h.addEmployee(t, "pahang", "700101065432", "Orang Lain", "lain@pahang.gov.my") // the organisation exists
	h.addUser(t, "pahang", "staff", aminahIC, "Aminah binti Yusof", "aminah@pahang.gov.my", aminahPass, "bunga raya merah")
	c := h.client(t, "pahang")

	bad := c.Post("/api/v1/auth/register", map[string]string{"category": "staff", "id": "123", "email": "nope"})
	apitest.Expect(t, bad, http.StatusUnprocessableEntity, "invalid_input")
	existing := c.Post("/api/v1/auth/register", registration(aminahIC, "attacker@example.com"))
	fresh := c.Post("/api/v1/auth/register", registration("910909-06-5678", "siti@example.com"))
	if existing.Status != http.StatusAccepted || existing.Raw != fresh.Raw {
		t.Fatalf("register answers differ: %d %s vs %d %s", existing.Status, existing.Raw, fresh.Status, fresh.Raw)
	}
	if h.mailCount(t, "pahang", "attacker@example.com") != 0 {
		t.Fatal("a registration for an existing ID sent mail")
	}
	var link string
	h.db(t, "pahang").Get(&link, `SELECT data->>'link' FROM outbox WHERE recipient = 'siti@example.com' AND template = 'verify_email'`)
	if !strings.HasPrefix(link, "http://pahang.example.test/verify-email?token=") {
		t.Fatalf("verification link %q", link)
	}
	token := link[strings.Index(link, "token=")+len("token="):]

	// Not verified yet: nothing logs in.
	apitest.Expect(t, c.login("910909065678", "anything at all here"), http.StatusUnauthorized, "invalid_credentials")
	apitest.Expect(t, c.Get("/api/v1/auth/verify-email?token=forged"), http.StatusNotFound, "invalid_link")
	r := c.Get("/api/v1/auth/verify-email?token=" + token)
	if r.Status != http.StatusOK || r.Body["status"] != "pending_activation" {
		t.Fatalf("verify = %s", r.Raw)
	}
	apitest.Expect(t, c.Get("/api/v1/auth/verify-email?token="+token), http.StatusNotFound, "invalid_link") // single use

	ctx, _, err := h.env.Scoper.ForCode(context.Background(), "pahang")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.svc.Registration.ActivateRegistration(ctx, "910909-06-5678", "test", "http://pahang.example.test/login"); err != nil {
		t.Fatalf("activate: %v", err)
	}
	code := h.lastCode(t, "pahang", "siti@example.com")
	r = c.login("910909065678", code)
	if r.Status != http.StatusOK || r.Body["next"] != "change_password" {
		t.Fatalf("first login = %s", r.Raw)
	}
	// No secret phrase yet: the first password must come with one.
	apitest.Expect(t, c.Post("/api/v1/account/password", map[string]string{"new_password": newPass}), http.StatusUnprocessableEntity, "invalid_input")
	apitest.Expect(t, c.Post("/api/v1/account/password", map[string]string{"new_password": newPass, "secret_phrase": "burung enggang terbang"}),
		http.StatusNoContent, "")
	other := h.client(t, "pahang")
	if r := other.Post("/api/v1/auth/identify", map[string]string{"id": "910909065678"}); r.Body["secret_phrase"] != "burung enggang terbang" {
		t.Fatalf("phrase after first password: %s", r.Raw)
	}
	apitest.Expect(t, other.login("910909065678", newPass), http.StatusOK, "")
}

func TestVerificationLinksExpire(t *testing.T) {
	h := newHarness(t)
	h.addEmployee(t, "pahang", "700101065432", "Orang Lain", "lain@pahang.gov.my")
	c := h.client(t, "pahang")
	apitest.Expect(t, c.Post("/api/v1/auth/register", registration("910909-06-5678", "siti@example.com")), http.StatusAccepted, "")
	var link string
	h.db(t, "pahang").Get(&link, `SELECT data->>'link' FROM outbox WHERE template = 'verify_email'`)
	h.clock.Advance(25 * time.Hour)
	apitest.Expect(t, c.Get("/api/v1/auth/verify-email?token="+link[strings.Index(link, "token=")+6:]), http.StatusNotFound, "invalid_link")
}

func TestFlowsOfOtherModesAreNotOffered(t *testing.T) {
	h := newHarness(t)
	apitest.Expect(t, h.client(t, "selangor").Post("/api/v1/auth/register", registration("910909-06-5678", "a@selangor.gov.my")), http.StatusNotFound, "not_found")
	apitest.Expect(t, h.client(t, "pahang").Post("/api/v1/auth/first-login", map[string]string{"id": aminahIC, "email": "a@b.c"}), http.StatusNotFound, "not_found")
}
