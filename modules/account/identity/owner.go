package identity

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/speks-portal/speks/modules/account/session"
)

// The writers of users that other modules' workflows call (admin, requests). Each takes the
// caller's transaction, so a workflow that also writes its own tables is one unit of work: it
// opens the transaction with tenant.InTx, passes it to every owner it touches, and either all
// of it commits or none of it does. Changing who may use an account ends its sessions
// (modules/account/session) in the same transaction.

// DeactivateIn closes an account and ends its sessions inside tx; the row stays for the audit
// trail. It reports whether the account changed (false: it was already deactivated) and
// returns sql.ErrNoRows (wrapped) when there is no such account. The caller writes the audit.
func DeactivateIn(ctx context.Context, tx sqlx.ExtContext, userID int64) (bool, error) {
	var status string
	err := sqlx.GetContext(ctx, tx, &status, `SELECT status FROM users WHERE id = $1 FOR UPDATE`, userID)
	if err != nil {
		return false, fmt.Errorf("deactivate account %d: %w", userID, err)
	}
	if status == StatusDeactivated {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE users SET status = 'deactivated', updated_at = now() WHERE id = $1`, userID); err != nil {
		return false, fmt.Errorf("deactivate account %d: %w", userID, err)
	}
	if err := session.EndAllOf(ctx, tx, userID, nil); err != nil {
		return false, err
	}
	return true, nil
}

// ReactivateIn opens a deactivated or locked account again inside tx.
func ReactivateIn(ctx context.Context, tx sqlx.ExecerContext, userID int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE users SET status = 'active', updated_at = now() WHERE id = $1`, userID); err != nil {
		return fmt.Errorf("reactivate account %d: %w", userID, err)
	}
	return nil
}

// PlaceIn records the department and PTJ an account belongs to (accounts created by a
// user-administration request take the request's scope).
func PlaceIn(ctx context.Context, tx sqlx.ExecerContext, userID int64, department, ptj string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE users SET department_code = $2, ptj_code = $3 WHERE id = $1`,
		userID, department, ptj); err != nil {
		return fmt.Errorf("place account %d in its PTJ: %w", userID, err)
	}
	return nil
}

// CorrectEmailIn replaces an account's e-mail with one an officer has checked, so it counts as
// verified.
func CorrectEmailIn(ctx context.Context, tx sqlx.ExecerContext, userID int64, email string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE users SET email = $2, email_verified_at = now(), updated_at = now() WHERE id = $1`,
		userID, email); err != nil {
		return fmt.Errorf("correct the e-mail of account %d: %w", userID, err)
	}
	return nil
}

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
