// Package requests is the user-administration workflow of Melaka's forms, offered to every
// tenant: a PTJ admin or head of department raises "new user / change access / deactivate"
// for a person of the payroll master in their scope, the head of department approves, the
// state treasury approves, and the change is carried out. It also serves the PTJ payroll
// admin's own functions: the staff of their PTJ and the correction of a registered e-mail.
//
// Scope is enforced in the queries: every statement that reads or changes a person filters
// by the caller's PTJ (ptj_admin) or department (head_of_department), read from the caller's
// account row and the payroll master, never from the request.
package requests

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/foundation/auditlog"
	"github.com/speks-portal/speks/modules/foundation/authz"
	"github.com/speks-portal/speks/modules/foundation/fault"
	"github.com/speks-portal/speks/tenant"
)

// Kinds of request.
const (
	KindNewUser      = "new_user"
	KindChangeAccess = "change_access"
	KindDeactivate   = "deactivate"
)

// Statuses of a request.
const (
	StatusPendingHead     = "pending_head"
	StatusPendingTreasury = "pending_treasury"
	StatusApproved        = "approved" // treasury approved; being carried out
	StatusCompleted       = "completed"
	StatusRejected        = "rejected"
	StatusFailed          = "failed"
)

// GrantableRoles are the roles a request may give. Platform administration is JANM's and
// never granted by a state.
var GrantableRoles = []string{authz.PTJAdmin, authz.HeadOfDepartment, authz.Treasury, authz.ITOfficer}

// Errors of the workflow, each with its code; the web edge gives the status.
var (
	ErrNotFound      = coded(fault.NotFound, "not_found", "no such request or person in your scope")
	ErrForbidden     = coded(fault.Forbidden, "forbidden", "not yours to decide at this step")
	ErrSelfApproval  = coded(fault.Forbidden, "self_approval", "nobody approves their own request")
	ErrTwiceApproved = coded(fault.Forbidden, "second_approval_by_same_person", "one person may not approve both steps")
	ErrWrongStatus   = coded(fault.Conflict, "wrong_status", "the request is not at a step that can be decided")
	ErrAccountExists = coded(fault.Conflict, "account_exists", "the person already has an account")
	ErrNoAccount     = coded(fault.Conflict, "no_account", "the person has no account to change")
	ErrNoEmail       = coded(fault.Invalid, "no_email", "the payroll master has no usable e-mail address for the person")
	ErrOpenRequest   = coded(fault.Conflict, "request_open", "an open request of this kind already exists for the person")
	ErrNoScope       = coded(fault.Forbidden, "no_scope", "your account has no PTJ or department")
	ErrSelfRetry     = coded(fault.Forbidden, "self_action", "an IT officer does not carry out a request about their own account")
)

// coded is a workflow error whose message is this module's "requests_error_<code>".
func coded(kind fault.Kind, code, detail string) *fault.Error {
	return fault.New(kind, code, errors.New(detail)).Message("requests_error_"+code, nil)
}

// InvalidInputError lists the fields of a request that are missing or malformed.
type InvalidInputError struct{ Fields []string }

func (e *InvalidInputError) Error() string { return "invalid input: " + strings.Join(e.Fields, ", ") }

// Fault answers invalid_input, naming the fields in the message.
func (e *InvalidInputError) Fault() *fault.Error {
	return fault.New(fault.Invalid, "invalid_input", e).Message("requests_error_invalid_input", map[string]any{"Fields": e.Fields})
}

// Service is the workflow logic; Accounts (the account registration service) creates accounts
// and mails their first-login code.
type Service struct {
	Accounts *account.Registration
	// LoginURL is the tenant's login page, put in the mail of a new account.
	LoginURL func(*tenant.Tenant) string
	// BaseURL is the tenant's address (scheme and host), for the link to the requests page in
	// the workflow's mail; without it the mail carries no link.
	BaseURL func(*tenant.Tenant) string
	Now     func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// actor is the caller with the scope their roles give them.
type actor struct {
	ID         int64
	Name       string
	PTJ        string // set only for a ptj_admin
	Department string // set only for a head_of_department
	Treasury   bool
}

// loadActor reads the caller's PTJ and department from their account, falling back to the
// payroll master, so an officer account created by the CLI still gets its scope.
func loadActor(ctx context.Context, db sqlx.QueryerContext, p *account.Principal) (*actor, error) {
	var row struct {
		PTJ  string `db:"ptj"`
		Dept string `db:"dept"`
	}
	err := sqlx.GetContext(ctx, db, &row, `SELECT COALESCE(u.ptj_code, e.ptj_code, '') AS ptj,
			`+deptOfUser+` AS dept `+usersWithScope+` WHERE u.id = $1`, p.UserID)
	if err != nil {
		return nil, fmt.Errorf("read the scope of user %d: %w", p.UserID, err)
	}
	a := &actor{ID: p.UserID, Name: p.Name, Treasury: p.HasRole(authz.Treasury)}
	if p.HasRole(authz.PTJAdmin) {
		a.PTJ = row.PTJ
	}
	if p.HasRole(authz.HeadOfDepartment) {
		a.Department = row.Dept
	}
	return a, nil
}

// canRaise: only a scoped PTJ admin or head of department raises requests.
func (a *actor) canRaise() bool { return a.PTJ != "" || a.Department != "" }

// audit writes one entry of the tenant's audit trail. detail never holds a password, a code
// or a full IC number.
func audit(ctx context.Context, db sqlx.ExecerContext, a *actor, action, subject string, userID int64, detail map[string]any) error {
	return auditlog.Write(ctx, db, auditlog.Entry{ActorUserID: a.ID, Actor: a.Name, Action: action,
		Subject: subject, UserID: userID, Detail: detail})
}

func validEmail(addr string) bool {
	a, err := mail.ParseAddress(addr)
	return err == nil && a.Address == addr
}

// normaliseRoles sorts and deduplicates roles and checks each may be granted.
func normaliseRoles(roles []string) ([]string, bool) {
	out := []string{}
	for _, r := range roles {
		r = strings.TrimSpace(r)
		if !slices.Contains(GrantableRoles, r) {
			return nil, false
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	slices.Sort(out)
	return out, true
}
