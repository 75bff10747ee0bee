package records

import "github.com/speks-portal/speks/modules/foundation/web"

// Nav puts the person's own records in the main navigation: everything for staff (and
// officers on the payroll, who act as staff), payments alone for suppliers.
func (m *Module) Nav() []web.NavItem {
	return []web.NavItem{
		{Label: "nav_records_home", Path: "/home", Roles: []string{"staff", "supplier"}, Order: 10},
		{Label: "nav_records_payslips", Path: "/payslips", Roles: []string{"staff"}, Order: 20},
		{Label: "nav_records_statements", Path: "/statements", Roles: []string{"staff"}, Order: 30},
		{Label: "nav_records_payments", Path: "/payments", Roles: []string{"staff", "supplier"}, Order: 40},
	}
}
