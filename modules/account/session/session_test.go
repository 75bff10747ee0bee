package session_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/speks-portal/speks/modules/account/session"
	"github.com/speks-portal/speks/modules/foundation/sessions"
	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

func tenantDB(t *testing.T) *tenant.DB {
	t.Helper()
	env := tenanttest.New(t, 2)
	return env.DB(t, env.Tenant(t, "selangor", tenant.AdminOnly))
}

func newUser(t *testing.T, db *tenant.DB, loginID string) int64 {
	t.Helper()
	var id int64
	if err := db.Get(&id, `INSERT INTO users (category, login_id, name, email, status)
		VALUES ('staff', $1, 'Aminah binti Yusof', 'aminah@example.test', 'active') RETURNING id`, loginID); err != nil {
		t.Fatal(err)
	}
	return id
}

// A session is found by its cookie value only (the row keeps its SHA-256), restricted to the
// purpose it was opened with until that is lifted, and answers ErrNone once ended.
func TestSessionLifecycle(t *testing.T) {
	ctx := context.Background()
	db := tenantDB(t)
	uid := newUser(t, db, "850101145123")
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

	token, csrf, err := session.Create(ctx, db, uid, session.PurposeChangePassword, "192.0.2.1", "test", now)
	if err != nil {
		t.Fatal(err)
	}
	var stored int
	if err := db.Get(&stored, `SELECT count(*) FROM sessions WHERE id_hash = $1`, []byte(token)); err != nil || stored != 0 {
		t.Fatalf("the cookie value is stored in clear (%d rows, %v)", stored, err)
	}
	row, err := session.Load(ctx, db, token, time.Hour, now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if row.UserID != uid || row.CSRFToken != csrf || row.Next() != session.PurposeChangePassword {
		t.Fatalf("loaded %+v", row)
	}
	if err := session.Lift(ctx, db, row.IDHash, session.PurposeEnrolTOTP); err != nil {
		t.Fatal(err)
	}
	if row, _ = session.Load(ctx, db, token, time.Hour, now); row.Purpose != session.PurposeChangePassword {
		t.Fatalf("lifting another purpose changed the session: %q", row.Purpose)
	}
	if err := session.Lift(ctx, db, row.IDHash, session.PurposeChangePassword); err != nil {
		t.Fatal(err)
	}
	if row, _ = session.Load(ctx, db, token, time.Hour, now); row.Next() != "home" {
		t.Fatalf("after lifting, next = %q", row.Next())
	}
	if err := session.End(ctx, db, row.IDHash); err != nil {
		t.Fatal(err)
	}
	if _, err := session.Load(ctx, db, token, time.Hour, now); !errors.Is(err, session.ErrNone) {
		t.Fatalf("ended session loads: %v", err)
	}
	if _, err := session.Load(ctx, db, "", time.Hour, now); !errors.Is(err, session.ErrNone) {
		t.Fatalf("empty cookie: %v", err)
	}
}

// An idle session is deleted when next seen; activity is written at most every 30 seconds.
func TestSessionIdleAndTouch(t *testing.T) {
	ctx := context.Background()
	db := tenantDB(t)
	uid := newUser(t, db, "850101145123")
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	token, _, err := session.Create(ctx, db, uid, session.PurposeFull, "192.0.2.1", "test", now)
	if err != nil {
		t.Fatal(err)
	}
	lastSeen := func() time.Time {
		var at time.Time
		if err := db.Get(&at, `SELECT last_seen_at FROM sessions WHERE id_hash = $1`, sessions.Hash(token)); err != nil {
			t.Fatal(err)
		}
		return at
	}
	row, err := session.Load(ctx, db, token, 15*time.Minute, now.Add(20*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if err := session.Touch(ctx, db, row, now.Add(20*time.Second)); err != nil || !lastSeen().Equal(now) {
		t.Fatalf("touched within 30 s: %v %v", lastSeen(), err)
	}
	if err := session.Touch(ctx, db, row, now.Add(10*time.Minute)); err != nil || !lastSeen().Equal(now.Add(10*time.Minute)) {
		t.Fatalf("not touched after 10 min: %v %v", lastSeen(), err)
	}
	if _, err := session.Load(ctx, db, token, 15*time.Minute, now.Add(26*time.Minute)); !errors.Is(err, session.ErrNone) {
		t.Fatalf("idle session loads: %v", err)
	}
	var left int
	if err := db.Get(&left, `SELECT count(*) FROM sessions WHERE user_id = $1`, uid); err != nil || left != 0 {
		t.Fatalf("expired session kept (%d, %v)", left, err)
	}
}

// Ending an account's sessions can spare the one in use (a password change on this device).
func TestEndAllOfKeepsTheOneAsked(t *testing.T) {
	ctx := context.Background()
	db := tenantDB(t)
	uid := newUser(t, db, "850101145123")
	other := newUser(t, db, "860202145124")
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var tokens []string
	for _, u := range []int64{uid, uid, uid, other} {
		token, _, err := session.Create(ctx, db, u, session.PurposeFull, "192.0.2.1", "test", now)
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, token)
	}
	if err := session.EndAllOf(ctx, db, uid, sessions.Hash(tokens[0])); err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false, false, true} {
		_, err := session.Load(ctx, db, tokens[i], time.Hour, now)
		if got := err == nil; got != want {
			t.Errorf("session %d alive = %v, want %v (%v)", i, got, want, err)
		}
	}
	if err := session.EndAllOf(ctx, db, uid, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := session.Load(ctx, db, tokens[0], time.Hour, now); !errors.Is(err, session.ErrNone) {
		t.Errorf("kept session survived ending all: %v", err)
	}
}
