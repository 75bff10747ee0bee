package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/account/identity"
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

// Session is a live session and its account.
type Session struct {
	IDHash     []byte
	UserID     int64
	CSRFToken  string
	Purpose    string
	CreatedAt  time.Time
	LastSeenAt time.Time
	User       *identity.User
}

// Next is what the client should do with this session (docs/API.md "Login and session").
func (s *Session) Next() string {
	if s.Purpose == PurposeFull {
		return "home"
	}
	return s.Purpose
}

// createSession stores a new session and returns the cookie value (256 random bits; only its
// SHA-256 is stored) and the CSRF token. A new ID at every login is what defeats fixation.
func createSession(ctx context.Context, db sqlx.ExtContext, userID int64, purpose, ip, userAgent string, now time.Time) (string, string, error) {
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
	if _, err := db.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_id, csrf_token, purpose, created_at, last_seen_at, ip, user_agent)
		VALUES ($1, $2, $3, $4, $5, $5, $6, $7)`, sessions.Hash(token), userID, csrf, purpose, now, ip, userAgent); err != nil {
		return "", "", fmt.Errorf("create session: %w", err)
	}
	return token, csrf, nil
}

var errNoSession = errors.New("no valid session")

// loadSession finds the session of a cookie value and checks both timeouts; an expired one is
// deleted. Activity is written at most every 30 seconds, so a page with many requests does not
// write the row each time, at the cost of the idle timeout being 30 seconds generous.
func loadSession(ctx context.Context, db *sqlx.DB, token string, idle time.Duration, now time.Time) (*Session, error) {
	if token == "" || len(token) > 100 {
		return nil, errNoSession
	}
	h := sessions.Hash(token)
	var row struct {
		UserID     int64     `db:"user_id"`
		CSRFToken  string    `db:"csrf_token"`
		Purpose    string    `db:"purpose"`
		CreatedAt  time.Time `db:"created_at"`
		LastSeenAt time.Time `db:"last_seen_at"`
	}
	err := db.GetContext(ctx, &row, `SELECT user_id, csrf_token, purpose, created_at, last_seen_at FROM sessions WHERE id_hash = $1`, h)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("load session: %w", err)
	}
	if sessions.Expired(row.CreatedAt, row.LastSeenAt, now, idle) {
		if _, err := db.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = $1`, h); err != nil {
			return nil, fmt.Errorf("end expired session: %w", err)
		}
		return nil, errNoSession
	}
	u, err := identity.ByID(ctx, db, row.UserID)
	if err != nil {
		return nil, err
	}
	if u.Status != identity.StatusActive && !(u.Status == identity.StatusPendingActivation && row.Purpose == PurposeCompleteActivation) {
		return nil, errNoSession // deactivated or locked by an officer since login
	}
	if now.Sub(row.LastSeenAt) > 30*time.Second {
		if _, err := db.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $2 WHERE id_hash = $1`, h, now); err != nil {
			return nil, fmt.Errorf("touch session: %w", err)
		}
	}
	return &Session{IDHash: h, UserID: row.UserID, CSRFToken: row.CSRFToken, Purpose: row.Purpose,
		CreatedAt: row.CreatedAt, LastSeenAt: row.LastSeenAt, User: u}, nil
}

func deleteSession(ctx context.Context, db sqlx.ExecerContext, idHash []byte) error {
	if _, err := db.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = $1`, idHash); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// deleteUserSessions ends every session of a user except keep (nil ends them all).
func deleteUserSessions(ctx context.Context, db sqlx.ExecerContext, userID int64, keep []byte) error {
	if keep == nil {
		keep = []byte{}
	}
	if _, err := db.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2`, userID, keep); err != nil {
		return fmt.Errorf("end sessions of account %d: %w", userID, err)
	}
	return nil
}
