package account

import (
	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/modules/foundation/web"
)

// loginNotices are the messages the login page shows after a redirect to it.
var loginNotices = map[string]string{
	"expired":    "account_notice_expired",
	"logged_out": "account_notice_logged_out",
	"activated":  "account_notice_activated",
}

func (m *Module) pageLogin(c *fiber.Ctx) error {
	if _, err := needTenant(c); err != nil {
		return err
	}
	// Signed in already: the form would only invite a second login; go where a login leads.
	if sess, ok := SessionFrom(c); ok {
		return c.Redirect(nextPage(sess.Purpose), fiber.StatusSeeOther)
	}
	d := formPage{Focus: "id"}
	for q, id := range loginNotices {
		if c.Query(q) == "1" {
			d.Notice = web.T(c, id, nil)
		}
	}
	return render(c, "login", d)
}

// submitLogin is both steps: with only an ID it shows the phrase and the password field;
// with a password it logs in.
func (m *Module) submitLogin(c *fiber.Ctx) error {
	if _, err := needTenant(c); err != nil {
		return err
	}
	id := c.FormValue("id")
	d := formPage{Fields: map[string]string{"id": id}, Focus: "id", ErrorField: "id"}
	if c.FormValue("step") != "password" {
		phrase, err := m.Login.Identify(c.UserContext(), id, c.IP())
		if err != nil {
			return fail(c, "login", d, err)
		}
		d.Fields["phrase"] = phrase
		d.Focus = "password"
		return render(c, "login_password", d)
	}
	res, err := m.login(c, LoginInput{ID: id, Password: c.FormValue("password"), TOTP: c.FormValue("totp")})
	if err != nil {
		// Back to the first step: the phrase is shown again only after the ID is sent again.
		return fail(c, "login", d, err)
	}
	return c.Redirect(nextPage(res.Next), fiber.StatusSeeOther)
}

func (m *Module) submitLogout(c *fiber.Ctx) error {
	if sess, ok := SessionFrom(c); ok {
		if err := m.Login.Logout(c.UserContext(), sess); err != nil {
			return err
		}
	}
	sessionCookie.Clear(c)
	return c.Redirect("/login?logged_out=1", fiber.StatusSeeOther)
}

func (m *Module) submitEndAll(c *fiber.Ctx) error {
	sess, ok := SessionFrom(c)
	if !ok {
		return c.Redirect("/login", fiber.StatusSeeOther)
	}
	if err := m.Login.LogoutEverywhere(c.UserContext(), sess); err != nil {
		return err
	}
	sessionCookie.Clear(c)
	return c.Redirect("/login?logged_out=1", fiber.StatusSeeOther)
}
