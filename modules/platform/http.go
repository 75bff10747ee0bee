package platform

import (
	"embed"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/modules/foundation/authz"
	"github.com/speks-portal/speks/modules/foundation/fault"
	"github.com/speks-portal/speks/tenant"
)

//go:embed locales/*.yaml
var localeFiles embed.FS

//go:embed templates
var templateFiles embed.FS

// Module is the console's routes (API and pages); mount it after authz.
type Module struct{ svc *Service }

// NewModule returns the routes module.
func NewModule(svc *Service) *Module { return &Module{svc: svc} }

// Locales are the console's messages (ms, en).
func (m *Module) Locales() fs.FS {
	sub, _ := fs.Sub(localeFiles, "locales")
	return sub
}

// Templates are the console's pages.
func (m *Module) Templates() fs.FS {
	sub, _ := fs.Sub(templateFiles, "templates")
	return sub
}

// Mount adds the routes; every one answers only on the platform host.
func (m *Module) Mount(app *fiber.App) {
	api := app.Group("/api/v1/platform", platformOnly)
	api.Post("/auth/login", m.apiLogin)
	api.Post("/auth/logout", m.apiLogout)
	api.Get("/session", m.apiSession)
	api.Get("/tenants", m.needAdmin(m.apiList))
	api.Post("/tenants", m.needAdmin(m.apiOnboard))
	api.Get("/tenants/:code", m.needAdmin(m.apiGet))
	api.Patch("/tenants/:code", m.needAdmin(m.apiPatch))
	api.Delete("/tenants/:code", m.needAdmin(m.apiOffboard))
	api.Post("/tenants/:code/export", m.needAdmin(m.apiExport))
	m.mountPages(app)
}

// platformOnly hides the console from tenant hosts (404, as for any unknown route); authz
// refuses them too, this keeps the answer the same as for a route that does not exist.
func platformOnly(c *fiber.Ctx) error {
	if !tenant.IsPlatform(c.UserContext()) {
		return fault.New(fault.NotFound, "not_found", nil)
	}
	return c.Next()
}

// needAdmin passes the session to h; authz has already required platform_admin, this is the
// handler's own check that the Principal came from a platform session.
func (m *Module) needAdmin(h func(c *fiber.Ctx, sess *Session) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sess, ok := SessionFrom(c)
		if !ok {
			return fault.Unauth()
		}
		return h(c, sess)
	}
}

type sessionAnswer struct {
	User      userAnswer `json:"user"`
	CSRFToken string     `json:"csrf_token"`
	Next      string     `json:"next"`
}

type userAnswer struct {
	ID    int64    `json:"id"`
	Name  string   `json:"name"`
	Email string   `json:"email"`
	Roles []string `json:"roles"`
}

func answer(sess *Session) sessionAnswer {
	return sessionAnswer{
		User:      userAnswer{ID: sess.Admin.ID, Name: sess.Admin.Name, Email: sess.Admin.Email, Roles: []string{authz.PlatformAdmin}},
		CSRFToken: sess.CSRFToken, Next: "home",
	}
}

func (m *Module) apiLogin(c *fiber.Ctx) error {
	var in LoginInput
	if err := c.BodyParser(&in); err != nil {
		return fault.New(fault.BadRequest, "invalid_input", err)
	}
	in.IP, in.UserAgent = c.IP(), c.Get(fiber.HeaderUserAgent)
	sess, token, err := m.svc.Login(c.UserContext(), in)
	if err != nil {
		return err
	}
	sessionCookie.Set(c, token)
	return c.JSON(answer(sess))
}

func (m *Module) apiLogout(c *fiber.Ctx) error {
	if sess, ok := SessionFrom(c); ok {
		if err := m.svc.Logout(c.UserContext(), sess); err != nil {
			return err
		}
	}
	sessionCookie.Clear(c)
	return c.SendStatus(fiber.StatusNoContent)
}

func (m *Module) apiSession(c *fiber.Ctx) error {
	sess, ok := SessionFrom(c)
	if !ok {
		return fault.Unauth()
	}
	return c.JSON(answer(sess))
}

func (m *Module) apiList(c *fiber.Ctx, _ *Session) error {
	list, err := m.svc.ListTenants(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(list)
}

func (m *Module) apiGet(c *fiber.Ctx, _ *Session) error {
	v, err := m.svc.Tenant(c.UserContext(), c.Params("code"))
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (m *Module) apiOnboard(c *fiber.Ctx, sess *Session) error {
	var in Onboarding
	if err := c.BodyParser(&in); err != nil {
		return fault.New(fault.BadRequest, "invalid_input", err)
	}
	started := time.Now()
	t, err := m.svc.Onboard(c.UserContext(), in, sess.Admin.Email)
	if err != nil {
		return err
	}
	m.svc.log().InfoContext(c.UserContext(), "tenant onboarded", "tenant", t.Code, "took", time.Since(started))
	v, err := m.svc.Tenant(c.UserContext(), t.Code)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(v)
}

func (m *Module) apiPatch(c *fiber.Ctx, sess *Session) error {
	var ch Change
	if err := c.BodyParser(&ch); err != nil {
		return fault.New(fault.BadRequest, "invalid_input", err)
	}
	v, err := m.svc.ChangeTenant(c.UserContext(), c.Params("code"), ch, sess.Admin.Email)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (m *Module) apiOffboard(c *fiber.Ctx, sess *Session) error {
	if err := m.svc.Offboard(c.UserContext(), c.Params("code"), sess.Admin.Email); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// apiExport builds the archive in an unlinked temporary file (so nothing is left on disk
// whatever happens) and sends it only once it is complete and exported_at is set: a failure
// half-way answers an error, never a truncated ZIP.
func (m *Module) apiExport(c *fiber.Ctx, sess *Session) error {
	code := c.Params("code")
	f, err := os.CreateTemp("", "speks-export-*.zip")
	if err != nil {
		return fmt.Errorf("export %s: temporary file: %w", code, err)
	}
	_ = os.Remove(f.Name())
	if err := m.svc.Export(c.UserContext(), code, f, sess.Admin.Email); err != nil {
		_ = f.Close()
		return err
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		_ = f.Close()
		return fmt.Errorf("export %s: rewind: %w", code, err)
	}
	name := fmt.Sprintf("speks-%s-%s.zip", code, time.Now().UTC().Format("20060102T150405Z"))
	c.Set(fiber.HeaderContentType, "application/zip")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.SendStream(f, int(size)) // fasthttp closes f once sent
}
