package account

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/modules/account/session"
	"github.com/speks-portal/speks/modules/foundation/fault"
	"github.com/speks-portal/speks/modules/foundation/sessions"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/tenant"
)

// sessionCookie carries the tenant session's token (modules/foundation/sessions: Secure and __Host- in production).
var sessionCookie = sessions.Cookie{Name: "speks_session"}

// sessionLocal is the c.Locals key of the request's *Session.
type sessionLocal struct{}

// SessionFrom returns the request's session, if it has one.
func SessionFrom(c *fiber.Ctx) (*Session, bool) {
	s, ok := c.Locals(sessionLocal{}).(*Session)
	return s, ok && s != nil
}

// Middleware loads the session of the cookie and, when there is one, puts the Principal on
// the request context (account.PrincipalFrom), checks the CSRF token of every state-changing
// request and keeps a restricted session (opened with a one-time code, or waiting for TOTP
// enrolment) to the few routes its purpose allows. Authorisation (Casbin) runs after it and
// reads the Principal; it never needs the cookie.
func (m *Module) Middleware(c *fiber.Ctx) error {
	sc, err := tenant.Require(c.UserContext())
	if err != nil {
		return c.Next() // platform host: no tenant accounts here
	}
	token := sessionCookie.Token(c)
	if token == "" {
		return c.Next()
	}
	sess, err := m.Login.Authenticate(c.UserContext(), token)
	if errors.Is(err, session.ErrNone) {
		sessionCookie.Clear(c) // expired or ended: the browser may as well forget it
		return c.Next()
	}
	if err != nil {
		return err
	}
	if !sessions.SafeMethod(c.Method()) && !sessions.ValidCSRF(c, sess.CSRFToken) {
		return fault.New(fault.Forbidden, "csrf_failed", nil)
	}
	if sess.Purpose != PurposeFull && !allowedWhileRestricted(sess.Purpose, c.Path()) {
		if sessions.SafeMethod(c.Method()) && !strings.HasPrefix(c.Path(), "/api/") {
			return c.Redirect(restrictedPage[sess.Purpose], fiber.StatusSeeOther)
		}
		return fault.New(fault.Forbidden, "restricted_session", nil)
	}
	c.Locals(sessionLocal{}, sess)
	c.Locals(web.CSRFTokenLocal, sess.CSRFToken)
	p := principalOf(sess.User, sess.Purpose != PurposeFull)
	c.SetUserContext(WithPrincipal(c.UserContext(), p))
	web.SetViewer(c, &web.Viewer{Name: p.Name, Roles: p.ActsAs(), LogoutURL: "/logout", Restricted: p.Restricted,
		IdleMinutes: sc.Tenant.SessionIdleMinutes, LoginURL: "/login"})
	return c.Next()
}

// restrictedRoutes are the only paths a restricted session reaches, by purpose. Everything
// else (payslips above all) answers 403 restricted_session.
var restrictedRoutes = map[string][]string{
	PurposeChangePassword:     {"/api/v1/account/password", "/account/password"},
	PurposeCompleteActivation: {"/api/v1/auth/activate", "/api/v1/auth/security-questions", "/activate"},
	PurposeEnrolTOTP:          {"/api/v1/account/totp/enrol", "/api/v1/account/totp/confirm", "/account/totp"},
}

// restrictedPage is where a page request of a restricted session is sent instead.
var restrictedPage = map[string]string{
	PurposeChangePassword:     "/account/password",
	PurposeCompleteActivation: "/activate",
	PurposeEnrolTOTP:          "/account/totp",
}

// alwaysAllowed are open to any session: reading it, ending it, or logging in afresh.
var alwaysAllowed = []string{"/api/v1/session", "/api/v1/auth/logout", "/logout",
	"/login", "/api/v1/auth/identify", "/api/v1/auth/login", "/account/forms.css"}

func allowedWhileRestricted(purpose, path string) bool {
	path = strings.TrimSuffix(path, "/")
	for _, p := range alwaysAllowed {
		if p == path {
			return true
		}
	}
	for _, p := range restrictedRoutes[purpose] {
		if p == path {
			return true
		}
	}
	return false
}
