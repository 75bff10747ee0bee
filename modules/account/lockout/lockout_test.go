package lockout_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/speks-portal/speks/modules/account/lockout"
	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// A budget refuses the request past its maximum within a window and starts again in the next.
func TestBudgetsRefuseWithinTheirWindow(t *testing.T) {
	ctx := context.Background()
	env := tenanttest.New(t, 2)
	db := env.DB(t, env.Tenant(t, "selangor", tenant.AdminOnly))
	l := lockout.Limit{Max: 2, Window: 15 * time.Minute}
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for i, want := range []error{nil, nil, lockout.ErrThrottled} {
		if err := lockout.Hit(ctx, db, "login:ip:192.0.2.1", l, now.Add(time.Duration(i)*time.Minute)); !errors.Is(err, want) {
			t.Fatalf("hit %d: %v, want %v", i+1, err, want)
		}
	}
	if err := lockout.Hit(ctx, db, "login:ip:192.0.2.2", l, now); err != nil {
		t.Fatalf("another key shares the budget: %v", err)
	}
	if err := lockout.Hit(ctx, db, "login:ip:192.0.2.1", l, now.Add(15*time.Minute)); err != nil {
		t.Fatalf("next window still refused: %v", err)
	}
}

// The tenant's failure limit locks an ID for its lockout minutes, twice as long the next
// time; a clear forgets both.
func TestFailuresLockAndTheLockDoubles(t *testing.T) {
	ctx := context.Background()
	env := tenanttest.New(t, 2)
	tn := env.Tenant(t, "selangor", tenant.AdminOnly)
	db := env.DB(t, tn)
	const key = "850101145123"
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	fail := func(at time.Time) bool {
		t.Helper()
		locked := false
		for i := 0; i < tn.LockoutMaxFailures; i++ {
			var err error
			if locked, err = lockout.RecordFailure(ctx, db, tn, key, at); err != nil {
				t.Fatal(err)
			}
			if locked != (i == tn.LockoutMaxFailures-1) {
				t.Fatalf("failure %d of %d: locked = %v", i+1, tn.LockoutMaxFailures, locked)
			}
		}
		return locked
	}
	lockFor := time.Duration(tn.LockoutMinutes) * time.Minute
	fail(now)
	s, err := lockout.Read(ctx, db, key)
	if err != nil || !s.Locked(now.Add(lockFor-time.Second)) || s.Locked(now.Add(lockFor)) {
		t.Fatalf("first lock %+v (%v), want %v", s, err, lockFor)
	}
	later := now.Add(lockFor)
	fail(later)
	if s, _ = lockout.Read(ctx, db, key); !s.Locked(later.Add(2*lockFor-time.Second)) || s.Locked(later.Add(2*lockFor)) {
		t.Fatalf("second lock %+v, want %v", s, 2*lockFor)
	}
	if err := lockout.Clear(ctx, db, key); err != nil {
		t.Fatal(err)
	}
	if s, _ = lockout.Read(ctx, db, key); s.Locked(later) || s.Failures != 0 || s.Lockouts != 0 {
		t.Fatalf("after clear %+v", s)
	}
}

// ReadLogin reads, in the window PostgreSQL computes from the tenant's limits, exactly the
// counts the wrong attempts wrote in the window Go computes — also for a window that does not
// divide an hour — and what a correct login then has to refund.
func TestReadLoginSeesTheCountsOfItsWindow(t *testing.T) {
	ctx := context.Background()
	env := tenanttest.New(t, 2)
	tn := env.Tenant(t, "selangor", tenant.AdminOnly)
	db := env.DB(t, tn)
	db.MustExec(`UPDATE account_settings SET login_window_minutes = 7, login_failures_per_account = 5`)
	o := lockout.Origin{IP: "198.51.100.7", ID: "850101145123"}
	now := time.Date(2026, 3, 2, 9, 13, 45, 123456789, time.UTC)
	read := func(at time.Time) lockout.LoginState {
		t.Helper()
		st, err := lockout.ReadLogin(ctx, db, o, o.ID, at)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	st := read(now)
	if !st.Window.Equal(now.Truncate(7*time.Minute)) || st.Limits.WindowMinutes != 7 || st.Check() != nil || st.Forgives() || !st.Lock.Empty() {
		t.Fatalf("before any attempt: %+v", st)
	}
	for range 5 {
		if err := lockout.RecordFailedLogin(ctx, db, st.Limits, o, now); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := lockout.RecordFailure(ctx, db, tn, o.ID, now); err != nil {
		t.Fatal(err)
	}
	st = read(now)
	want := lockout.LoginCounts{AddressFailures: 5, AddressAccounts: 1, Marker: 5, Account: 5}
	if st.Counts != want || !errors.Is(st.Check(), lockout.ErrThrottled) || !st.Forgives() || st.Lock.Failures != 1 {
		t.Fatalf("after five wrong attempts: %+v, want counts %+v, throttled, something to refund, one failure", st, want)
	}
	if err := lockout.ForgiveLogin(ctx, db, st.Limits, o, now); err != nil {
		t.Fatal(err)
	}
	if st = read(now); st.Counts != (lockout.LoginCounts{}) || st.Forgives() || st.Check() != nil {
		t.Fatalf("after the refund: %+v", st)
	}
	if st = read(now.Add(7 * time.Minute)); !st.Window.Equal(now.Add(7*time.Minute).Truncate(7*time.Minute)) || st.Counts != (lockout.LoginCounts{}) {
		t.Fatalf("the next window: %+v", st)
	}
}
