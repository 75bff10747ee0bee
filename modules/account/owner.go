package account

import (
	"context"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/account/lockout"
	"github.com/speks-portal/speks/tenant"
)

// The account module is the one writer of users, sessions, cancellation_requests and
// account_settings (docs/ARCHITECTURE.md, "Who writes which table"). The functions below, and
// the account writers in modules/account/identity (DeactivateIn, ReplaceRoles, …), are what
// other modules' workflows call to change them. Each takes the caller's transaction, so a
// workflow that also writes its own tables (admin closing a cancellation, requests carrying
// out an approved request) is one unit of work: it opens the transaction with tenant.InTx, passes it to every
// owner it touches, and either all of it commits or none of it does.

// ErrCancellationNotOpen is returned when closing a cancellation request that is already
// completed or rejected.
var ErrCancellationNotOpen = errors.New("cancellation request is not open")

// SetRequireSecurityAnswerIn sets the tenant's rule that recovery asks the security question
// (the IT officer's settings page).
func SetRequireSecurityAnswerIn(ctx context.Context, tx sqlx.ExecerContext, required bool) error {
	if _, err := tx.ExecContext(ctx, `UPDATE account_settings SET require_security_answer = $1, updated_at = now()`,
		required); err != nil {
		return fmt.Errorf("save account settings: %w", err)
	}
	return nil
}

// SetLoginLimitsIn sets the tenant's login throttling (the IT officer's settings page); a
// *tenant.ValidationError lists every value out of its range, and nothing is written then.
func SetLoginLimitsIn(ctx context.Context, tx sqlx.ExecerContext, l lockout.LoginLimits) error {
	if problems := l.Problems(); len(problems) > 0 {
		return &tenant.ValidationError{Problems: problems}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE account_settings SET login_window_minutes = $1, login_failures_per_address = $2,
		login_accounts_per_address = $3, login_failures_per_account = $4, identify_per_address = $5, updated_at = now()`,
		l.WindowMinutes, l.FailuresPerAddress, l.AccountsPerAddress, l.FailuresPerAccount, l.IdentifyPerAddress); err != nil {
		return fmt.Errorf("save login limits: %w", err)
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
