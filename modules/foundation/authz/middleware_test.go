package authz

import (
	"errors"
	"net/http"
	"testing"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/modules/foundation/fault"
	"github.com/speks-portal/speks/modules/foundation/guard"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/modules/foundation/web/apitest"
	"github.com/speks-portal/speks/tenant"
)

// memoryEnforcer holds the default policies of selangor and the platform, in memory.
func memoryEnforcer(t *testing.T) casbin.IEnforcer {
	t.Helper()
	m, err := model.NewModelFromString(modelText)
	if err != nil {
		t.Fatal(err)
	}
	e, err := casbin.NewSyncedEnforcer(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, dom := range []string{"selangor", PlatformDomain} {
		p, g := DefaultPolicies(dom)
		if len(p) > 0 {
			if _, err := e.AddPolicies(p); err != nil {
				t.Fatal(err)
			}
		}
		if len(g) > 0 {
			if _, err := e.AddGroupingPolicies(g); err != nil {
				t.Fatal(err)
			}
		}
	}
	return e
}

// testApp stands in for the shell: X-Tenant picks the tenant (none = platform host) and
// X-Category / X-Role the principal, as the tenant and session middleware would.
func testApp(t *testing.T, creds ...Credential) *fiber.App {
	app := fiber.New(fiber.Config{ErrorHandler: func(c *fiber.Ctx, err error) error {
		if coded, ok := fault.As(err); ok {
			return c.Status(web.StatusOf(err)).JSON(fiber.Map{"error": fiber.Map{"code": coded.Code}})
		}
		var fe *fiber.Error
		if errors.As(err, &fe) {
			return c.SendStatus(fe.Code)
		}
		return c.SendStatus(http.StatusInternalServerError)
	}})
	app.Use(func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		if code := c.Get("X-Tenant"); code != "" {
			ctx = tenant.NewContext(ctx, &tenant.Scope{Tenant: &tenant.Tenant{Code: code}})
		}
		if cat := c.Get("X-Category"); cat != "" {
			p := &guard.Principal{Category: cat}
			if role := c.Get("X-Role"); role != "" {
				p.Roles = []string{role}
			}
			ctx = guard.WithPrincipal(ctx, p)
		}
		c.SetUserContext(ctx)
		return c.Next()
	})
	NewModule(Options{Enforcer: memoryEnforcer(t), Credentials: creds}).Mount(app)
	ok := func(c *fiber.Ctx) error { return c.SendStatus(http.StatusOK) }
	app.Get("/", ok)
	app.Get("/payslips", ok)
	app.Get("/api/v1/payslips/:year/:month.pdf", ok)
	app.Get("/api/v1/payments", ok)
	app.Post("/api/v1/feeds/:kind", ok)
	app.Get("/admin/unlisted", ok) // a route nobody was given
	return app
}

type call struct {
	method, path, tenant, category, role, auth string
	status                                     int
	location                                   string
}

func TestMiddlewareDecides(t *testing.T) {
	feedCred := func(c *fiber.Ctx) (string, error) {
		switch c.Get("Authorization") {
		case "":
			return "", nil
		case "Bearer good":
			return Feed, nil
		}
		return "", fault.New(fault.Unauthenticated, "invalid_api_key", nil)
	}
	app := testApp(t, feedCred)
	for _, tc := range []call{
		{method: "GET", path: "/", status: 200},                     // platform, anonymous
		{method: "GET", path: "/", tenant: "selangor", status: 200}, // tenant, anonymous
		{method: "GET", path: "/payslips", status: 401},             // platform host: no login page to send to
		{method: "GET", path: "/payslips", tenant: "selangor", status: 303, location: "/login?next=%2Fpayslips"},
		{method: "GET", path: "/payslips", tenant: "selangor", category: "staff", status: 200},
		{method: "GET", path: "/payslips", tenant: "selangor", category: "supplier", status: 403},
		{method: "GET", path: "/payslips", tenant: "kedah", category: "staff", status: 403}, // no grant in kedah
		{method: "GET", path: "/api/v1/payslips/2026/10.pdf", tenant: "selangor", status: 401},
		{method: "HEAD", path: "/api/v1/payslips/2026/10.pdf", tenant: "selangor", category: "staff", status: 200},
		{method: "GET", path: "/api/v1/payslips/2026/10.pdf", tenant: "selangor", category: "officer", role: ITOfficer, status: 403},
		{method: "GET", path: "/api/v1/payments", tenant: "selangor", category: "supplier", status: 200},
		{method: "GET", path: "/admin/unlisted", tenant: "selangor", category: "officer", role: ITOfficer, status: 403},
		{method: "GET", path: "/admin/unlisted", tenant: "selangor", category: "staff", role: PlatformAdmin, status: 403},
		{method: "POST", path: "/api/v1/feeds/employees", tenant: "selangor", status: 401},
		{method: "POST", path: "/api/v1/feeds/employees", tenant: "selangor", auth: "Bearer bad", status: 401},
		{method: "POST", path: "/api/v1/feeds/employees", tenant: "selangor", auth: "Bearer good", status: 200},
		{method: "GET", path: "/api/v1/payments", tenant: "selangor", auth: "Bearer good", status: 403}, // the key reads nothing
		{method: "GET", path: "/nowhere", tenant: "selangor", category: "staff", status: 404},
		{method: "GET", path: "/", tenant: "selangor", auth: "Bearer bad", status: 200}, // public: the key is not looked at
	} {
		c := apitest.New(t, app, "example.com")
		for k, v := range map[string]string{"X-Tenant": tc.tenant, "X-Category": tc.category, "X-Role": tc.role, "Authorization": tc.auth} {
			if v != "" {
				c.Header.Set(k, v)
			}
		}
		res := c.Do(tc.method, tc.path, nil)
		if res.Status != tc.status || res.Location() != tc.location {
			t.Errorf("%+v: got %d %q", tc, res.Status, res.Location())
		}
	}
}
