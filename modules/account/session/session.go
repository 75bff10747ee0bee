// Package session keeps the rows of the tenant's staff sessions (table sessions): opening one
// at login, finding the one of a cookie value within its limits, lifting a restriction, ending
// one or all of an account's. What a cookie looks like, the idle and absolute limits and the
// CSRF check are shared with the platform's sessions in modules/foundation/sessions; whose
// account a session belongs to is the caller's to read (modules/account/identity).
package session

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/foundation/sessions"
)

// Session purposes: empty for a full session, otherwise the one thing a restricted session
// may do. They are also the `next` of the login answer.
const (
	PurposeFull               = ""
	PurposeChangePassword     = "change_password"
	PurposeCompleteActivation = "complete_activation"
	PurposeEnrolTOTP          = "enrol_totp"
)

// ErrNone is the answer for a cookie value with no live session behind it.
var ErrNone = errors.New("no valid session")

// Row is a live session as stored.
type Row struct {
	IDHash     []byte    `db:"id_hash"`
	UserID     int64     `db:"user_id"`
	CSRFToken  string    `db:"csrf_token"`
	Purpose    string    `db:"purpose"`
	CreatedAt  time.Time `db:"created_at"`
	LastSeenAt time.Time `db:"last_seen_at"`
}

// Next is what the client should do with this session (docs/API.md "Login and session").
func (r *Row) Next() string {
	if r.Purpose == PurposeFull {
		return "home"
	}
	return r.Purpose
}

// Create stores a new session and returns the cookie value (256 random bits; only its
// SHA-256 is stored) and the CSRF token. A new ID at every login is what defeats fixation.
// Opening a session is a login, so the same statement stamps the account's last_login_at
// (one round trip fewer in the login's transaction).
func Create(ctx context.Context, db sqlx.ExecerContext, userID int64, purpose, ip, userAgent string, now time.Time) (string, string, error) {
	token, err := sessions.NewToken(32)
	if err != nil {
		return "", "", err
	}
	csrf, err := sessions.NewToken(32)
	if err != nil {
		return "", "", err
	}
	if len(userAgent) > 300 {
		userAgent = userAgent[:300]
	}
	if _, err := db.ExecContext(ctx, `WITH seen AS (UPDATE users SET last_login_at = $5 WHERE id = $2)
		INSERT INTO sessions (id_hash, user_id, csrf_token, purpose, created_at, last_seen_at, ip, user_agent)
		VALUES ($1, $2, $3, $4, $5, $5, $6, $7)`, sessions.Hash(token), userID, csrf, purpose, now, ip, userAgent); err != nil {
		return "", "", fmt.Errorf("create session: %w", err)
	}
	return token, csrf, nil
}

// JoinColumns are the sessions columns a Row is read from, qualified by the alias s, for a
// query that reads the row together with its account in one statement (modules/account:
// the account is not this package's to read).
const JoinColumns = `s.user_id, s.csrf_token, s.purpose, s.created_at, s.last_seen_at`

// Load finds the session of a cookie value and checks both timeouts; an expired one is
// deleted and answers ErrNone. It does not record the activity: the caller first checks the
// account may still use the session, then calls Touch.
func Load(ctx context.Context, db sqlx.ExtContext, token string, idle time.Duration, now time.Time) (*Row, error) {
	var row Row
	err := Find(ctx, db, token, idle, now, &row, func(idHash []byte) error {
		return sqlx.GetContext(ctx, db, &row, `SELECT `+JoinColumns+` FROM sessions s WHERE s.id_hash = $1`, idHash)
	})
	if err != nil {
		return nil, err
	}
	return &row, nil
}

// Find looks up the session of a cookie value: get reads the row of idHash on JoinColumns
// (alone, or joined to more) into a destination that holds row. No row, or a cookie value
// that cannot name a session, answers ErrNone; the row found is held to the timeouts (check).
// Load and a caller's own joined read share it.
func Find(ctx context.Context, db sqlx.ExecerContext, token string, idle time.Duration, now time.Time, row *Row, get func(idHash []byte) error) error {
	if !plausible(token) {
		return ErrNone
	}
	row.IDHash = sessions.Hash(token)
	err := get(row.IDHash)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNone
	}
	if err != nil {
		return fmt.Errorf("load session: %w", err)
	}
	return check(ctx, db, row, idle, now)
}

// plausible tells a cookie value worth looking up from one that cannot name a session.
func plausible(token string) bool { return token != "" && len(token) <= 100 }

// check holds a row read by Find to the idle and absolute limits: an expired session is
// deleted and answers ErrNone.
func check(ctx context.Context, db sqlx.ExecerContext, row *Row, idle time.Duration, now time.Time) error {
	if !sessions.Expired(row.CreatedAt, row.LastSeenAt, now, idle) {
		return nil
	}
	if err := End(ctx, db, row.IDHash); err != nil {
		return fmt.Errorf("end expired session: %w", err)
	}
	return ErrNone
}

// Touch records activity at most every 30 seconds, so a page with many requests does not
// write the row each time, at the cost of the idle timeout being 30 seconds generous.
func Touch(ctx context.Context, db sqlx.ExecerContext, r *Row, now time.Time) error {
	if now.Sub(r.LastSeenAt) <= 30*time.Second {
		return nil
	}
	if _, err := db.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $2 WHERE id_hash = $1`, r.IDHash, now); err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// Lift makes a session restricted to purpose a full one, once that step is done; a session
// with another purpose is left as it is.
func Lift(ctx context.Context, db sqlx.ExecerContext, idHash []byte, purpose string) error {
	if _, err := db.ExecContext(ctx, `UPDATE sessions SET purpose = '' WHERE id_hash = $1 AND purpose = $2`,
		idHash, purpose); err != nil {
		return fmt.Errorf("lift the %s restriction of a session: %w", purpose, err)
	}
	return nil
}

// End ends one session.
func End(ctx context.Context, db sqlx.ExecerContext, idHash []byte) error {
	if _, err := db.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = $1`, idHash); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// EndAllOf ends every session of an account except keep (nil ends them all).
func EndAllOf(ctx context.Context, db sqlx.ExecerContext, userID int64, keep []byte) error {
	if keep == nil {
		keep = []byte{}
	}
	if _, err := db.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2`, userID, keep); err != nil {
		return fmt.Errorf("end sessions of account %d: %w", userID, err)
	}
	return nil
}
