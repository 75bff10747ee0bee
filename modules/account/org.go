package account

import (
	"context"
	"fmt"

	"github.com/speks-portal/speks/tenant"
)

// Department is a department and its PTJs, for the registration and profile forms.
type Department struct {
	Code string
	Name string
	PTJs []PTJ
}

// PTJ is a responsibility centre.
type PTJ struct {
	Code string `db:"code"`
	Name string `db:"name"`
	Dept string `db:"department_code"`
}

// Departments lists the tenant's departments with their PTJs.
func (s *Config) Departments(ctx context.Context) ([]Department, error) {
	sc, err := tenant.Require(ctx)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		PTJ
		DeptName string `db:"department_name"`
	}
	if err := sc.DB.SelectContext(ctx, &rows, `SELECT p.code, p.name, p.department_code, d.name AS department_name
		FROM ptjs p JOIN departments d ON d.code = p.department_code ORDER BY d.name, d.code, p.name`); err != nil {
		return nil, fmt.Errorf("list departments: %w", err)
	}
	var out []Department
	for _, r := range rows {
		if len(out) == 0 || out[len(out)-1].Code != r.Dept {
			out = append(out, Department{Code: r.Dept, Name: r.DeptName})
		}
		last := &out[len(out)-1]
		last.PTJs = append(last.PTJs, r.PTJ)
	}
	return out, nil
}

// departmentOf is the department of a PTJ code among deps ("" when unknown).
func departmentOf(deps []Department, ptj string) string {
	for _, d := range deps {
		for _, p := range d.PTJs {
			if p.Code == ptj {
				return d.Code
			}
		}
	}
	return ""
}
