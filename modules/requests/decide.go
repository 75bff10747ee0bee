package requests

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/account/identity"
	"github.com/speks-portal/speks/modules/foundation/ids"
	"github.com/speks-portal/speks/modules/foundation/notify"
	"github.com/speks-portal/speks/tenant"
)

// Decision is an approval note or a rejection reason.
type Decision struct {
	Note string `json:"note"`
}

// mayDecide is the one rule of who decides a request: the service enforces it on every
// approval and rejection, and List uses it to tell pages which rows to offer actions on.
func (a *actor) mayDecide(r *Request) error {
	_, err := a.step(r)
	return err
}

// step is the step the actor may decide on a request at its current status (notify.StepHead
// or notify.StepTreasury), or why they may not.
func (a *actor) step(r *Request) (string, error) {
	// Neither the person who raised a request nor the person it concerns decides it.
	if r.RequestedBy == a.ID || (r.SubjectUserID.Valid && r.SubjectUserID.Int64 == a.ID) {
		return "", ErrSelfApproval
	}
	switch r.Status {
	case StatusPendingHead:
		if a.Department == "" || a.Department != r.Department {
			return "", ErrForbidden
		}
		return notify.StepHead, nil
	case StatusPendingTreasury:
		if !a.Treasury {
			return "", ErrForbidden
		}
		if r.HeadBy.Valid && r.HeadBy.Int64 == a.ID {
			return "", ErrTwiceApproved
		}
		return notify.StepTreasury, nil
	}
	return "", ErrWrongStatus
}

// lockVisible reads and locks a request the actor may see; ErrNotFound otherwise, so another
// department's request is indistinguishable from one that does not exist.
func lockVisible(ctx context.Context, tx *sqlx.Tx, a *actor, id int64) (*Request, error) {
	var r Request
	err := tx.GetContext(ctx, &r, selectRequest+` WHERE r.id = $1 AND ($2 OR `+scopeFilter("r.ptj_code", "r.department_code", 3)+`)
		FOR UPDATE OF r`, id, a.Treasury, a.PTJ, a.Department)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read request %d: %w", id, err)
	}
	return &r, nil
}

// decide runs fn on a locked, visible request the actor may decide at its current step.
func (s *Service) decide(ctx context.Context, p *account.Principal, id int64, fn func(tx *sqlx.Tx, a *actor, r *Request, step string) error) error {
	sc, err := tenant.Require(ctx)
	if err != nil {
		return err
	}
	a, err := loadActor(ctx, sc.DB, p)
	if err != nil {
		return err
	}
	return tenant.InTx(ctx, sc.DB, func(tx *sqlx.Tx) error {
		r, err := lockVisible(ctx, tx, a, id)
		if err != nil {
			return err
		}
		st, err := a.step(r)
		if err != nil {
			return err
		}
		return fn(tx, a, r, st)
	})
}

// Approve records the head's or the treasury's approval; the treasury's is the last, and the
// change is then carried out at once.
func (s *Service) Approve(ctx context.Context, p *account.Principal, id int64, d Decision) (*Request, error) {
	note := strings.TrimSpace(d.Note)
	if len([]rune(note)) > 1000 {
		return nil, &InvalidInputError{Fields: []string{"note"}}
	}
	final := false
	err := s.decide(ctx, p, id, func(tx *sqlx.Tx, a *actor, r *Request, st string) error {
		next := StatusPendingTreasury
		if st == notify.StepTreasury {
			next, final = StatusApproved, true
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`UPDATE admin_requests SET status = $2, %[1]s_by = $3, %[1]s_at = $4,
			%[1]s_note = $5 WHERE id = $1`, st), id, next, a.ID, s.now(), note); err != nil {
			return fmt.Errorf("approve request %d: %w", id, err)
		}
		if err := audit(ctx, tx, a, "admin_request.approve", requestSubject(id), r.SubjectUserID.Int64,
			map[string]any{"step": st, "note": note, "kind": r.Kind}); err != nil {
			return err
		}
		if final {
			// Carried out in the same transaction: the approval, the change and its outcome
			// commit together or not at all. The requester hears once it is carried out.
			r.Status = StatusApproved
			return s.carryOut(ctx, tx, a, r)
		}
		r.HeadBy = sql.NullInt64{Int64: a.ID, Valid: true}
		if err := s.mailDeciders(ctx, tx, r, notify.StepTreasury); err != nil {
			return err
		}
		return s.mailRequester(ctx, tx, r, notify.OutcomeHeadApproved, "")
	})
	if err != nil {
		return nil, err
	}
	sc, _ := tenant.Require(ctx)
	return s.get(ctx, sc.DB, id)
}

// Reject ends a request with a reason, at either step.
func (s *Service) Reject(ctx context.Context, p *account.Principal, id int64, d Decision) (*Request, error) {
	reason := strings.TrimSpace(d.Note)
	if reason == "" || len([]rune(reason)) > 1000 {
		return nil, &InvalidInputError{Fields: []string{"note"}}
	}
	err := s.decide(ctx, p, id, func(tx *sqlx.Tx, a *actor, r *Request, st string) error {
		if _, err := tx.ExecContext(ctx, `UPDATE admin_requests SET status = 'rejected', rejected_by = $2, rejected_at = $3,
			rejection_reason = $4 WHERE id = $1`, id, a.ID, s.now(), reason); err != nil {
			return fmt.Errorf("reject request %d: %w", id, err)
		}
		if err := audit(ctx, tx, a, "admin_request.reject", requestSubject(id), r.SubjectUserID.Int64,
			map[string]any{"step": st, "reason": reason, "kind": r.Kind}); err != nil {
			return err
		}
		return s.mailRequester(ctx, tx, r, notify.OutcomeRejected, reason)
	})
	if err != nil {
		return nil, err
	}
	sc, _ := tenant.Require(ctx)
	return s.get(ctx, sc.DB, id)
}

