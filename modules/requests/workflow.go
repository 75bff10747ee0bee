package requests

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/account/identity"
	"github.com/speks-portal/speks/modules/foundation/ids"
	"github.com/speks-portal/speks/modules/foundation/notify"
	"github.com/speks-portal/speks/tenant"
)

// NewRequest is a form raised by a PTJ admin or head of department.
type NewRequest struct {
	Kind   string   `json:"kind"`
	IC     string   `json:"ic_no"`
	Roles  []string `json:"roles"`
	Reason string   `json:"reason"`
}

// Request is a request as shown to those in its scope (the IC number masked).
type Request struct {
	ID              int64          `db:"id" json:"id"`
	Kind            string         `db:"kind" json:"kind"`
	Status          string         `db:"status" json:"status"`
	SubjectIC       string         `db:"subject_ic" json:"-"`
	SubjectICMasked string         `db:"-" json:"ic_no_masked"`
	SubjectName     string         `db:"subject_name" json:"name"`
	SubjectUserID   sql.NullInt64  `db:"subject_user_id" json:"-"`
	Department      string         `db:"department_code" json:"department_code"`
	PTJ             string         `db:"ptj_code" json:"ptj_code"`
	Roles           pq.StringArray `db:"roles" json:"roles"`
	Reason          string         `db:"reason" json:"reason"`
	RequestedBy     int64          `db:"requested_by" json:"requested_by"`
	RequestedByName string         `db:"requested_by_name" json:"requested_by_name"`
	RequestedAt     time.Time      `db:"requested_at" json:"requested_at"`
	HeadBy          sql.NullInt64  `db:"head_by" json:"-"`
	HeadAt          *time.Time     `db:"head_at" json:"head_at,omitempty"`
	HeadNote        string         `db:"head_note" json:"head_note,omitempty"`
	TreasuryBy      sql.NullInt64  `db:"treasury_by" json:"-"`
	TreasuryAt      *time.Time     `db:"treasury_at" json:"treasury_at,omitempty"`
	TreasuryNote    string         `db:"treasury_note" json:"treasury_note,omitempty"`
	RejectedBy      sql.NullInt64  `db:"rejected_by" json:"-"`
	RejectedAt      *time.Time     `db:"rejected_at" json:"rejected_at,omitempty"`
	RejectionReason string         `db:"rejection_reason" json:"rejection_reason,omitempty"`
	CompletedAt     *time.Time     `db:"completed_at" json:"completed_at,omitempty"`
	Failure         string         `db:"failure" json:"failure,omitempty"`
	// CanDecide: the caller may approve or reject the request now (mayDecide, the rule
	// Approve and Reject enforce), so pages offer only what will be accepted.
	CanDecide bool `db:"-" json:"can_decide"`
}

// subject is a person of the payroll master found inside the caller's scope.
type subject struct {
	IC     string         `db:"ic_no"`
	Name   string         `db:"name"`
	Email  string         `db:"email"`
	Dept   string         `db:"department_code"`
	PTJ    string         `db:"ptj_code"`
	UserID sql.NullInt64  `db:"user_id"`
	Status sql.NullString `db:"user_status"`
}

// scopeFilter is the SQL condition that keeps rows in the actor's scope; ptjCol and deptCol
// name the columns to compare. An empty PTJ or department matches nothing.
func scopeFilter(ptjCol, deptCol string, first int) string {
	return fmt.Sprintf("((%s = $%d AND $%d <> '') OR (%s = $%d AND $%d <> ''))", ptjCol, first, first, deptCol, first+1, first+1)
}

// findSubject reads a person of the payroll master in the actor's scope; nil when there is
// none, so a person outside the scope and a person who does not exist look the same.
func findSubject(ctx context.Context, db sqlx.QueryerContext, a *actor, ic string) (*subject, error) {
	var s subject
	err := sqlx.GetContext(ctx, db, &s, `SELECT e.ic_no, e.name, trim(e.email) AS email, e.department_code, e.ptj_code,
			u.id AS user_id, u.status AS user_status
		FROM employees e LEFT JOIN users u ON u.employee_ic = e.ic_no OR u.login_id = e.ic_no
		WHERE e.ic_no = $1 AND `+scopeFilter("e.ptj_code", "e.department_code", 2)+` LIMIT 1`, ic, a.PTJ, a.Department)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find person %s: %w", ids.Mask(ic), err)
	}
	return &s, nil
}

