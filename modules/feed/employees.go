package feed

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// The employees feed is the payroll master: one row per person, with the department and
// PTJ they belong to. Departments and PTJs are upserted from it; people missing from a
// feed are left as they are (a feed may carry only the changed records).

const (
	empIC = iota
	empSalaryNo
	empName
	empEmail
	empPhone
	empDeptCode
	empDeptName
	empPTJCode
	empPTJName
	empPosition
	empGrade
	empBankName
	empBankAccount
	empKWSP
	empTaxNo
	empStatus
	empKWAP
	empPERKESO
	empChildren
)

// Employee statuses the payroll sends; an empty status means active.
var employeeStatuses = []string{"active", "inactive"}

func init() {
	register(&kindSpec{
		kind: Employees,
		columns: []column{
			{"ic_no", true, 20}, {"salary_no", true, 30}, {"name", true, 200}, {"email", false, 254},
			{"phone", false, 30}, {"department_code", true, 30}, {"department_name", true, 200},
			{"ptj_code", true, 30}, {"ptj_name", true, 200}, {"position", false, 200}, {"grade", false, 30},
			{"bank_name", false, 100}, {"bank_account", false, 40}, {"kwsp_no", false, 30},
			{"tax_no", false, 30}, {"status", false, 20},
			{"kwap_no", false, 30}, {"perkeso_no", false, 30}, {"children", false, 2},
		},
		// Borang EC's part A, added later: files made before them stay valid.
		omit: []string{"kwap_no", "perkeso_no", "children"},
		stageDDL: `ic_no text, salary_no text, name text, email text, phone text, department_code text,
			department_name text, ptj_code text, ptj_name text, position text, grade text, bank_name text,
			bank_account text, kwsp_no text, tax_no text, status text, kwap_no text, perkeso_no text, children smallint`,
		stageColumns: []string{"ic_no", "salary_no", "name", "email", "phone", "department_code",
			"department_name", "ptj_code", "ptj_name", "position", "grade", "bank_name", "bank_account",
			"kwsp_no", "tax_no", "status", "kwap_no", "perkeso_no", "children"},
		convert: convertEmployee,
		check: func(ctx context.Context, tx *sqlx.Tx) ([]RowError, error) {
			return checks(ctx, tx,
				duplicateCheck("duplicate employees", "ic_no", "", "the same IC number"),
				consistencyCheck("department names", "department_code", "department_name", "department_name",
					"another name for the same department"),
				consistencyCheck("PTJ names", "ptj_code", "ptj_name", "ptj_name", "another name for the same PTJ"),
				consistencyCheck("PTJ departments", "ptj_code", "department_code", "department_code",
					"the same PTJ in another department"),
			)
		},
		apply: applyEmployees,
	})
}

func convertEmployee(r *row, out []any) bool {
	out[0] = r.ic(empIC)
	out[1] = r.text(empSalaryNo)
	out[2] = r.text(empName)
	out[3] = r.email(empEmail)
	out[4] = r.phone(empPhone)
	for i, col := range []int{empDeptCode, empDeptName, empPTJCode, empPTJName, empPosition, empGrade,
		empBankName, empBankAccount, empKWSP, empTaxNo} {
		out[5+i] = r.text(col)
	}
	out[15] = r.oneOf(empStatus, CodeInvalidValue, "active", employeeStatuses...)
	out[16] = r.text(empKWAP)
	out[17] = r.text(empPERKESO)
	out[18] = nil // not given
	if r.vals[empChildren] != "" {
		out[18] = r.intIn(empChildren, 0, 99, CodeInvalidValue)
	}
	return !r.bad
}

func applyEmployees(ctx context.Context, tx *sqlx.Tx, _ int64) (counts, []RowError, error) {
	// Departments and PTJs first (employees reference them); the first row naming each wins,
	// and the consistency checks made sure the others agree.
	if _, err := exec(ctx, tx, "upsert departments", `
		INSERT INTO departments (code, name)
		SELECT DISTINCT ON (department_code) department_code, department_name
		FROM pg_temp.feed_stage ORDER BY department_code, line
		ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, updated_at = now()
		WHERE departments.name IS DISTINCT FROM EXCLUDED.name`); err != nil {
		return counts{}, nil, err
	}
	if _, err := exec(ctx, tx, "upsert PTJs", `
		INSERT INTO ptjs (code, department_code, name)
		SELECT DISTINCT ON (ptj_code) ptj_code, department_code, ptj_name
		FROM pg_temp.feed_stage ORDER BY ptj_code, line
		ON CONFLICT (code) DO UPDATE SET department_code = EXCLUDED.department_code, name = EXCLUDED.name, updated_at = now()
		WHERE (ptjs.department_code, ptjs.name) IS DISTINCT FROM (EXCLUDED.department_code, EXCLUDED.name)`); err != nil {
		return counts{}, nil, err
	}
	var c counts
	err := tx.QueryRowxContext(ctx, `
		WITH up AS (
			INSERT INTO employees (ic_no, salary_no, name, email, phone, department_code, ptj_code, position,
				grade, bank_name, bank_account, kwsp_no, tax_no, status, kwap_no, perkeso_no, children)
			SELECT ic_no, salary_no, name, email, phone, department_code, ptj_code, position,
				grade, bank_name, bank_account, kwsp_no, tax_no, status, kwap_no, perkeso_no, children
			FROM pg_temp.feed_stage
			ON CONFLICT (ic_no) DO UPDATE SET salary_no = EXCLUDED.salary_no, name = EXCLUDED.name,
				email = EXCLUDED.email, phone = EXCLUDED.phone, department_code = EXCLUDED.department_code,
				ptj_code = EXCLUDED.ptj_code, position = EXCLUDED.position, grade = EXCLUDED.grade,
				bank_name = EXCLUDED.bank_name, bank_account = EXCLUDED.bank_account, kwsp_no = EXCLUDED.kwsp_no,
				tax_no = EXCLUDED.tax_no, status = EXCLUDED.status, kwap_no = EXCLUDED.kwap_no,
				perkeso_no = EXCLUDED.perkeso_no, children = EXCLUDED.children, updated_at = now()
			WHERE (employees.salary_no, employees.name, employees.email, employees.phone, employees.department_code,
				employees.ptj_code, employees.position, employees.grade, employees.bank_name, employees.bank_account,
				employees.kwsp_no, employees.tax_no, employees.status, employees.kwap_no, employees.perkeso_no,
				employees.children)
			IS DISTINCT FROM (EXCLUDED.salary_no, EXCLUDED.name, EXCLUDED.email, EXCLUDED.phone,
				EXCLUDED.department_code, EXCLUDED.ptj_code, EXCLUDED.position, EXCLUDED.grade, EXCLUDED.bank_name,
				EXCLUDED.bank_account, EXCLUDED.kwsp_no, EXCLUDED.tax_no, EXCLUDED.status, EXCLUDED.kwap_no,
				EXCLUDED.perkeso_no, EXCLUDED.children)
			RETURNING (xmax = 0) AS inserted)
		SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted),
			(SELECT count(*) FROM pg_temp.feed_stage) - count(*)
		FROM up`).Scan(&c.inserted, &c.updated, &c.unchanged)
	if err != nil {
		return counts{}, nil, wrap("upsert employees", err)
	}
	return c, nil, nil
}
