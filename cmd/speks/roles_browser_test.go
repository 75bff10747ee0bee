package main

import (
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/speks-portal/speks/config"
	"github.com/speks-portal/speks/modules/demo"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/modules/foundation/web/webtest"
	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// demoServer serves the app as `speks serve` composes it over what `speks demo` creates (the
// four demo states with their staff, supplier and officers, and JANM's platform admin), and
// returns the demo's logins as `speks demo --json` prints them.
func demoServer(t *testing.T) (*webtest.Server, *demo.Output) {
	t.Helper()
	var rt *runtime
	srv := webtest.Start(t, webtest.Options{
		Tenants: []tenant.Spec{}, // the demo provisions its own states
		Setup: func(env *tenanttest.Env, cfg *config.Config) []web.Module {
			cfg.Database.URL = env.URL
			rt = &runtime{cfg: cfg, log: slog.New(slog.NewTextHandler(io.Discard, nil)), dbs: env.Databases,
				registry: env.Registry, resolver: env.Resolver, scoper: env.Scoper,
				provisioner: newProvisioner(env.Registry, env.Databases, env.PlatformHost)}
			env.Provisioner = rt.provisioner
			return rt.webModules()
		},
	})
	out, err := demo.Run(t.Context(), demo.Deps{Databases: srv.Env.Databases, Registry: srv.Env.Registry, Provisioner: rt.provisioner},
		demo.Options{Port: srv.Port, DevHostSuffix: srv.Config.Platform.DevHostSuffix, PlatformHost: srv.Env.PlatformHost,
			Staff: demo.DefaultStaff, Suppliers: demo.DefaultSuppliers,
			TenantSteps: rt.demoTenantSteps(), PlatformSteps: rt.demoPlatformSteps()})
	if err != nil {
		t.Fatalf("speks demo: %v", err)
	}
	srv.Env.Resolver.Invalidate()
	return srv, out
}

// roleTour is what one role sees in the portal: where login leads, the navigation (exactly
// these links, in this order), and the further pages reached from them.
type roleTour struct {
	role     string
	account  func(*demo.Output) *demo.Account
	platform bool     // JANM's console on the platform host rather than a state's portal
	home     string   // the one page login leads to
	nav      []string // the main navigation's links
	// details are list pages whose first row leads to a detail page; that page must link
	// back to its list.
	details []string
	extra   []string // pages reached from the content rather than the navigation
	// shots names the role's main pages for `make screenshots` (docs/screenshots/<role>-<name>-<lang>.png);
	// a detail page is keyed by its list followed by "/*".
	shots map[string]string
}

// demoState is the state the role tours run in: payroll-match registration, as most states.
const demoState = "kelantan"

var staffNav = []string{"/home", "/payslips", "/statements", "/payments"}

var roleTours = []roleTour{
	{role: "staff", account: func(o *demo.Output) *demo.Account { return o.Tenants[demoState].Staff },
		home: "/home", nav: append(slices.Clone(staffNav), "/account"),
		details: []string{"/payslips", "/statements"}, extra: []string{"/account/profile", "/account/password"},
		shots: map[string]string{"/home": "home", "/payslips/*": "payslip", "/statements/*": "ec", "/account": "account"}},
	{role: "supplier", account: func(o *demo.Output) *demo.Account { return o.Tenants[demoState].Supplier },
		home: "/home", nav: []string{"/home", "/payments", "/account"}, extra: []string{"/account/profile", "/account/password"},
		shots: map[string]string{"/home": "home", "/payments": "payments"}},
	// The demo officers are state employees on the payroll: their own records come first.
	{role: "it-officer", account: func(o *demo.Output) *demo.Account { return o.Tenants[demoState].ITOfficer },
		home: "/home", nav: append(slices.Clone(staffNav), "/admin", "/admin/users", "/admin/calendar", "/admin/audit", "/account"),
		extra: []string{"/admin/settings", "/admin/apikeys"},
		shots: map[string]string{"/admin": "console", "/admin/users": "users"}},
	{role: "treasury", account: func(o *demo.Output) *demo.Account { return o.Tenants[demoState].Treasury },
		home: "/home", nav: append(slices.Clone(staffNav), "/admin/requests", "/admin/audit", "/account"),
		shots: map[string]string{"/admin/requests": "requests"}},
	{role: "head-of-department", account: func(o *demo.Output) *demo.Account { return o.Tenants[demoState].HeadOfDepartment },
		home: "/home", nav: append(slices.Clone(staffNav), "/admin/requests", "/account"),
		shots: map[string]string{"/admin/requests": "requests"}},
	{role: "ptj-admin", account: func(o *demo.Output) *demo.Account { return o.Tenants[demoState].PTJAdmin },
		home: "/home", nav: append(slices.Clone(staffNav), "/admin/requests", "/admin/ptj/staff", "/account"),
		shots: map[string]string{"/admin/requests": "requests", "/admin/ptj/staff": "ptj-staff"}},
	{role: "platform-admin", account: func(o *demo.Output) *demo.Account { return o.PlatformAdmin },
		platform: true, home: "/platform", nav: []string{"/platform"}, shots: map[string]string{"/platform": "console"}},
}

// Every role, in Chromium, logs in through the real login page of the demo and walks every
// page its navigation opens (and the detail pages behind the lists), in Bahasa Melayu and
// English, at desktop width and on a 390×844 phone: each page names the person in the header,
// offers exactly that role's navigation with the current page marked, Log Keluar and the
// idle-timeout warning, fits the window's width, names its tables and gives them header
// cells, links back from a detail page to its list, and has no serious or critical axe-core
// violation. Log Keluar at the end leaves a signed-out header.
// With SPEKS_SCREENSHOTS set (make screenshots), each role's main pages are photographed in
// both languages at desktop width and in Bahasa Melayu on the phone.
func TestEveryRoleWalksItsPortal(t *testing.T) {
	srv, out := demoServer(t)
	for _, tour := range roleTours {
		t.Run(tour.role, func(t *testing.T) {
			acct := tour.account(out)
			if acct == nil {
				t.Fatalf("the demo made no %s login in %s", tour.role, demoState)
			}
			url := func(path string) string {
				if tour.platform {
					return srv.PlatformURL(path)
				}
				return srv.TenantURL(demoState, path)
			}
			tab := webtest.NewBrowser(t).NewTab(t)
			name := logInAs(t, srv, tab, tour, acct, url)
			if got := webtest.Eval[string](tab, "location.pathname"); got != tour.home {
				t.Fatalf("login leads to %s, want the role's home %s", got, tour.home)
			}
			pages := tourPages(t, tab, tour, url)
			for _, width := range []string{"desktop", "phone"} {
				if width == "phone" {
					tab.Phone()
				}
				for _, lang := range []string{"ms", "en"} {
					tab.Open(url(tour.home + "?lang=" + lang)) // the switch's choice is remembered
					for _, p := range pages {
						tab.Open(url(p.path))
						checkShell(t, tab, tour, name, lang, width == "phone", p)
						if shot := tour.shotName(p, lang, width); shot != "" {
							tab.ScreenshotIfAsked(shot)
						}
					}
				}
			}
			tab.Open(url(tour.home + "?lang=ms"))
			tab.Click("#logout-header")
			if tab.Count("#viewer") != 0 || tab.Count("#login-link") != 1 {
				t.Errorf("after Log Keluar the header still shows the person: %q", tab.Text("header"))
			}
			tab.Open(url(tour.home))
			if got := webtest.Eval[string](tab, "location.pathname"); got == tour.home {
				t.Errorf("after Log Keluar %s still opens", tour.home)
			}
		})
	}
}

// logInAs logs in through the role's login page (ID, then password and, for officers, the
// TOTP code) and returns the person's name as the portal knows it.
func logInAs(t *testing.T, srv *webtest.Server, tab *webtest.Tab, tour roleTour, acct *demo.Account, url func(string) string) string {
	t.Helper()
	var code string
	if acct.TOTPSecret != "" {
		var err error
		if code, err = totp.GenerateCode(acct.TOTPSecret, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if tour.platform {
		tab.Open(url("/platform/login?lang=ms"))
		tab.Fill(map[string]string{"#email": acct.ID, "#password": acct.Password, "#totp": code})
		tab.Click("#login")
		return demo.PlatformAdminName
	}
	tab.Open(url("/login?lang=ms"))
	tab.Fill(map[string]string{"#id": acct.ID})
	tab.Click("#next")
	fields := map[string]string{"#password": acct.Password}
	if code != "" {
		fields["#totp"] = code
	}
	tab.Fill(fields)
	tab.Click("#login")
	tn, err := srv.Env.Registry.Get(t.Context(), demoState)
	if err != nil {
		t.Fatal(err)
	}
	var name string
	if err := srv.Env.DB(t, tn).Get(&name, `SELECT name FROM users WHERE login_id = $1`, acct.ID); err != nil {
		t.Fatalf("the demo login %s: %v", acct.ID, err)
	}
	return name
}

// shotName is the screenshot of page p in lang at width for README's tour ("" for none):
// both languages at desktop width, Bahasa Melayu on the phone.
func (tour roleTour) shotName(p tourPage, lang, width string) string {
	key := p.path
	if p.back != "" {
		key = p.back + "/*"
	}
	name, ok := tour.shots[key]
	if !ok || (width == "phone" && lang != "ms") {
		return ""
	}
	if width == "phone" {
		return tour.role + "-" + name + "-phone"
	}
	return tour.role + "-" + name + "-" + lang
}

// tourPage is one page of a tour; back is the list a detail page must link back to.
type tourPage struct{ path, back string }

// tourPages lists the role's pages: its navigation, the first detail page behind each of its
// lists, and the extra pages.
func tourPages(t *testing.T, tab *webtest.Tab, tour roleTour, url func(string) string) []tourPage {
	t.Helper()
	var pages []tourPage
	for _, p := range tour.nav {
		pages = append(pages, tourPage{path: p})
	}
	for _, list := range tour.details {
		tab.Open(url(list))
		href := webtest.Eval[string](tab, fmt.Sprintf(`[...document.querySelectorAll("main a")].map(a => a.pathname).find(p => p.startsWith(%q)) || ""`, list+"/"))
		if href == "" {
			t.Fatalf("%s lists nothing to open: %q", list, tab.Text("main"))
		}
		pages = append(pages, tourPage{path: href, back: list})
	}
	for _, p := range tour.extra {
		pages = append(pages, tourPage{path: p})
	}
	return pages
}

// checkShell checks the shell of the page the tab shows.
func checkShell(t *testing.T, tab *webtest.Tab, tour roleTour, name, lang string, phone bool, p tourPage) {
	t.Helper()
	at := fmt.Sprintf("%s (%s, %d px)", p.path, lang, webtest.Eval[int](tab, "window.innerWidth"))
	if got := webtest.Eval[string](tab, "document.documentElement.lang"); got != lang {
		t.Errorf("%s: the page is in %q", at, got)
	}
	if got := tab.Text("#viewer-name"); got != name {
		t.Errorf("%s: the header names %q, want %q", at, got, name)
	}
	nav := webtest.Eval[[]string](tab, `[...document.querySelectorAll("#main-nav a")].map(a => a.getAttribute("href"))`)
	if !slices.Equal(nav, tour.nav) {
		t.Errorf("%s: the navigation links to %v, want %v", at, nav, tour.nav)
	}
	if cur := tab.Count(`#main-nav a[aria-current="page"]`); cur != 1 {
		t.Errorf("%s: %d navigation links marked current, want 1", at, cur)
	}
	logout := map[string]string{"ms": "Log Keluar", "en": "Log out"}[lang]
	if got := tab.Text("#logout-header"); got != logout || tab.Count("#login-link") != 0 {
		t.Errorf("%s: the header offers %q (login link %d), want %q", at, got, tab.Count("#login-link"), logout)
	}
	// Every signed-in page warns before the session's idle limit: the state's own, or the
	// platform's 15 minutes, and then goes to the right login page.
	wantIdle, wantLogin := "", "/login"
	if tour.platform {
		wantIdle, wantLogin = "15", "/platform/login"
	}
	if tab.Count("#idle-warning") != 1 || (wantIdle != "" && tab.Attr("#idle-warning", "data-idle-minutes") != wantIdle) ||
		tab.Attr("#idle-warning", "data-login-url") != wantLogin {
		t.Errorf("%s: idle-timeout warning %d, minutes %q, login %q", at, tab.Count("#idle-warning"),
			tab.Attr("#idle-warning", "data-idle-minutes"), tab.Attr("#idle-warning", "data-login-url"))
	}
	// A phone widens its layout viewport to fit content that overflows, so there the window
	// is the narrower of the viewport and the screen.
	window := "window.innerWidth"
	if phone {
		window = "Math.min(window.innerWidth, screen.width)"
	}
	if page := webtest.Eval[[]int](tab, "[document.documentElement.scrollWidth, "+window+"]"); page[0] > page[1] {
		t.Errorf("%s: the page scrolls sideways: %d px wide in a %d px window", at, page[0], page[1])
	}
	// Every table is named (a caption or a heading it points to) and has header cells.
	if n := tab.Count(`main table:not(:has(> caption)):not([aria-label]):not([aria-labelledby]), main table:not(:has(th))`); n > 0 {
		t.Errorf("%s: %d tables without a name or header cells", at, n)
	}
	if p.back != "" && tab.Count(fmt.Sprintf(`main a[href^=%q]`, p.back)) == 0 {
		t.Errorf("%s: no way back to %s", at, p.back)
	}
	tab.ExpectAccessible()
}
