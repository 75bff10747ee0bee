package account

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/account/identity"
	"github.com/speks-portal/speks/modules/account/session"
	"github.com/speks-portal/speks/tenant"
)

// Session purposes, as the session rows keep them (modules/account/session).
const (
	PurposeFull               = session.PurposeFull
	PurposeChangePassword     = session.PurposeChangePassword
	PurposeCompleteActivation = session.PurposeCompleteActivation
	PurposeEnrolTOTP          = session.PurposeEnrolTOTP
)

// Session is a live session and its account.
type Session struct {
	session.Row
	User *identity.User
}

// loadSession finds the session of a cookie value with its account; session.ErrNone when
// there is none, it has expired, or its account may no longer use it. Every request with a
// cookie runs it, so its three statements share one transaction: on the tenant's handle
// each transaction costs a BEGIN + SET LOCAL round trip and a COMMIT (tenant.DB).
func loadSession(ctx context.Context, db *tenant.DB, token string, idle time.Duration, now time.Time) (*Session, error) {
	var s *Session
	err := tenant.InTx(ctx, db, func(tx *sqlx.Tx) error {
		row, err := session.Load(ctx, tx, token, idle, now)
		if err != nil {
			return err
		}
		u, err := identity.ByID(ctx, tx, row.UserID)
		if err != nil {
			return err
		}
		if u.Status != identity.StatusActive && !(u.Status == identity.StatusPendingActivation && row.Purpose == PurposeCompleteActivation) {
			return session.ErrNone // deactivated or locked by an officer since login
		}
		if err := session.Touch(ctx, tx, row, now); err != nil {
			return err
		}
		s = &Session{Row: *row, User: u}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}
