// Package account is everything about a person's account in a tenant: the three ways in
// (self-registration, first login from the payroll master, accounts made by officers), login
// in two steps with the secret phrase, passwords, one-time codes, recovery, sessions with
// CSRF protection, TOTP for admin roles, profile and cancellation. The JSON API and the pages
// share the services, one per flow (Login, Registration, Recovery) and Service for the rest;
// docs/SECURITY.md says what each part defends against and why.
package account

import (
	"embed"
	"io/fs"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/modules/foundation/web"
)

//go:embed locales/*.yaml
var localeFiles embed.FS

//go:embed templates
var templateFiles embed.FS

// Module is the session middleware, the account API and the account pages. The middleware
// must be mounted before any module whose routes need the Principal (every records module).
type Module struct {
	// The services the handlers take, each the narrow one a flow needs; Service is the rest
	// (profile, TOTP, cancellation).
	Service      *Service
	Login        *Login
	Registration *Registration
	Recovery     *Recovery
	// AnswerFloor is the least time a 202-always answer takes (DefaultAnswerFloor when 0).
	AnswerFloor time.Duration

	homeOnce  sync.Once
	otherHome bool
}

// DefaultAnswerFloor is well above the slowest matching case (two argon2id runs for a
// security answer plus a transaction), so every answer of those endpoints takes the same time.
const DefaultAnswerFloor = 400 * time.Millisecond

func (m *Module) answerFloor() time.Duration {
	if m.AnswerFloor > 0 {
		return m.AnswerFloor
	}
	return DefaultAnswerFloor
}

// NewModule returns the module over svc and the flows' services built with it.
func NewModule(svc *Service) *Module {
	return &Module{Service: svc, Login: svc.Login, Registration: svc.Registration, Recovery: svc.Recovery}
}

// Mount adds the session middleware and the routes together, for an app without
// authorisation (some modules' tests). The server mounts SessionModule and Routes apart, with
// the authorisation middleware between them, so Casbin checks the account routes too.
func (m *Module) Mount(app *fiber.App) {
	app.Use(m.Middleware)
	m.mountRoutes(app)
}

func (m *Module) mountRoutes(app *fiber.App) {
	m.mountAPI(app)
	m.mountPages(app)
}

// SessionModule is the session middleware alone (it puts the Principal on the context):
// mount it before the authorisation middleware.
func (m *Module) SessionModule() web.Module { return sessionModule{m} }

// Routes are the account API and pages with the module's templates and messages: mount them
// after the authorisation middleware.
func (m *Module) Routes() web.Module { return routesModule{m} }

type sessionModule struct{ m *Module }

func (s sessionModule) Mount(app *fiber.App) { app.Use(s.m.Middleware) }

type routesModule struct{ m *Module }

func (r routesModule) Mount(app *fiber.App) { r.m.mountRoutes(app) }
func (r routesModule) Templates() fs.FS     { return r.m.Templates() }
func (r routesModule) Locales() fs.FS       { return r.m.Locales() }

// Templates are the module's pages (templates/account/*.html, named "account/<file>").
func (m *Module) Templates() fs.FS {
	sub, err := fs.Sub(templateFiles, "templates")
	if err != nil {
		panic(err)
	}
	return sub
}

// Locales are the module's messages (account.ms.yaml, account.en.yaml).
func (m *Module) Locales() fs.FS {
	sub, err := fs.Sub(localeFiles, "locales")
	if err != nil {
		panic(err) // the embedded directory is part of the binary
	}
	return sub
}
