package admin

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/demo"
	"github.com/speks-portal/speks/tenant"
)

// DemoOfficer is one documented demo login of an administrative role. The passwords and TOTP
// secrets are public (README, `speks demo` output): `speks demo` refuses production mode.
type DemoOfficer struct {
	Role       string
	Password   string
	TOTPSecret string // base32, as an authenticator app takes it
}

// DemoOfficers are the four officers every demo state gets. The head of department and the
// PTJ admin belong to the demo staff member's department and PTJ, so their scope holds
// someone to act on.
var DemoOfficers = []DemoOfficer{
	{Role: "it_officer", Password: "Demo-PegawaiIT-2026", TOTPSecret: "SPEKSDEMOITOFFICERTOTPSECRETAAAA"},
	{Role: "treasury", Password: "Demo-Perbendaharaan-2026", TOTPSecret: "SPEKSDEMOTREASURYTOTPSECRETAAAAA"},
	{Role: "head_of_department", Password: "Demo-KetuaJabatan-2026", TOTPSecret: "SPEKSDEMOHEADOFDEPTTOTPSECRETAAA"},
	{Role: "ptj_admin", Password: "Demo-PentadbirPTJ-2026", TOTPSecret: "SPEKSDEMOPTJADMINTOTPSECRETAAAAA"},
}

// DemoStep gives each demo state its four officers, taken from the payroll master (officers
// are state employees and log in with their IC number), and fills the it_officer, treasury,
// head_of_department and ptj_admin keys of `speks demo --json`. Run after account.DemoStep.
// An officer that exists is kept as it is, so running the demo again is harmless.
func DemoStep(accounts *account.Service, argon account.Argon2Params) demo.TenantStep {
	return func(ctx context.Context, t *tenant.Tenant, db *sqlx.DB, entry *demo.TenantEntry) error {
		ptj, err := demoPTJ(ctx, db, entry)
		if err != nil {
			return fmt.Errorf("demo officers of %s: %w", t.Code, err)
		}
		for _, o := range DemoOfficers {
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
func demoPTJ(ctx context.Context, db *sqlx.DB, entry *demo.TenantEntry) (string, error) {
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

type candidate struct {
	IC    string `db:"ic_no"`
	Name  string `db:"name"`
	Email string `db:"email"`
	Dept  string `db:"department_code"`
	PTJ   string `db:"ptj_code"`
}

// ensureOfficer returns the officer holding the role (a demo officer created earlier), or
// makes one from the first employee without an account (in the demo PTJ when scoped) whose
// name and IC the demo password does not contain.
func ensureOfficer(ctx context.Context, db *sqlx.DB, accounts *account.Service, argon account.Argon2Params,
	o DemoOfficer, scoped bool, ptj string) (*demo.Account, error) {
	var login string
	err := db.GetContext(ctx, &login, `SELECT login_id FROM users WHERE category = 'officer' AND roles = $1
		ORDER BY id LIMIT 1`, pq.StringArray{o.Role})
	if err == nil {
		return &demo.Account{ID: login, Password: o.Password, TOTPSecret: o.TOTPSecret}, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	onlyPTJ := "" // the IT officer and treasury serve the whole state
	if scoped {
		onlyPTJ = ptj
	}
	var cands []candidate
	if err := db.SelectContext(ctx, &cands, `SELECT e.ic_no, e.name, e.email, e.department_code, e.ptj_code
		FROM employees e WHERE e.status = 'active' AND e.email <> '' AND ($1 = '' OR e.ptj_code = $1)
		AND NOT EXISTS (SELECT 1 FROM users u WHERE u.login_id = e.ic_no OR u.employee_ic = e.ic_no)
		ORDER BY e.salary_no DESC LIMIT 20`, onlyPTJ); err != nil {
		return nil, err
	}
	for _, c := range cands {
		if account.CheckPassword(o.Password, c.IC, c.Name) != nil {
			continue
		}
		if err := insertOfficer(ctx, db, accounts, argon, o, c); err != nil {
			return nil, err
		}
		return &demo.Account{ID: c.IC, Password: o.Password, TOTPSecret: o.TOTPSecret}, nil
	}
	return nil, nil // a master too small for the role: the key stays absent
}

func insertOfficer(ctx context.Context, db *sqlx.DB, accounts *account.Service, argon account.Argon2Params,
	o DemoOfficer, c candidate) error {
	return accounts.CreateDemoOfficer(ctx, db, argon, account.DemoOfficer{IC: c.IC, Name: c.Name, Email: c.Email,
		Department: c.Dept, PTJ: c.PTJ, Role: o.Role, Password: o.Password, TOTPSecret: o.TOTPSecret})
}
