package account

import "github.com/speks-portal/speks/modules/foundation/web"

// Nav puts the person's own account (profile, password, sessions) last in every signed-in
// person's navigation.
func (r routesModule) Nav() []web.NavItem {
	return []web.NavItem{{Label: "nav_account_mine", Path: "/account", Order: 90}}
}
