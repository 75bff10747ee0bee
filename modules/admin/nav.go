package admin

import "github.com/speks-portal/speks/modules/foundation/web"

// Nav opens the IT officer's console; the treasury reads the audit trail.
func (m *Module) Nav() []web.NavItem {
	return []web.NavItem{
		{Label: "nav_admin_console", Path: "/admin", Roles: []string{"it_officer"}, Order: 50},
		{Label: "nav_admin_users", Path: "/admin/users", Roles: []string{"it_officer"}, Order: 51},
		{Label: "nav_admin_calendar", Path: "/admin/calendar", Roles: []string{"it_officer"}, Order: 55},
		{Label: "nav_admin_audit", Path: "/admin/audit", Roles: []string{"it_officer", "treasury"}, Order: 58},
	}
}
