// Package webtest is the base of every browser test: it starts the real web app (web.New
// over a fresh PostgreSQL database with demo-like states) on a 127.0.0.1 listener, and
// drives Debian's Chromium through chromedp, collecting console errors and exceptions.
//
//	srv := webtest.Start(t, webtest.Options{Modules: []web.Module{account.Module{…}}})
//	tab := webtest.NewBrowser(t).NewTab(t)
//	tab.Open(srv.TenantURL("selangor", "/?lang=en"))
//	tab.Text("h1")
//	tab.ExpectNoConsoleErrors()
//
// Chromium resolves *.localhost to loopback by itself, so every tenant answers on
// http://<code>.localhost:<port>/ with no DNS or hosts-file set-up.
package webtest

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/speks-portal/speks/config"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// Options says what the server under test serves.
type Options struct {
	Modules   []web.Module
	Templates []fs.FS
	Locales   []fs.FS
	Checks    []web.Checker
	// Tenants to provision; nil means DemoTenants().
	Tenants []tenant.Spec
	// Provision runs after each tenant is created (e.g. to add users or payslips).
	Provision func(ctx context.Context, env *tenanttest.Env, t *tenant.Tenant) error
	// Setup, when set, runs on the fresh database and the server's configuration before any
	// tenant is provisioned, and returns modules to serve after Modules: a test can build the
	// real composition root (and its provisioning hooks) over the test environment.
	Setup func(env *tenanttest.Env, cfg *config.Config) []web.Module
}

// Server is the running app.
type Server struct {
	Env     *tenanttest.Env
	Config  *config.Config
	Port    int
	Tenants map[string]*tenant.Tenant
}

// DemoTenants are the four demo states of `speks demo`, with their real registration modes and
// production hosts (unreachable from tests; the browser uses <code>.localhost).
func DemoTenants() []tenant.Spec {
	return []tenant.Spec{
		{Code: "pahang", Name: "Pahang", Hosts: []string{"espeks.pahang.gov.my"}, RegistrationMode: tenant.SelfRegister,
			HelpdeskEmail: "espeks@pahang.gov.my", HelpdeskPhone: "09-512 5000",
			Branding: tenant.Branding{PrimaryColour: "#1d1d1b", AccentColour: "#e8e8e8"}},
		{Code: "kelantan", Name: "Kelantan", Hosts: []string{"ispeks.kelantan.gov.my"}, RegistrationMode: tenant.PayrollMatch,
			Branding: tenant.Branding{PrimaryColour: "#b0131d", AccentColour: "#ffffff"}},
		{Code: "melaka", Name: "Melaka", Hosts: []string{"p.ispeks.melaka.gov.my"}, RegistrationMode: tenant.AdminOnly,
			Branding: tenant.Branding{PrimaryColour: "#1f3f8f", AccentColour: "#e4262c"}},
		{Code: "selangor", Name: "Selangor", Hosts: []string{"p.ispeks.selangor.gov.my"}, RegistrationMode: tenant.PayrollMatch,
			EmailDomains: []string{"selangor.gov.my"}, HelpdeskEmail: "ispeks@selangor.gov.my", HelpdeskPhone: "03-5544 7000",
			Branding: tenant.Branding{PrimaryColour: "#b01c2e", AccentColour: "#f5c400"}},
	}
}

// Start provisions the tenants on a fresh database and serves the app on 127.0.0.1 with a
// random port until the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	env := tenanttest.New(t, 4)
	srv := &Server{Env: env, Tenants: map[string]*tenant.Tenant{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("webtest: listen on loopback: %v", err)
	}
	srv.Port = ln.Addr().(*net.TCPAddr).Port
	srv.Config = testConfig(t, env, ln.Addr().String(), srv.Port)
	modules := opts.Modules
	if opts.Setup != nil {
		modules = append(slices.Clone(modules), opts.Setup(env, srv.Config)...)
	}
	srv.provision(t, opts)

	app, err := web.New(web.Options{
		Config: srv.Config, Scoper: env.Scoper, Tenants: env.Registry, Checks: opts.Checks,
		Modules: modules, Templates: opts.Templates, Locales: opts.Locales,
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		_ = ln.Close()
		t.Fatalf("webtest: web.New: %v", err)
	}
	served := make(chan error, 1)
	go func() { served <- app.Listener(ln) }()
	t.Cleanup(func() {
		if err := app.ShutdownWithTimeout(5 * time.Second); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("webtest: shutdown: %v", err)
		}
		<-served
	})
	return srv
}

func (s *Server) provision(t testing.TB, opts Options) {
	t.Helper()
	specs := opts.Tenants
	if specs == nil {
		specs = DemoTenants()
	}
	ctx := context.Background()
	for _, spec := range specs {
		tn, err := s.Env.Provisioner.Create(ctx, spec, "webtest")
		if err != nil {
			t.Fatalf("webtest: provision %s: %v", spec.Code, err)
		}
		if opts.Provision != nil {
			if err := opts.Provision(ctx, s.Env, tn); err != nil {
				t.Fatalf("webtest: provision data of %s: %v", spec.Code, err)
			}
		}
		s.Tenants[tn.Code] = tn
	}
	s.Env.Resolver.Invalidate()
}

// testConfig is the default configuration in dev mode, listening where the test listens.
func testConfig(t testing.TB, env *tenanttest.Env, listen string, port int) *config.Config {
	t.Helper()
	cfg, err := config.Load(nil)
	if err != nil {
		t.Fatalf("webtest: default configuration: %v", err)
	}
	cfg.Mode = config.ModeDev
	cfg.HTTP.Listen = listen
	cfg.HTTP.PublicPort = port
	cfg.HTTP.TrustedProxies = nil
	cfg.Platform.Host = env.PlatformHost
	cfg.Platform.DevHostSuffix = ".localhost"
	cfg.Metrics.Listen = ""
	return cfg
}

// TenantURL is the address of path on a tenant, e.g. http://selangor.localhost:41234/login.
func (s *Server) TenantURL(code, path string) string {
	return "http://" + code + ".localhost:" + strconv.Itoa(s.Port) + path
}

// PlatformURL is the address of path on the platform host.
func (s *Server) PlatformURL(path string) string {
	return "http://" + s.Env.PlatformHost + ":" + strconv.Itoa(s.Port) + path
}

// testWriter sends the server's warnings and errors to the test log, so a failing browser
// test shows what the server said.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// screenshotDir is where ScreenshotIfAsked writes; empty means no screenshots.
func screenshotDir() string { return os.Getenv("SPEKS_SCREENSHOTS") }
