package account

import (
	"context"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/speks-portal/speks/modules/account/identity"
	"github.com/speks-portal/speks/modules/account/session"
)

// The account module is the one writer of users, sessions, cancellation_requests and
// account_settings (docs/ARCHITECTURE.md, "Who writes which table"). The functions below are
// what other modules' workflows call to change them. Each takes the caller's transaction, so a workflow that also
// writes its own tables (admin closing a cancellation, requests carrying out an approved
// request) is one unit of work: it opens the transaction with tenant.InTx, passes it to every
// owner it touches, and either all of it commits or none of it does.

// ErrCancellationNotOpen is returned when closing a cancellation request that is already
// completed or rejected.
var ErrCancellationNotOpen = errors.New("cancellation request is not open")

// DeactivateIn closes an account and ends its sessions inside tx; the row stays for the audit
// trail. It reports whether the account changed (false: it was already deactivated) and
// returns sql.ErrNoRows (wrapped) when there is no such account. The caller writes the audit.
func DeactivateIn(ctx context.Context, tx sqlx.ExtContext, userID int64) (bool, error) {
	var status string
	err := sqlx.GetContext(ctx, tx, &status, `SELECT status FROM users WHERE id = $1 FOR UPDATE`, userID)
	if err != nil {
		return false, fmt.Errorf("deactivate account %d: %w", userID, err)
	}
	if status == identity.StatusDeactivated {
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

// SetRequireSecurityAnswerIn sets the tenant's rule that recovery asks the security question
// (the IT officer's settings page).
func SetRequireSecurityAnswerIn(ctx context.Context, tx sqlx.ExecerContext, required bool) error {
	if _, err := tx.ExecContext(ctx, `UPDATE account_settings SET require_security_answer = $1, updated_at = now()`,
		required); err != nil {
		return fmt.Errorf("save account settings: %w", err)
	}
	return nil
}

// CompleteCancellationIn closes an open cancellation request inside tx; ErrCancellationNotOpen
// when another officer closed it first.
func CompleteCancellationIn(ctx context.Context, tx sqlx.ExecerContext, id int64) error {
	res, err := tx.ExecContext(ctx, `UPDATE cancellation_requests SET status = 'completed', completed_at = now()
		WHERE id = $1 AND status = 'open'`, id)
	if err != nil {
		return fmt.Errorf("complete cancellation %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("complete cancellation %d: %w", id, ErrCancellationNotOpen)
	}
	return nil
}
