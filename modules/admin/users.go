package admin

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/account/identity"
	"github.com/speks-portal/speks/modules/foundation/fault"
	"github.com/speks-portal/speks/modules/foundation/guard"
	"github.com/speks-portal/speks/modules/foundation/ids"
	"github.com/speks-portal/speks/tenant"
)

// PageSize is the number of users per page of a search.
const PageSize = 25

// UserRow is one account as the console lists it: the login ID masked.
type UserRow struct {
	ID         int64          `db:"id" json:"id"`
	Category   string         `db:"category" json:"category"`
	LoginID    string         `db:"login_id" json:"login_id"`
	Name       string         `db:"name" json:"name"`
	Email      string         `db:"email" json:"email"`
	Status     string         `db:"status" json:"status"`
	Roles      pq.StringArray `db:"roles" json:"roles"`
	Department sql.NullString `db:"department_code" json:"-"`
	PTJ        sql.NullString `db:"ptj_code" json:"-"`
	CreatedAt  time.Time      `db:"created_at" json:"created_at"`
	LastLogin  *time.Time     `db:"last_login_at" json:"last_login_at"`
	// LockedUntil is the end of a temporary lock after repeated wrong passwords (the account
	// module's lockout); Status then reads "locked" although the account itself is active.
	LockedUntil *time.Time `db:"locked_until" json:"locked_until,omitempty"`

	DepartmentCode string `db:"-" json:"department_code"`
	PTJCode        string `db:"-" json:"ptj_code"`
}

func (u *UserRow) finish() {
	u.LoginID = ids.Mask(u.LoginID)
	u.DepartmentCode, u.PTJCode = u.Department.String, u.PTJ.String
	if u.Roles == nil {
		u.Roles = pq.StringArray{}
	}
}

// UserQuery is a search: q matches the name (any part) or the end of the login ID (what a
// masked ID shows), status/department/ptj filter exactly; page counts from 1.
type UserQuery struct {
	Q, Status, Department, PTJ string
	Page                       int
}

var statuses = map[string]bool{
	identity.StatusPendingVerification: true, identity.StatusPendingActivation: true, identity.StatusActive: true,
	identity.StatusLocked: true, identity.StatusDeactivated: true,
}

// shownStatus is the status the console shows and filters on: an active account inside a
// temporary lockout (login_failures, kept by the account module per login ID) is "locked",
// so the IT officer sees whom to unlock and until when.
const shownStatus = `CASE WHEN u.status = 'active' AND lf.locked_until > now() THEN 'locked' ELSE u.status END`

const userSelect = `SELECT u.id, u.category, u.login_id, u.name, u.email, ` + shownStatus + ` AS status, u.roles,
	u.department_code, u.ptj_code, u.created_at, u.last_login_at,
	CASE WHEN lf.locked_until > now() THEN lf.locked_until END AS locked_until
	FROM users u LEFT JOIN login_failures lf ON lf.login_id = u.login_id`

// Actions are the officer actions that apply to the account as it is now: the list offers
// only these, and perform's checks refuse the others the same way.
func (u UserRow) Actions() []string {
	var acts []string
	switch u.Status {
	case identity.StatusPendingActivation, identity.StatusDeactivated:
		acts = append(acts, "activate")
	case identity.StatusLocked:
		acts = append(acts, "unlock")
	case identity.StatusActive:
		if u.Email != "" {
			acts = append(acts, "reset")
		}
	}
	if u.Status != identity.StatusDeactivated {
		acts = append(acts, "deactivate")
	}
	return acts
}

// SearchUsers returns one page of matching accounts and the total count.
func SearchUsers(ctx context.Context, db *tenant.DB, q UserQuery) ([]UserRow, int, error) {
	where, args := []string{"true"}, []any{}
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	if s := strings.TrimSpace(q.Q); s != "" {
		id := strings.ToUpper(strings.NewReplacer("-", "", " ", "", "*", "").Replace(s))
		where = append(where, fmt.Sprintf("(u.name ILIKE %s OR (length(%s) >= 4 AND (u.login_id LIKE %s OR u.alt_login_id LIKE %s)))",
			arg("%"+escapeLike(s)+"%"), arg(id), arg("%"+escapeLike(id)), arg("%"+escapeLike(id))))
	}
	if q.Status != "" {
		where = append(where, shownStatus+" = "+arg(q.Status))
	}
	if q.Department != "" {
		where = append(where, "u.department_code = "+arg(q.Department))
	}
	if q.PTJ != "" {
		where = append(where, "u.ptj_code = "+arg(q.PTJ))
	}
	cond := " WHERE " + strings.Join(where, " AND ")
	var total int
	if err := db.GetContext(ctx, &total, `SELECT count(*) FROM users u LEFT JOIN login_failures lf ON lf.login_id = u.login_id`+cond, args...); err != nil {
		return nil, 0, fmt.Errorf("count users: %w", err)
	}
	page := max(q.Page, 1)
	rows := []UserRow{}
	err := db.SelectContext(ctx, &rows, userSelect+cond+fmt.Sprintf(" ORDER BY u.name, u.id LIMIT %d OFFSET %d", PageSize, (page-1)*PageSize), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("search users: %w", err)
	}
	for i := range rows {
		rows[i].finish()
	}
	return rows, total, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s)
}

