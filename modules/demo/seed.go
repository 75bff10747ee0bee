package demo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/speks-portal/speks/modules/feed"
	"github.com/speks-portal/speks/tenant"
)

// Counts reports a tenant's demo data after a run: totals, and how many rows this run added.
type Counts struct {
	Departments    int `db:"departments"`
	PTJs           int `db:"ptjs"`
	Staff          int `db:"staff"`
	Suppliers      int `db:"suppliers"`
	NewDepartments int `db:"-"`
	NewPTJs        int `db:"-"`
	NewStaff       int `db:"-"`
	NewSuppliers   int `db:"-"`
}

// seed writes the state's organisation, staff and suppliers into the tenant schema in one
// transaction: a failure leaves the tenant as it was.
func seed(ctx context.Context, db *tenant.DB, state *State, staff, suppliers int) (Counts, error) {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return Counts{}, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	// The master belongs to the feed module: the rows are streamed with COPY into its staging
	// tables, and it moves them, skipping what exists, so a re-run changes nothing.
	if err := feed.StageMaster(ctx, tx); err != nil {
		return Counts{}, err
	}
	if err := stage(ctx, tx, state, staff, suppliers); err != nil {
		return Counts{}, err
	}
	added, err := feed.MergeStagedMaster(ctx, tx)
	if err != nil {
		return Counts{}, err
	}
	counts := Counts{NewDepartments: added.Departments, NewPTJs: added.PTJs, NewStaff: added.Employees, NewSuppliers: added.Suppliers}
	if err := tx.GetContext(ctx, &counts, `SELECT
		(SELECT count(*) FROM departments) AS departments, (SELECT count(*) FROM ptjs) AS ptjs,
		(SELECT count(*) FROM employees) AS staff, (SELECT count(*) FROM suppliers) AS suppliers`); err != nil {
		return Counts{}, fmt.Errorf("count demo rows: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return Counts{}, fmt.Errorf("commit: %w", err)
	}
	return counts, nil
}

// stage streams every generated row into the staging tables.
func stage(ctx context.Context, tx *sqlx.Tx, state *State, staff, suppliers int) error {
	depts := organisationOf(state)
	var ptjs []PTJ
	for _, d := range depts {
		ptjs = append(ptjs, d.PTJs...)
	}
	if err := copyRows(ctx, tx, "staged_departments", []string{"code", "name"}, len(depts), func(i int) []any {
		return []any{depts[i].Code, depts[i].Name}
	}); err != nil {
		return err
	}
	if err := copyRows(ctx, tx, "staged_ptjs", []string{"code", "department_code", "name"}, len(ptjs), func(i int) []any {
		return []any{ptjs[i].Code, ptjs[i].DepartmentCode, ptjs[i].Name}
	}); err != nil {
		return err
	}
	people := newStaffGenerator(state, depts)
	if err := copyRows(ctx, tx, "staged_employees", feed.StagedEmployeeColumns, staff, func(i int) []any {
		e := people.employee(i)
		return []any{e.ICNo, e.SalaryNo, e.Name, e.Email, e.Phone, e.DepartmentCode, e.PTJCode,
			e.Position, e.Grade, e.BankName, e.BankAccount, e.KWSPNo, e.TaxNo, e.Status, e.KWAPNo, e.PERKESONo, e.Children}
	}); err != nil {
		return err
	}
	companies := newSupplierGenerator(state)
	return copyRows(ctx, tx, "staged_suppliers", feed.StagedSupplierColumns, suppliers, func(i int) []any {
		s := companies.supplier(i)
		return []any{nullable(s.RegNoNew), nullable(s.RegNoOld), s.Name, s.Email, s.Phone, s.BankName, s.BankAccount, s.Status}
	})
}

// copyRows streams n rows into table with COPY FROM STDIN: lib/pq buffers 64 KiB at a time,
// so memory does not grow with n. (pq.CopyIn only built this statement and is deprecated.)
func copyRows(ctx context.Context, tx *sqlx.Tx, table string, columns []string, n int, row func(i int) []any) error {
	quoted := make([]string, len(columns))
	for i, c := range columns {
		quoted[i] = pq.QuoteIdentifier(c)
	}
	stmt, err := tx.PrepareContext(ctx, "COPY "+pq.QuoteIdentifier(table)+" ("+strings.Join(quoted, ", ")+") FROM STDIN")
	if err != nil {
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	defer stmt.Close()
	for i := 0; i < n; i++ {
		if _, err := stmt.ExecContext(ctx, row(i)...); err != nil {
			return fmt.Errorf("copy row %d into %s: %w", i, table, err)
		}
	}
	// The call without values ends the COPY and reports any error of the rows sent.
	if _, err := stmt.ExecContext(ctx); err != nil {
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	return nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// unregisteredStaff picks an active staff member of the payroll master who has no portal
// account and whose email the tenant accepts at first login (its domains, when it has any):
// the person to try "Login Kali Pertama" or registration with. Nil when there is none.
func unregisteredStaff(ctx context.Context, db *tenant.DB, t *tenant.Tenant) (*Person, error) {
	var p Person
	err := db.GetContext(ctx, &p, `SELECT e.ic_no AS id, e.email FROM employees e
		WHERE e.status = 'active' AND e.email <> ''
		  AND (cardinality($1::text[]) = 0 OR lower(split_part(e.email, '@', 2)) = ANY ($1::text[]))
		  AND NOT EXISTS (SELECT 1 FROM users u WHERE u.employee_ic = e.ic_no OR u.login_id = e.ic_no)
		ORDER BY e.salary_no LIMIT 1`, pq.StringArray(t.EmailDomains))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pick unregistered staff of %s: %w", t.Code, err)
	}
	return &p, nil
}
