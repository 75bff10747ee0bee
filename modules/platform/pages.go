package platform

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/modules/foundation/fault"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/tenant"
)

func (m *Module) mountPages(app *fiber.App) {
	pages := app.Group("/platform", platformOnly)
	pages.Get("/login", m.pageLogin)
	pages.Post("/login", m.submitLogin)
	pages.Post("/logout", m.submitLogout)
	app.Get("/platform", platformOnly, m.needAdmin(m.pageConsole))
	pages.Post("/tenants", m.needAdmin(m.submitOnboard))
	pages.Post("/tenants/:code/status", m.needAdmin(m.submitStatus))
	pages.Post("/tenants/:code/offboard", m.needAdmin(m.submitOffboard))
}

type loginPage struct {
	Error string
	Email string
}

func (m *Module) pageLogin(c *fiber.Ctx) error {
	if _, ok := SessionFrom(c); ok {
		return c.Redirect("/platform", fiber.StatusSeeOther)
	}
	return web.Render(c, "platform/login", loginPage{})
}

func (m *Module) submitLogin(c *fiber.Ctx) error {
	in := LoginInput{Email: c.FormValue("email"), Password: c.FormValue("password"), TOTP: c.FormValue("totp"),
		IP: c.IP(), UserAgent: c.Get(fiber.HeaderUserAgent)}
	_, token, err := m.svc.Login(c.UserContext(), in)
	if err != nil {
		coded, ok := fault.As(err)
		if !ok {
			return err
		}
		c.Status(web.StatusOf(err))
		return web.Render(c, "platform/login", loginPage{Error: web.T(c, coded.MessageKey, nil), Email: in.Email})
	}
	sessionCookie.Set(c, token)
	return c.Redirect("/platform", fiber.StatusSeeOther)
}

func (m *Module) submitLogout(c *fiber.Ctx) error {
	if sess, ok := SessionFrom(c); ok {
		if err := m.svc.Logout(c.UserContext(), sess); err != nil {
			return err
		}
	}
	sessionCookie.Clear(c)
	return c.Redirect("/platform/login", fiber.StatusSeeOther)
}

type consolePage struct {
	Admin   Admin
	Tenants []TenantView
	Notice  string
	Error   string
	Fields  map[string]string
	// FieldErrors are the onboarding form's problems by input name, translated, shown by the
	// input they concern.
	FieldErrors map[string]string
	Modes       []tenant.RegistrationMode
}

func (m *Module) renderConsole(c *fiber.Ctx, sess *Session, d consolePage) error {
	list, err := m.svc.ListTenants(c.UserContext())
	if err != nil {
		return err
	}
	d.Admin, d.Tenants = sess.Admin, list
	d.Modes = []tenant.RegistrationMode{tenant.PayrollMatch, tenant.SelfRegister, tenant.AdminOnly}
	if d.Fields == nil {
		d.Fields = map[string]string{}
	}
	if d.FieldErrors == nil {
		d.FieldErrors = map[string]string{}
	}
	return web.Render(c, "platform/console", d)
}

func (m *Module) pageConsole(c *fiber.Ctx, sess *Session) error {
	d := consolePage{}
	if done := c.Query("done"); done != "" {
		d.Notice = web.T(c, "platform_notice_"+safeKey(done), map[string]any{"Code": c.Query("code")})
	}
	return m.renderConsole(c, sess, d)
}

// safeKey keeps a query value usable as part of a message ID.
func safeKey(s string) string {
	switch s {
	case "onboarded", "suspended", "active", "offboarded":
		return s
	}
	return "unknown"
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == ' ' || r == '\r' }) {
		out = append(out, f)
	}
	return out
}

func (m *Module) submitOnboard(c *fiber.Ctx, sess *Session) error {
	fields := map[string]string{}
	for _, k := range []string{"code", "name", "hosts", "registration_mode", "email_domains", "retention_months",
		"helpdesk_email", "helpdesk_phone", "admin_ic_no", "admin_name", "admin_email"} {
		fields[k] = c.FormValue(k)
	}
	in := Onboarding{Code: fields["code"], Name: fields["name"], Hosts: splitList(fields["hosts"]),
		RegistrationMode: tenant.RegistrationMode(fields["registration_mode"]), EmailDomains: splitList(fields["email_domains"]),
		HelpdeskEmail: fields["helpdesk_email"], HelpdeskPhone: fields["helpdesk_phone"],
		Admin: FirstOfficer{ICNo: fields["admin_ic_no"], Name: fields["admin_name"], Email: fields["admin_email"]}}
	if r := fields["retention_months"]; r != "" {
		n, err := strconv.Atoi(strings.TrimSpace(r))
		if err != nil {
			n = -1 // reported by validation as out of range
		}
		in.RetentionMonths = n
	}
	t, err := m.svc.Onboard(c.UserContext(), in, sess.Admin.Email)
	if err != nil {
		msg, ferr := m.formError(c, err)
		if ferr != nil {
			return ferr
		}
		byInput, all := fieldMessages(c, err, strings.Join(splitList(strings.ToLower(fields["email_domains"])), ", "))
		if len(all) > 0 {
			msg = web.T(c, "error_invalid_tenant", nil) + " " + strings.Join(all, " ")
		}
		c.Status(fiber.StatusUnprocessableEntity)
		return m.renderConsole(c, sess, consolePage{Error: msg, Fields: fields, FieldErrors: byInput})
	}
	return c.Redirect("/platform?done=onboarded&code="+t.Code, fiber.StatusSeeOther)
}

