package requests

import (
	"context"
	"fmt"

	"github.com/lib/pq"

	"github.com/speks-portal/speks/tenant"
)

// SeedDemo leaves a few pending requests for the demo (modules/demo), raised by the PTJ admin
// with login ptjAdminLogin, so the head of department and the treasury have something to
// decide: a new user for someone of the PTJ without an account, and a change of access for a
// staff member of the PTJ. A state that already has requests is left alone.
func SeedDemo(ctx context.Context, db *tenant.DB, ptjAdminLogin string) error {
	var existing int
	if err := db.GetContext(ctx, &existing, `SELECT count(*) FROM admin_requests`); err != nil {
		return fmt.Errorf("demo requests: %w", err)
	}
	if existing > 0 {
		return nil
	}
	var admin struct {
		ID  int64  `db:"id"`
		PTJ string `db:"ptj_code"`
	}
	if err := db.GetContext(ctx, &admin, `SELECT id, COALESCE(ptj_code, '') AS ptj_code FROM users WHERE login_id = $1`,
		ptjAdminLogin); err != nil {
		return fmt.Errorf("demo PTJ admin: %w", err)
	}
	if err := demoNewUser(ctx, db, admin.ID, admin.PTJ); err != nil {
		return fmt.Errorf("demo requests: %w", err)
	}
	if err := demoChangeAccess(ctx, db, admin.ID, admin.PTJ); err != nil {
		return fmt.Errorf("demo requests: %w", err)
	}
	return nil
}

// demoNewUser asks for an account for the first person of the PTJ who has none.
func demoNewUser(ctx context.Context, db *tenant.DB, adminID int64, ptj string) error {
	_, err := db.ExecContext(ctx, `INSERT INTO admin_requests (kind, subject_ic, subject_name, department_code, ptj_code,
			reason, requested_by, requested_at)
		SELECT 'new_user', e.ic_no, e.name, e.department_code, e.ptj_code, 'Lantikan baharu (demo)', $1, now()
		FROM employees e WHERE e.ptj_code = $2 AND e.email LIKE '%@%'
			AND NOT EXISTS (SELECT 1 FROM users u WHERE u.login_id = e.ic_no OR u.employee_ic = e.ic_no)
		ORDER BY e.salary_no LIMIT 1`, adminID, ptj)
	if err != nil {
		return fmt.Errorf("new user request: %w", err)
	}
	return nil
}

// demoChangeAccess asks for the PTJ admin role for a staff member of the PTJ with an account.
func demoChangeAccess(ctx context.Context, db *tenant.DB, adminID int64, ptj string) error {
	_, err := db.ExecContext(ctx, `INSERT INTO admin_requests (kind, subject_ic, subject_name, subject_user_id, department_code,
			ptj_code, roles, reason, requested_by, requested_at)
		SELECT 'change_access', e.ic_no, e.name, u.id, e.department_code, e.ptj_code, $3, 'Pemangku pentadbir PTJ (demo)', $1, now()
		FROM employees e JOIN users u ON u.employee_ic = e.ic_no
		WHERE e.ptj_code = $2 AND u.status = 'active' AND u.id <> $1 AND u.roles = '{}'
		ORDER BY e.salary_no LIMIT 1`, adminID, ptj, pq.StringArray{"ptj_admin"})
	if err != nil {
		return fmt.Errorf("change access request: %w", err)
	}
	return nil
}
