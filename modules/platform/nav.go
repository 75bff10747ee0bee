package platform

import "github.com/speks-portal/speks/modules/foundation/web"

// Nav opens JANM's console to platform administrators.
func (m *Module) Nav() []web.NavItem {
	return []web.NavItem{{Label: "nav_platform_console", Path: "/platform", Roles: []string{"platform_admin"}, Order: 50}}
}
