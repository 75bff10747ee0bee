package account_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/speks-portal/speks/modules/foundation/web/apitest"
)

const (
	aminahIC   = "850101145123"
	aminahPass = "sawit berbuah lebat di Kuantan"
)

func TestTwoStepLoginWithSecretPhraseAndSession(t *testing.T) {
	h := newHarness(t)
	h.addUser(t, "selangor", "staff", aminahIC, "Aminah binti Yusof", "aminah@selangor.gov.my", aminahPass, "bunga raya merah")
	c := h.client(t, "selangor")

	r := c.Post("/api/v1/auth/identify", map[string]string{"id": "850101-14-5123"})
	if r.Status != http.StatusOK || r.Body["secret_phrase"] != "bunga raya merah" {
		t.Fatalf("identify = %d %s, want the user's phrase", r.Status, r.Raw)
	}
	apitest.Expect(t, c.Get("/api/v1/session"), http.StatusUnauthorized, "unauthenticated")

	r = c.login("850101 14 5123", aminahPass)
	if r.Status != http.StatusOK || r.Body["next"] != "home" || c.CSRF == "" || c.Cookie == "" {
		t.Fatalf("login = %d %s", r.Status, r.Raw)
	}
	user := r.Body["user"].(map[string]any)
	if user["id"] != aminahIC || user["name"] != "Aminah binti Yusof" || user["category"] != "staff" {
		t.Fatalf("login user = %v", user)
	}
	cookie := r.Header.Get("Set-Cookie")
	for _, attr := range []string{"HttpOnly", "SameSite=Lax", "path=/"} {
		if !strings.Contains(cookie, attr) {
			t.Errorf("session cookie %q lacks %s", cookie, attr)
		}
	}
	var stored int
	h.db(t, "selangor").Get(&stored, `SELECT count(*) FROM sessions WHERE id_hash = sha256(convert_to($1, 'UTF8'))`, c.Cookie)
	if stored != 1 {
		t.Fatal("the session row is not keyed by the SHA-256 of the cookie value")
	}
	s := c.Get("/api/v1/session")
	if s.Status != http.StatusOK || s.Body["csrf_token"] != c.CSRF || s.Body["next"] != "home" {
		t.Fatalf("session = %d %s", s.Status, s.Raw)
	}

	// Logout ends the row, not just the cookie: the old value no longer opens anything.
	old := c.Cookie
	apitest.Expect(t, c.Post("/api/v1/auth/logout", nil), http.StatusNoContent, "")
	c.Cookie = old
	apitest.Expect(t, c.Get("/api/v1/session"), http.StatusUnauthorized, "unauthenticated")
}

func TestUnknownAndExistingIDsAnswerAlike(t *testing.T) {
	h := newHarness(t)
	h.addUser(t, "selangor", "staff", aminahIC, "Aminah binti Yusof", "aminah@selangor.gov.my", aminahPass, "bunga raya merah")
	c := h.client(t, "selangor")

	unknown := c.Post("/api/v1/auth/identify", map[string]string{"id": "900202-10-5555"})
	again := c.Post("/api/v1/auth/identify", map[string]string{"id": "900202105555"})
	if unknown.Status != http.StatusOK || unknown.Body["secret_phrase"] == "" || unknown.Body["secret_phrase"] != again.Body["secret_phrase"] {
		t.Fatalf("unknown ID: %s then %s; want one stable decoy", unknown.Raw, again.Raw)
	}
	if len(strings.Fields(unknown.Body["secret_phrase"].(string))) != 3 {
		t.Fatalf("decoy %q", unknown.Body["secret_phrase"])
	}

	wrongPass := c.login(aminahIC, "not the right password at all")
	wrongID := c.login("900202105555", aminahPass)
	junk := c.login("nobody", aminahPass)
	for _, r := range []apitest.Response{wrongPass, wrongID, junk} {
		apitest.Expect(t, r, http.StatusUnauthorized, "invalid_credentials")
		if r.Raw != wrongPass.Raw {
			t.Fatalf("bodies differ: %s vs %s", r.Raw, wrongPass.Raw)
		}
	}
}

