package account

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/speks-portal/speks/modules/account/session"
)

// ReplaceRoles gives an account exactly roles, inside the caller's transaction, and ends its
// sessions: a session keeps the roles it was opened with, and a newly granted role must be
// met with TOTP enrolment at the next login. It returns the roles held before, for the audit
// the caller writes. Deactivated accounts are not changed.
func ReplaceRoles(ctx context.Context, tx *sqlx.Tx, userID int64, roles []string) (before []string, err error) {
	var held pq.StringArray
	if err := tx.GetContext(ctx, &held, `SELECT roles FROM users WHERE id = $1 AND status <> 'deactivated' FOR UPDATE`, userID); err != nil {
		return nil, fmt.Errorf("read the roles of account %d: %w", userID, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE users SET roles = $2, updated_at = now() WHERE id = $1`,
		userID, pq.StringArray(append([]string{}, roles...))); err != nil {
		return nil, fmt.Errorf("change the roles of account %d: %w", userID, err)
	}
	if err := session.EndAllOf(ctx, tx, userID, nil); err != nil {
		return nil, err
	}
	return append([]string{}, held...), nil
}
