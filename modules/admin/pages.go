package admin

import (
	"net/url"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/modules/foundation/fault"
	"github.com/speks-portal/speks/modules/foundation/guard"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/modules/requests"
)

// The console's pages share the JSON API's logic; actions are plain form posts (CSRF token
// in the form) answered with a redirect, so they work without JavaScript.

type usersPage struct {
	Query    UserQuery
	Users    []UserRow
	Total    int
	Done     string // the action just carried out, for the confirmation line
	Error    string // the error code of a refused action
	Statuses []string
	Roles    []string // the roles the roles form offers
}

var statusOrder = []string{"pending_verification", "pending_activation", "active", "locked", "deactivated"}

func (m *Module) pageUsers(c *fiber.Ctx) error {
	_, sc, err := guard.Require(c)
	if err != nil {
		return err
	}
	q := UserQuery{Q: c.Query("q"), Status: c.Query("status"), Page: c.QueryInt("page", 1)}
	if q.Status != "" && !statuses[q.Status] {
		q.Status = ""
	}
	rows, total, err := SearchUsers(c.UserContext(), sc.DB, q)
	if err != nil {
		return err
	}
	return web.Render(c, "admin/users", usersPage{Query: q, Users: rows, Total: total,
		Done: allowedAction(c.Query("done")), Error: allowedError(c.Query("error")),
		Statuses: statusOrder, Roles: requests.GrantableRoles})
}

// destructiveActions cannot be taken back by the person concerned: the list asks for a
// confirmation first, and the form post must carry it.
var destructiveActions = map[string]bool{"deactivate": true, "reset": true}

// Destructive reports whether action asks for confirmation.
func (usersPage) Destructive(action string) bool { return destructiveActions[action] }

// submitUserAction carries out the form's action, then returns to the list it came from.
func (m *Module) submitUserAction(name string, fn actionFunc) fiber.Handler {
	return func(c *fiber.Ctx) error {
		back := url.Values{"q": {c.FormValue("q")}, "status": {c.FormValue("status")}}
		if destructiveActions[name] && c.FormValue("confirm") != "yes" {
			back.Set("error", "confirm_required")
			return c.Redirect("/admin/users?"+back.Encode(), fiber.StatusSeeOther)
		}
		if _, err := m.perform(c, fn); err != nil {
			e, ok := fault.As(err)
			if !ok || e.Kind == fault.Internal {
				return err
			}
			back.Set("error", e.Code)
		} else {
			back.Set("done", name)
		}
		return c.Redirect("/admin/users?"+back.Encode(), fiber.StatusSeeOther)
	}
}

var userActions = []string{"activate", "deactivate", "unlock", "reset"}

func allowedAction(s string) string {
	for _, a := range append(userActions, "roles") {
		if a == s {
			return a
		}
	}
	return ""
}

// allowedError keeps only codes the page has a message for, so the query string cannot put
// arbitrary message IDs on the page.
func allowedError(s string) string {
	switch s {
	case "invalid_status", "self_action", "not_found", "invalid_input", "confirm_required":
		return s
	}
	return ""
}

type auditPage struct {
	From, To, Actor, Action string
	Entries                 []AuditEntry
	CSV                     string
	Error                   bool
}

func (m *Module) pageAudit(c *fiber.Ctx) error {
	_, sc, err := guard.Require(c)
	if err != nil {
		return err
	}
	d := auditPage{From: c.Query("from"), To: c.Query("to"), Actor: c.Query("actor"), Action: c.Query("action")}
	from, err1 := parseDay(d.From)
	to, err2 := parseDay(d.To)
	if err1 != nil || err2 != nil {
		d.Error = true
		return web.Render(c, "admin/audit", d)
	}
	d.Entries, err = SearchAudit(c.UserContext(), sc.DB, AuditQuery{From: from, To: to, Actor: d.Actor, Action: d.Action, Limit: 200})
	if err != nil {
		return err
	}
	v := url.Values{"format": {"csv"}, "from": {d.From}, "to": {d.To}, "actor": {d.Actor}, "action": {d.Action}}
	d.CSV = "/api/v1/admin/audit?" + v.Encode()
	return web.Render(c, "admin/audit", d)
}

// FormatUser is the template's view of an optional account number.
func (e AuditEntry) FormatUser() string { return optInt(e.UserID) }

// ActorText is who acted as the trail shows it: the readable actor the entry was written
// with (an officer's name, a person's masked login ID, with their account number), else the
// bare account number of entries that carry only that.
func (e AuditEntry) ActorText() string {
	if e.Actor != "" || e.ActorUserID == nil {
		return e.Actor
	}
	return "#" + optInt(e.ActorUserID)
}

// PageLink is the query of another page of the same search.
func (q UserQuery) PageLink(page int) string {
	return "?" + url.Values{"q": {q.Q}, "status": {q.Status}, "page": {strconv.Itoa(page)}}.Encode()
}

type consolePage struct {
	Activations   []Activation
	Cancellations []Cancellation
	FailedMail    int
	Batches       []Batch
	Done, Error   string
}

// pageConsole is the IT officer's desk: what waits for them (activations, cancellations with
// their due dates), failed mail and the latest feeds.
func (m *Module) pageConsole(c *fiber.Ctx) error {
	_, sc, err := guard.Require(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	d := consolePage{Error: allowedError(c.Query("error"))}
	if c.Query("done") == "complete" {
		d.Done = "complete"
	}
	if d.Activations, err = ActivationQueue(ctx, sc.DB); err != nil {
		return err
	}
	if d.Cancellations, err = Cancellations(ctx, sc.DB, "open"); err != nil {
		return err
	}
	if err := sc.DB.GetContext(ctx, &d.FailedMail, `SELECT count(*) FROM outbox WHERE status = 'failed'`); err != nil {
		return err
	}
	if d.Batches, err = Batches(ctx, sc.DB, 10); err != nil {
		return err
	}
	return web.Render(c, "admin/console", d)
}

// submitCompleteCancellation is the console's "complete" button.
func (m *Module) submitCompleteCancellation(c *fiber.Ctx) error {
	if err := m.completeCancellation(c); err != nil {
		e, ok := fault.As(err)
		if !ok || e.Kind == fault.Internal {
			return err
		}
		return c.Redirect("/admin?error="+url.QueryEscape(e.Code), fiber.StatusSeeOther)
	}
	return c.Redirect("/admin?done=complete", fiber.StatusSeeOther)
}
