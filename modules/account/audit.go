package account

import (
	"context"
	"errors"
	"strconv"

	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/account/identity"
	"github.com/speks-portal/speks/modules/account/lockout"
	"github.com/speks-portal/speks/modules/foundation/auditlog"
	"github.com/speks-portal/speks/modules/foundation/ids"
	"github.com/speks-portal/speks/tenant"
)

// Audit actions of logging in and out (the admin console's audit trail searches them).
const (
	ActionLogin       = "account.login"
	ActionLoginFailed = "account.login_failed"
	ActionLocked      = "account.locked"
	ActionLogout      = "account.logout"
)

// anonymousActor names the actor of a failed login whose ID matches no account.
const anonymousActor = "anonymous"

// auditEntry is one row of the tenant's audit_log.
type auditEntry struct {
	ActorID int64 // 0: none (stored as NULL)
	Actor   string
	Action  string
	Subject string
	UserID  int64 // 0: none (stored as NULL)
	Detail  map[string]any
}

// writeAudit inserts e. Neither subject nor detail may hold a secret or a full IC or company
// number: callers pass account numbers and masked IDs.
func writeAudit(ctx context.Context, db sqlx.ExecerContext, e auditEntry) error {
	return auditlog.Write(ctx, db, auditlog.Entry{ActorUserID: e.ActorID, Actor: e.Actor, Action: e.Action,
		Subject: e.Subject, UserID: e.UserID, Detail: e.Detail})
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// actorLabel is how the trail names an account: its name and number, the same form the
// admin console writes, never the login ID (an IC number).
func actorLabel(u *identity.User) string {
	return u.Name + " #" + strconv.FormatInt(u.ID, 10)
}

// loginAttempt is what one login attempt found, for its audit entry.
type loginAttempt struct {
	user        *identity.User // nil when the ID matches no account
	subject     string         // the masked login ID; "" when it was not an ID at all
	lockStarted bool           // this failure started a lockout
	audited     bool           // the entries were written with the outcome's transaction
}

// loginSubject masks an attempted ID to its last four characters. An input that is not an
// IC or company number is not kept at all: it may be a password typed in the wrong field.
func loginSubject(key identity.LoginKey) string {
	if !key.Valid() {
		return ""
	}
	return ids.Mask(key.Primary)
}

// auditLogin writes the outcome of an attempt that ended before its transaction (throttled):
// correct and wrong attempts write theirs inside their one transaction (writeAudits). Every
// outcome writes the same entries for an existing and an unknown ID (one insert, two for the
// failure that starts a lockout). A failed write here is logged, not answered.
func (s *Login) auditLogin(ctx context.Context, in LoginInput, at *loginAttempt, res *LoginResult, err error) {
	sc, scopeErr := tenant.Require(ctx)
	if scopeErr != nil {
		return
	}
	if werr := writeAudits(ctx, sc.DB, loginEntries(in, at, res, err)); werr != nil {
		s.Log.ErrorContext(ctx, "login audit failed", "err", werr)
	}
}

// writeAudits writes entries in order.
func writeAudits(ctx context.Context, db sqlx.ExecerContext, entries []auditEntry) error {
	for _, e := range entries {
		if err := writeAudit(ctx, db, e); err != nil {
			return err
		}
	}
	return nil
}

// loginEntries are the audit rows of one attempt; none for a TOTP prompt (the second step
// follows) or an internal error (logged by logLogin).
func loginEntries(in LoginInput, at *loginAttempt, res *LoginResult, err error) []auditEntry {
	e := auditEntry{Actor: anonymousActor, Subject: at.subject, Detail: map[string]any{"ip": in.IP}}
	if at.user != nil {
		e.ActorID, e.Actor, e.UserID = at.user.ID, actorLabel(at.user), at.user.ID
	}
	switch {
	case err == nil:
		e.Action = ActionLogin
		e.Detail["next"] = res.Next
		return []auditEntry{e}
	case errors.Is(err, ErrInvalidCredentials), errors.Is(err, ErrLocked), errors.Is(err, lockout.ErrThrottled):
		e.Action = ActionLoginFailed
		e.Detail["reason"] = failureReason(err)
	default:
		return nil
	}
	if !at.lockStarted {
		return []auditEntry{e}
	}
	locked := e
	locked.Action, locked.Detail = ActionLocked, map[string]any{"ip": in.IP}
	return []auditEntry{e, locked}
}

func failureReason(err error) string {
	switch {
	case errors.Is(err, ErrLocked):
		return "locked"
	case errors.Is(err, lockout.ErrThrottled):
		return "throttled"
	}
	return "invalid_credentials"
}
