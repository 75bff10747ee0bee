package feed

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
)

// Bulk loading of a payroll and supplier master that only adds what is missing (the demo
// states: deterministic synthetic people, a re-run changes no row). This package is the one
// writer of departments, ptjs, employees and suppliers, so the loader streams its rows into
// staging tables this package creates and lets MergeStagedMaster move them.

// Columns of the staging tables a loader COPYs into.
var (
	StagedEmployeeColumns = []string{"ic_no", "salary_no", "name", "email", "phone", "department_code", "ptj_code",
		"position", "grade", "bank_name", "bank_account", "kwsp_no", "tax_no", "status", "kwap_no", "perkeso_no", "children"}
	StagedSupplierColumns = []string{"reg_no_new", "reg_no_old", "name", "email", "phone", "bank_name", "bank_account", "status"}
)

// Staging tables, in tx's session: staged_departments (code, name), staged_ptjs (code,
// department_code, name), staged_employees and staged_suppliers (the columns above). They take
// the real columns' types without their constraints and vanish at commit.
var stagingDDL = `
CREATE TEMP TABLE staged_departments ON COMMIT DROP AS SELECT code, name FROM departments WITH NO DATA;
CREATE TEMP TABLE staged_ptjs ON COMMIT DROP AS SELECT code, department_code, name FROM ptjs WITH NO DATA;
CREATE TEMP TABLE staged_employees ON COMMIT DROP AS SELECT ` + strings.Join(StagedEmployeeColumns, ", ") + ` FROM employees WITH NO DATA;
CREATE TEMP TABLE staged_suppliers ON COMMIT DROP AS SELECT ` + strings.Join(StagedSupplierColumns, ", ") + ` FROM suppliers WITH NO DATA;`

// merges move the staged rows; each result is the number of rows added to one table.
var merges = []string{
	`INSERT INTO departments (code, name) SELECT code, name FROM staged_departments ON CONFLICT (code) DO NOTHING`,
	`INSERT INTO ptjs (code, department_code, name) SELECT code, department_code, name FROM staged_ptjs ON CONFLICT (code) DO NOTHING`,
	`INSERT INTO employees (` + strings.Join(StagedEmployeeColumns, ", ") + `) SELECT ` + strings.Join(StagedEmployeeColumns, ", ") +
		` FROM staged_employees ON CONFLICT (ic_no) DO NOTHING`,
	// Either registration number identifies a supplier; NOT EXISTS also spares the id sequence.
	`INSERT INTO suppliers (` + strings.Join(StagedSupplierColumns, ", ") + `) SELECT ` + strings.Join(StagedSupplierColumns, ", ") +
		` FROM staged_suppliers d WHERE NOT EXISTS (SELECT 1 FROM suppliers s
		    WHERE s.reg_no_new = d.reg_no_new OR s.reg_no_old = d.reg_no_old)
		  ON CONFLICT DO NOTHING`,
}

// MasterAdded is how many rows MergeStagedMaster added to each table.
type MasterAdded struct{ Departments, PTJs, Employees, Suppliers int }

// StageMaster creates the staging tables in tx.
func StageMaster(ctx context.Context, tx *sqlx.Tx) error {
	if _, err := tx.ExecContext(ctx, stagingDDL); err != nil {
		return fmt.Errorf("create master staging tables: %w", err)
	}
	return nil
}

// MergeStagedMaster adds the staged rows that are missing from the master, in tx.
func MergeStagedMaster(ctx context.Context, tx *sqlx.Tx) (MasterAdded, error) {
	var a MasterAdded
	added := []*int{&a.Departments, &a.PTJs, &a.Employees, &a.Suppliers}
	for i, q := range merges {
		res, err := tx.ExecContext(ctx, q)
		if err != nil {
			return MasterAdded{}, fmt.Errorf("merge staged master: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return MasterAdded{}, fmt.Errorf("merge staged master: %w", err)
		}
		*added[i] = int(n)
	}
	return a, nil
}
