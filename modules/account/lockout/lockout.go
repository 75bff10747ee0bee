// Package lockout is how the account module slows and stops guessing: fixed-window budgets
// (table auth_throttle) of wrong login attempts per address, per distinct ID from one address
// and per ID, a tenant policy (login.go), and of recovery requests per IP and per ID; and the
// lockout of a login ID after failed logins (table login_failures). Both live in PostgreSQL,
// not Redis, so logins keep working, and stay throttled, while Redis is down. It imports no
// other account package.
package lockout

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/foundation/fault"
	"github.com/speks-portal/speks/tenant"
)

// Limit is a fixed-window request budget.
type Limit struct {
	Max    int
	Window time.Duration
}

// Limits of the recovery flows (forgot-password, first-login, register, change-password).
// Per IP they are generous (a whole ministry can sit behind one NAT address); per account
// they stay well above what a person needs. Login has its own, a tenant policy (LoginLimits).
type Limits struct {
	RecoveryPerIP      Limit
	RecoveryPerAccount Limit
}

// DefaultLimits are the production limits.
var DefaultLimits = Limits{
	RecoveryPerIP:      Limit{Max: 100, Window: 15 * time.Minute},
	RecoveryPerAccount: Limit{Max: 5, Window: time.Hour},
}

// ErrThrottled is returned when a budget is spent.
var ErrThrottled = fault.New(fault.Throttled, "too_many_requests", errors.New("too many requests"))

// Hit counts one request against key in its current window and refuses it over the limit.
// The counter lives in PostgreSQL (tenant schema), not Redis: logins must keep working, and
// stay throttled, while Redis is down. Old windows are deleted now and then by the same call.
func Hit(ctx context.Context, db sqlx.ExtContext, key string, l Limit, now time.Time) error {
	window := now.Truncate(l.Window)
	var hits int
	if err := sqlx.GetContext(ctx, db, &hits, `INSERT INTO auth_throttle (key, window_start, hits) VALUES ($1, $2, 1)
		ON CONFLICT (key, window_start) DO UPDATE SET hits = auth_throttle.hits + 1 RETURNING hits`, key, window); err != nil {
		return fmt.Errorf("throttle %s: %w", key, err)
	}
	if hits == 1 {
		if err := maybeSweep(ctx, db, now); err != nil {
			return err
		}
	}
	if hits > l.Max {
		return ErrThrottled
	}
	return nil
}

// maybeSweep deletes windows older than a day about once in 50 calls; callers call it when
// they open a new window.
func maybeSweep(ctx context.Context, db sqlx.ExecerContext, now time.Time) error {
	if now.UnixNano()%50 != 0 {
		return nil
	}
	if _, err := db.ExecContext(ctx, `DELETE FROM auth_throttle WHERE window_start < $1`, now.Add(-24*time.Hour)); err != nil {
		return fmt.Errorf("sweep throttle: %w", err)
	}
	return nil
}

// State is the lockout row of a login ID.
type State struct {
	Failures    int          `db:"failures"`
	Lockouts    int          `db:"lockouts"`
	LockedUntil sql.NullTime `db:"locked_until"`
}

// Read returns the lockout row of key; the zero State when it has none.
func Read(ctx context.Context, db sqlx.QueryerContext, key string) (State, error) {
	var s State
	err := sqlx.GetContext(ctx, db, &s, `SELECT failures, lockouts, locked_until FROM login_failures WHERE login_id = $1`, key)
	if errors.Is(err, sql.ErrNoRows) {
		return State{}, nil
	}
	if err != nil {
		return State{}, fmt.Errorf("read lockout: %w", err)
	}
	return s, nil
}

// Empty reports whether the ID has no lockout row: no failures and no lockout to clear.
func (s State) Empty() bool { return s == State{} }

// Locked reports whether the ID is locked at now.
func (s State) Locked(now time.Time) bool {
	return s.LockedUntil.Valid && s.LockedUntil.Time.After(now)
}

// RecordFailure counts a failed login for key and locks it when the tenant's limit is reached:
// lockout_minutes the first time, doubling with each further lock (capped at a day). It
// reports whether this failure locked the ID.
func RecordFailure(ctx context.Context, db sqlx.ExtContext, t *tenant.Tenant, key string, now time.Time) (bool, error) {
	var s State
	if err := sqlx.GetContext(ctx, db, &s, `INSERT INTO login_failures (login_id, failures, updated_at) VALUES ($1, 1, $2)
		ON CONFLICT (login_id) DO UPDATE SET failures = login_failures.failures + 1, updated_at = $2
		RETURNING failures, lockouts, locked_until`, key, now); err != nil {
		return false, fmt.Errorf("record login failure: %w", err)
	}
	if s.Failures < t.LockoutMaxFailures {
		return false, nil
	}
	minutes := t.LockoutMinutes << min(s.Lockouts, 10)
	until := now.Add(min(time.Duration(minutes)*time.Minute, 24*time.Hour))
	if _, err := db.ExecContext(ctx, `UPDATE login_failures SET failures = 0, lockouts = lockouts + 1, locked_until = $2
		WHERE login_id = $1`, key, until); err != nil {
		return false, fmt.Errorf("lock login: %w", err)
	}
	return true, nil
}

// Clear forgets the failures and lockout of key (a successful login, an officer's unlock).
func Clear(ctx context.Context, db sqlx.ExecerContext, key string) error {
	if _, err := db.ExecContext(ctx, `DELETE FROM login_failures WHERE login_id = $1`, key); err != nil {
		return fmt.Errorf("clear login failures: %w", err)
	}
	return nil
}
