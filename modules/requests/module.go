package requests

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/foundation/fault"
	"github.com/speks-portal/speks/modules/foundation/guard"
)

//go:embed locales/*.yaml
var localeFiles embed.FS

//go:embed templates
var templateFiles embed.FS

// Module serves the user-administration requests and the PTJ admin's API. Mount it after the
// authorisation middleware: the policies decide which roles reach each route, the service
// decides which rows each person reaches.
type Module struct{ svc *Service }

// NewModule returns the module over svc.
func NewModule(svc *Service) *Module { return &Module{svc: svc} }

// Locales are the module's messages (Malay default, English).
func (m *Module) Locales() fs.FS { sub, _ := fs.Sub(localeFiles, "locales"); return sub }

// Templates are the module's pages.
func (m *Module) Templates() fs.FS { sub, _ := fs.Sub(templateFiles, "templates"); return sub }

// Mount adds the routes, each behind the guard (which answers for a missing session).
func (m *Module) Mount(app *fiber.App) {
	api := app.Group("/api/v1/admin")
	api.Get("/requests", guard.API, m.list)
	api.Post("/requests", guard.API, m.create)
	api.Post("/requests/:id/approve", guard.API, m.approve)
	api.Post("/requests/:id/reject", guard.API, m.reject)
	api.Get("/requests/stuck", guard.API, m.stuck)
	api.Post("/requests/:id/retry", guard.API, m.retry)
	api.Get("/ptj/staff", guard.API, m.staff)
	api.Post("/ptj/staff/:user_id/email", guard.API, m.correctEmail)
	m.mountPages(app)
}

// principal is the caller guard.API or guard.Page checked for this route.
func principal(c *fiber.Ctx) *account.Principal {
	p, _ := guard.Caller(c)
	return p
}

func (m *Module) list(c *fiber.Ctx) error {
	out, err := m.svc.List(c.UserContext(), principal(c), c.Query("status"), PageFrom(c.Query("limit"), c.Query("offset")))
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (m *Module) stuck(c *fiber.Ctx) error {
	out, err := m.svc.Stuck(c.UserContext(), principal(c), PageFrom(c.Query("limit"), c.Query("offset")))
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (m *Module) retry(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	r, err := m.svc.Retry(c.UserContext(), principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(r)
}

func (m *Module) create(c *fiber.Ctx) error {
	var in NewRequest
	if err := c.BodyParser(&in); err != nil {
		return invalidJSON(err)
	}
	r, err := m.svc.Create(c.UserContext(), principal(c), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(r)
}

func (m *Module) approve(c *fiber.Ctx) error { return m.decide(c, m.svc.Approve) }
func (m *Module) reject(c *fiber.Ctx) error  { return m.decide(c, m.svc.Reject) }

// decideFunc is Service.Approve or Service.Reject.
type decideFunc func(ctx context.Context, p *account.Principal, id int64, d Decision) (*Request, error)

func (m *Module) decide(c *fiber.Ctx, fn decideFunc) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var d Decision
	if len(c.Body()) > 0 {
		if err := c.BodyParser(&d); err != nil {
			return invalidJSON(err)
		}
	}
	r, err := fn(c.UserContext(), principal(c), id, d)
	if err != nil {
		return err
	}
	return c.JSON(r)
}

func (m *Module) staff(c *fiber.Ctx) error {
	out, err := m.svc.Staff(c.UserContext(), principal(c), c.Query("q"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"staff": out})
}

func (m *Module) correctEmail(c *fiber.Ctx) error {
	id, err := pathID(c, "user_id")
	if err != nil {
		return err
	}
	var in struct {
		Email string `json:"email"`
	}
	if err := c.BodyParser(&in); err != nil {
		return invalidJSON(err)
	}
	if err := m.svc.CorrectEmail(c.UserContext(), principal(c), id, in.Email); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// pathID is the route parameter name as a positive integer, or ErrNotFound.
func pathID(c *fiber.Ctx, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Params(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return id, nil
}

// invalidJSON is a body that is not the route's JSON.
func invalidJSON(err error) error {
	return fault.New(fault.BadRequest, "invalid_json", err).Message("requests_error_invalid_json", nil)
}