func TestLockoutDoesNotRevealThePasswordAndExpires(t *testing.T) {
	h := newHarness(t)
	id := h.addUser(t, "selangor", "staff", aminahIC, "Aminah binti Yusof", "aminah@selangor.gov.my", aminahPass, "bunga raya merah")
	c := h.client(t, "selangor")
	for i := 1; i <= 4; i++ {
		apitest.Expect(t, c.login(aminahIC, "wrong password number x"), http.StatusUnauthorized, "invalid_credentials")
	}
	apitest.Expect(t, c.login(aminahIC, "wrong password number x"), http.StatusLocked, "locked")
	// Locked: the right password gets the same answer as a wrong one.
	apitest.Expect(t, c.login(aminahIC, aminahPass), http.StatusLocked, "locked")
	apitest.Expect(t, c.login(aminahIC, "still wrong password"), http.StatusLocked, "locked")

	// An unknown ID locks the same way, so the lock tells nothing about existence.
	for i := 1; i <= 4; i++ {
		apitest.Expect(t, c.login("900202105555", "whatever password"), http.StatusUnauthorized, "invalid_credentials")
	}
	apitest.Expect(t, c.login("900202105555", "whatever password"), http.StatusLocked, "locked")

	h.clock.Advance(16 * time.Minute)
	r := c.login(aminahIC, aminahPass)
	apitest.Expect(t, r, http.StatusOK, "")

	// An officer's unlock ends a lock at once.
	for range 5 {
		c.login(aminahIC, "wrong password number y")
	}
	apitest.Expect(t, c.login(aminahIC, aminahPass), http.StatusLocked, "locked")
	ctx, _, err := h.env.Scoper.ForCode(context.Background(), "selangor")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.svc.Unlock(ctx, id, "it-officer"); err != nil {
		t.Fatal(err)
	}
	apitest.Expect(t, c.login(aminahIC, aminahPass), http.StatusOK, "")

	// The count starts again after a success; a second lock in a row lasts twice as long.
	for i := 1; i <= 5; i++ {
		c.login("900202105555", "whatever password")
	}
	h.clock.Advance(16 * time.Minute)
	apitest.Expect(t, c.login("900202105555", "whatever password"), http.StatusLocked, "locked")
	h.clock.Advance(15 * time.Minute)
	apitest.Expect(t, c.login("900202105555", "whatever password"), http.StatusUnauthorized, "invalid_credentials")
}

func TestSessionFixationCSRFAndTimeouts(t *testing.T) {
	h := newHarness(t)
	h.addUser(t, "selangor", "staff", aminahIC, "Aminah binti Yusof", "aminah@selangor.gov.my", aminahPass, "bunga raya merah")
	c := h.client(t, "selangor")

	// Fixation: a cookie value planted before login is never the session after it.
	c.Cookie = "planted-by-an-attacker-0123456789abcdefghijklmnopq"
	apitest.Expect(t, c.login(aminahIC, aminahPass), http.StatusOK, "")
	if c.Cookie == "planted-by-an-attacker-0123456789abcdefghijklmnopq" || c.Cookie == "" {
		t.Fatal("login kept the planted session ID")
	}
	first := c.Cookie
	apitest.Expect(t, c.login(aminahIC, aminahPass), http.StatusOK, "")
	if c.Cookie == first {
		t.Fatal("a second login reused the session ID")
	}
	c2 := *c.Client
	c2.Cookie = first
	apitest.Expect(t, c2.Get("/api/v1/session"), http.StatusUnauthorized, "") // the login ended the old one

	// CSRF: missing or another session's token → 403; the right one passes.
	other := h.client(t, "selangor")
	apitest.Expect(t, other.login(aminahIC, aminahPass), http.StatusOK, "")
	apitest.Expect(t, c.Do(http.MethodPost, "/api/v1/account/password", map[string]string{}, apitest.NoCSRF), http.StatusForbidden, "csrf_failed")
	saved := c.CSRF
	c.CSRF = other.CSRF
	apitest.Expect(t, c.Post("/api/v1/account/password", map[string]string{}), http.StatusForbidden, "csrf_failed")
	c.CSRF = saved
	apitest.Expect(t, c.Post("/api/v1/account/password", map[string]string{"current_password": "wrong wrong wrong", "new_password": "x"}),
		http.StatusUnprocessableEntity, "wrong_current_password")

	// Idle timeout (tenant policy, 15 minutes by default).
	h.clock.Advance(14 * time.Minute)
	apitest.Expect(t, c.Get("/api/v1/session"), http.StatusOK, "")
	h.clock.Advance(16 * time.Minute)
	apitest.Expect(t, c.Get("/api/v1/session"), http.StatusUnauthorized, "")

	// Absolute timeout: 12 hours however active.
	apitest.Expect(t, c.login(aminahIC, aminahPass), http.StatusOK, "")
	for i := 1; i < 60; i++ { // active every 12 minutes for just under 12 hours
		h.clock.Advance(12 * time.Minute)
		apitest.Expect(t, c.Get("/api/v1/session"), http.StatusOK, "")
	}
	h.clock.Advance(12*time.Minute + time.Second)
	apitest.Expect(t, c.Get("/api/v1/session"), http.StatusUnauthorized, "")
}

func TestSignOutEverywhere(t *testing.T) {
	h := newHarness(t)
	h.addUser(t, "selangor", "staff", aminahIC, "Aminah binti Yusof", "aminah@selangor.gov.my", aminahPass, "bunga raya merah")
	a, b := h.client(t, "selangor"), h.client(t, "selangor")
	apitest.Expect(t, a.login(aminahIC, aminahPass), http.StatusOK, "")
	apitest.Expect(t, b.login(aminahIC, aminahPass), http.StatusOK, "")
	apitest.Expect(t, a.Post("/api/v1/account/sessions/end-all", nil), http.StatusNoContent, "")
	apitest.Expect(t, b.Get("/api/v1/session"), http.StatusUnauthorized, "")
}

