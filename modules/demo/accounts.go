package demo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/lib/pq"

	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/account/credentials"
	"github.com/speks-portal/speks/modules/account/identity"
	"github.com/speks-portal/speks/modules/platform"
	"github.com/speks-portal/speks/modules/requests"
	"github.com/speks-portal/speks/tenant"
)

// The demo's logins. The passwords and TOTP secrets are public (README, `speks demo` output):
// the demo refuses production mode. The demo picks the people; the accounts are written by
// the account module, the one writer of users.
const (
	StaffPassword    = "Demo-Kakitangan-2026"
	SupplierPassword = "Demo-Pembekal-2026"
)

// Officer is one documented demo login of an administrative role.
type Officer struct {
	Role       string
	Password   string
	TOTPSecret string // base32, as an authenticator app takes it
}

// Officers are the four officers every demo state gets. The head of department and the PTJ
// admin belong to the demo staff member's department and PTJ, so their scope holds someone to
// act on.
var Officers = []Officer{
	{Role: "it_officer", Password: "Demo-PegawaiIT-2026", TOTPSecret: "SPEKSDEMOITOFFICERTOTPSECRETAAAA"},
	{Role: "treasury", Password: "Demo-Perbendaharaan-2026", TOTPSecret: "SPEKSDEMOTREASURYTOTPSECRETAAAAA"},
	{Role: "head_of_department", Password: "Demo-KetuaJabatan-2026", TOTPSecret: "SPEKSDEMOHEADOFDEPTTOTPSECRETAAA"},
	{Role: "ptj_admin", Password: "Demo-PentadbirPTJ-2026", TOTPSecret: "SPEKSDEMOPTJADMINTOTPSECRETAAAAA"},
}

