package account

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/modules/account/identity"
	"github.com/speks-portal/speks/modules/account/onetime"
	"github.com/speks-portal/speks/modules/foundation/fault"
	"github.com/speks-portal/speks/modules/foundation/web"
)

// UserInfo is the user part of the login and session answers.
type UserInfo struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Category string   `json:"category"`
	Roles    []string `json:"roles"`
}

// SessionInfo is the answer of POST /api/v1/auth/login and GET /api/v1/session.
type SessionInfo struct {
	User      UserInfo `json:"user"`
	CSRFToken string   `json:"csrf_token"`
	Next      string   `json:"next"`
}

func userInfo(u *identity.User) UserInfo {
	roles := append([]string{}, u.Roles...)
	return UserInfo{ID: u.LoginID, Name: u.Name, Category: u.Category, Roles: roles}
}

// mountAPI adds the JSON routes of docs/API.md "Session, login and account".
func (m *Module) mountAPI(app *fiber.App) {
	api := app.Group("/api/v1")
	api.Post("/auth/identify", m.apiIdentify)
	api.Post("/auth/login", m.apiLogin)
	api.Post("/auth/logout", m.apiLogout)
	api.Get("/session", m.apiSession)
	api.Post("/account/sessions/end-all", m.needSession(m.apiLogoutEverywhere))
	api.Post("/account/password", m.needSession(m.apiChangePassword))
	api.Post("/auth/forgot-password", m.apiForgotPassword)
	api.Post("/auth/first-login", m.apiFirstLogin)
	api.Post("/auth/register", m.apiRegister)
	api.Get("/auth/verify-email", m.apiVerifyEmail)
	api.Post("/auth/activate", m.needSession(m.apiActivate))
	api.Get("/auth/security-questions", m.apiSecurityQuestions)
	api.Get("/account/profile", m.needSession(m.apiProfile))
	api.Patch("/account/profile", m.needSession(m.apiUpdateProfile))
	api.Get("/account/email/confirm", m.apiConfirmEmail)
	api.Post("/account/cancellation", m.needSession(m.apiCancellation))
	api.Post("/account/totp/enrol", m.needSession(m.apiEnrolTOTP))
	api.Post("/account/totp/confirm", m.needSession(m.apiConfirmTOTP))
}

// needSession answers 401 unauthorized without a session.
func (m *Module) needSession(h func(c *fiber.Ctx, sess *Session) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sess, ok := SessionFrom(c)
		if !ok {
			return fault.Unauth()
		}
		return h(c, sess)
	}
}

func bind(c *fiber.Ctx, v any) error {
	if err := c.BodyParser(v); err != nil {
		return fault.New(fault.BadRequest, "bad_request", err)
	}
	return nil
}

