package account

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/demo"
	"github.com/speks-portal/speks/tenant"
)

// Demo passwords, documented in README/`speks demo` output and used only by `speks demo`,
// which refuses to run in production mode.
const (
	DemoStaffPassword    = "Demo-Kakitangan-2026"
	DemoSupplierPassword = "Demo-Pembekal-2026"
	DemoSecretPhrase     = "portal demo negeri"
)

// DemoStep gives each demo state an active staff account and an active supplier account
// (the first of each master by salary number / id), with the demo passwords, and fills the
// staff and supplier keys of `speks demo --json`. It adds what is missing and changes no row
// that exists, so running the demo again is harmless.
func DemoStep(argon Argon2Params) demo.TenantStep {
	return func(ctx context.Context, t *tenant.Tenant, db *sqlx.DB, entry *demo.TenantEntry) error {
		staff, err := demoStaff(ctx, db, argon)
		if err != nil {
			return fmt.Errorf("demo staff account of %s: %w", t.Code, err)
		}
		entry.Staff = staff
		supplier, err := demoSupplier(ctx, db, argon)
		if err != nil {
			return fmt.Errorf("demo supplier account of %s: %w", t.Code, err)
		}
		entry.Supplier = supplier
		return nil
	}
}

type demoEmployee struct {
	IC    string `db:"ic_no"`
	Name  string `db:"name"`
	Email string `db:"email"`
	Dept  string `db:"department_code"`
	PTJ   string `db:"ptj_code"`
}

type demoCompany struct {
	ID      int64   `db:"id"`
	New     *string `db:"reg_no_new"`
	Old     *string `db:"reg_no_old"`
	Name    string  `db:"name"`
	Email   string  `db:"email"`
	Account string  `db:"bank_account"`
}

// Both pick among the first few of their master, in a fixed order, the first whose name the
// demo password does not contain (the policy would refuse it): stable from run to run.

func demoStaff(ctx context.Context, db *sqlx.DB, argon Argon2Params) (*demo.Account, error) {
	var candidates []demoEmployee
	if err := db.SelectContext(ctx, &candidates, `SELECT ic_no, name, email, department_code, ptj_code FROM employees
		WHERE status = 'active' AND email <> '' ORDER BY salary_no LIMIT 20`); err != nil {
		return nil, err
	}
	i := slices.IndexFunc(candidates, func(c demoEmployee) bool { return CheckPassword(DemoStaffPassword, c.IC, c.Name) == nil })
	if i < 0 {
		return nil, nil
	}
	e := candidates[i]
	if err := ensureDemoUser(ctx, db, argon, CategoryStaff, e.IC, "", e.Name, e.Email, DemoStaffPassword,
		`employee_ic, department_code, ptj_code`, []any{e.IC, e.Dept, e.PTJ}); err != nil {
		return nil, err
	}
	return &demo.Account{ID: e.IC, Password: DemoStaffPassword}, nil
}

func (c demoCompany) loginIDs() (string, string) {
	switch {
	case c.New != nil && c.Old != nil:
		return *c.New, *c.Old
	case c.New != nil:
		return *c.New, ""
	case c.Old != nil:
		return *c.Old, ""
	}
	return "", ""
}

func demoSupplier(ctx context.Context, db *sqlx.DB, argon Argon2Params) (*demo.Account, error) {
	var candidates []demoCompany
	if err := db.SelectContext(ctx, &candidates, `SELECT id, reg_no_new, reg_no_old, name, email, bank_account FROM suppliers
		WHERE status = 'active' AND email <> '' AND bank_account <> '' ORDER BY id LIMIT 20`); err != nil {
		return nil, err
	}
	i := slices.IndexFunc(candidates, func(c demoCompany) bool {
		login, _ := c.loginIDs()
		return CheckPassword(DemoSupplierPassword, login, c.Name) == nil
	})
	if i < 0 {
		return nil, nil
	}
	s := candidates[i]
	login, alt := s.loginIDs()
	if err := ensureDemoUser(ctx, db, argon, CategorySupplier, login, alt, s.Name, s.Email, DemoSupplierPassword,
		`supplier_id`, []any{s.ID}); err != nil {
		return nil, err
	}
	return &demo.Account{ID: login, Password: DemoSupplierPassword, BankAccount: s.Account}, nil
}

// ensureDemoUser inserts the account unless one exists under the login ID.
func ensureDemoUser(ctx context.Context, db *sqlx.DB, argon Argon2Params, category, login, alt, name, email, password,
	linkColumns string, links []any) error {
	var exists bool
	if err := db.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM users WHERE login_id = $1)`, login); err != nil {
		return err
	}
	if exists {
		return nil
	}
	if reasons := CheckPassword(password, login, name); reasons != nil {
		return fmt.Errorf("demo password refused by the policy: %v", reasons)
	}
	hash, err := HashPassword(password, argon)
	if err != nil {
		return err
	}
	args := append([]any{category, login, alt, name, email, hash, DemoSecretPhrase}, links...)
	placeholders := ""
	for i := range links {
		placeholders += fmt.Sprintf(", $%d", 8+i)
	}
	_, err = db.ExecContext(ctx, `INSERT INTO users (category, login_id, alt_login_id, name, email, status, password_hash,
		secret_phrase, activated_at, password_changed_at, `+linkColumns+`)
		VALUES ($1, $2, NULLIF($3, ''), $4, $5, 'active', $6, $7, now(), now()`+placeholders+`)`, args...)
	return err
}

// DemoOfficer is an employee of the demo payroll master made an officer with one role.
type DemoOfficer struct {
	IC, Name, Email, Department, PTJ string
	Role, Password, TOTPSecret       string // TOTPSecret in base32, as an authenticator app takes it
}

// CreateDemoOfficer inserts an active officer account with its password and TOTP already set
// (the demo's documented logins), for `speks demo` only.
func (s *Service) CreateDemoOfficer(ctx context.Context, db sqlx.ExecerContext, argon Argon2Params, o DemoOfficer) error {
	hash, err := HashPassword(o.Password, argon)
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