func (m *Module) submitStatus(c *fiber.Ctx, sess *Session) error {
	status := tenant.Status(c.FormValue("status"))
	// Suspending stops a whole state at once: the form's box must be ticked (the browser
	// requires it; this holds for any other client). Resuming needs no confirmation.
	if status == tenant.StatusSuspended && c.FormValue("confirm") != "yes" {
		c.Status(fiber.StatusUnprocessableEntity)
		return m.renderConsole(c, sess, consolePage{Error: web.T(c, "platform_error_confirm_suspend", map[string]any{"Code": c.Params("code")})})
	}
	_, err := m.svc.ChangeTenant(c.UserContext(), c.Params("code"), Change{Status: &status}, sess.Admin.Email)
	if err != nil {
		msg, ferr := m.formError(c, err)
		if ferr != nil {
			return ferr
		}
		c.Status(fiber.StatusUnprocessableEntity)
		return m.renderConsole(c, sess, consolePage{Error: msg})
	}
	return c.Redirect("/platform?done="+safeKey(string(status))+"&code="+c.Params("code"), fiber.StatusSeeOther)
}

// submitOffboard drops a suspended, exported state for good. The administrator confirms by
// typing the state's code, which a stray click cannot do.
func (m *Module) submitOffboard(c *fiber.Ctx, sess *Session) error {
	code := c.Params("code")
	if strings.TrimSpace(c.FormValue("confirm_code")) != code {
		c.Status(fiber.StatusUnprocessableEntity)
		return m.renderConsole(c, sess, consolePage{Error: web.T(c, "platform_error_confirm_offboard", map[string]any{"Code": code})})
	}
	if err := m.svc.Offboard(c.UserContext(), code, sess.Admin.Email); err != nil {
		msg, ferr := m.formError(c, err)
		if ferr != nil {
			return ferr
		}
		c.Status(fiber.StatusConflict)
		return m.renderConsole(c, sess, consolePage{Error: msg})
	}
	return c.Redirect("/platform?done=offboarded&code="+code, fiber.StatusSeeOther)
}

// fieldMessages translates the problems of an onboarding form, by input (admin.email →
// admin_email) for display beside it, and all in order for the summary above the form: by
// the problem's code where it has one, else by its field. A problem without a translation
// keeps its developer message, so none is ever hidden.
func fieldMessages(c *fiber.Ctx, err error, domains string) (map[string]string, []string) {
	byInput := map[string]string{}
	var all []string
	var ve *tenant.ValidationError
	if !errors.As(err, &ve) {
		return byInput, nil
	}
	for _, p := range ve.Problems {
		input := strings.ReplaceAll(p.Field, ".", "_")
		key := "platform_problem_" + input
		if p.Code != "" {
			key = "platform_problem_" + p.Code
		}
		msg := web.T(c, key, map[string]any{"Domains": domains})
		if msg == key { // a field this form does not know: never hide the problem
			msg = p.Field + ": " + p.Message
		}
		if prev, ok := byInput[input]; ok {
			byInput[input] = prev + " " + msg
		} else {
			byInput[input] = msg
		}
		all = append(all, msg)
	}
	return byInput, all
}

// formError is the message shown above a form, or the error to answer when it is not the
// user's to fix.
func (m *Module) formError(c *fiber.Ctx, err error) (string, error) {
	var ve *tenant.ValidationError
	if errors.As(err, &ve) {
		parts := make([]string, len(ve.Problems))
		for i, p := range ve.Problems {
			parts[i] = p.Field + ": " + p.Message
		}
		return web.T(c, "error_invalid_tenant", nil) + " " + strings.Join(parts, "; "), nil
	}
	coded, ok := fault.As(err)
	if !ok || coded.Kind == fault.Internal {
		return "", err
	}
	return web.T(c, coded.MessageKey, nil), nil
}
