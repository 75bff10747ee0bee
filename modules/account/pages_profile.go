package account

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/modules/account/onetime"
	"github.com/speks-portal/speks/modules/foundation/web"
)

func (m *Module) pagePassword(c *fiber.Ctx) error {
	sess, err := pageSession(c)
	if sess == nil {
		return err
	}
	return render(c, "password", formPage{Extra: passwordData{Restricted: sess.Purpose == PurposeChangePassword, NeedsPhrase: sess.NeedsPhrase()},
		Done: c.Query("done") == "1", Focus: passwordFocus(sess)})
}

func (m *Module) submitPassword(c *fiber.Ctx) error {
	sess, err := pageSession(c)
	if sess == nil {
		return err
	}
	d := formPage{Extra: passwordData{Restricted: sess.Purpose == PurposeChangePassword, NeedsPhrase: sess.NeedsPhrase()},
		Focus: passwordFocus(sess)}
	if c.FormValue("new_password") != c.FormValue("confirm_password") {
		d.Error = web.T(c, "account_passwords_differ", nil)
		d.ErrorField = "confirm_password"
		c.Status(fiber.StatusUnprocessableEntity)
		return render(c, "password", d)
	}
	change := PasswordChange{Current: c.FormValue("current_password"), New: c.FormValue("new_password"), SecretPhrase: c.FormValue("secret_phrase")}
	err = m.Recovery.ChangePassword(c.UserContext(), sess, change, web.Lang(c))
	if err != nil {
		return fail(c, "password", d, err)
	}
	return c.Redirect("/account/password?done=1", fiber.StatusSeeOther)
}

// passwordFocus is the first field of the change-password form: a session opened with a
// one-time code has no current password to give.
func passwordFocus(sess *Session) string {
	if sess.Purpose == PurposeChangePassword {
		return "new_password"
	}
	return "current_password"
}

type passwordData struct {
	Restricted  bool // opened with a one-time code: no current password to give
	NeedsPhrase bool
}

type profileData struct {
	Profile     *Profile
	Departments []Department
	Cancelled   string
}

func (m *Module) pageProfile(c *fiber.Ctx) error {
	sess, err := pageSession(c)
	if sess == nil {
		return err
	}
	return m.renderProfile(c, sess, formPage{Done: c.Query("saved") == "1"}, c.Query("cancellation"))
}

func (m *Module) renderProfile(c *fiber.Ctx, sess *Session, d formPage, cancelled string) error {
	p, err := m.Service.Profile(c.UserContext(), sess.UserID)
	if err != nil {
		return err
	}
	deps, err := m.Service.Departments(c.UserContext())
	if err != nil {
		return err
	}
	d.Extra = profileData{Profile: p, Departments: deps, Cancelled: cancelled}
	return render(c, "profile", d)
}

func (m *Module) submitProfile(c *fiber.Ctx) error {
	sess, err := pageSession(c)
	if sess == nil {
		return err
	}
	deps, err := m.Service.Departments(c.UserContext())
	if err != nil {
		return err
	}
	email, phone, ptj := c.FormValue("email"), c.FormValue("phone"), c.FormValue("ptj_code")
	ch := ProfileChange{Email: &email, Phone: &phone}
	if phrase := c.FormValue("secret_phrase"); phrase != "" {
		ch.SecretPhrase = &phrase
	}
	if ptj != "" {
		dep := departmentOf(deps, ptj)
		ch.DepartmentCode, ch.PTJCode = &dep, &ptj
	}
	if _, err := m.Service.UpdateProfile(c.UserContext(), sess, ch, web.Lang(c), c.BaseURL()); err != nil {
		var invalid *InvalidInputError
		if errors.As(err, &invalid) {
			c.Status(fiber.StatusUnprocessableEntity)
			return m.renderProfile(c, sess, formPage{Error: web.T(c, "error_invalid_input", nil)}, "")
		}
		return err
	}
	return c.Redirect("/account/profile?saved=1", fiber.StatusSeeOther)
}

func (m *Module) pageConfirmEmail(c *fiber.Ctx) error {
	if _, err := needTenant(c); err != nil {
		return err
	}
	err := m.Service.ConfirmEmailChange(c.UserContext(), c.Query("token"))
	if err != nil && !errors.Is(err, onetime.ErrInvalidLink) {
		return err
	}
	if err != nil {
		c.Status(fiber.StatusNotFound)
	}
	return render(c, "email_confirmed", formPage{Done: err == nil})
}

func (m *Module) submitCancellation(c *fiber.Ctx) error {
	sess, err := pageSession(c)
	if sess == nil {
		return err
	}
	res, err := m.Service.RequestCancellation(c.UserContext(), sess, c.FormValue("reason"))
	if err != nil {
		var invalid *InvalidInputError
		if errors.As(err, &invalid) {
			c.Status(fiber.StatusUnprocessableEntity)
			return m.renderProfile(c, sess, formPage{Error: web.T(c, "error_invalid_input", nil)}, "")
		}
		return err
	}
	return c.Redirect("/account/profile?cancellation="+res.DueOn, fiber.StatusSeeOther)
}
