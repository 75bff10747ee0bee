package guard

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/modules/foundation/fault"
	"github.com/speks-portal/speks/tenant"
)

// app stands in for the shell: X-Tenant opens a tenant scope, X-Login signs someone in
// (X-Restricted for a one-time-code session), as the tenant and session middleware would;
// refusals are answered with the status the edge gives their kind.
func app() *fiber.App {
	status := map[fault.Kind]int{fault.NotFound: 404, fault.Unauthenticated: 401, fault.Forbidden: 403}
	a := fiber.New(fiber.Config{ErrorHandler: func(c *fiber.Ctx, err error) error {
		f, ok := fault.As(err)
		if !ok {
			return c.SendStatus(500)
		}
		return c.Status(status[f.Kind]).SendString(f.Code)
	}})
	a.Use(func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		if code := c.Get("X-Tenant"); code != "" {
			ctx = tenant.NewContext(ctx, &tenant.Scope{Tenant: &tenant.Tenant{Code: code}})
		}
		if login := c.Get("X-Login"); login != "" {
			ctx = WithPrincipal(ctx, &Principal{UserID: 7, LoginID: login, Restricted: c.Get("X-Restricted") != ""})
		}
		c.SetUserContext(ctx)
		return c.Next()
	})
	who := func(c *fiber.Ctx) error {
		p, sc := Caller(c)
		return c.SendString(sc.Tenant.Code + " " + p.MaskedLoginID())
	}
	a.Get("/api/v1/mine", API, who)
	a.Get("/mine", Page, who)
	return a
}

func TestGuard(t *testing.T) {
	a := app()
	for _, tc := range []struct {
		name, path, tenant, login, restricted string
		status                                int
		body, location                        string
	}{
		{"signed in: the handler gets principal and scope", "/api/v1/mine", "selangor", "850314035523", "", 200, "selangor ********5523", ""},
		{"page signed in", "/mine", "selangor", "850314035523", "", 200, "selangor ********5523", ""},
		{"anonymous API", "/api/v1/mine", "selangor", "", "", 401, "unauthenticated", ""},
		{"anonymous page goes to the login and back", "/mine?x=1", "selangor", "", "", 303, "", "/login?next=%2Fmine%3Fx%3D1"},
		{"one-time-code session", "/api/v1/mine", "selangor", "850314035523", "yes", 403, "restricted_session", ""},
		{"one-time-code session on a page is refused, not sent to log in", "/mine", "selangor", "850314035523", "yes", 403, "restricted_session", ""},
		{"no tenant", "/api/v1/mine", "", "850314035523", "", 404, "not_found", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, tc.path, nil)
			for h, v := range map[string]string{"X-Tenant": tc.tenant, "X-Login": tc.login, "X-Restricted": tc.restricted} {
				if v != "" {
					req.Header.Set(h, v)
				}
			}
			resp, err := a.Test(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			buf := make([]byte, 256)
			n, _ := resp.Body.Read(buf)
			if resp.StatusCode != tc.status || string(buf[:n]) != tc.body || resp.Header.Get("Location") != tc.location {
				t.Errorf("got %d %q (Location %q), want %d %q (%q)", resp.StatusCode, buf[:n], resp.Header.Get("Location"), tc.status, tc.body, tc.location)
			}
		})
	}
}
