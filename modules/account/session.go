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

// sessionSelect reads a session row and its account in one statement; sessionQuery names the
// two tables with the tenant's schema. Every request with a cookie runs it, as one round trip
// outside any transaction (tenant.DB.GetQualified), where as a lone statement on the tenant's
// handle it cost three (BEGIN + SET LOCAL, the statement, COMMIT; tenant/pooldriver.go).
var sessionSelect = `SELECT ` + session.JoinColumns + `, ` + identity.ColumnsAs("u") + ` FROM `

func sessionQuery(db *tenant.DB) string {
	return sessionSelect + db.Table("sessions") + ` s JOIN ` + db.Table("users") + ` u ON u.id = s.user_id WHERE s.id_hash = $1`
}

// sessionRow is what sessionQuery reads: the session and its account side by side (their
// column names do not overlap).
type sessionRow struct {
	session.Row
	identity.User
}

// loadSession finds the session of a cookie value with its account; session.ErrNone when
// there is none, it has expired, or its account may no longer use it. The rare writes (an
// expired session deleted, the activity recorded at most every 30 seconds) are lone
// statements of their own after the read: each is complete by itself, so they need no
// transaction with it.
func loadSession(ctx context.Context, db *tenant.DB, token string, idle time.Duration, now time.Time) (*Session, error) {
	var r sessionRow
	err := session.Find(ctx, db, token, idle, now, &r.Row, func(idHash []byte) error {
		return db.GetQualified(ctx, &r, sessionQuery(db), idHash)
	})
	if err != nil {
		return nil, err
	}
	if r.Status != identity.StatusActive && !(r.Status == identity.StatusPendingActivation && r.Purpose == PurposeCompleteActivation) {
		return nil, session.ErrNone // deactivated or locked by an officer since login
	}
	if err := session.Touch(ctx, db, &r.Row, now); err != nil {
		return nil, err
	}
	u := r.User
	return &Session{Row: r.Row, User: &u}, nil
}
