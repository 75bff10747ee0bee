package account

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/speks-portal/speks/modules/account/credentials"
)

// Demo accounts: `speks demo` (modules/demo, which refuses to run in production mode) picks
// the people and calls these, so the rows are written here, by the one writer of users.

// DemoSecretPhrase is the decoy phrase of every demo account, documented in the demo output.
const DemoSecretPhrase = "portal demo negeri"

// DemoUser is a staff member or supplier given an active account with a known password.
// Links are the columns that tie it to its master record (employee_ic, department_code,
// ptj_code for staff; supplier_id for a supplier).
type DemoUser struct {
	Category, LoginID, AltLoginID, Name, Email, Password string
	Links                                                map[string]any
}

// demoLinkColumns are the only columns Links may name.
var demoLinkColumns = map[string]bool{"employee_ic": true, "department_code": true, "ptj_code": true, "supplier_id": true}

// EnsureDemoUser inserts the account unless one exists under the login ID; the password must
// pass the policy.
func EnsureDemoUser(ctx context.Context, db sqlx.ExtContext, argon credentials.Argon2Params, u DemoUser) error {
	var exists bool
	if err := sqlx.GetContext(ctx, db, &exists, `SELECT EXISTS (SELECT 1 FROM users WHERE login_id = $1)`, u.LoginID); err != nil {
		return err
	}
	if exists {
		return nil
	}
	if reasons := credentials.CheckPassword(u.Password, u.LoginID, u.Name); reasons != nil {
		return fmt.Errorf("demo password refused by the policy: %v", reasons)
	}
	hash, err := credentials.HashPassword(u.Password, argon)
	if err != nil {
		return err
	}
	args := []any{u.Category, u.LoginID, u.AltLoginID, u.Name, u.Email, hash, DemoSecretPhrase}
	columns, placeholders := "", ""
	for col, v := range u.Links {
		if !demoLinkColumns[col] {
			return fmt.Errorf("demo account: %q is no link column", col)
		}
		args = append(args, v)
		columns += ", " + col
		placeholders += fmt.Sprintf(", $%d", len(args))
	}
	_, err = db.ExecContext(ctx, `INSERT INTO users (category, login_id, alt_login_id, name, email, status, password_hash,
		secret_phrase, activated_at, password_changed_at`+columns+`)
		VALUES ($1, $2, NULLIF($3, ''), $4, $5, 'active', $6, $7, now(), now()`+placeholders+`)`, args...)
	return err
}

// DemoOfficer is an employee of the demo payroll master made an officer with one role.
type DemoOfficer struct {
	IC, Name, Email, Department, PTJ string
	Role, Password, TOTPSecret       string // TOTPSecret in base32, as an authenticator app takes it
}

// CreateDemoOfficer inserts an active officer account with its password and TOTP already set
// (the demo's documented logins).
func (s *Service) CreateDemoOfficer(ctx context.Context, db sqlx.ExecerContext, argon credentials.Argon2Params, o DemoOfficer) error {
	hash, err := credentials.HashPassword(o.Password, argon)
	if err != nil {
		return err
	}
	sealed, err := s.SealTOTPSecret(strings.ToUpper(o.TOTPSecret))
	if err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, `INSERT INTO users (category, login_id, name, email, status, password_hash, secret_phrase,
		roles, totp_secret, totp_enabled, department_code, ptj_code, activated_at, password_changed_at)
		VALUES ('officer', $1, $2, $3, 'active', $4, $5, $6, $7, true, $8, $9, now(), now())`,
		o.IC, o.Name, o.Email, hash, DemoSecretPhrase, stringArray([]string{o.Role}), sealed, o.Department, o.PTJ)
	if err != nil {
		return fmt.Errorf("insert demo officer: %w", err)
	}
	return nil
}

// CloneDemoStaff gives up to n active employees who have payslips and no account yet an
// active staff account with the password hash and secret phrase of the existing account
// template (a login ID), in one statement: one argon2id hash serves them all, where hashing
// each at production parameters would take minutes. For benchmark volume only (`speks demo
// --accounts`); it returns how many accounts it added.
func CloneDemoStaff(ctx context.Context, db sqlx.ExecerContext, template string, n int) (int64, error) {
	res, err := db.ExecContext(ctx, `INSERT INTO users (category, login_id, name, email, status, password_hash,
		secret_phrase, activated_at, password_changed_at, employee_ic, department_code, ptj_code)
		SELECT 'staff', e.ic_no, e.name, e.email, 'active', d.password_hash, d.secret_phrase, now(), now(),
			e.ic_no, e.department_code, e.ptj_code
		FROM employees e, (SELECT password_hash, secret_phrase FROM users WHERE login_id = $1) d
		WHERE e.status = 'active'
			AND EXISTS (SELECT 1 FROM payslips p WHERE p.ic_no = e.ic_no)
			AND NOT EXISTS (SELECT 1 FROM users u WHERE u.login_id = e.ic_no OR u.employee_ic = e.ic_no)
		ORDER BY e.salary_no
		LIMIT $2`, template, n)
	if err != nil {
		return 0, fmt.Errorf("clone demo staff: %w", err)
	}
	return res.RowsAffected()
}
