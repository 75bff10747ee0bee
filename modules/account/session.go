package account

import (
	"context"
	"time"

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
// there is none, it has expired, or its account may no longer use it.
func loadSession(ctx context.Context, db *tenant.DB, token string, idle time.Duration, now time.Time) (*Session, error) {
	row, err := session.Load(ctx, db, token, idle, now)
	if err != nil {
		return nil, err
	}
	u, err := identity.ByID(ctx, db, row.UserID)
	if err != nil {
		return nil, err
	}
	if u.Status != identity.StatusActive && !(u.Status == identity.StatusPendingActivation && row.Purpose == PurposeCompleteActivation) {
		return nil, session.ErrNone // deactivated or locked by an officer since login
	}
	if err := session.Touch(ctx, db, row, now); err != nil {
		return nil, err
	}
	return &Session{Row: *row, User: u}, nil
}
