// Package web is the HTTP shell of the platform: the Fiber app, its middleware chain, health
// and metrics endpoints, templates, languages, error pages, and the landing pages. Feature
// modules mount their routes on it through the Module interface, render pages with Render
// and translate with T; they bring their own templates and messages through Options.
package web

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gofiber/fiber/v2/middleware/compress"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"github.com/speks-portal/speks/config"
	"github.com/speks-portal/speks/tenant"
)

// Module is a feature that serves routes. Mount runs after the shell's middleware and the
// tenant scope are in place, so every route it adds sees tenant.FromContext.
type Module interface {
	Mount(app *fiber.App)
}

// TemplateProvider is a Module that brings its own page templates (*.html, named by path
// without the extension, e.g. "account/login"). New collects them, as it does Options.Templates.
type TemplateProvider interface {
	Templates() fs.FS
}

// LocaleProvider is a Module that brings its own message files (<name>.ms.yaml and
// <name>.en.yaml). New collects them, as it does Options.Locales.
type LocaleProvider interface {
	Locales() fs.FS
}

// Checker reports whether a dependency (PostgreSQL, Redis) is reachable, for /readyz.
type Checker interface {
	Name() string
	Check(ctx context.Context) error
}

// Optional is a Checker whose dependency the process can work without for a while: /readyz
// reports it but stays ready. serve needs PostgreSQL; without Redis, mail waits in the outbox
// and everything else keeps working, so taking every serve pod out of service on a Redis
// outage would turn a mail delay into a portal outage.
type Optional interface {
	Optional() bool
}

// Options is what the shell needs.
type Options struct {
	Config  *config.Config
	Scoper  *tenant.Scoper
	Tenants TenantLister // the registry, for the platform landing page
	Checks  []Checker
	Modules []Module
	Logger  *slog.Logger
	// Metrics may be shared with a separate metrics listener; New makes one when nil.
	Metrics *Metrics
	// Templates and Locales are the modules' embedded *.html and *.<lang>.yaml files.
	Templates []fs.FS
	Locales   []fs.FS
}

// shell is the state the handlers share; requests find it through c.Locals(shellKey{}).
type shell struct {
	cfg     *config.Config
	log     *slog.Logger
	tr      *Translator
	assets  *assets
	metrics *Metrics
	tenants TenantLister
	nav     []NavItem // the main navigation the modules declare
	views   *views    // the pages' templates (render.go)
}

type shellKey struct{}

// shellOf returns the shell of the app serving c. It panics when c does not come from an
// app built by New, which is a programming error, not a request error.
func shellOf(c *fiber.Ctx) *shell {
	s, ok := c.Locals(shellKey{}).(*shell)
	if !ok {
		panic("web: the request does not come from an app built by web.New")
	}
	return s
}

// New builds the Fiber app. The order is the request flow of docs/ARCHITECTURE.md:
//
//	request ID → access log + metrics (+ error edge) → recover → security headers →
//	compression → /healthz /readyz /metrics /static (any host) → tenant scope →
//	language → landing pages → modules
func New(opts Options) (*fiber.App, error) {
	opts = collectModuleFiles(opts)
	s, err := newShell(opts)
	if err != nil {
		return nil, err
	}
	if s.views, err = newViews(opts.Templates); err != nil {
		return nil, err
	}
	app := fiber.New(fiber.Config{
		AppName:                 "speks",
		DisableStartupMessage:   true,
		EnableTrustedProxyCheck: true, // X-Forwarded-* only from the configured proxies
		TrustedProxies:          opts.Config.HTTP.TrustedProxies,
		ProxyHeader:             fiber.HeaderXForwardedFor,
		ReadTimeout:             60 * time.Second,
		WriteTimeout:            120 * time.Second,
		IdleTimeout:             120 * time.Second,
		BodyLimit:               4 << 20,
		StreamRequestBody:       true,
		ErrorHandler:            s.handleError,
	})
	app.Use(requestID(), s.observe, recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: s.logPanic}))
	// The fastest level of gzip and brotli: every page and JSON answer is compressed on the
	// request's own goroutine, and on answers of a few KB like a payslip the default levels
	// cost 2–6 times the CPU for 5–20 % fewer bytes (docs/BENCHMARKS.md "Signed-in reads").
	app.Use(securityHeaders(), noStore, compress.New(compress.Config{Level: compress.LevelBestSpeed}))

	app.Get("/healthz", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	app.Get("/readyz", s.ready(opts.Checks))
	// /metrics names every tenant and route: in production it is served only on
	// metrics.listen (which config.Validate requires of serve there), never on a public host.
	if opts.Config.Metrics.Listen == "" && opts.Config.IsDev() {
		app.Get("/metrics", adaptor.HTTPHandler(s.metrics.Handler()))
	}
	app.Use(s.assets.prefix(), s.assets.handler())

	app.Use(scopeByHost(opts.Scoper), rememberLanguage)
	s.mountPages(app)
	for _, m := range opts.Modules {
		m.Mount(app)
	}
	return app, nil
}