func (m *Module) apiUsers(c *fiber.Ctx) error {
	_, sc, err := guard.Require(c)
	if err != nil {
		return err
	}
	q := UserQuery{Q: c.Query("q"), Status: c.Query("status"), Department: c.Query("department"), PTJ: c.Query("ptj"),
		Page: c.QueryInt("page", 1)}
	if q.Status != "" && !statuses[q.Status] {
		return fault.New(fault.Invalid, "invalid_input", nil)
	}
	rows, total, err := SearchUsers(c.UserContext(), sc.DB, q)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"users": rows, "total": total, "page": max(q.Page, 1), "page_size": PageSize})
}

// actionFunc carries out one officer action on an account whose current row is u.
type actionFunc func(c *fiber.Ctx, p *account.Principal, sc *tenant.Scope, u *UserRow) error

// userAction wraps an action: loads the account, refuses it on the officer's own account
// (an officer never unlocks or resets themself), runs it, and answers with the new row.
func (m *Module) userAction(name string, fn actionFunc) fiber.Handler {
	return func(c *fiber.Ctx) error {
		u, err := m.perform(c, fn)
		if err != nil {
			return err
		}
		return c.JSON(fiber.Map{"action": name, "user": u})
	}
}

// perform runs fn on the route's account and returns the account as it is afterwards.
func (m *Module) perform(c *fiber.Ctx, fn actionFunc) (*UserRow, error) {
	p, sc, err := guard.Require(c)
	if err != nil {
		return nil, err
	}
	id, err := pathID(c, "user_id")
	if err != nil {
		return nil, err
	}
	u, err := userRow(c.UserContext(), sc.DB, id)
	if err != nil {
		return nil, err
	}
	if u.ID == p.UserID {
		return nil, fault.New(fault.Forbidden, "self_action", nil)
	}
	if err := fn(c, p, sc, u); err != nil {
		return nil, err
	}
	if u, err = userRow(c.UserContext(), sc.DB, id); err != nil {
		return nil, err
	}
	u.finish()
	return u, nil
}

func userRow(ctx context.Context, db *tenant.DB, id int64) (*UserRow, error) {
	var u UserRow
	err := db.GetContext(ctx, &u, userSelect+` WHERE u.id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fault.New(fault.NotFound, "not_found", nil)
	}
	if err != nil {
		return nil, fmt.Errorf("read account %d: %w", id, err)
	}
	return &u, nil
}

func invalidStatus() error { return fault.New(fault.Conflict, "invalid_status", nil) }

// activate activates a verified self-registration (a one-time code is mailed), or
// reactivates a deactivated account.
func (m *Module) activate(c *fiber.Ctx, p *account.Principal, sc *tenant.Scope, u *UserRow) error {
	ctx := c.UserContext()
	switch u.Status {
	case identity.StatusPendingActivation:
		return m.Accounts.Registration.ActivateRegistration(ctx, u.LoginID, actorLabel(p), c.BaseURL()+"/login")
	case identity.StatusDeactivated:
		return reactivate(ctx, sc.DB, p, u.ID)
	}
	return invalidStatus()
}

func reactivate(ctx context.Context, db *tenant.DB, p *account.Principal, userID int64) error {
	return tenant.InTx(ctx, db, func(tx *sqlx.Tx) error {
		if err := identity.ReactivateIn(ctx, tx, userID); err != nil {
			return err
		}
		return Record(ctx, tx, p, "account.reactivate", "user:"+strconv.FormatInt(userID, 10), userID, nil)
	})
}

func (m *Module) deactivate(c *fiber.Ctx, p *account.Principal, _ *tenant.Scope, u *UserRow) error {
	if u.Status == identity.StatusDeactivated {
		return invalidStatus()
	}
	return m.Accounts.Deactivate(c.UserContext(), u.ID, actorLabel(p))
}

func (m *Module) unlock(c *fiber.Ctx, p *account.Principal, _ *tenant.Scope, u *UserRow) error {
	if u.Status != identity.StatusActive && u.Status != identity.StatusLocked {
		return invalidStatus()
	}
	return m.Accounts.Unlock(c.UserContext(), u.ID, actorLabel(p))
}

// reset mails the account's registered address a one-time code; the answer says only that
// it was sent, never the code.
func (m *Module) reset(c *fiber.Ctx, p *account.Principal, _ *tenant.Scope, u *UserRow) error {
	if u.Status != identity.StatusActive || u.Email == "" {
		return invalidStatus()
	}
	return m.Accounts.ResetByOfficer(c.UserContext(), u.ID, actorLabel(p), c.BaseURL()+"/login")
}

// apiUser is one account with its history: the audit entries about it, newest first.
func (m *Module) apiUser(c *fiber.Ctx) error {
	_, sc, err := guard.Require(c)
	if err != nil {
		return err
	}
	id, err := pathID(c, "user_id")
	if err != nil {
		return err
	}
	u, err := userRow(c.UserContext(), sc.DB, id)
	if err != nil {
		return err
	}
	u.finish()
	history, err := SearchAudit(c.UserContext(), sc.DB, AuditQuery{Subject: strconv.FormatInt(id, 10), Limit: 200})
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"user": u, "history": history})
}