// Create raises a request for a person in the caller's scope.
func (s *Service) Create(ctx context.Context, p *account.Principal, in NewRequest) (*Request, error) {
	sc, err := tenant.Require(ctx)
	if err != nil {
		return nil, err
	}
	a, err := loadActor(ctx, sc.DB, p)
	if err != nil {
		return nil, err
	}
	if !a.canRaise() {
		return nil, ErrNoScope
	}
	roles, err := validateNew(&in)
	if err != nil {
		return nil, err
	}
	subj, err := findSubject(ctx, sc.DB, a, in.IC)
	if err != nil {
		return nil, err
	}
	if subj == nil {
		return nil, ErrNotFound
	}
	if err := checkSubject(in.Kind, subj); err != nil {
		return nil, err
	}
	var id int64
	err = tenant.InTx(ctx, sc.DB, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &id, `INSERT INTO admin_requests (kind, subject_ic, subject_name, subject_user_id,
			department_code, ptj_code, roles, reason, requested_by, requested_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			in.Kind, subj.IC, subj.Name, subj.UserID, subj.Dept, subj.PTJ, pq.StringArray(roles), in.Reason, a.ID, s.now())
		if isUniqueViolation(err) {
			return ErrOpenRequest
		}
		if err != nil {
			return fmt.Errorf("store request: %w", err)
		}
		if err := audit(ctx, tx, a, "admin_request.create", requestSubject(id), subj.UserID.Int64,
			map[string]any{"kind": in.Kind, "roles": roles, "ic_no": ids.Mask(subj.IC), "reason": in.Reason}); err != nil {
			return err
		}
		raised := &Request{ID: id, Kind: in.Kind, SubjectName: subj.Name, SubjectUserID: subj.UserID,
			Department: subj.Dept, PTJ: subj.PTJ, RequestedBy: a.ID}
		return s.mailDeciders(ctx, tx, raised, notify.StepHead)
	})
	if err != nil {
		return nil, err
	}
	return s.get(ctx, sc.DB, id)
}

func validateNew(in *NewRequest) ([]string, error) {
	var bad []string
	in.IC = strings.TrimSpace(strings.ReplaceAll(in.IC, "-", ""))
	in.Reason = strings.TrimSpace(in.Reason)
	if in.Kind != KindNewUser && in.Kind != KindChangeAccess && in.Kind != KindDeactivate {
		bad = append(bad, "kind")
	}
	if len(in.IC) != 12 || strings.Trim(in.IC, "0123456789") != "" {
		bad = append(bad, "ic_no")
	}
	if in.Reason == "" || len([]rune(in.Reason)) > 1000 {
		bad = append(bad, "reason")
	}
	roles, ok := normaliseRoles(in.Roles)
	if !ok || (in.Kind == KindDeactivate && len(roles) > 0) {
		bad = append(bad, "roles")
	}
	if bad != nil {
		return nil, &InvalidInputError{Fields: bad}
	}
	return roles, nil
}

// checkSubject refuses a request that cannot be carried out for this person.
func checkSubject(kind string, subj *subject) error {
	hasAccount := subj.UserID.Valid
	switch kind {
	case KindNewUser:
		// A deactivated account is reopened by the IT officer, not created again.
		if hasAccount {
			return ErrAccountExists
		}
		if !validEmail(subj.Email) {
			return ErrNoEmail
		}
	case KindChangeAccess, KindDeactivate:
		if !hasAccount || subj.Status.String == identity.StatusDeactivated {
			return ErrNoAccount
		}
	}
	return nil
}

func requestSubject(id int64) string { return fmt.Sprintf("admin_request:%d", id) }

const selectRequest = `SELECT r.id, r.kind, r.status, r.subject_ic, r.subject_name, r.subject_user_id, r.department_code,
	r.ptj_code, r.roles, r.reason, r.requested_by, COALESCE(u.name, '') AS requested_by_name, r.requested_at,
	r.head_by, r.head_at, r.head_note, r.treasury_by, r.treasury_at, r.treasury_note, r.rejected_by, r.rejected_at,
	r.rejection_reason, r.completed_at, r.failure
	FROM admin_requests r LEFT JOIN users u ON u.id = r.requested_by`

func (s *Service) get(ctx context.Context, db sqlx.QueryerContext, id int64) (*Request, error) {
	var r Request
	if err := sqlx.GetContext(ctx, db, &r, selectRequest+` WHERE r.id = $1`, id); err != nil {
		return nil, fmt.Errorf("read request %d: %w", id, err)
	}
	r.SubjectICMasked = ids.Mask(r.SubjectIC)
	return &r, nil
}

// List returns one page of the requests the caller may see, newest first: a PTJ admin those of
// their PTJ, a head of department those of their department, the treasury every one. status
// filters when not empty.
func (s *Service) List(ctx context.Context, p *account.Principal, status string, page Page) (*Paged, error) {
	sc, err := tenant.Require(ctx)
	if err != nil {
		return nil, err
	}
	a, err := loadActor(ctx, sc.DB, p)
	if err != nil {
		return nil, err
	}
	out, err := selectPage(ctx, sc.DB, `($1 OR `+scopeFilter("r.ptj_code", "r.department_code", 2)+`) AND ($4 = '' OR r.status = $4)`,
		page, a.Treasury, a.PTJ, a.Department, status)
	if err != nil {
		return nil, err
	}
	for i := range out.Requests {
		out.Requests[i].CanDecide = a.mayDecide(&out.Requests[i]) == nil
	}
	return out, nil
}
