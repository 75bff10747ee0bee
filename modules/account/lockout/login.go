package lockout

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/tenant"
)

// LoginLimits are a tenant's login throttling policy (account_settings; the IT officer edits
// it on the settings page). Only attempts that do not log in are counted: a state's staff
// behind one NAT address may all log in within one window, while guessing from that address
// is stopped. Every limit counts within the same fixed window of WindowMinutes.
type LoginLimits struct {
	WindowMinutes int `db:"login_window_minutes" json:"login_window_minutes"`
	// FailuresPerAddress: wrong attempts (wrong password or code, locked ID) from one address.
	FailuresPerAddress int `db:"login_failures_per_address" json:"login_failures_per_address"`
	// AccountsPerAddress: distinct IDs with a wrong attempt from one address (password spraying).
	AccountsPerAddress int `db:"login_accounts_per_address" json:"login_accounts_per_address"`
	// FailuresPerAccount: wrong attempts on one ID from anywhere, on top of the lockout (which
	// stops the guessing; this bounds the argon2id work spent on a locked ID).
	FailuresPerAccount int `db:"login_failures_per_account" json:"login_failures_per_account"`
	// IdentifyPerAddress: distinct IDs whose phrase one address was shown without logging in
	// as them afterwards (phrase harvesting for a phishing page).
	IdentifyPerAddress int `db:"identify_per_address" json:"identify_per_address"`
}

// DefaultLoginLimits are the defaults of migrations/tenant/00047 (docs/SECURITY.md says why).
var DefaultLoginLimits = LoginLimits{WindowMinutes: 15, FailuresPerAddress: 150, AccountsPerAddress: 50,
	FailuresPerAccount: 30, IdentifyPerAddress: 300}

// loginLimitRanges are the bounds of each field, the same as the table's checks.
var loginLimitRanges = []struct {
	field  string
	get    func(LoginLimits) int
	lo, hi int
}{
	{"login_window_minutes", func(l LoginLimits) int { return l.WindowMinutes }, 1, 1440},
	{"login_failures_per_address", func(l LoginLimits) int { return l.FailuresPerAddress }, 10, 100000},
	{"login_accounts_per_address", func(l LoginLimits) int { return l.AccountsPerAddress }, 5, 10000},
	{"login_failures_per_account", func(l LoginLimits) int { return l.FailuresPerAccount }, 5, 1000},
	{"identify_per_address", func(l LoginLimits) int { return l.IdentifyPerAddress }, 10, 100000},
}

// Problems lists every value out of its range, in the settings form's terms.
func (l LoginLimits) Problems() []tenant.FieldError {
	var out []tenant.FieldError
	for _, r := range loginLimitRanges {
		if v := r.get(l); v < r.lo || v > r.hi {
			out = append(out, tenant.FieldError{Field: r.field, Message: fmt.Sprintf("must be between %d and %d", r.lo, r.hi)})
		}
	}
	return out
}

// ReadLoginLimits reads the tenant's login limits.
func ReadLoginLimits(ctx context.Context, db sqlx.QueryerContext) (LoginLimits, error) {
	var l LoginLimits
	if err := sqlx.GetContext(ctx, db, &l, `SELECT login_window_minutes, login_failures_per_address,
		login_accounts_per_address, login_failures_per_account, identify_per_address FROM account_settings`); err != nil {
		return LoginLimits{}, fmt.Errorf("read login limits: %w", err)
	}
	return l, nil
}

// Origin is where a login attempt comes from and the ID it names: the client address (from
// http.trusted_proxies only, Fiber's c.IP()) and the normalised login ID, known or not.
type Origin struct {
	IP string
	ID string
}

// The keys of auth_throttle the login counts under. A marker of one address and one ID lets a
// correct login take back exactly what that person's own earlier attempts spent.
func (o Origin) failuresKey() string { return "login-fail:ip:" + o.IP }
func (o Origin) accountsKey() string { return "login-spray:ip:" + o.IP }
func (o Origin) markerKey() string   { return "login-fail:ip:" + o.IP + ":id:" + o.ID }
func (o Origin) accountKey() string  { return "login:id:" + o.ID }
func (o Origin) identifyKey() string { return "identify:ip:" + o.IP }
func (o Origin) shownKey() string    { return "identify:ip:" + o.IP + ":id:" + o.ID }

