package web

import (
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// The header of every page knows who is logged in: their name, the navigation their roles
// open, the language switch and Log Keluar. Each feature module declares its own entries
// (Navigator); the authorisation middleware, which knows the person's roles, tells the shell
// who is viewing (SetViewer). The shell itself knows neither modules nor roles.

// NavItem is one entry of the main navigation.
type NavItem struct {
	Label string // message ID of the link text, in the module's locale files
	Path  string // where it leads; also what marks it current
	// Roles that see it; empty means every signed-in person of a state. The platform host's
	// administrators are no state's users: only entries naming their role reach them.
	Roles []string
	Order int // place in the bar, lowest first
}

// Navigator is a Module that adds entries to the main navigation.
type Navigator interface {
	Nav() []NavItem
}

// Viewer is the signed-in person a page is rendered for.
type Viewer struct {
	Name      string
	Roles     []string // every role they act with (as authorisation sees them)
	LogoutURL string   // the form the Log Keluar button posts to
	// Restricted sessions (a one-time code's, TOTP enrolment) may do one thing only: the
	// header names the person and offers Log Keluar, but no navigation.
	Restricted bool
	// IdleMinutes is the session's idle limit: every page warns shortly before it, then goes
	// to LoginURL. 0 shows no warning.
	IdleMinutes int
	LoginURL    string
}

type viewerLocal struct{}

// SetViewer records who is viewing the pages of this request.
func SetViewer(c *fiber.Ctx, v *Viewer) { c.Locals(viewerLocal{}, v) }

func viewerOf(c *fiber.Ctx) *Viewer {
	v, _ := c.Locals(viewerLocal{}).(*Viewer)
	return v
}

// NavLink is an entry of the navigation as a page shows it.
type NavLink struct {
	Label   string
	URL     string
	Current bool
}

// collectNav gathers the modules' entries in their order.
func collectNav(modules []Module) []NavItem {
	var items []NavItem
	for _, m := range modules {
		if n, ok := m.(Navigator); ok {
			items = append(items, n.Nav()...)
		}
	}
	slices.SortStableFunc(items, func(a, b NavItem) int { return a.Order - b.Order })
	return items
}

// navFor is the navigation v sees on a page at path: the entries one of their roles opens,
// the one path falls under marked current.
func (p *Page) navFor(items []NavItem, v *Viewer, path string) []NavLink {
	if v == nil || v.Restricted {
		return nil
	}
	var links []NavLink
	for _, it := range items {
		if len(it.Roles) == 0 && p.Tenant == nil {
			continue
		}
		if len(it.Roles) > 0 && !slices.ContainsFunc(it.Roles, func(r string) bool { return slices.Contains(v.Roles, r) }) {
			continue
		}
		links = append(links, NavLink{Label: p.T(it.Label), URL: it.Path})
	}
	// The longest path that path falls under is the current one (/payslips/2026/10 →
	// ePayslip, /admin/users → the console's users rather than /admin).
	best := -1
	for i, l := range links {
		if (path == l.URL || strings.HasPrefix(path, strings.TrimSuffix(l.URL, "/")+"/")) &&
			(best < 0 || len(l.URL) > len(links[best].URL)) {
			best = i
		}
	}
	if best >= 0 {
		links[best].Current = true
	}
	return links
}

// HomeURL is where the signed-in person of c starts: the first entry of the navigation their
// roles open (records for staff and suppliers, the console for an officer with no records of
// their own), or their own account when no role opens anything. One home per role, derived
// from what the modules declare rather than listed again.
func HomeURL(c *fiber.Ctx) string {
	v := viewerOf(c)
	if v == nil {
		return "/login"
	}
	for _, it := range shellOf(c).nav {
		if len(it.Roles) > 0 && slices.ContainsFunc(it.Roles, func(r string) bool { return slices.Contains(v.Roles, r) }) {
			return it.Path
		}
	}
	return "/account"
}
