package requests

import (
	"fmt"
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/modules/foundation/authz"
	"github.com/speks-portal/speks/modules/foundation/fault"
	"github.com/speks-portal/speks/modules/foundation/guard"
	"github.com/speks-portal/speks/modules/foundation/web"
)

// mountPages adds the console pages. They call the same service as the API, so the scope
// rules are the same; forms post back here and redirect (post/redirect/get).
func (m *Module) mountPages(app *fiber.App) {
	app.Get("/admin/requests", guard.Page, m.requestsPage)
	app.Post("/admin/requests", guard.Page, m.raiseForm)
	app.Post("/admin/requests/:id/approve", guard.Page, m.decideForm(m.svc.Approve))
	app.Post("/admin/requests/:id/reject", guard.Page, confirmed("requests_error_confirm_required", func(c *fiber.Ctx, msg string) error {
		return m.renderRequests(c, requestsData{Error: msg})
	}), m.decideForm(m.svc.Reject))
	app.Get("/admin/requests/stuck", guard.Page, m.stuckPage)
	app.Post("/admin/requests/:id/retry", guard.Page, confirmed("requests_error_retry_confirm_required", func(c *fiber.Ctx, msg string) error {
		return m.renderStuck(c, stuckData{Error: msg})
	}), m.retryForm)
	app.Get("/admin/ptj/staff", guard.Page, m.staffPage)
	app.Post("/admin/ptj/staff/:user_id/email", guard.Page, m.emailForm)
}

type requestsData struct {
	Requests *Paged // each with CanDecide, the service's own rule
	PagePath string // the list's URL up to the offset, for the pager
	CanRaise bool
	Roles    []string
	Kinds    []string
	Status   string
	Done     string
	Error    string
	Form     NewRequest
}

func (m *Module) requestsPage(c *fiber.Ctx) error {
	return m.renderRequests(c, requestsData{Done: c.Query("done")})
}

func (m *Module) renderRequests(c *fiber.Ctx, d requestsData) error {
	p := principal(c)
	d.Status = c.Query("status")
	list, err := m.svc.List(c.UserContext(), p, d.Status, PageFrom(c.Query("limit"), c.Query("offset")))
	if err != nil {
		return err
	}
	d.Requests, d.Roles = list, GrantableRoles
	d.PagePath = "/admin/requests?status=" + url.QueryEscape(d.Status) + "&"
	d.Kinds = []string{KindNewUser, KindChangeAccess, KindDeactivate}
	d.CanRaise = p.HasRole(authz.PTJAdmin) || p.HasRole(authz.HeadOfDepartment)
	return web.Render(c, "requests/requests", d)
}

// formError re-renders a page with the message of a workflow error, or returns the error.
func formError(c *fiber.Ctx, err error, render func(msg string) error) error {
	if coded, ok := fault.As(err); ok && coded.Kind != fault.Internal {
		c.Status(web.StatusOf(err))
		return render(web.T(c, coded.MessageKey, coded.Params))
	}
	return err
}

func (m *Module) raiseForm(c *fiber.Ctx) error {
	in := NewRequest{Kind: c.FormValue("kind"), IC: c.FormValue("ic_no"), Reason: c.FormValue("reason")}
	for _, r := range c.Request().PostArgs().PeekMulti("roles") {
		in.Roles = append(in.Roles, string(r))
	}
	if _, err := m.svc.Create(c.UserContext(), principal(c), in); err != nil {
		return formError(c, err, func(msg string) error {
			return m.renderRequests(c, requestsData{Error: msg, Form: in})
		})
	}
	return c.Redirect("/admin/requests?done=raised", fiber.StatusSeeOther)
}

func (m *Module) decideForm(fn decideFunc) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		r, err := fn(c.UserContext(), principal(c), id, Decision{Note: c.FormValue("note")})
		if err != nil {
			return formError(c, err, func(msg string) error { return m.renderRequests(c, requestsData{Error: msg}) })
		}
		return c.Redirect("/admin/requests?done="+url.QueryEscape(r.Status), fiber.StatusSeeOther)
	}
}

// confirmed refuses a destructive form whose confirmation box was not ticked, re-rendering
// the page with render: browsers enforce the box's required attribute, this holds for any
// other client too.
func confirmed(messageID string, render func(c *fiber.Ctx, msg string) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if c.FormValue("confirm") == "yes" {
			return c.Next()
		}
		c.Status(fiber.StatusUnprocessableEntity)
		return render(c, web.T(c, messageID, nil))
	}
}

type stuckData struct {
	Requests *Paged
	PagePath string
	Done     string
	Error    string
}

func (m *Module) stuckPage(c *fiber.Ctx) error {
	return m.renderStuck(c, stuckData{Done: c.Query("done")})
}

func (m *Module) renderStuck(c *fiber.Ctx, d stuckData) error {
	list, err := m.svc.Stuck(c.UserContext(), principal(c), PageFrom(c.Query("limit"), c.Query("offset")))
	if err != nil {
		return err
	}
	d.Requests, d.PagePath = list, "/admin/requests/stuck?"
	return web.Render(c, "requests/stuck", d)
}

func (m *Module) retryForm(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	r, err := m.svc.Retry(c.UserContext(), principal(c), id)
	if err != nil {
		return formError(c, err, func(msg string) error { return m.renderStuck(c, stuckData{Error: msg}) })
	}
	// The outcome is the request's own: completed, or failed again with the new reason.
	return c.Redirect(fmt.Sprintf("/admin/requests/stuck?done=retry_%s&request=%d", url.QueryEscape(r.Status), r.ID), fiber.StatusSeeOther)
}

type staffData struct {
	Staff []StaffMember
	Q     string
	Done  bool
	Error string
}

func (m *Module) staffPage(c *fiber.Ctx) error {
	return m.renderStaff(c, staffData{Done: c.Query("done") == "email"})
}

func (m *Module) renderStaff(c *fiber.Ctx, d staffData) error {
	d.Q = c.Query("q")
	list, err := m.svc.Staff(c.UserContext(), principal(c), d.Q)
	if err != nil {
		return err
	}
	d.Staff = list
	return web.Render(c, "requests/staff", d)
}

func (m *Module) emailForm(c *fiber.Ctx) error {
	id, err := pathID(c, "user_id")
	if err != nil {
		return err
	}
	if err := m.svc.CorrectEmail(c.UserContext(), principal(c), id, c.FormValue("email")); err != nil {
		return formError(c, err, func(msg string) error { return m.renderStaff(c, staffData{Error: msg}) })
	}
	return c.Redirect("/admin/ptj/staff?done=email", fiber.StatusSeeOther)
}