// collectModuleFiles adds the templates and message files of modules that provide them.
func collectModuleFiles(opts Options) Options {
	opts.Templates = append([]fs.FS{}, opts.Templates...)
	opts.Locales = append([]fs.FS{}, opts.Locales...)
	for _, m := range opts.Modules {
		if p, ok := m.(TemplateProvider); ok {
			opts.Templates = append(opts.Templates, p.Templates())
		}
		if p, ok := m.(LocaleProvider); ok {
			opts.Locales = append(opts.Locales, p.Locales())
		}
	}
	return opts
}

func newShell(opts Options) (*shell, error) {
	if opts.Config == nil || opts.Scoper == nil || opts.Tenants == nil {
		return nil, errors.New("web: Options.Config, Scoper and Tenants are required")
	}
	own, err := fs.Sub(localeFiles, "locales")
	if err != nil {
		return nil, fmt.Errorf("locales: %w", err)
	}
	tr, err := NewTranslator(append([]fs.FS{own}, opts.Locales...)...)
	if err != nil {
		return nil, err
	}
	a, err := newAssets()
	if err != nil {
		return nil, err
	}
	s := &shell{cfg: opts.Config, log: opts.Logger, tr: tr, assets: a, metrics: opts.Metrics, tenants: opts.Tenants,
		nav: collectNav(opts.Modules)}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.metrics == nil {
		s.metrics = NewMetrics()
	}
	return s, nil
}

// logPanic logs a recovered panic with its stack; the user only gets the 500 page.
func (s *shell) logPanic(c *fiber.Ctx, e any) {
	s.log.ErrorContext(c.UserContext(), "panic", "panic", e, "request_id", requestIDOf(c), "stack", string(debug.Stack()))
}

// ready answers /readyz: 200 when every dependency answers within two seconds, 503 (with
// the failing names, never the errors) otherwise.
func (s *shell) ready(checks []Checker) fiber.Handler {
	return func(c *fiber.Ctx) error {
		status, result := Readiness(c.UserContext(), s.log, checks)
		return c.Status(status).JSON(result)
	}
}

// Readiness runs the checks (two seconds at most) and answers the /readyz status and body:
// 503 when a required dependency does not answer, 200 otherwise; the body names each check
// "ok" or "unavailable" and never carries the error, which goes to the log. Every process's
// /readyz answers through it.
func Readiness(ctx context.Context, log *slog.Logger, checks []Checker) (int, map[string]string) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	result := map[string]string{}
	status := fiber.StatusOK
	for _, ch := range checks {
		if err := ch.Check(ctx); err != nil {
			log.WarnContext(ctx, "readiness check failed", "check", ch.Name(), "err", err)
			result[ch.Name()] = "unavailable"
			if o, ok := ch.(Optional); !ok || !o.Optional() {
				status = fiber.StatusServiceUnavailable
			}
			continue
		}
		result[ch.Name()] = "ok"
	}
	return status, result
}

// scopeByHost resolves the request's host (Fiber's Hostname, which honours X-Forwarded-Host
// only from trusted proxies) to the platform or a tenant and puts the scope on the user
// context. Unknown hosts and suspended tenants become errors the edge maps to pages.
func scopeByHost(scoper *tenant.Scoper) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, t, err := scoper.ForHost(c.UserContext(), tenant.NormaliseHost(c.Hostname()))
		if err != nil {
			return err
		}
		c.SetUserContext(ctx)
		if t != nil {
			c.Locals("tenant", t.Code)
		}
		return c.Next()
	}
}