// StaffStep gives each demo state an active staff account and an active supplier account
// (the first of each master by salary number / id), with the demo passwords, and fills the
// staff and supplier keys of `speks demo --json`. It adds what is missing and changes no row
// that exists, so running the demo again is harmless.
func StaffStep(argon credentials.Argon2Params) TenantStep {
	return func(ctx context.Context, t *tenant.Tenant, db *tenant.DB, entry *TenantEntry) error {
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

func demoStaff(ctx context.Context, db *tenant.DB, argon credentials.Argon2Params) (*Account, error) {
	var candidates []demoEmployee
	if err := db.SelectContext(ctx, &candidates, `SELECT ic_no, name, email, department_code, ptj_code FROM employees
		WHERE status = 'active' AND email <> '' ORDER BY salary_no LIMIT 20`); err != nil {
		return nil, err
	}
	i := slices.IndexFunc(candidates, func(c demoEmployee) bool { return credentials.CheckPassword(StaffPassword, c.IC, c.Name) == nil })
	if i < 0 {
		return nil, nil
	}
	e := candidates[i]
	if err := account.EnsureDemoUser(ctx, db, argon, account.DemoUser{Category: identity.CategoryStaff, LoginID: e.IC,
		Name: e.Name, Email: e.Email, Password: StaffPassword,
		Links: map[string]any{"employee_ic": e.IC, "department_code": e.Dept, "ptj_code": e.PTJ}}); err != nil {
		return nil, err
	}
	return &Account{ID: e.IC, Password: StaffPassword}, nil
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

func demoSupplier(ctx context.Context, db *tenant.DB, argon credentials.Argon2Params) (*Account, error) {
	var candidates []demoCompany
	if err := db.SelectContext(ctx, &candidates, `SELECT id, reg_no_new, reg_no_old, name, email, bank_account FROM suppliers
		WHERE status = 'active' AND email <> '' AND bank_account <> '' ORDER BY id LIMIT 20`); err != nil {
		return nil, err
	}
	i := slices.IndexFunc(candidates, func(c demoCompany) bool {
		login, _ := c.loginIDs()
		return credentials.CheckPassword(SupplierPassword, login, c.Name) == nil
	})
	if i < 0 {
		return nil, nil
	}
	s := candidates[i]
	login, alt := s.loginIDs()
	if err := account.EnsureDemoUser(ctx, db, argon, account.DemoUser{Category: identity.CategorySupplier, LoginID: login,
		AltLoginID: alt, Name: s.Name, Email: s.Email, Password: SupplierPassword,
		Links: map[string]any{"supplier_id": s.ID}}); err != nil {
		return nil, err
	}
	return &Account{ID: login, Password: SupplierPassword, BankAccount: s.Account}, nil
}

// OfficersStep gives each demo state its four officers, taken from the payroll master
// (officers are state employees and log in with their IC number), and fills the it_officer,
// treasury, head_of_department and ptj_admin keys of `speks demo --json`. Run after
// StaffStep. An officer that exists is kept as it is, so running the demo again is harmless.
func OfficersStep(accounts *account.Service, argon credentials.Argon2Params) TenantStep {
	return func(ctx context.Context, t *tenant.Tenant, db *tenant.DB, entry *TenantEntry) error {
		ptj, err := demoPTJ(ctx, db, entry)
		if err != nil {
			return fmt.Errorf("demo officers of %s: %w", t.Code, err)
		}
		for _, o := range Officers {
			scoped := o.Role == "head_of_department" || o.Role == "ptj_admin"
			acct, err := ensureOfficer(ctx, db, accounts, argon, o, scoped, ptj)
			if err != nil {
				return fmt.Errorf("demo %s of %s: %w", o.Role, t.Code, err)
			}
			switch o.Role {
			case "it_officer":
				entry.ITOfficer = acct
			case "treasury":
				entry.Treasury = acct
			case "head_of_department":
				entry.HeadOfDepartment = acct
			case "ptj_admin":
				entry.PTJAdmin = acct
			}
		}
		return nil
	}
}

// demoPTJ is the PTJ of the demo staff member (or of the first employee); the scoped
// officers take their department from the employee row they are made from.
func demoPTJ(ctx context.Context, db *tenant.DB, entry *TenantEntry) (string, error) {
	var ptj string
	ic := ""
	if entry.Staff != nil {
		ic = entry.Staff.ID
	}
	err := db.GetContext(ctx, &ptj, `SELECT ptj_code FROM employees ORDER BY (ic_no = $1) DESC, salary_no LIMIT 1`, ic)
	if err != nil {
		return "", fmt.Errorf("demo PTJ: %w", err)
	}
	return ptj, nil
}

// ensureOfficer returns the officer holding the role (a demo officer created earlier), or
// makes one from the first employee without an account (in the demo PTJ when scoped) whose
// name and IC the demo password does not contain.
func ensureOfficer(ctx context.Context, db *tenant.DB, accounts *account.Service, argon credentials.Argon2Params,
	o Officer, scoped bool, ptj string) (*Account, error) {
	var login string
	err := db.GetContext(ctx, &login, `SELECT login_id FROM users WHERE category = 'officer' AND roles = $1
		ORDER BY id LIMIT 1`, pq.StringArray{o.Role})
	if err == nil {
		return &Account{ID: login, Password: o.Password, TOTPSecret: o.TOTPSecret}, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	onlyPTJ := "" // the IT officer and treasury serve the whole state
	if scoped {
		onlyPTJ = ptj
	}
	var cands []demoEmployee
	if err := db.SelectContext(ctx, &cands, `SELECT e.ic_no, e.name, e.email, e.department_code, e.ptj_code
		FROM employees e WHERE e.status = 'active' AND e.email <> '' AND ($1 = '' OR e.ptj_code = $1)
		AND NOT EXISTS (SELECT 1 FROM users u WHERE u.login_id = e.ic_no OR u.employee_ic = e.ic_no)
		ORDER BY e.salary_no DESC LIMIT 20`, onlyPTJ); err != nil {
		return nil, err
	}
	for _, c := range cands {
		if credentials.CheckPassword(o.Password, c.IC, c.Name) != nil {
			continue
		}
		if err := accounts.CreateDemoOfficer(ctx, db, argon, account.DemoOfficer{IC: c.IC, Name: c.Name, Email: c.Email,
			Department: c.Dept, PTJ: c.PTJ, Role: o.Role, Password: o.Password, TOTPSecret: o.TOTPSecret}); err != nil {
			return nil, err
		}
		return &Account{ID: c.IC, Password: o.Password, TOTPSecret: o.TOTPSecret}, nil
	}
	return nil, nil // a master too small for the role: the key stays absent
}

// RequestsStep leaves a few pending user-administration requests in each demo state, raised by
// its demo PTJ admin (requests.SeedDemo). Run after OfficersStep.
func RequestsStep() TenantStep {
	return func(ctx context.Context, t *tenant.Tenant, db *tenant.DB, entry *TenantEntry) error {
		if entry.PTJAdmin == nil {
			return nil // no PTJ admin in this master: nobody to raise requests
		}
		if err := requests.SeedDemo(ctx, db, entry.PTJAdmin.ID); err != nil {
			return fmt.Errorf("demo requests of %s: %w", t.Code, err)
		}
		return nil
	}
}

// The demo JANM platform administrator.
const (
	PlatformAdminEmail    = "pentadbir.platform@anm.gov.my"
	PlatformAdminName     = "Pentadbir Platform JANM (Demo)"
	PlatformAdminPassword = "Teratai-Biru-Konsol-2026"
)

// PlatformAdminStep creates the demo platform administrator once and fills platform_admin of
// `speks demo --json` with its login and TOTP secret.
func PlatformAdminStep(svc *platform.Service) PlatformStep {
	return func(ctx context.Context, out *Output) error {
		secret, err := svc.EnsureAdmin(ctx, platform.NewAdmin{Email: PlatformAdminEmail, Name: PlatformAdminName,
			Password: PlatformAdminPassword}, "demo")
		if err != nil {
			return fmt.Errorf("demo platform admin: %w", err)
		}
		out.PlatformAdmin = &Account{ID: PlatformAdminEmail, Password: PlatformAdminPassword, TOTPSecret: secret}
		return nil
	}
}

// StaffAccountsStep gives up to n more staff with payslips an account with the demo staff
// password (after StaffStep, whose account it copies): benchmark volume, `speks demo
// --accounts`. Like the other steps it only adds what is missing.
func StaffAccountsStep(n int) TenantStep {
	return func(ctx context.Context, t *tenant.Tenant, db *tenant.DB, entry *TenantEntry) error {
		if n <= 0 || entry.Staff == nil {
			return nil
		}
		var have int
		if err := db.GetContext(ctx, &have, `SELECT count(*) FROM users WHERE category = 'staff'`); err != nil {
			return fmt.Errorf("staff accounts of %s: %w", t.Code, err)
		}
		if have >= n {
			return nil
		}
		if _, err := account.CloneDemoStaff(ctx, db, entry.Staff.ID, n-have); err != nil {
			return fmt.Errorf("staff accounts of %s: %w", t.Code, err)
		}
		return nil
	}
}