// carryOut applies an approved request and records the outcome, inside the approval's
// transaction. A failure of the change itself (e.g. the payroll master's e-mail changed
// meanwhile) is rolled back to a savepoint and leaves the request "failed" with the reason, for
// the IT officer; it is never retried silently. A failure to record the outcome rolls back
// everything, the change included.
func (s *Service) carryOut(ctx context.Context, tx *sqlx.Tx, a *actor, r *Request) error {
	if _, err := tx.ExecContext(ctx, `SAVEPOINT carry_out`); err != nil {
		return fmt.Errorf("carry out request %d: %w", r.ID, err)
	}
	userID, applyErr := s.apply(ctx, tx, a, r)
	status, failure, action, outcome := StatusCompleted, "", "admin_request.complete", notify.OutcomeCompleted
	undo := `RELEASE SAVEPOINT carry_out`
	if applyErr != nil {
		// The failure is technical and stays with the IT officer; the requester's mail says only
		// that it could not be done.
		status, failure, action, outcome = StatusFailed, applyErr.Error(), "admin_request.fail", notify.OutcomeFailed
		undo = `ROLLBACK TO SAVEPOINT carry_out`
	}
	if _, err := tx.ExecContext(ctx, undo); err != nil {
		return fmt.Errorf("carry out request %d: %w", r.ID, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE admin_requests SET status = $2, failure = $3, completed_at = $4,
		subject_user_id = COALESCE($5, subject_user_id) WHERE id = $1 AND status = 'approved'`,
		r.ID, status, failure, s.now(), sql.NullInt64{Int64: userID, Valid: userID != 0}); err != nil {
		return fmt.Errorf("record the outcome of request %d: %w", r.ID, err)
	}
	if err := audit(ctx, tx, a, action, requestSubject(r.ID), userID, map[string]any{"kind": r.Kind, "failure": failure}); err != nil {
		return err
	}
	return s.mailRequester(ctx, tx, r, outcome, "")
}

// apply makes the change itself, through the account module's functions in tx; it returns the
// account concerned.
func (s *Service) apply(ctx context.Context, tx *sqlx.Tx, a *actor, r *Request) (int64, error) {
	switch r.Kind {
	case KindNewUser:
		return s.createAccount(ctx, tx, a, r)
	case KindChangeAccess:
		return r.SubjectUserID.Int64, changeAccess(ctx, tx, a, r)
	case KindDeactivate:
		return r.SubjectUserID.Int64, deactivate(ctx, tx, a, r)
	}
	return 0, fmt.Errorf("unknown request kind %q", r.Kind)
}

// createAccount creates the account from the payroll master; the account module mails the
// first-login code, so nobody in the workflow ever sees it.
func (s *Service) createAccount(ctx context.Context, tx *sqlx.Tx, a *actor, r *Request) (int64, error) {
	sc, err := tenant.Require(ctx)
	if err != nil {
		return 0, err
	}
	var m struct {
		Name  string `db:"name"`
		Email string `db:"email"`
		Phone string `db:"phone"`
	}
	if err := tx.GetContext(ctx, &m, `SELECT name, trim(email) AS email, phone FROM employees WHERE ic_no = $1`, r.SubjectIC); err != nil {
		return 0, fmt.Errorf("read the payroll master of %s: %w", ids.Mask(r.SubjectIC), err)
	}
	loginURL := ""
	if s.LoginURL != nil {
		loginURL = s.LoginURL(sc.Tenant)
	}
	id, err := s.Accounts.CreateAccountIn(ctx, tx, account.NewAccount{Category: "staff", ID: r.SubjectIC, Name: m.Name,
		Email: m.Email, Phone: m.Phone, Roles: r.Roles}, fmt.Sprintf("%s (%s)", a.Name, requestSubject(r.ID)), loginURL)
	if err != nil {
		return 0, fmt.Errorf("create the account of %s: %w", ids.Mask(r.SubjectIC), err)
	}
	// The account module does not place officer-created accounts; the request's scope does.
	return id, identity.PlaceIn(ctx, tx, id, r.Department, r.PTJ)
}

func changeAccess(ctx context.Context, tx *sqlx.Tx, a *actor, r *Request) error {
	before, err := identity.ReplaceRoles(ctx, tx, r.SubjectUserID.Int64, r.Roles)
	if err != nil {
		return err
	}
	return audit(ctx, tx, a, "account.roles", requestSubject(r.ID), r.SubjectUserID.Int64,
		map[string]any{"before": before, "after": []string(r.Roles)})
}

// deactivate closes the account and ends its sessions, so the change takes effect at once.
func deactivate(ctx context.Context, tx *sqlx.Tx, a *actor, r *Request) error {
	changed, err := identity.DeactivateIn(ctx, tx, r.SubjectUserID.Int64)
	if err != nil {
		return err
	}
	if !changed {
		return fmt.Errorf("account %d is already deactivated", r.SubjectUserID.Int64)
	}
	return audit(ctx, tx, a, "account.deactivate", requestSubject(r.ID), r.SubjectUserID.Int64, map[string]any{"kind": r.Kind})
}

func isUniqueViolation(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "23505"
}
