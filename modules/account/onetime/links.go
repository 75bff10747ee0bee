package onetime

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/foundation/sessions"
)

// LinkLifetime is how long an e-mail verification or e-mail change link works.
const LinkLifetime = 24 * time.Hour

// IssueLink stores a single-use link token of purpose (SHA-256 only), closing the user's
// earlier links of that purpose, and returns the link: base with the token.
func IssueLink(ctx context.Context, tx sqlx.ExecerContext, userID int64, purpose, newEmail, base string, now time.Time) (string, error) {
	token, err := sessions.NewToken(32)
	if err != nil {
		return "", err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE email_tokens SET used_at = $3 WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL`,
		userID, purpose, now); err != nil {
		return "", fmt.Errorf("close earlier links: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO email_tokens (token_hash, user_id, purpose, new_email, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, sessions.Hash(token), userID, purpose, newEmail, now, now.Add(LinkLifetime)); err != nil {
		return "", fmt.Errorf("store link token: %w", err)
	}
	return base + "?token=" + token, nil
}

// ErrInvalidLink is a verification link that is unknown, used or expired.
var ErrInvalidLink = errors.New("invalid or expired link")

// TakeLink spends a link token of purpose and returns its user and new e-mail;
// ErrInvalidLink when it is unknown, used or expired.
func TakeLink(ctx context.Context, tx sqlx.QueryerContext, token, purpose string, now time.Time) (int64, string, error) {
	var row struct {
		UserID   int64  `db:"user_id"`
		NewEmail string `db:"new_email"`
	}
	err := sqlx.GetContext(ctx, tx, &row, `UPDATE email_tokens SET used_at = $3
		WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3
		RETURNING user_id, new_email`, sessions.Hash(token), purpose, now)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", ErrInvalidLink
	}
	if err != nil {
		return 0, "", fmt.Errorf("use link token: %w", err)
	}
	return row.UserID, row.NewEmail, nil
}
