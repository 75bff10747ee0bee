// Package web is the HTTP shell of the platform: the Fiber app, its middleware chain, health
// and metrics endpoints, templates, languages, error pages, and the landing pages. Feature
// modules mount their routes on it through the Module interface.
package web

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/middleware/requestid"

	"github.com/speks-portal/speks/config"
	"github.com/speks-portal/speks/tenant"
)

// Module is a feature that serves routes. Tenant routes run after the tenant scope is open;
// Mount sees the app after the shell's middleware is in place.
type Module interface {
	Mount(app *fiber.App)
}

// Checker reports whether a dependency (PostgreSQL, Redis) is reachable, for /readyz.
type Checker interface {
	Name() string
	Check(ctx context.Context) error
}

// Options is what the shell needs.
type Options struct {
	Config  *config.Config
	Scoper  *tenant.Scoper
	Checks  []Checker
	Modules []Module
	Logger  *slog.Logger
}

// New builds the Fiber app: request ID → recover → access log → host → tenant scope →
// language → modules.
func New(opts Options) *fiber.App {
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
		ErrorHandler:            errorHandler(opts.Logger),
	})
	app.Use(requestid.New())
	app.Use(recover.New())

	app.Get("/healthz", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	app.Get("/readyz", readyHandler(opts.Checks))

	app.Use(opts.Scoper.Middleware())
	for _, m := range opts.Modules {
		m.Mount(app)
	}
	return app
}

func readyHandler(checks []Checker) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
		defer cancel()
		result := fiber.Map{}
		status := fiber.StatusOK
		for _, ch := range checks {
			if err := ch.Check(ctx); err != nil {
				result[ch.Name()] = "unavailable"
				status = fiber.StatusServiceUnavailable
				continue
			}
			result[ch.Name()] = "ok"
		}
		return c.Status(status).JSON(result)
	}
}

func errorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		status, code := fiber.StatusInternalServerError, "internal_error"
		var fe *fiber.Error
		switch {
		case tenant.IsUnknownHost(err):
			status, code = fiber.StatusNotFound, "unknown_host"
		case errors.Is(err, tenant.ErrSuspended):
			status, code = fiber.StatusServiceUnavailable, "tenant_suspended"
		case errors.As(err, &fe):
			status, code = fe.Code, "http_error"
		default:
			if e, ok := AsError(err); ok {
				status, code = e.Status, e.Code
			}
		}
		if status >= 500 {
			log.ErrorContext(c.UserContext(), "request failed", "err", err, "path", c.Path())
		}
		return c.Status(status).JSON(fiber.Map{"error": fiber.Map{"code": code, "message": code}})
	}
}