func TestAdminRolesNeedTOTPWithEnrolment(t *testing.T) {
	h := newHarness(t)
	h.addUser(t, "selangor", "officer", "800303105050", "Rahman bin Ali", "rahman@selangor.gov.my", aminahPass, "kuda putih", "it_officer")
	c := h.client(t, "selangor")
	r := c.login("800303105050", aminahPass)
	if r.Status != http.StatusOK || r.Body["next"] != "enrol_totp" {
		t.Fatalf("first admin login = %s, want next enrol_totp", r.Raw)
	}
	apitest.Expect(t, c.Get("/api/v1/auth/security-questions"), http.StatusForbidden, "restricted_session")
	e := c.Post("/api/v1/account/totp/enrol", nil)
	secret, _ := e.Body["secret"].(string)
	if e.Status != http.StatusOK || secret == "" || !strings.HasPrefix(e.Body["otpauth_url"].(string), "otpauth://totp/") {
		t.Fatalf("enrol = %s", e.Raw)
	}
	apitest.Expect(t, c.Post("/api/v1/account/totp/confirm", map[string]string{"code": "000000"}), http.StatusUnauthorized, "invalid_credentials")
	code, _ := totp.GenerateCode(secret, h.clock.Now())
	apitest.Expect(t, c.Post("/api/v1/account/totp/confirm", map[string]string{"code": code}), http.StatusNoContent, "")

	fresh := h.client(t, "selangor")
	apitest.Expect(t, fresh.login("800303105050", aminahPass), http.StatusUnauthorized, "totp_required")
	apitest.Expect(t, fresh.Post("/api/v1/auth/login", map[string]string{"id": "800303105050", "password": aminahPass, "totp": "123456"}),
		http.StatusUnauthorized, "invalid_credentials")
	// The confirmation used this step's code: it cannot be replayed; the next step's can.
	apitest.Expect(t, fresh.Post("/api/v1/auth/login", map[string]string{"id": "800303105050", "password": aminahPass, "totp": code}),
		http.StatusUnauthorized, "invalid_credentials")
	code, _ = totp.GenerateCode(secret, h.clock.Now().Add(30*time.Second))
	r = fresh.Post("/api/v1/auth/login", map[string]string{"id": "800303105050", "password": aminahPass, "totp": code})
	if r.Status != http.StatusOK || r.Body["next"] != "home" {
		t.Fatalf("login with TOTP = %s", r.Raw)
	}
	apitest.Expect(t, h.client(t, "selangor").Post("/api/v1/auth/login", map[string]string{"id": "800303105050", "password": aminahPass, "totp": code}),
		http.StatusUnauthorized, "invalid_credentials")
	var sealed string
	h.db(t, "selangor").Get(&sealed, `SELECT totp_secret FROM users WHERE login_id = '800303105050'`)
	if !strings.HasPrefix(sealed, "v2:") || strings.Contains(sealed, secret) {
		t.Fatalf("TOTP secret stored as %q, want it sealed", sealed)
	}
}

func TestFormsNeedTheCSRFField(t *testing.T) {
	h := newHarness(t)
	h.addUser(t, "selangor", "staff", aminahIC, "Aminah binti Yusof", "aminah@selangor.gov.my", aminahPass, "bunga raya merah")
	c := h.client(t, "selangor")
	apitest.Expect(t, c.login(aminahIC, aminahPass), http.StatusOK, "")
	form := func(values url.Values) int {
		return c.Post("/account/cancellation", values).Status
	}
	if got := form(url.Values{"reason": {"Bersara"}}); got != http.StatusForbidden {
		t.Fatalf("form without token: %d, want 403", got)
	}
	if got := form(url.Values{"reason": {"Bersara"}, "csrf_token": {"forged"}}); got != http.StatusForbidden {
		t.Fatalf("form with a forged token: %d, want 403", got)
	}
	if got := form(url.Values{"reason": {"Bersara"}, "csrf_token": {c.CSRF}}); got != http.StatusSeeOther {
		t.Fatalf("form with the token: %d, want 303", got)
	}
}

func TestSuppliersLogInWithTheirCompanyNumberInAnyForm(t *testing.T) {
	h := newHarness(t)
	id := h.addUser(t, "selangor", "supplier", "201901000005", "Syarikat Contoh Sdn Bhd", "akaun@contoh.com.my", aminahPass, "kapal layar biru")
	h.db(t, "selangor").MustExec(`UPDATE users SET alt_login_id = '1312525A' WHERE id = $1`, id)
	for _, form := range []string{"201901000005", "1312525-A", "1312525a", "201901000005 (1312525-A)", "0001312525-A"} {
		c := h.client(t, "selangor")
		if r := c.Post("/api/v1/auth/identify", map[string]string{"id": form}); r.Body["secret_phrase"] != "kapal layar biru" {
			t.Errorf("identify %q = %s", form, r.Raw)
		}
		if r := c.login(form, aminahPass); r.Status != http.StatusOK || r.Body["user"].(map[string]any)["id"] != "201901000005" {
			t.Errorf("login %q = %s", form, r.Raw)
		}
	}
}
