package account

import (
	"errors"
	"html/template"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/modules/account/credentials"
	"github.com/speks-portal/speks/modules/foundation/fault"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/tenant"
)

// formPage is what every account page template gets as .Data.
type formPage struct {
	Error   string            // a translated message, shown above the form
	Fields  map[string]string // values to put back into the form
	Reasons []string          // weak-password reasons, translated
	Done    bool              // the form was accepted
	Notice  string            // a translated note after a redirect (logged out, expired …)
	Extra   any
	// ErrorField is the form field the error is about; Focus the field a person starts in.
	ErrorField, Focus string
}

// FieldAttrs are the attributes of form field name: the field in error takes the focus and
// is tied to the error message (aria-invalid, aria-describedby), so a keyboard or screen
// reader user lands where the fix is; without an error the page's first field has the focus.
// hints are the ids of the field's own hint texts, described by the field as well.
func (d formPage) FieldAttrs(name string, hints ...string) template.HTMLAttr {
	var attrs []string
	describedBy := hints
	switch {
	case d.Error != "" && name == d.ErrorField:
		attrs = append(attrs, "autofocus", `aria-invalid="true"`)
		describedBy = append([]string{"form-error"}, hints...)
	case (d.Error == "" || d.ErrorField == "") && name == d.Focus:
		attrs = append(attrs, "autofocus")
	}
	if len(describedBy) > 0 {
		attrs = append(attrs, `aria-describedby="`+template.HTMLEscapeString(strings.Join(describedBy, " "))+`"`)
	}
	return template.HTMLAttr(strings.Join(attrs, " ")) //nolint:gosec // fixed attribute names, escaped ids
}

// mountPages adds the HTML pages; they call the same Service as the JSON API. Each flow has
// its file: pages_login.go, pages_activation.go (first login, activation), pages_register.go,
// pages_recovery.go, pages_profile.go (password, profile, cancellation), pages_totp.go.
func (m *Module) mountPages(app *fiber.App) {
	app.Get("/account/forms.css", formsCSS)
	app.Get("/login", m.pageLogin)
	app.Post("/login", m.submitLogin)
	app.Post("/logout", m.submitLogout)
	app.Get("/home", m.pageHome)
	app.Get("/account", m.pageAccount)
	app.Get("/first-login", m.pageFirstLogin)
	app.Post("/first-login", m.submitFirstLogin)
	app.Get("/activate", m.pageActivate)
	app.Post("/activate", m.submitActivate)
	app.Get("/register", m.pageRegister)
	app.Post("/register", m.submitRegister)
	app.Get("/verify-email", m.pageVerifyEmail)
	app.Get("/forgot-password", m.pageForgot)
	app.Post("/forgot-password", m.submitForgot)
	app.Get("/account/password", m.pagePassword)
	app.Post("/account/password", m.submitPassword)
	app.Get("/account/profile", m.pageProfile)
	app.Post("/account/profile", m.submitProfile)
	app.Get("/account/email/confirm", m.pageConfirmEmail)
	app.Post("/account/cancellation", m.submitCancellation)
	app.Post("/account/sessions/end-all", m.submitEndAll)
	app.Get("/account/totp", m.pageTOTP)
	app.Post("/account/totp", m.submitTOTP)
}

func render(c *fiber.Ctx, name string, d formPage) error {
	return web.Render(c, "account/"+name, d)
}

// contextWords names, for the contains_context reason, the words a password may not contain
// here: the platform's and portals' names and the state's (credentials.CheckPassword).
func contextWords(c *fiber.Ctx) string {
	words := append([]string{}, credentials.ServiceNames...)
	if sc, ok := tenant.FromContext(c.UserContext()); ok {
		words = append(words, sc.Tenant.Name)
	}
	return strings.Join(words, ", ")
}