func (l LoginLimits) window(now time.Time) time.Time {
	return now.Truncate(time.Duration(l.WindowMinutes) * time.Minute)
}

// LoginState is what a login attempt reads before its argon2id verification, in one
// statement (ReadLogin): the tenant's limits, the window they count in, the throttle counts
// of the attempt's address and ID, and the lockout row of the ID.
type LoginState struct {
	Limits LoginLimits
	Window time.Time
	Counts LoginCounts
	Lock   State
}

// LoginCounts are the auth_throttle hits an attempt is judged by in the current window.
type LoginCounts struct {
	AddressFailures int `db:"address_failures"` // wrong attempts from the address
	AddressAccounts int `db:"address_accounts"` // distinct IDs with a wrong attempt from the address
	Marker          int `db:"marker"`           // wrong attempts on this ID from this address
	Account         int `db:"account"`          // wrong attempts on this ID from anywhere
	Shown           int `db:"shown"`            // this ID's phrase shown to this address (identify)
}

// ReadLogin reads an attempt's LoginState in one statement: it only reads. lockKey names the
// ID's lockout row (the account's login ID, or the typed ID's primary key when it has none).
// The window is computed by PostgreSQL exactly as LoginLimits.window computes it in Go
// (date_bin from the zero time.Time), so the counts read are those the writes below update.
func ReadLogin(ctx context.Context, db sqlx.QueryerContext, o Origin, lockKey string, now time.Time) (LoginState, error) {
	var row struct {
		LoginLimits
		LoginCounts
		State
		Window time.Time `db:"window_start"`
	}
	if err := sqlx.GetContext(ctx, db, &row, `WITH l AS (
			SELECT login_window_minutes, login_failures_per_address, login_accounts_per_address,
				login_failures_per_account, identify_per_address,
				date_bin(make_interval(mins => login_window_minutes), $1::timestamptz, '0001-01-01 00:00:00+00') AS window_start
			FROM account_settings)
		SELECT l.*,
			COALESCE((SELECT hits FROM auth_throttle WHERE key = $2 AND window_start = l.window_start), 0) AS address_failures,
			COALESCE((SELECT hits FROM auth_throttle WHERE key = $3 AND window_start = l.window_start), 0) AS address_accounts,
			COALESCE((SELECT hits FROM auth_throttle WHERE key = $4 AND window_start = l.window_start), 0) AS marker,
			COALESCE((SELECT hits FROM auth_throttle WHERE key = $5 AND window_start = l.window_start), 0) AS account,
			COALESCE((SELECT hits FROM auth_throttle WHERE key = $6 AND window_start = l.window_start), 0) AS shown,
			COALESCE(f.failures, 0) AS failures, COALESCE(f.lockouts, 0) AS lockouts, f.locked_until
		FROM l LEFT JOIN login_failures f ON f.login_id = $7`,
		now, o.failuresKey(), o.accountsKey(), o.markerKey(), o.accountKey(), o.shownKey(), lockKey); err != nil {
		return LoginState{}, fmt.Errorf("read login state: %w", err)
	}
	return LoginState{Limits: row.LoginLimits, Window: row.Window, Counts: row.LoginCounts, Lock: row.State}, nil
}

// Check refuses (ErrThrottled) an attempt from an address or on an ID whose budget of wrong
// attempts is spent. An address that reached AccountsPerAddress may still retry the IDs it
// already failed on (a person correcting a typo), within the other limits.
func (s LoginState) Check() error {
	l, c := s.Limits, s.Counts
	switch {
	case c.AddressFailures >= l.FailuresPerAddress,
		c.Account >= l.FailuresPerAccount,
		c.AddressAccounts >= l.AccountsPerAddress && c.Marker == 0:
		return ErrThrottled
	}
	return nil
}

// Forgives reports whether a correct login has anything to refund (ForgiveLogin): wrong
// attempts of its own from its address, a count on its ID, or its phrase shown to the address.
func (s LoginState) Forgives() bool {
	return s.Counts.Marker > 0 || s.Counts.Account > 0 || s.Counts.Shown > 0
}

// Locking: the rows one ID's attempt from one address owns (its markers) are written first,
// then the rows the address and the ID share, always in the order of their keys, by one
// statement. Concurrent logins from one NAT address then queue on the shared rows instead of
// deadlocking.

