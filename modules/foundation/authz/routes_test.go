package authz

import (
	"testing"

	"github.com/gofiber/fiber/v2"
)

// The index answers with the pattern Fiber itself would route to, first match first.
func TestRouteIndexMatchesLikeFiber(t *testing.T) {
	app := fiber.New()
	noop := func(c *fiber.Ctx) error { return nil }
	app.Use(noop) // middleware is not a route
	app.Get("/home", noop)
	api := app.Group("/api/v1", noop)
	api.Get("/payslips/:year/:month.pdf", noop)
	api.Get("/payslips/:year/:month", noop)
	api.Get("/statements/:year.pdf", noop)
	api.Post("/payments/:ref/verify", noop)
	app.Get("/files/*", noop)
	app.Get("/opt/:name?", noop)

	ix := newRouteIndex(app)
	for _, tc := range []struct{ method, path, want string }{
		{"GET", "/home", "/home"},
		{"GET", "/home/", "/home"}, // not strict routing
		{"HEAD", "/home", "/home"},
		{"GET", "/HOME", "/home"}, // not case sensitive
		{"GET", "/api/v1/payslips/2026/10.pdf", "/api/v1/payslips/:year/:month.pdf"},
		{"GET", "/api/v1/payslips/2026/10", "/api/v1/payslips/:year/:month"},
		{"GET", "/api/v1/statements/2025.pdf", "/api/v1/statements/:year.pdf"},
		{"POST", "/api/v1/payments/PV-1/verify", "/api/v1/payments/:ref/verify"},
		{"GET", "/files/a/b.css", "/files/*"},
		{"GET", "/opt", "/opt/:name?"},
		{"GET", "/opt/x", "/opt/:name?"},
		{"GET", "/api/v1/statements/2025", ""},      // no such route
		{"POST", "/home", ""},                       // wrong method
		{"GET", "/api/v1/payments/PV-1/verify", ""}, // wrong method
		{"GET", "/nowhere", ""},
	} {
		got, ok := ix.lookup(tc.method, tc.path)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("%s %s → %q %v, want %q", tc.method, tc.path, got, ok, tc.want)
		}
	}
}

// The shadow lookup is a per-request cost of every authorised route.
func BenchmarkRouteIndexLookup(b *testing.B) {
	app := fiber.New()
	noop := func(c *fiber.Ctx) error { return nil }
	for _, p := range []string{"/", "/home", "/login", "/payslips", "/payslips/:year/:month", "/statements/:year",
		"/api/v1/payslips", "/api/v1/payslips/:year/:month.pdf", "/api/v1/payslips/:year/:month", "/api/v1/payments/:ref.pdf"} {
		app.Get(p, noop)
	}
	ix := newRouteIndex(app)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := ix.lookup("GET", "/api/v1/payslips/2026/10.pdf"); !ok {
			b.Fatal("no match")
		}
	}
}
