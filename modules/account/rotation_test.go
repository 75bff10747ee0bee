package account_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/pquerna/otp/totp"

	"github.com/speks-portal/speks/modules/account/credentials"
	"github.com/speks-portal/speks/modules/account/onetime"
	"github.com/speks-portal/speks/modules/foundation/keyring"
	"github.com/speks-portal/speks/modules/foundation/web/apitest"
	"github.com/speks-portal/speks/tenant"
)

// Rotating secrets.session and secrets.decoy the documented way (docs/OPERATIONS.md): add the
// new key in front, reseal, remove the old key. Nobody is logged out at any point (sessions
// are stored as plain SHA-256 of the cookie and never depended on secrets.session), a code
// mailed before the rotation still works during the overlap, TOTP works before and after the
// reseal and after the old key is gone, and an unknown ID's decoy phrase does not change
// while the old decoy key is still in the ring.
func TestRotatingTheServerSecrets(t *testing.T) {
	h := newHarness(t)
	const (
		oldSession, newSession = "test-session-secret-0123456789abcdef", "rotated-session-secret-0123456789abcdef"
		oldDecoy, newDecoy     = "test-decoy-secret-0123456789abcdef", "rotated-decoy-secret-0123456789abcdef"
		officerID, resetID     = "800303105050", "770707075555"
		unknownID              = "900909095678"
		totpSecret             = "JBSWY3DPEHPK3PXP"
	)
	h.addUser(t, "selangor", "staff", aminahIC, "Aminah binti Yusof", "aminah@selangor.gov.my", aminahPass, "bunga raya merah")
	officer := h.addUser(t, "selangor", "officer", officerID, "Rahman bin Ali", "rahman@selangor.gov.my", aminahPass, "kuda putih", "it_officer")
	resetting := h.addUser(t, "selangor", "staff", resetID, "Siti binti Omar", "siti@selangor.gov.my", aminahPass, "pokok kelapa")
	db := h.db(t, "selangor")
	sealed, err := h.svc.SealTOTPSecret(totpSecret)
	if err != nil {
		t.Fatal(err)
	}
	db.MustExec(`UPDATE users SET totp_secret = $2, totp_enabled = true WHERE id = $1`, officer, sealed)
	issue := func(userID int64) string {
		t.Helper()
		var code string
		if err := tenant.InTx(context.Background(), db, func(tx *sqlx.Tx) error {
			code, err = onetime.IssueCode(context.Background(), tx, h.svc.Keys.Newest(), userID, onetime.CodePasswordReset, h.clock.Now())
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return code
	}
	oldCode := issue(resetting)
	phrase := func() string {
		t.Helper()
		r := h.client(t, "selangor").Post("/api/v1/auth/identify", map[string]string{"id": unknownID})
		p, _ := r.Body["secret_phrase"].(string)
		if r.Status != http.StatusOK || len(strings.Fields(p)) != 3 {
			t.Fatalf("identify = %d %s", r.Status, r.Raw)
		}
		return p
	}
	decoyBefore := phrase()
	signedIn := h.client(t, "selangor")
	apitest.Expect(t, signedIn.login(aminahIC, aminahPass), http.StatusOK, "")
	// TOTP login of the officer at a fresh 30-second step each time (replay protection).
	totpLogin := func(when string) {
		t.Helper()
		h.clock.Advance(30 * time.Second)
		code, _ := totp.GenerateCode(totpSecret, h.clock.Now())
		r := h.client(t, "selangor").Post("/api/v1/auth/login", map[string]string{"id": officerID, "password": aminahPass, "totp": code})
		if r.Status != http.StatusOK || r.Body["next"] != "home" {
			t.Fatalf("%s: TOTP login = %d %s", when, r.Status, r.Raw)
		}
	}
	stillSignedIn := func(when string) {
		t.Helper()
		if r := signedIn.Get("/api/v1/session"); r.Status != http.StatusOK || r.Body["csrf_token"] != signedIn.CSRF {
			t.Fatalf("%s: the session opened before the rotation = %d %s", when, r.Status, r.Raw)
		}
	}
	totpLogin("before the rotation")

	// 1. Every replica gets the new key in front of the old one.
	h.svc.Keys = keyring.New(newSession, oldSession)
	h.svc.Decoy = keyring.New(newDecoy, oldDecoy)
	stillSignedIn("new key added")
	totpLogin("new key added, not yet resealed")
	if got := phrase(); got != decoyBefore {
		t.Fatalf("the decoy phrase changed when the new key was added: %q, then %q", decoyBefore, got)
	}
	r := h.client(t, "selangor").login(resetID, oldCode)
	if r.Status != http.StatusOK || r.Body["next"] != "change_password" {
		t.Fatalf("a code issued under the old key, during the overlap = %d %s", r.Status, r.Raw)
	}
	newCode := issue(resetting) // signed with the new key

	// 2. speks secrets reseal: every TOTP secret under the new key, once.
	ctx, _, err := h.env.Scoper.ForCode(context.Background(), "selangor")
	if err != nil {
		t.Fatal(err)
	}
	count, err := h.svc.ResealTOTP(ctx, "cli: speks secrets reseal")
	if err != nil || count != (credentials.ResealCount{Resealed: 1}) {
		t.Fatalf("reseal = %+v, %v; want one resealed", count, err)
	}
	if count, err = h.svc.ResealTOTP(ctx, "cli: speks secrets reseal"); err != nil || count != (credentials.ResealCount{Current: 1}) {
		t.Fatalf("second reseal = %+v, %v; want nothing to do", count, err)
	}
	var resealed string
	db.Get(&resealed, `SELECT totp_secret FROM users WHERE id = $1`, officer)
	if !strings.HasPrefix(resealed, "v2:"+keyring.ID([]byte(newSession))+":") {
		t.Fatalf("resealed secret %.12s…, want it under the new key", resealed)
	}
	var audits int
	db.Get(&audits, `SELECT count(*) FROM audit_log WHERE action = 'secrets.reseal' AND actor = 'cli: speks secrets reseal'
		AND detail->>'key_id' = $1`, keyring.ID([]byte(newSession)))
	if audits != 2 {
		t.Fatalf("%d audit entries of the reseal, want 2", audits)
	}

	// 3. The old key is removed everywhere.
	h.svc.Keys = keyring.New(newSession)
	h.svc.Decoy = keyring.New(newDecoy)
	stillSignedIn("old key removed")
	totpLogin("old key removed, after the reseal")
	r = h.client(t, "selangor").login(resetID, newCode)
	if r.Status != http.StatusOK || r.Body["next"] != "change_password" {
		t.Fatalf("a code issued under the new key = %d %s", r.Status, r.Raw)
	}
	// Only now does the decoy follow the new key (the operations guide says why and when).
	if got := phrase(); got == decoyBefore {
		t.Fatalf("the decoy phrase %q still comes from the removed key", got)
	}
}

// A code mailed under a key that has since been removed no longer works: the ring, not the
// code, decides.
func TestCodesOfARemovedKeyNoLongerWork(t *testing.T) {
	h := newHarness(t)
	user := h.addUser(t, "selangor", "staff", aminahIC, "Aminah binti Yusof", "aminah@selangor.gov.my", aminahPass, "bunga raya merah")
	db := h.db(t, "selangor")
	var code string
	if err := tenant.InTx(context.Background(), db, func(tx *sqlx.Tx) (err error) {
		code, err = onetime.IssueCode(context.Background(), tx, h.svc.Keys.Newest(), user, onetime.CodePasswordReset, h.clock.Now())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	h.svc.Keys = keyring.New("rotated-session-secret-0123456789abcdef")
	apitest.Expect(t, h.client(t, "selangor").login(aminahIC, code), http.StatusUnauthorized, "invalid_credentials")
}
