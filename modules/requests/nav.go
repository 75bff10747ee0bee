package requests

import "github.com/speks-portal/speks/modules/foundation/web"

// Nav opens the user-administration requests to those who raise or decide them, and the PTJ
// staff list to the PTJ payroll admin, and the requests that were approved but not carried
// out to the IT officer, who carries them out again.
func (m *Module) Nav() []web.NavItem {
	return []web.NavItem{
		{Label: "nav_requests", Path: "/admin/requests", Roles: []string{"ptj_admin", "head_of_department", "treasury"}, Order: 55},
		{Label: "nav_requests_staff", Path: "/admin/ptj/staff", Roles: []string{"ptj_admin"}, Order: 56},
		{Label: "nav_requests_stuck", Path: "/admin/requests/stuck", Roles: []string{"it_officer"}, Order: 57},
	}
}
