package admin

import (
	"context"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/modules/account/identity"
	"github.com/speks-portal/speks/modules/foundation/guard"
	"github.com/speks-portal/speks/tenant"
)

// Activation is a verified self-registration waiting for the IT officer (PK 0101 step 7),
// with what the payroll or supplier master says of the same ID next to what was typed. The
// ID itself stays masked: the officer checks the person by name, department and PTJ, and the
// match by ID is the system's.
type Activation struct {
	UserRow
	TypedDepartment string `db:"typed_department" json:"department_name"`
	TypedPTJ        string `db:"typed_ptj" json:"ptj_name"`
	Master          Master `db:"master" json:"master"`
	// Mismatches names what differs: on_master (no master record for this ID), name,
	// department, ptj, email. Empty when the registration agrees with the master.
	Mismatches []string `db:"-" json:"mismatches"`
}

// Master is the payroll (staff) or supplier master record an account is linked to.
type Master struct {
	Found          bool   `db:"found" json:"found"`
	Name           string `db:"name" json:"name"`
	Email          string `db:"email" json:"email"`
	DepartmentCode string `db:"department_code" json:"department_code"`
	Department     string `db:"department" json:"department_name"`
	PTJCode        string `db:"ptj_code" json:"ptj_code"`
	PTJ            string `db:"ptj" json:"ptj_name"`
}

// HasMismatch reports whether the registration disagrees with the master on what.
func (a *Activation) HasMismatch(what string) bool {
	for _, m := range a.Mismatches {
		if m == what {
			return true
		}
	}
	return false
}

func (a *Activation) compare() {
	a.Mismatches = []string{}
	if !a.Master.Found {
		a.Mismatches = append(a.Mismatches, "on_master")
		return
	}
	differs := func(what, typed, master string) {
		if !strings.EqualFold(strings.Join(strings.Fields(typed), " "), strings.Join(strings.Fields(master), " ")) {
			a.Mismatches = append(a.Mismatches, what)
		}
	}
	differs("name", a.Name, a.Master.Name)
	if a.Category == identity.CategoryStaff {
		differs("department", a.DepartmentCode, a.Master.DepartmentCode)
		differs("ptj", a.PTJCode, a.Master.PTJCode)
	}
	if a.Master.Email != "" {
		differs("email", a.Email, a.Master.Email)
	}
}

// ActivationQueue lists the accounts waiting for an officer's activation, oldest first, each
// beside its master record (the database links an account to it by ID at registration).
func ActivationQueue(ctx context.Context, db *tenant.DB) ([]Activation, error) {
	rows := []Activation{}
	err := db.SelectContext(ctx, &rows, `SELECT u.id, u.category, u.login_id, u.name, u.email, u.status, u.roles,
			u.department_code, u.ptj_code, u.created_at, u.last_login_at, NULL::timestamptz AS locked_until,
			coalesce(td.name, '') AS typed_department, coalesce(tp.name, '') AS typed_ptj,
			(e.ic_no IS NOT NULL OR s.id IS NOT NULL) AS "master.found",
			coalesce(e.name, s.name, '') AS "master.name", trim(coalesce(e.email, s.email, '')) AS "master.email",
			coalesce(e.department_code, '') AS "master.department_code", coalesce(ed.name, '') AS "master.department",
			coalesce(e.ptj_code, '') AS "master.ptj_code", coalesce(ep.name, '') AS "master.ptj"
		FROM users u
		LEFT JOIN departments td ON td.code = u.department_code
		LEFT JOIN ptjs tp ON tp.code = u.ptj_code
		LEFT JOIN employees e ON e.ic_no = u.employee_ic
		LEFT JOIN departments ed ON ed.code = e.department_code
		LEFT JOIN ptjs ep ON ep.code = e.ptj_code
		LEFT JOIN suppliers s ON s.id = u.supplier_id
		WHERE u.status = 'pending_activation'
		ORDER BY u.created_at, u.id LIMIT 500`)
	if err != nil {
		return nil, fmt.Errorf("activation queue: %w", err)
	}
	for i := range rows {
		rows[i].finish()
		rows[i].compare()
	}
	return rows, nil
}

// apiActivations is the activation queue with each registration's master record.
func (m *Module) apiActivations(c *fiber.Ctx) error {
	_, sc, err := guard.Require(c)
	if err != nil {
		return err
	}
	rows, err := ActivationQueue(c.UserContext(), sc.DB)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"registration_mode": sc.Tenant.RegistrationMode, "users": rows})
}