func (m *Module) apiIdentify(c *fiber.Ctx) error {
	var in struct {
		ID string `json:"id" form:"id"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	phrase, err := m.Login.Identify(c.UserContext(), in.ID, c.IP())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"secret_phrase": phrase})
}

func (m *Module) apiLogin(c *fiber.Ctx) error {
	var in struct {
		ID       string `json:"id"`
		Password string `json:"password"`
		TOTP     string `json:"totp"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	res, err := m.login(c, LoginInput{ID: in.ID, Password: in.Password, TOTP: in.TOTP})
	if err != nil {
		return err
	}
	return c.JSON(SessionInfo{User: userInfo(res.User), CSRFToken: res.CSRFToken, Next: res.Next})
}

// login runs a login for the request and, on success, ends the session the browser had (if
// any) and sets the new cookie.
func (m *Module) login(c *fiber.Ctx, in LoginInput) (*LoginResult, error) {
	in.IP, in.UserAgent = c.IP(), c.Get(fiber.HeaderUserAgent)
	res, err := m.Login.Login(c.UserContext(), in)
	if err != nil {
		return nil, err
	}
	if old, ok := SessionFrom(c); ok {
		if err := m.Login.Logout(c.UserContext(), old); err != nil {
			return nil, err
		}
	}
	sessionCookie.Set(c, res.Token)
	return res, nil
}

func (m *Module) apiLogout(c *fiber.Ctx) error {
	if sess, ok := SessionFrom(c); ok {
		if err := m.Login.Logout(c.UserContext(), sess); err != nil {
			return err
		}
	}
	sessionCookie.Clear(c)
	return c.SendStatus(fiber.StatusNoContent)
}

func (m *Module) apiLogoutEverywhere(c *fiber.Ctx, sess *Session) error {
	if err := m.Login.LogoutEverywhere(c.UserContext(), sess); err != nil {
		return err
	}
	sessionCookie.Clear(c)
	return c.SendStatus(fiber.StatusNoContent)
}

func (m *Module) apiSession(c *fiber.Ctx) error {
	sess, ok := SessionFrom(c)
	if !ok {
		return fault.Unauth()
	}
	return c.JSON(SessionInfo{User: userInfo(sess.User), CSRFToken: sess.CSRFToken, Next: sess.Next()})
}

func (m *Module) apiChangePassword(c *fiber.Ctx, sess *Session) error {
	var in struct {
		Current string `json:"current_password"`
		New     string `json:"new_password"`
		Phrase  string `json:"secret_phrase"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	change := PasswordChange{Current: in.Current, New: in.New, SecretPhrase: in.Phrase}
	if err := m.Recovery.ChangePassword(c.UserContext(), sess, change, web.Lang(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (m *Module) apiForgotPassword(c *fiber.Ctx) error {
	start := time.Now()
	var in struct {
		ID         string `json:"id"`
		Email      string `json:"email"`
		Answer     string `json:"security_answer"`
		QuestionID int    `json:"question_id"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	err := m.Recovery.ForgotPassword(c.UserContext(), ForgotInput{ID: in.ID, Email: in.Email, SecurityAnswer: in.Answer,
		QuestionID: in.QuestionID, IP: c.IP(), Lang: web.Lang(c), LoginURL: c.BaseURL() + "/login"})
	return m.accepted(c, start, err)
}

func (m *Module) apiRegister(c *fiber.Ctx) error {
	start := time.Now()
	var in struct {
		Category       string `json:"category"`
		ID             string `json:"id"`
		Name           string `json:"name"`
		Email          string `json:"email"`
		Phone          string `json:"phone"`
		DepartmentCode string `json:"department_code"`
		PTJCode        string `json:"ptj_code"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	err := m.Registration.Register(c.UserContext(), RegisterInput{Category: in.Category, ID: in.ID, Name: in.Name, Email: in.Email,
		Phone: in.Phone, DepartmentCode: in.DepartmentCode, PTJCode: in.PTJCode, IP: c.IP(), Lang: web.Lang(c), BaseURL: c.BaseURL()})
	return m.accepted(c, start, err)
}

func (m *Module) apiVerifyEmail(c *fiber.Ctx) error {
	if err := m.Registration.VerifyEmail(c.UserContext(), c.Query("token")); err != nil {
		if errors.Is(err, onetime.ErrInvalidLink) {
			return fault.New(fault.NotFound, "invalid_link", err)
		}
		return err
	}
	return c.JSON(fiber.Map{"status": identity.StatusPendingActivation})
}

func (m *Module) apiFirstLogin(c *fiber.Ctx) error {
	start := time.Now()
	var in struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	err := m.Recovery.FirstLogin(c.UserContext(), FirstLoginInput{ID: in.ID, Email: in.Email, IP: c.IP(),
		Lang: web.Lang(c), LoginURL: c.BaseURL() + "/login"})
	return m.accepted(c, start, err)
}

// accepted answers 202 for a request whose outcome must not be told (forgot-password,
// first-login, register), never sooner than AnswerFloor after it began: the matching case
// writes a code and a mail, the others do not, and the floor hides that difference in time.
// Throttling is told (429): it concerns the caller, not the ID.
func (m *Module) accepted(c *fiber.Ctx, start time.Time, err error) error {
	if wait := m.answerFloor() - time.Since(start); wait > 0 {
		time.Sleep(wait)
	}
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"status": "accepted"})
}

func (m *Module) apiActivate(c *fiber.Ctx, sess *Session) error {
	var in struct {
		NewPassword  string           `json:"new_password"`
		Answers      []SecurityAnswer `json:"security_answers"`
		SecretPhrase string           `json:"secret_phrase"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	if err := m.Recovery.Activate(c.UserContext(), sess, ActivateInput{NewPassword: in.NewPassword, Answers: in.Answers,
		SecretPhrase: in.SecretPhrase}); err != nil {
		return err
	}
	sessionCookie.Clear(c)
	return c.SendStatus(fiber.StatusNoContent)
}

func (m *Module) apiSecurityQuestions(c *fiber.Ctx) error {
	qs, err := m.Recovery.SecurityQuestions(c.UserContext(), web.Lang(c))
	if err != nil {
		return err
	}
	return c.JSON(qs)
}

func (m *Module) apiProfile(c *fiber.Ctx, sess *Session) error {
	p, err := m.Service.Profile(c.UserContext(), sess.UserID)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (m *Module) apiUpdateProfile(c *fiber.Ctx, sess *Session) error {
	var ch ProfileChange
	if err := bind(c, &ch); err != nil {
		return err
	}
	p, err := m.Service.UpdateProfile(c.UserContext(), sess, ch, web.Lang(c), c.BaseURL())
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (m *Module) apiConfirmEmail(c *fiber.Ctx) error {
	if err := m.Service.ConfirmEmailChange(c.UserContext(), c.Query("token")); err != nil {
		if errors.Is(err, onetime.ErrInvalidLink) {
			return fault.New(fault.NotFound, "invalid_link", err)
		}
		return err
	}
	return c.JSON(fiber.Map{"status": "confirmed"})
}

func (m *Module) apiCancellation(c *fiber.Ctx, sess *Session) error {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	res, err := m.Service.RequestCancellation(c.UserContext(), sess, in.Reason)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(res)
}

func (m *Module) apiEnrolTOTP(c *fiber.Ctx, sess *Session) error {
	if !sess.User.HasAdminRole() {
		return fault.New(fault.Forbidden, "forbidden", nil)
	}
	e, err := m.Service.EnrolTOTP(c.UserContext(), sess)
	if err != nil {
		return err
	}
	return c.JSON(e)
}

func (m *Module) apiConfirmTOTP(c *fiber.Ctx, sess *Session) error {
	var in struct {
		Code string `json:"code"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	if err := m.Service.ConfirmTOTP(c.UserContext(), sess, in.Code); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
