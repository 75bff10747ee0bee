package onetime_test

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/account/onetime"
	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

var key = []byte("session-secret")

func tenantUser(t *testing.T) (*tenant.DB, int64) {
	t.Helper()
	env := tenanttest.New(t, 2)
	db := env.DB(t, env.Tenant(t, "selangor", tenant.AdminOnly))
	var id int64
	if err := db.Get(&id, `INSERT INTO users (category, login_id, name, email, status)
		VALUES ('staff', '850101145123', 'Aminah binti Yusof', 'aminah@example.test', 'active') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	return db, id
}

func issue(t *testing.T, db *tenant.DB, userID int64, purpose string, now time.Time) string {
	t.Helper()
	var code string
	err := tenant.InTx(context.Background(), db, func(tx *sqlx.Tx) (err error) {
		code, err = onetime.IssueCode(context.Background(), tx, key, userID, purpose, now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// A new code replaces the open one; it is typed in any case and grouping, works for its
// lifetime, and only once.
func TestOneTimeCodes(t *testing.T) {
	ctx := context.Background()
	db, uid := tenantUser(t)
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	first := issue(t, db, uid, onetime.CodeFirstLogin, now)
	code := issue(t, db, uid, onetime.CodePasswordReset, now)
	if len(code) != 14 || strings.Count(code, "-") != 2 || code == first {
		t.Fatalf("codes %q, %q", first, code)
	}
	open, err := onetime.CurrentCode(ctx, db, uid, now.Add(time.Minute))
	if err != nil || open == nil || open.Purpose != onetime.CodePasswordReset {
		t.Fatalf("current code %+v, %v", open, err)
	}
	typed := strings.ToLower(strings.ReplaceAll(code, "-", " "))
	if subtle.ConstantTimeCompare(open.CodeHash, onetime.CodeHash(key, typed)) != 1 {
		t.Fatal("the code as typed does not match")
	}
	if subtle.ConstantTimeCompare(open.CodeHash, onetime.CodeHash(key, first)) == 1 {
		t.Fatal("the replaced code matches")
	}
	if late, _ := onetime.CurrentCode(ctx, db, uid, now.Add(onetime.CodeLifetime)); late != nil {
		t.Fatal("the code works past its lifetime")
	}
	for i, want := range []bool{true, false} {
		if used, err := onetime.UseCode(ctx, db, open.ID, now); err != nil || used != want {
			t.Fatalf("use %d: %v, %v", i+1, used, err)
		}
	}
	if spent, _ := onetime.CurrentCode(ctx, db, uid, now); spent != nil {
		t.Fatal("a used code is still current")
	}
}

// A link is taken once, for its purpose, within its lifetime; a new one closes the earlier.
func TestEmailLinks(t *testing.T) {
	ctx := context.Background()
	db, uid := tenantUser(t)
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	link := func() string {
		var l string
		if err := tenant.InTx(ctx, db, func(tx *sqlx.Tx) (err error) {
			l, err = onetime.IssueLink(ctx, tx, uid, "email_change", "aminah.baru@example.test", "https://selangor.example.test/account/email/confirm", now)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(l)
		if err != nil || u.Path != "/account/email/confirm" {
			t.Fatalf("link %q: %v", l, err)
		}
		return u.Query().Get("token")
	}
	take := func(token, purpose string, at time.Time) (int64, string, error) {
		var id int64
		var email string
		err := tenant.InTx(ctx, db, func(tx *sqlx.Tx) (err error) {
			id, email, err = onetime.TakeLink(ctx, tx, token, purpose, at)
			return err
		})
		return id, email, err
	}
	earlier := link()
	token := link()
	if _, _, err := take(earlier, "email_change", now); !errors.Is(err, onetime.ErrInvalidLink) {
		t.Fatalf("replaced link taken: %v", err)
	}
	if _, _, err := take(token, "verify_email", now); !errors.Is(err, onetime.ErrInvalidLink) {
		t.Fatalf("link taken for another purpose: %v", err)
	}
	if _, _, err := take(token, "email_change", now.Add(onetime.LinkLifetime)); !errors.Is(err, onetime.ErrInvalidLink) {
		t.Fatalf("expired link taken: %v", err)
	}
	if id, email, err := take(token, "email_change", now.Add(time.Hour)); err != nil || id != uid || email != "aminah.baru@example.test" {
		t.Fatalf("take = %d, %q, %v", id, email, err)
	}
	if _, _, err := take(token, "email_change", now.Add(time.Hour)); !errors.Is(err, onetime.ErrInvalidLink) {
		t.Fatalf("link taken twice: %v", err)
	}
}
