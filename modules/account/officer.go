package account

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/account/identity"
	"github.com/speks-portal/speks/modules/account/onetime"
	"github.com/speks-portal/speks/modules/foundation/notify"
	"github.com/speks-portal/speks/tenant"
)

// Officer actions the admin console (modules/admin) calls; each writes the audit trail.
// Deactivate closes an account (an IT officer's deactivation, or a completed cancellation
// request) and ends its sessions; the row stays for the audit trail.
func (s *Service) Deactivate(ctx context.Context, userID int64, actor string) error {
	sc, err := tenant.Require(ctx)
	if err != nil {
		return err
	}
	return inTx(ctx, sc, func(tx *sqlx.Tx) error {
		if _, err := identity.DeactivateIn(ctx, tx, userID); err != nil {
			return err
		}
		return audit(ctx, tx, 0, actor, "account.deactivate", userID, nil)
	})
}

// ResetByOfficer is the system administrator's password reset (Melaka's procedure): it mails the
// account's registered address a one-time code that ends in the person setting their own
// password. The officer never sees or chooses a password. Only an active account qualifies.
func (s *Service) ResetByOfficer(ctx context.Context, userID int64, actor, loginURL string) error {
	sc, err := tenant.Require(ctx)
	if err != nil {
		return err
	}
	u, err := identity.ByID(ctx, sc.DB, userID)
	if err != nil {
		return err
	}
	if u.Status != identity.StatusActive || u.Email == "" {
		return fmt.Errorf("reset account %d: status %s or no e-mail: %w", userID, u.Status, ErrWrongMode)
	}
	now := s.now()
	return inTx(ctx, sc, func(tx *sqlx.Tx) error {
		code, err := onetime.IssueCode(ctx, tx, s.Keys.Newest(), u.ID, onetime.CodePasswordReset, now)
		if err != nil {
			return err
		}
		if err := enqueueCode(ctx, tx, u, code, notify.PurposePasswordReset, "", loginURL); err != nil {
			return err
		}
		return audit(ctx, tx, 0, actor, "account.reset_by_officer", u.ID, nil)
	})
}