// fail re-renders a form with the translated message of err (and 4xx status).
func fail(c *fiber.Ctx, name string, d formPage, err error) error {
	var weak *WeakPasswordError
	var invalid *InvalidInputError
	coded, ok := fault.As(err)
	switch {
	case errors.As(err, &weak):
		for _, r := range weak.Reasons {
			d.Reasons = append(d.Reasons, web.T(c, "account_reason_"+r, map[string]any{"Words": contextWords(c)}))
		}
		d.Error = web.T(c, "error_weak_password", nil)
		d.ErrorField = "new_password"
		c.Status(web.StatusOf(err))
	case errors.As(err, &invalid):
		d.Error = web.T(c, "error_invalid_input", nil)
		if len(invalid.Fields) > 0 {
			d.ErrorField = invalid.Fields[0]
		}
		c.Status(web.StatusOf(err))
	case ok && coded.Kind != fault.Internal:
		d.Error = web.T(c, coded.MessageKey, nil)
		if errors.Is(err, ErrWrongCurrentPassword) {
			d.ErrorField = "current_password"
		}
		c.Status(web.StatusOf(err))
	default:
		return err
	}
	return render(c, name, d)
}

func currentTenant(c *fiber.Ctx) *tenant.Tenant {
	if sc, ok := tenant.FromContext(c.UserContext()); ok {
		return sc.Tenant
	}
	return nil
}

// needTenant answers 404 on the platform host, where there are no accounts.
func needTenant(c *fiber.Ctx) (*tenant.Tenant, error) {
	t := currentTenant(c)
	if t == nil {
		return nil, fault.New(fault.NotFound, "not_found", nil)
	}
	return t, nil
}

// nextPage is where a login with this `next` continues.
func nextPage(next string) string {
	if p, ok := restrictedPage[next]; ok {
		return p
	}
	return "/home"
}

// pageSession returns the session of a page that needs one, or redirects to the login.
func pageSession(c *fiber.Ctx) (*Session, error) {
	sess, ok := SessionFrom(c)
	if !ok {
		return nil, c.Redirect("/login", fiber.StatusSeeOther)
	}
	return sess, nil
}

type homeData struct {
	Name, Category string
	IdleMinutes    int
}

// pageHome is /home, where a login lands. When a records module mounted after this one
// serves its own /home (payslips, payments), that page is the home and this one steps aside;
// the account overview stays at /account.
func (m *Module) pageHome(c *fiber.Ctx) error {
	if _, ok := SessionFrom(c); ok && m.homeServedElsewhere(c.App()) {
		return c.Next()
	}
	return m.pageAccount(c)
}

// homeServedElsewhere reports, once per app, whether another module also routes GET /home.
func (m *Module) homeServedElsewhere(app *fiber.App) bool {
	m.homeOnce.Do(func() {
		n := 0
		for _, r := range app.GetRoutes(true) {
			if r.Method == fiber.MethodGet && r.Path == "/home" {
				n++
			}
		}
		m.otherHome = n > 1
	})
	return m.otherHome
}

// pageAccount is the account overview: the name, the services, the account's own links.
func (m *Module) pageAccount(c *fiber.Ctx) error {
	sess, ok := SessionFrom(c)
	if !ok {
		return c.Redirect("/login", fiber.StatusSeeOther)
	}
	t := currentTenant(c)
	return render(c, "home", formPage{Extra: homeData{Name: sess.User.Name, Category: sess.User.Category, IdleMinutes: t.SessionIdleMinutes}})
}

// formsCSS styles the account forms. The shell's stylesheet has no form rules yet; this small
// sheet is served from this origin, as the CSP requires.
func formsCSS(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, "text/css; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return c.SendString(formsStylesheet)
}

const formsStylesheet = `.form{max-width:32rem;display:grid;gap:.9rem;margin:1rem 0}
.form label{display:grid;gap:.3rem;font-weight:600}
.form input,.form select,.form textarea{font:inherit;padding:.55rem .6rem;border:1px solid #8a8a8a;border-radius:4px;font-weight:400}
.form .hint{font-weight:400;font-size:.9rem;color:#555}
.alert{border-left:4px solid #b3261e;background:#fdecea;padding:.7rem 1rem;margin:1rem 0}
.success{border-left:4px solid #1e7b34;background:#e9f6ec;padding:.7rem 1rem;margin:1rem 0}
.phrase{font-size:1.25rem;font-weight:700;padding:.6rem 1rem;border:2px dashed #777;display:inline-block}
.inline{display:inline}
dl.profile dt{font-weight:600}dl.profile dd{margin:0 0 .6rem 0}`
