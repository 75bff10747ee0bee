// Package admin is the state IT officer's console: user search and the officer's account
// actions (activate, deactivate, unlock, reset by e-mailed one-time code), the activation
// queue of self-registration tenants, cancellation requests with their due dates, failed
// mail, feed batches, feed API keys, the state's working calendar (weekend and public
// holidays, modules/calendar), and the tenant's audit trail with a CSV export. Its
// routes are mounted after the authz middleware, so the Casbin policies (it_officer; treasury
// reads the audit trail) decide who reaches them; every action writes audit_log.
package admin

import (
	"embed"
	"io/fs"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/foundation/fault"
	"github.com/speks-portal/speks/tenant"
)

//go:embed locales/*.yaml
var localeFiles embed.FS

//go:embed templates
var templateFiles embed.FS

// Module mounts the admin API.
type Module struct {
	Accounts *account.Service
	// Registry writes the tenant's settings row (public schema).
	Registry *tenant.Registry
}

// NewModule returns the console over the account service (which owns account changes) and
// the tenant registry (which owns the settings).
func NewModule(accounts *account.Service, registry *tenant.Registry) *Module {
	return &Module{Accounts: accounts, Registry: registry}
}

// Mount registers the routes; the authz middleware mounted before it guards every one.
func (m *Module) Mount(app *fiber.App) {
	api := app.Group("/api/v1/admin")
	api.Get("/users", m.apiUsers)
	api.Get("/activations", m.apiActivations)
	api.Get("/users/:user_id", m.apiUser)
	actions := map[string]actionFunc{"activate": m.activate, "deactivate": m.deactivate, "unlock": m.unlock, "reset": m.reset}
	for _, action := range userActions {
		api.Post("/users/:user_id/"+action, m.userAction(action, actions[action]))
		app.Post("/admin/users/:user_id/"+action, m.submitUserAction(action, actions[action]))
	}
	api.Post("/users/:user_id/roles", m.apiRoles)
	app.Post("/admin/users/:user_id/roles", m.submitRoles)
	app.Get("/admin", m.pageConsole)
	app.Post("/admin/cancellations/:id/complete", m.submitCompleteCancellation)
	app.Get("/admin/users", m.pageUsers)
	app.Get("/admin/settings", m.pageSettings)
	app.Post("/admin/settings", m.submitSettings)
	app.Post("/admin/settings/logo", m.submitLogo)
	app.Get(logoPath, m.serveLogo)
	app.Get("/admin/audit", m.pageAudit)
	app.Get("/admin/calendar", m.pageCalendar)
	app.Post("/admin/calendar/weekend", m.submitWeekend)
	app.Post("/admin/calendar/holidays", m.submitAddHoliday)
	app.Post("/admin/calendar/holidays/:date/remove", m.submitRemoveHoliday)
	app.Post("/admin/calendar/import", m.submitImportCalendar)
	api.Get("/calendar", m.apiCalendar)
	api.Put("/calendar/:year", m.apiImportCalendar)
	api.Get("/cancellations", m.apiCancellations)
	api.Post("/cancellations/:id/complete", m.apiCompleteCancellation)
	api.Get("/failed-mail", m.apiFailedMail)
	api.Get("/feed-batches", m.apiFeedBatches)
	api.Get("/apikeys", m.apiListKeys)
	api.Post("/apikeys", m.apiCreateKey)
	api.Delete("/apikeys/:prefix", m.apiRevokeKey)
	app.Get("/admin/apikeys", m.pageAPIKeys)
	app.Post("/admin/apikeys", m.submitCreateKey)
	app.Post("/admin/apikeys/:prefix/revoke", m.submitRevokeKey)
	api.Get("/audit", m.apiAudit)
	api.Get("/settings", m.apiSettings)
	api.Put("/settings", m.apiPutSettings)
	api.Post("/settings/logo", m.apiUploadLogo)
}

// Templates are the console's pages (templates/admin/*.html, named "admin/<file>").
func (m *Module) Templates() fs.FS {
	sub, err := fs.Sub(templateFiles, "templates")
	if err != nil {
		panic(err) // the embedded directory is part of the binary
	}
	return sub
}

// Locales are the module's messages (admin.ms.yaml, admin.en.yaml).
func (m *Module) Locales() fs.FS {
	sub, err := fs.Sub(localeFiles, "locales")
	if err != nil {
		panic(err) // the embedded directory is part of the binary
	}
	return sub
}

// actorLabel names the officer in audit entries written by the account service, which keeps
// a readable actor rather than an ID: name and account number, never the IC number.
func actorLabel(p *account.Principal) string {
	return p.Name + " #" + strconv.FormatInt(p.UserID, 10)
}

func pathID(c *fiber.Ctx, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Params(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, fault.New(fault.NotFound, "not_found", nil)
	}
	return id, nil
}