// RecordFailedLogin counts a wrong attempt against the address (every attempt, and the ID
// once per window), and against the ID, in one statement (the caller's transaction).
func RecordFailedLogin(ctx context.Context, db sqlx.ExecerContext, l LoginLimits, o Origin, now time.Time) error {
	if _, err := db.ExecContext(ctx, `WITH marker AS (
			INSERT INTO auth_throttle (key, window_start, hits) VALUES ($1, $5, 1)
			ON CONFLICT (key, window_start) DO UPDATE SET hits = auth_throttle.hits + 1 RETURNING hits),
		counted (key) AS (SELECT unnest(ARRAY[$2, $3]::text[]) UNION ALL SELECT $4::text FROM marker WHERE marker.hits = 1)
		INSERT INTO auth_throttle (key, window_start, hits) SELECT key, $5, 1 FROM counted ORDER BY key
		ON CONFLICT (key, window_start) DO UPDATE SET hits = auth_throttle.hits + 1`,
		o.markerKey(), o.failuresKey(), o.accountKey(), o.accountsKey(), l.window(now)); err != nil {
		return fmt.Errorf("record failed login: %w", err)
	}
	return maybeSweep(ctx, db, now)
}

// ForgiveLogin is a correct login's refund, in the caller's transaction: what this ID's own
// wrong attempts from this address spent (a typo before the right password), its share of the
// distinct IDs, its count on the ID, and its phrase shown to the address come back. Spraying
// never logs in, so it never gets anything back; a person's own success refunds only that
// person's attempts. A login with nothing to refund writes nothing.
func ForgiveLogin(ctx context.Context, db sqlx.ExtContext, l LoginLimits, o Origin, now time.Time) error {
	if _, err := db.ExecContext(ctx, `WITH failed AS (
			DELETE FROM auth_throttle WHERE key = $1 AND window_start = $7 RETURNING hits),
		shown AS (DELETE FROM auth_throttle WHERE key = $2 AND window_start = $7 RETURNING hits),
		refund (key, n) AS (
			SELECT $4::text, hits FROM failed
			UNION ALL SELECT $5::text, 1 FROM failed
			UNION ALL SELECT $6::text, 1 FROM shown
			UNION ALL SELECT $3::text, 1 << 30 FROM auth_throttle WHERE key = $3 AND window_start = $7)
		INSERT INTO auth_throttle (key, window_start, hits) SELECT key, $7, 0 FROM refund ORDER BY key
		ON CONFLICT (key, window_start) DO UPDATE
			SET hits = GREATEST(auth_throttle.hits - (SELECT n FROM refund WHERE refund.key = EXCLUDED.key), 0)`,
		o.markerKey(), o.shownKey(), o.accountKey(), o.failuresKey(), o.accountsKey(), o.identifyKey(), l.window(now)); err != nil {
		return fmt.Errorf("forgive login: %w", err)
	}
	return nil
}

// HitIdentify counts the first showing of an ID's phrase to an address in the window and
// refuses (ErrThrottled) when the address has been shown more than IdentifyPerAddress phrases
// it did not then log in with. Asking again for the same ID costs nothing more: it shows
// nothing new.
func HitIdentify(ctx context.Context, db sqlx.QueryerContext, l LoginLimits, o Origin, now time.Time) error {
	var shown int
	if err := sqlx.GetContext(ctx, db, &shown, `WITH marker AS (
			INSERT INTO auth_throttle (key, window_start, hits) VALUES ($1, $3, 1)
			ON CONFLICT (key, window_start) DO UPDATE SET hits = auth_throttle.hits + 1 RETURNING hits),
		counted AS (
			INSERT INTO auth_throttle (key, window_start, hits) SELECT $2, $3, 1 FROM marker WHERE marker.hits = 1
			ON CONFLICT (key, window_start) DO UPDATE SET hits = auth_throttle.hits + 1 RETURNING hits)
		SELECT COALESCE((SELECT hits FROM counted),
			(SELECT hits FROM auth_throttle WHERE key = $2 AND window_start = $3), 0)`,
		o.shownKey(), o.identifyKey(), l.window(now)); err != nil {
		return fmt.Errorf("throttle identify: %w", err)
	}
	if shown > l.IdentifyPerAddress {
		return ErrThrottled
	}
	return nil
}
