package main

import (
	"context"
	"crypto/sha256"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/casbin/casbin/v2"
	"github.com/gofiber/fiber/v2"
	"github.com/lib/pq"

	"github.com/speks-portal/speks/config"
	"github.com/speks-portal/speks/modules/feed"
	"github.com/speks-portal/speks/modules/foundation/authz"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/modules/foundation/web/apitest"
	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// authzFixture is the app as `speks serve` builds it, over a test database with two tenants
// provisioned through the same hooks as `speks tenant create`.
type authzFixture struct {
	env      *tenanttest.Env
	rt       *runtime // the composition root the app was built from
	app      *fiber.App
	enforcer *casbin.SyncedEnforcer // a second "replica" over the same policies
}

func newAuthzFixture(t *testing.T) *authzFixture {
	t.Helper()
	env := tenanttest.New(t, 4)
	cfg, err := config.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Database.URL = env.URL
	env.Provisioner.AfterMigrate = append(env.Provisioner.AfterMigrate, authz.SeedTenant)
	env.Tenant(t, "selangor", tenant.PayrollMatch)
	env.Tenant(t, "kedah", tenant.PayrollMatch)
	rt := &runtime{cfg: cfg, log: slog.New(slog.NewTextHandler(io.Discard, nil)), dbs: env.Databases, registry: env.Registry,
		resolver: env.Resolver, scoper: env.Scoper, provisioner: env.Provisioner}
	app, err := web.New(web.Options{Config: cfg, Scoper: rt.scoper, Tenants: rt.registry, Logger: rt.log, Modules: rt.webModules()})
	if err != nil {
		t.Fatal(err)
	}
	w, err := authz.NewWatcher(env.URL, env.Databases.Public(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	e, err := authz.NewEnforcer(env.Databases.Public(), w, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &authzFixture{env: env, rt: rt, app: app, enforcer: e}
}

// Who may reach a route, by class. The classes are the specification the matrix checks the
// stored policies against, written independently of authz's default rules.
const (
	public       = "public"    // every visitor
	signedIn     = "signed_in" // every logged-in person, whatever their role
	staffOnly    = "staff"     // staff only (payslips, EC statements)
	payee        = "payee"     // staff and suppliers (payments, export)
	feedKey      = "feed"      // the payroll system's API key
	platformOnly = "platform"  // JANM's console: nobody on a tenant host (see platformPublic, platformAdmin)
)

// Classes of the IT officer's console (modules/admin).
const (
	itOfficer = "it_officer" // the console itself
	auditRead = "audit_read" // the audit trail and settings (read): IT officer and treasury
)

// Classes of the user-administration requests and the PTJ admin (modules/requests).
const (
	requestRaise  = "request_raise"  // PTJ admins and heads of department raise requests
	requestRead   = "request_read"   // they and the treasury list them
	requestDecide = "request_decide" // heads of department, then the treasury, decide
	ptjAdmin      = "ptj_admin"      // the PTJ payroll admin's own functions
)

// routeClass is every route the server registers today ("METHOD pattern"). A new route
// fails TestEveryRouteHasAPolicy's matrix until it is classified here and given a policy.
var routeClass = map[string]string{
	"GET /": public, "GET /theme.css": public, "GET /api/v1/tenant": public,
	"GET /healthz": public, "GET /readyz": public, "GET /metrics": public,
	"GET /dev/mail": public, "GET /dev/mail.css": public,
	"GET /account/forms.css": public,
	"GET /login":             public, "POST /login": public, "POST /logout": public,
	"GET /first-login": public, "POST /first-login": public, "GET /activate": public, "POST /activate": public,
	"GET /register": public, "POST /register": public, "GET /verify-email": public,
	"GET /forgot-password": public, "POST /forgot-password": public, "GET /account/email/confirm": public,
	"POST /api/v1/auth/identify": public, "POST /api/v1/auth/login": public, "POST /api/v1/auth/logout": public,
	"POST /api/v1/auth/forgot-password": public, "POST /api/v1/auth/first-login": public,
	"POST /api/v1/auth/register": public, "GET /api/v1/auth/verify-email": public,
	"POST /api/v1/auth/activate": public, "GET /api/v1/auth/security-questions": public,
	"GET /api/v1/session": public, "GET /api/v1/account/email/confirm": public,
	"GET /verify/:token": public, "GET /records/:file": public,

	"GET /home": signedIn, "GET /account": signedIn,
	"GET /account/password": signedIn, "POST /account/password": signedIn,
	"GET /account/profile": signedIn, "POST /account/profile": signedIn,
	"POST /account/cancellation": signedIn, "POST /account/sessions/end-all": signedIn,
	"GET /account/totp": signedIn, "POST /account/totp": signedIn,
	"POST /api/v1/account/sessions/end-all": signedIn, "POST /api/v1/account/password": signedIn,
	"GET /api/v1/account/profile": signedIn, "PATCH /api/v1/account/profile": signedIn,
	"POST /api/v1/account/cancellation": signedIn,
	"POST /api/v1/account/totp/enrol":   signedIn, "POST /api/v1/account/totp/confirm": signedIn,

	"GET /payslips": staffOnly, "GET /payslips/:year/:month": staffOnly,
	"GET /statements": staffOnly, "GET /statements/:year": staffOnly,
	"GET /api/v1/payslips": staffOnly, "GET /api/v1/payslips/:year/:month.pdf": staffOnly,
	"GET /api/v1/payslips/:year/:month": staffOnly, "GET /api/v1/statements": staffOnly,
	"GET /api/v1/statements/:year.pdf": staffOnly, "GET /api/v1/statements/:year": staffOnly,

	"GET /payments": payee, "GET /payments/:ref": payee, "POST /payments/:ref": payee, "GET /api/v1/payments": payee,
	"GET /api/v1/payments/:ref.pdf": payee, "POST /api/v1/payments/:ref/verify": payee,
	"GET /api/v1/account/export": payee,

	"POST /api/v1/feeds/:kind": feedKey,

	"GET /platform/login": platformOnly, "POST /platform/login": platformOnly, "POST /platform/logout": platformOnly,
	"POST /api/v1/platform/auth/login": platformOnly, "POST /api/v1/platform/auth/logout": platformOnly,
	"GET /api/v1/platform/session": platformOnly,
	"GET /platform":                platformOnly, "POST /platform/tenants": platformOnly, "POST /platform/tenants/:code/status": platformOnly,
	"POST /platform/tenants/:code/offboard": platformOnly,
	"GET /api/v1/platform/tenants":          platformOnly, "POST /api/v1/platform/tenants": platformOnly,
	"GET /api/v1/platform/tenants/:code": platformOnly, "PATCH /api/v1/platform/tenants/:code": platformOnly,
	"DELETE /api/v1/platform/tenants/:code": platformOnly, "POST /api/v1/platform/tenants/:code/export": platformOnly,

	"GET /api/v1/admin/requests": requestRead, "POST /api/v1/admin/requests": requestRaise,
	"POST /api/v1/admin/requests/:id/approve": requestDecide, "POST /api/v1/admin/requests/:id/reject": requestDecide,
	"GET /api/v1/admin/ptj/staff": ptjAdmin, "POST /api/v1/admin/ptj/staff/:user_id/email": ptjAdmin,
	"GET /admin/requests": requestRead, "POST /admin/requests": requestRaise,
	"POST /admin/requests/:id/approve": requestDecide, "POST /admin/requests/:id/reject": requestDecide,
	"GET /admin/ptj/staff": ptjAdmin, "POST /admin/ptj/staff/:user_id/email": ptjAdmin,
	// Approved requests not carried out: the IT officer lists and retries them, nobody else.
	"GET /api/v1/admin/requests/stuck": itOfficer, "POST /api/v1/admin/requests/:id/retry": itOfficer,
	"GET /admin/requests/stuck": itOfficer, "POST /admin/requests/:id/retry": itOfficer,

	"GET /api/v1/admin/users": itOfficer, "GET /api/v1/admin/activations": itOfficer, "GET /api/v1/admin/users/:user_id": itOfficer,
	"POST /api/v1/admin/users/:user_id/activate": itOfficer, "POST /api/v1/admin/users/:user_id/deactivate": itOfficer,
	"POST /api/v1/admin/users/:user_id/unlock": itOfficer, "POST /api/v1/admin/users/:user_id/reset": itOfficer,
	"GET /api/v1/admin/cancellations": itOfficer, "POST /api/v1/admin/cancellations/:id/complete": itOfficer,
	"GET /api/v1/admin/failed-mail": itOfficer, "GET /api/v1/admin/feed-batches": itOfficer,
	"POST /api/v1/admin/apikeys": itOfficer, "GET /api/v1/admin/audit": auditRead,
	"GET /api/v1/admin/apikeys": itOfficer, "DELETE /api/v1/admin/apikeys/:prefix": itOfficer,
	"GET /admin/apikeys": itOfficer, "POST /admin/apikeys": itOfficer, "POST /admin/apikeys/:prefix/revoke": itOfficer,
	"GET /admin/calendar": itOfficer, "POST /admin/calendar/weekend": itOfficer, "POST /admin/calendar/holidays": itOfficer,
	"POST /admin/calendar/holidays/:date/remove": itOfficer, "POST /admin/calendar/import": itOfficer,
	"GET /api/v1/admin/calendar": itOfficer, "PUT /api/v1/admin/calendar/:year": itOfficer,
	"GET /api/v1/admin/settings": auditRead, "PUT /api/v1/admin/settings": itOfficer,
	"POST /api/v1/admin/settings/logo": itOfficer, "GET /branding/logo": public,
	"GET /admin/users": itOfficer, "GET /admin/audit": auditRead,
	"GET /admin": itOfficer, "POST /admin/cancellations/:id/complete": itOfficer,
	"GET /admin/settings": itOfficer, "POST /admin/settings": itOfficer,
	"POST /admin/users/:user_id/activate": itOfficer, "POST /admin/users/:user_id/deactivate": itOfficer,
	"POST /admin/users/:user_id/unlock": itOfficer, "POST /admin/users/:user_id/reset": itOfficer,
	"POST /api/v1/admin/users/:user_id/roles": itOfficer, "POST /admin/users/:user_id/roles": itOfficer,
	"POST /admin/settings/logo": itOfficer,
}

// platformPublic are the routes any visitor reaches on the platform host; nothing else is
// open there yet.
var platformPublic = map[string]bool{"GET /": true, "GET /theme.css": true, "GET /api/v1/tenant": true,
	"GET /healthz": true, "GET /readyz": true, "GET /metrics": true, "GET /dev/mail": true, "GET /dev/mail.css": true,
	"GET /platform/login": true, "POST /platform/login": true, "POST /platform/logout": true,
	"POST /api/v1/platform/auth/login": true, "POST /api/v1/platform/auth/logout": true, "GET /api/v1/platform/session": true}

// platformAdminRoutes are JANM's console, for platform administrators only.
var platformAdminRoutes = map[string]bool{
	"GET /platform": true, "POST /platform/tenants": true, "POST /platform/tenants/:code/status": true,
	"POST /platform/tenants/:code/offboard": true,
	"GET /api/v1/platform/tenants":          true, "POST /api/v1/platform/tenants": true,
	"GET /api/v1/platform/tenants/:code": true, "PATCH /api/v1/platform/tenants/:code": true,
	"DELETE /api/v1/platform/tenants/:code": true, "POST /api/v1/platform/tenants/:code/export": true,
}

func classAllows(class, role string) bool {
	switch class {
	case public:
		return true
	case signedIn:
		return role != authz.Anonymous && role != authz.Feed && role != authz.PlatformAdmin
	case staffOnly:
		return role == authz.Staff
	case payee:
		return role == authz.Staff || role == authz.Supplier
	case feedKey:
		return role == authz.Feed
	case requestRaise:
		return role == authz.PTJAdmin || role == authz.HeadOfDepartment
	case requestRead:
		return role == authz.PTJAdmin || role == authz.HeadOfDepartment || role == authz.Treasury
	case requestDecide:
		return role == authz.HeadOfDepartment || role == authz.Treasury
	case ptjAdmin:
		return role == authz.PTJAdmin
	case itOfficer:
		return role == authz.ITOfficer
	case auditRead:
		return role == authz.ITOfficer || role == authz.Treasury
	}
	return false
}

// routes lists the app's routes as "METHOD pattern"; HEAD is authorised as GET.
func routes(app *fiber.App) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range app.GetRoutes(true) {
		if r.Method == fiber.MethodHead {
			continue
		}
		k := r.Method + " " + r.Path
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// allowed asks the policies as the middleware does: the role, and anonymous alongside it.
func allowed(t *testing.T, e *casbin.SyncedEnforcer, role, dom, route string) bool {
	t.Helper()
	method, pattern, _ := strings.Cut(route, " ")
	for _, sub := range []string{role, authz.Anonymous} {
		ok, err := e.Enforce(sub, dom, pattern, method)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			return true
		}
	}
	return false
}

// Every route the server registers has a policy, and every role × route (tenant and
// platform) is allowed or refused exactly as routeClass says.
func TestEveryRouteHasAPolicy(t *testing.T) {
	f := newAuthzFixture(t)
	all := routes(f.app)
	if len(all) < 40 {
		t.Fatalf("only %d routes registered: is the app built as `speks serve` builds it?", len(all))
	}
	for _, route := range all {
		open := false
		for _, role := range authz.Roles {
			open = open || allowed(t, f.enforcer, role, "selangor", route) || allowed(t, f.enforcer, role, authz.PlatformDomain, route)
		}
		if !open {
			t.Errorf("%s has no policy: every request to it is refused", route)
		}
	}

	for _, route := range all {
		class, ok := routeClass[route]
		if !ok {
			t.Errorf("%s is not classified in routeClass: decide who may reach it", route)
			continue
		}
		for _, role := range authz.Roles {
			for _, dom := range []string{"selangor", "kedah"} {
				if got, want := allowed(t, f.enforcer, role, dom, route), classAllows(class, role); got != want {
					t.Errorf("%s on %s as %s: allowed=%v, want %v (%s)", route, dom, role, got, want, class)
				}
			}
			want := platformPublic[route] || (role == authz.PlatformAdmin && platformAdminRoutes[route])
			if got := allowed(t, f.enforcer, role, authz.PlatformDomain, route); got != want {
				t.Errorf("%s on the platform as %s: allowed=%v, want %v", route, role, got, want)
			}
		}
	}
}

// A grant in one state's domain never reaches another: a rule added for selangor's IT
// officers (on another replica) lets them in on selangor only, once the watcher delivers it.
func TestRoleOfOneTenantIsRefusedOnAnother(t *testing.T) {
	f := newAuthzFixture(t)
	const route = "GET /api/v1/payslips"
	if _, err := f.enforcer.AddPolicy(authz.ITOfficer, "selangor", "/api/v1/payslips", "GET"); err != nil {
		t.Fatal(err)
	}
	if !allowed(t, f.enforcer, authz.ITOfficer, "selangor", route) || allowed(t, f.enforcer, authz.ITOfficer, "kedah", route) {
		t.Error("the grant is not confined to selangor")
	}

	officerA := f.session(t, "selangor", "officer", "it-a", authz.ITOfficer)
	officerB := f.session(t, "kedah", "officer", "it-b", authz.ITOfficer)
	apitest.WaitFor(t, "the app to load the new grant", func() bool {
		return passed(f.do(t, "selangor", "GET", "/api/v1/payslips", officerA, nil))
	})
	if res := f.do(t, "kedah", "GET", "/api/v1/payslips", officerB, nil); res.Status != http.StatusForbidden || res.Code() != "forbidden" {
		t.Errorf("kedah's IT officer: %d %s, want 403 forbidden", res.Status, res.Code())
	}
	// selangor's session means nothing on kedah's host: it is anonymous there.
	if res := f.do(t, "kedah", "GET", "/api/v1/payslips", officerA, nil); res.Status != http.StatusUnauthorized {
		t.Errorf("selangor's session on kedah: %d, want 401", res.Status)
	}
}

// The middleware over real sessions: each role reaches what routeClass says, anonymous
// visitors get 401 (API) or the login page, signed-in people 403, and the feed route takes
// the API key (subject feed).
func TestMiddlewareMatrixOverHTTP(t *testing.T) {
	f := newAuthzFixture(t)
	who := map[string]string{
		authz.Staff:     f.session(t, "selangor", "staff", "850314105523"),
		authz.Supplier:  f.session(t, "selangor", "supplier", "201901012345"),
		authz.ITOfficer: f.session(t, "selangor", "officer", "it-1", authz.ITOfficer),
		authz.Treasury:  f.session(t, "selangor", "officer", "tr-1", authz.Treasury),
		authz.Anonymous: "",
	}
	for _, tc := range []struct{ method, path, route string }{
		{"GET", "/", "GET /"},
		{"GET", "/verify/not-a-token", "GET /verify/:token"},
		{"GET", "/home", "GET /home"},
		{"GET", "/payslips", "GET /payslips"},
		{"GET", "/api/v1/payslips", "GET /api/v1/payslips"},
		{"GET", "/api/v1/statements/2025", "GET /api/v1/statements/:year"},
		{"HEAD", "/api/v1/statements/2025", "GET /api/v1/statements/:year"},
		{"GET", "/api/v1/payments", "GET /api/v1/payments"},
		{"GET", "/payments/PV-1", "GET /payments/:ref"},
	} {
		for role, cookie := range who {
			res := f.do(t, "selangor", tc.method, tc.path, cookie, nil)
			want := classAllows(routeClass[tc.route], role)
			if passed(res) != want {
				t.Errorf("%s %s as %s: %d %s (location %q), want allowed=%v", tc.method, tc.path, role, res.Status, res.Code(), res.Location(), want)
				continue
			}
			if want {
				continue
			}
			switch {
			case role != authz.Anonymous && (res.Status != http.StatusForbidden || (tc.method != "HEAD" && res.Code() != "forbidden")):
				t.Errorf("%s %s as %s: %d %s, want 403 forbidden", tc.method, tc.path, role, res.Status, res.Code())
			case role == authz.Anonymous && strings.HasPrefix(tc.path, "/api/") && res.Status != http.StatusUnauthorized:
				t.Errorf("%s %s anonymous: %d, want 401", tc.method, tc.path, res.Status)
			case role == authz.Anonymous && !strings.HasPrefix(tc.path, "/api/") && !strings.HasPrefix(res.Location(), "/login"):
				t.Errorf("%s %s anonymous: %d to %q, want the login page", tc.method, tc.path, res.Status, res.Location())
			}
		}
	}
	if res := f.do(t, "selangor", "GET", "/no/such/route", who[authz.Staff], nil); res.Status != http.StatusNotFound {
		t.Errorf("unknown route: %d, want 404", res.Status)
	}
}

// The feed route is open to the tenant's API key only, and a bad key keeps the feed
// module's answer (401 invalid_api_key with a Bearer challenge).
func TestFeedRouteTakesTheAPIKey(t *testing.T) {
	f := newAuthzFixture(t)
	tn, err := f.env.Registry.Get(context.Background(), "selangor")
	if err != nil {
		t.Fatal(err)
	}
	key, _, err := feed.CreateAPIKey(context.Background(), f.env.DB(t, tn), "payroll", "test")
	if err != nil {
		t.Fatal(err)
	}
	post := func(host, auth string) apitest.Response {
		return f.do(t, host, "POST", "/api/v1/feeds/employees", "", map[string]string{
			"Authorization": auth, "Content-Type": "application/json"})
	}
	if res := post("selangor", ""); res.Status != http.StatusUnauthorized {
		t.Errorf("no key: %d, want 401", res.Status)
	}
	if res := post("selangor", "Bearer speks_nope_nope"); res.Status != http.StatusUnauthorized || res.Code() != "invalid_api_key" {
		t.Errorf("bad key: %d %s, want 401 invalid_api_key", res.Status, res.Code())
	}
	if res := post("kedah", "Bearer "+key); res.Status != http.StatusUnauthorized {
		t.Errorf("selangor's key on kedah: %d, want 401", res.Status)
	}
	// Past authorisation, the feed handler itself answers: JSON is not a feed file.
	if res := post("selangor", "Bearer "+key); res.Status != http.StatusUnsupportedMediaType {
		t.Errorf("valid key: %d %s, want the feed handler's 415", res.Status, res.Code())
	}
	staff := f.session(t, "selangor", "staff", "850314105523")
	if res := f.do(t, "selangor", "POST", "/api/v1/feeds/employees", staff, map[string]string{"X-CSRF-Token": "csrf"}); res.Status != http.StatusForbidden {
		t.Errorf("a staff session on the feed route: %d, want 403", res.Status)
	}
}

// session makes an active account with a full session and returns its cookie value. The
// rows are written directly: logging in is the account module's business and tested there.
func (f *authzFixture) session(t *testing.T, code, category, loginID string, roles ...string) string {
	t.Helper()
	tn, err := f.env.Registry.Get(context.Background(), code)
	if err != nil {
		t.Fatal(err)
	}
	db := f.env.DB(t, tn)
	if roles == nil {
		roles = []string{}
	}
	var id int64
	if err := db.Get(&id, `INSERT INTO users (category, login_id, name, email, status, roles)
		VALUES ($1, $2, 'Pengguna Ujian', '', 'active', $3) RETURNING id`, category, loginID, pq.StringArray(roles)); err != nil {
		t.Fatalf("add user: %v", err)
	}
	token := "test-session-" + code + "-" + loginID
	sum := sha256.Sum256([]byte(token))
	if _, err := db.Exec(`INSERT INTO sessions (id_hash, user_id, csrf_token, purpose, created_at, last_seen_at)
		VALUES ($1, $2, 'csrf', '', now(), now())`, sum[:], id); err != nil {
		t.Fatalf("add session: %v", err)
	}
	return token
}

// client is a JSON caller on tenant code with the session cookie ("" = anonymous).
func (f *authzFixture) client(t *testing.T, code, cookie string) *apitest.Client {
	c := apitest.New(t, f.app, code+".example.test")
	c.Header.Set("Accept", "application/json")
	c.Cookie = cookie
	return c
}

// do sends a request without a body; headers with an empty value are left out.
func (f *authzFixture) do(t *testing.T, code, method, path, cookie string, headers map[string]string) apitest.Response {
	t.Helper()
	var opts []apitest.Option
	for k, v := range headers {
		if v != "" {
			opts = append(opts, apitest.WithHeader(k, v))
		}
	}
	return f.client(t, code, cookie).Do(method, path, nil, opts...)
}

// passed reports whether authorisation let the request through to the route's handler.
func passed(r apitest.Response) bool {
	refused := r.Status == http.StatusUnauthorized || r.Code() == "forbidden" ||
		(r.Status == http.StatusForbidden && r.Code() == "") || strings.HasPrefix(r.Location(), "/login")
	return !refused
}
