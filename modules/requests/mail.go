package requests

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/foundation/authz"
	"github.com/speks-portal/speks/modules/foundation/notify"
	"github.com/speks-portal/speks/tenant"
)

// Who is told what, each mail queued in the transaction of the step that causes it:
//
//	raised                 → the heads of the request's department
//	head approved          → the treasury officers, and the requester
//	rejected (either step) → the requester
//	carried out or failed  → the requester (a new account's owner gets their own one-time code
//	                         from the account module)
//
// Mail goes in the tenant's default language: an officer's language is not stored.

// recipient is someone of the tenant with an account and a registered e-mail.
type recipient struct {
	ID    int64  `db:"id"`
	Name  string `db:"name"`
	Email string `db:"email"`
}

// deptOfUser is the department of an account as loadActor reads it: its own, else the
// payroll master's, else that of its PTJ. Used with the joins of usersWithScope.
const deptOfUser = `COALESCE(u.department_code, e.department_code, pj.department_code, '')`

const usersWithScope = `FROM users u
	LEFT JOIN employees e ON e.ic_no = u.employee_ic
	LEFT JOIN ptjs pj ON pj.code = COALESCE(u.ptj_code, e.ptj_code)`

// deciders are the people who may decide r at step, by the rule of mayDecide: active
// accounts with the step's role (heads of r's department, or treasury), never the requester,
// the person concerned, nor (at the treasury step) the head who approved it.
func deciders(ctx context.Context, tx *sqlx.Tx, r *Request, step string) ([]recipient, error) {
	role, dept := authz.Treasury, ""
	if step == notify.StepHead {
		role, dept = authz.HeadOfDepartment, r.Department
	}
	out := []recipient{}
	err := tx.SelectContext(ctx, &out, `SELECT u.id, u.name, trim(u.email) AS email `+usersWithScope+`
		WHERE u.status = 'active' AND $1 = ANY(u.roles) AND trim(u.email) <> ''
		AND ($2 = '' OR `+deptOfUser+` = $2)
		AND u.id <> ALL(ARRAY[$3, $4, $5]::bigint[]) ORDER BY u.id`,
		role, dept, r.RequestedBy, r.SubjectUserID.Int64, r.HeadBy.Int64)
	if err != nil {
		return nil, fmt.Errorf("find who decides request %d at the %s step: %w", r.ID, step, err)
	}
	return out, nil
}

// requester is the account that raised r, nil when it has no e-mail or is no longer active.
func requester(ctx context.Context, tx *sqlx.Tx, r *Request) (*recipient, error) {
	out := []recipient{}
	if err := tx.SelectContext(ctx, &out, `SELECT id, name, trim(email) AS email FROM users
		WHERE id = $1 AND status = 'active' AND trim(email) <> ''`, r.RequestedBy); err != nil {
		return nil, fmt.Errorf("read the requester of request %d: %w", r.ID, err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return &out[0], nil
}

// requestData is what every request mail says about r.
func (s *Service) requestData(ctx context.Context, to recipient, r *Request) map[string]any {
	data := map[string]any{"name": to.Name, "kind": r.Kind, "person": r.SubjectName}
	if link := s.requestsLink(ctx); link != "" {
		data["link"] = link
	}
	return data
}

// requestsLink is the tenant's requests page, when the service knows the tenant's address.
func (s *Service) requestsLink(ctx context.Context) string {
	sc, err := tenant.Require(ctx)
	if err != nil || s.BaseURL == nil {
		return ""
	}
	return s.BaseURL(sc.Tenant) + "/admin/requests"
}

// mailDeciders tells everyone who may decide r at step that it waits for them.
func (s *Service) mailDeciders(ctx context.Context, tx *sqlx.Tx, r *Request, step string) error {
	people, err := deciders(ctx, tx, r, step)
	if err != nil {
		return err
	}
	for _, to := range people {
		if !validEmail(to.Email) {
			continue // a malformed address on one account must not block the workflow for all
		}
		data := s.requestData(ctx, to, r)
		data["step"] = step
		if err := notify.Enqueue(ctx, tx, notify.Message{To: to.Email, Template: notify.TemplateRequestPending, Data: data,
			DedupKey: fmt.Sprintf("admin_request:%d:%s:%d", r.ID, step, to.ID)}); err != nil {
			return fmt.Errorf("mail request %d to a decider: %w", r.ID, err)
		}
	}
	return nil
}

// mailRequester tells the requester what became of r; reason is a rejection's or failure's.
func (s *Service) mailRequester(ctx context.Context, tx *sqlx.Tx, r *Request, outcome, reason string) error {
	to, err := requester(ctx, tx, r)
	if err != nil || to == nil || !validEmail(to.Email) {
		return err
	}
	data := s.requestData(ctx, *to, r)
	data["outcome"] = outcome
	if reason != "" {
		data["reason"] = clip(reason, 400)
	}
	if err := notify.Enqueue(ctx, tx, notify.Message{To: to.Email, Template: notify.TemplateRequestDecided, Data: data,
		DedupKey: fmt.Sprintf("admin_request:%d:%s", r.ID, outcome)}); err != nil {
		return fmt.Errorf("mail request %d to its requester: %w", r.ID, err)
	}
	return nil
}

// clip shortens s to at most n bytes on a character boundary: a mail value is bounded
// (notify refuses more than 500 bytes), a rejection reason may be longer; the page has it whole.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
