package demo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

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

var (
	employeeColumns = []string{"ic_no", "salary_no", "name", "email", "phone", "department_code", "ptj_code",
		"position", "grade", "bank_name", "bank_account", "kwsp_no", "tax_no", "status"}
	supplierColumns = []string{"reg_no_new", "reg_no_old", "name", "email", "phone", "bank_name", "bank_account", "status"}
)

// Staging tables: the rows are streamed into them with COPY, then moved into the real tables
// with one INSERT … SELECT each that skips what exists. That keeps COPY's speed and still makes
// a re-run change nothing (COPY itself cannot skip conflicts). They take the real columns'
// types without their constraints and vanish at commit.
var stagingDDL = `
CREATE TEMP TABLE demo_departments ON COMMIT DROP AS SELECT code, name FROM departments WITH NO DATA;
CREATE TEMP TABLE demo_ptjs ON COMMIT DROP AS SELECT code, department_code, name FROM ptjs WITH NO DATA;
CREATE TEMP TABLE demo_employees ON COMMIT DROP AS SELECT ` + strings.Join(employeeColumns, ", ") + ` FROM employees WITH NO DATA;
CREATE TEMP TABLE demo_suppliers ON COMMIT DROP AS SELECT ` + strings.Join(supplierColumns, ", ") + ` FROM suppliers WITH NO DATA;`

// merges move the staged rows; each result is the number of rows added to one table.
var merges = []string{
	`INSERT INTO departments (code, name) SELECT code, name FROM demo_departments ON CONFLICT (code) DO NOTHING`,
	`INSERT INTO ptjs (code, department_code, name) SELECT code, department_code, name FROM demo_ptjs ON CONFLICT (code) DO NOTHING`,
	`INSERT INTO employees (` + strings.Join(employeeColumns, ", ") + `) SELECT ` + strings.Join(employeeColumns, ", ") +
		` FROM demo_employees ON CONFLICT (ic_no) DO NOTHING`,
	// Either registration number identifies a supplier; NOT EXISTS also spares the id sequence.
	`INSERT INTO suppliers (` + strings.Join(supplierColumns, ", ") + `) SELECT ` + strings.Join(supplierColumns, ", ") +
		` FROM demo_suppliers d WHERE NOT EXISTS (SELECT 1 FROM suppliers s
		    WHERE s.reg_no_new = d.reg_no_new OR s.reg_no_old = d.reg_no_old)
		  ON CONFLICT DO NOTHING`,
}

// seed writes the state's organisation, staff and suppliers into the tenant schema in one
// transaction: a failure leaves the tenant as it was.
func seed(ctx context.Context, db *sqlx.DB, state *State, staff, suppliers int) (Counts, error) {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return Counts{}, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if _, err := tx.ExecContext(ctx, stagingDDL); err != nil {
		return Counts{}, fmt.Errorf("create staging tables: %w", err)
	}
	if err := stage(ctx, tx, state, staff, suppliers); err != nil {
		return Counts{}, err
	}
	var counts Counts
	added := []*int{&counts.NewDepartments, &counts.NewPTJs, &counts.NewStaff, &counts.NewSuppliers}
	for i, q := range merges {
		res, err := tx.ExecContext(ctx, q)
		if err != nil {
			return Counts{}, fmt.Errorf("merge demo rows: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return Counts{}, fmt.Errorf("merge demo rows: %w", err)
		}
		*added[i] = int(n)
	}
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
	if err := copyRows(ctx, tx, "demo_departments", []string{"code", "name"}, len(depts), func(i int) []any {
		return []any{depts[i].Code, depts[i].Name}
	}); err != nil {
		return err
	}
	if err := copyRows(ctx, tx, "demo_ptjs", []string{"code", "department_code", "name"}, len(ptjs), func(i int) []any {
		return []any{ptjs[i].Code, ptjs[i].DepartmentCode, ptjs[i].Name}
	}); err != nil {
		return err
	}
	people := newStaffGenerator(state, depts)
	if err := copyRows(ctx, tx, "demo_employees", employeeColumns, staff, func(i int) []any {
		e := people.employee(i)
		return []any{e.ICNo, e.SalaryNo, e.Name, e.Email, e.Phone, e.DepartmentCode, e.PTJCode,
			e.Position, e.Grade, e.BankName, e.BankAccount, e.KWSPNo, e.TaxNo, e.Status}
	}); err != nil {
		return err
	}
	companies := newSupplierGenerator(state)
	return copyRows(ctx, tx, "demo_suppliers", supplierColumns, suppliers, func(i int) []any {
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
func unregisteredStaff(ctx context.Context, db *sqlx.DB, t *tenant.Tenant) (*Person, error) {
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
