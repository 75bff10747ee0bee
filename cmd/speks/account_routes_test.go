package main

import (
	"context"
	"crypto/sha256"
	"net/http"
	"strings"
	"testing"

	"github.com/lib/pq"

	"github.com/speks-portal/speks/modules/foundation/authz"
	"github.com/speks-portal/speks/modules/foundation/web/apitest"
)

// The account routes are mounted after the authorisation middleware: a policy removed from
// the store closes an account page, which the account module alone would have served.
func TestAccountRoutesAreAuthorisedByCasbin(t *testing.T) {
	f := newAuthzFixture(t)
	if res := f.do(t, "selangor", "GET", "/first-login", "", nil); res.Status != http.StatusOK {
		t.Fatalf("GET /first-login before the change: %d, want 200", res.Status)
	}
	if _, err := f.enforcer.RemovePolicy(authz.Anonymous, "selangor", "/first-login", "GET"); err != nil {
		t.Fatal(err)
	}
	apitest.WaitFor(t, "the app to refuse /first-login", func() bool {
		return strings.HasPrefix(f.do(t, "selangor", "GET", "/first-login", "", nil).Location(), "/login?next=")
	})
	// Only selangor lost the rule.
	if res := f.do(t, "kedah", "GET", "/first-login", "", nil); res.Status != http.StatusOK {
		t.Errorf("kedah's /first-login: %d, want 200", res.Status)
	}
	// Anonymous visitors meet the middleware's answers on the signed-in account routes.
	if res := f.do(t, "selangor", "GET", "/api/v1/account/profile", "", nil); res.Status != http.StatusUnauthorized {
		t.Errorf("anonymous profile API: %d, want 401", res.Status)
	}
	if res := f.do(t, "selangor", "GET", "/account/profile", "", nil); !strings.HasPrefix(res.Location(), "/login?next=") {
		t.Errorf("anonymous profile page: %d to %q, want the login page", res.Status, res.Location())
	}
}

// Restricted sessions (opened with a one-time code) still reach the few routes their purpose
// allows once Casbin stands in front of them, and the account module still keeps them there.
func TestRestrictedSessionsPassAuthorisation(t *testing.T) {
	f := newAuthzFixture(t)
	activating := f.restrictedSession(t, "staff", "850314105523", "pending_activation", "complete_activation")
	changing := f.restrictedSession(t, "supplier", "201901012345", "active", "change_password")
	// An officer created without a role holds no role inheriting signed_in.
	roleless := f.restrictedSession(t, "officer", "800808085555", "active", "change_password")
	csrf := map[string]string{"X-CSRF-Token": "csrf", "Content-Type": "application/json"}
	for _, tc := range []struct {
		name, cookie, method, path string
		headers                    map[string]string
	}{
		{"activation page", activating, "GET", "/activate", nil},
		{"activation API", activating, "POST", "/api/v1/auth/activate", csrf},
		{"security questions", activating, "GET", "/api/v1/auth/security-questions", nil},
		{"password page", changing, "GET", "/account/password", nil},
		{"password API", changing, "POST", "/api/v1/account/password", csrf},
		{"session", changing, "GET", "/api/v1/session", nil},
		{"officer's password page", roleless, "GET", "/account/password", nil},
		{"officer's password API", roleless, "POST", "/api/v1/account/password", csrf},
	} {
		res := f.do(t, "selangor", tc.method, tc.path, tc.cookie, tc.headers)
		if res.Status == http.StatusUnauthorized || res.Status == http.StatusForbidden || res.Status >= 500 ||
			strings.HasPrefix(res.Location(), "/login") {
			t.Errorf("%s (%s %s): %d %s %q, want the account handler's answer", tc.name, tc.method, tc.path, res.Status, res.Code(), res.Location())
		}
	}
	// Past authorisation, the account module still confines them.
	if res := f.do(t, "selangor", "GET", "/api/v1/payslips", activating, nil); res.Status != http.StatusForbidden {
		t.Errorf("activation session on payslips: %d %s, want 403", res.Status, res.Code())
	}
	if res := f.do(t, "selangor", "GET", "/api/v1/account/profile", changing, nil); res.Code() != "restricted_session" {
		t.Errorf("password session on the profile: %d %s, want 403 restricted_session", res.Status, res.Code())
	}
}

// restrictedSession makes an account of selangor with a session of purpose and returns its
// cookie value (CSRF token "csrf").
func (f *authzFixture) restrictedSession(t *testing.T, category, loginID, status, purpose string) string {
	t.Helper()
	tn, err := f.env.Registry.Get(context.Background(), "selangor")
	if err != nil {
		t.Fatal(err)
	}
	db := f.env.DB(t, tn)
	var id int64
	if err := db.Get(&id, `INSERT INTO users (category, login_id, name, email, status, roles)
		VALUES ($1, $2, 'Pengguna Ujian', 'ujian@selangor.gov.my', $3, $4) RETURNING id`,
		category, loginID, status, pq.StringArray{}); err != nil {
		t.Fatalf("add user: %v", err)
	}
	token := "test-restricted-" + purpose + "-" + loginID
	sum := sha256.Sum256([]byte(token))
	if _, err := db.Exec(`INSERT INTO sessions (id_hash, user_id, csrf_token, purpose, created_at, last_seen_at)
		VALUES ($1, $2, 'csrf', $3, now(), now())`, sum[:], id, purpose); err != nil {
		t.Fatalf("add session: %v", err)
	}
	return token
}
