package account

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"image/png"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/pquerna/otp"

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

// mountPages adds the HTML pages; they call the same Service as the JSON API.
func (m *Module) mountPages(app *fiber.App) {
	app.Get("/account/forms.css", formsCSS)
	app.Get("/account/idle.js", idleJS)
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

// fail re-renders a form with the translated message of err (and 4xx status).
func fail(c *fiber.Ctx, name string, d formPage, err error) error {
	var weak *WeakPasswordError
	var invalid *InvalidInputError
	coded, ok := fault.As(err)
	switch {
	case errors.As(err, &weak):
		for _, r := range weak.Reasons {
			d.Reasons = append(d.Reasons, web.T(c, "account_reason_"+r, nil))
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
		return nil, fiber.ErrNotFound
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
		phrase, err := m.Service.Identify(c.UserContext(), id, c.IP())
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
		if err := m.Service.Logout(c.UserContext(), sess); err != nil {
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
	if err := m.Service.LogoutEverywhere(c.UserContext(), sess); err != nil {
		return err
	}
	sessionCookie.Clear(c)
	return c.Redirect("/login?logged_out=1", fiber.StatusSeeOther)
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

func (m *Module) pageFirstLogin(c *fiber.Ctx) error {
	t, err := needTenant(c)
	if err != nil {
		return err
	}
	return render(c, "first_login", formPage{Extra: t.RegistrationMode == tenant.PayrollMatch, Focus: "id"})
}

func (m *Module) submitFirstLogin(c *fiber.Ctx) error {
	start := time.Now()
	t, err := needTenant(c)
	if err != nil {
		return err
	}
	d := formPage{Fields: map[string]string{"id": c.FormValue("id"), "email": c.FormValue("email")}, Extra: t.RegistrationMode == tenant.PayrollMatch, Focus: "id"}
	err = m.Service.FirstLogin(c.UserContext(), FirstLoginInput{ID: c.FormValue("id"), Email: c.FormValue("email"), IP: c.IP(),
		Lang: web.Lang(c), LoginURL: c.BaseURL() + "/login"})
	m.waitFloor(start)
	if err != nil {
		return fail(c, "first_login", d, err)
	}
	d.Done = true
	return render(c, "first_login", d)
}

func (m *Module) waitFloor(start time.Time) {
	if wait := m.answerFloor() - time.Since(start); wait > 0 {
		time.Sleep(wait)
	}
}

func (m *Module) pageActivate(c *fiber.Ctx) error {
	sess, err := pageSession(c)
	if sess == nil {
		return err
	}
	return m.renderActivate(c, formPage{})
}

func (m *Module) renderActivate(c *fiber.Ctx, d formPage) error {
	qs, err := m.Service.SecurityQuestions(c.UserContext(), web.Lang(c))
	if err != nil {
		return err
	}
	d.Extra = activateData{Questions: qs, Slots: []string{"1", "2", "3"}}
	return render(c, "activate", d)
}

func (m *Module) submitActivate(c *fiber.Ctx) error {
	sess, err := pageSession(c)
	if sess == nil {
		return err
	}
	if c.FormValue("new_password") != c.FormValue("confirm_password") {
		return m.activateFailed(c, "account_passwords_differ", nil)
	}
	var answers []SecurityAnswer
	for i := 1; i <= 3; i++ {
		n := strconv.Itoa(i)
		qid, _ := strconv.Atoi(c.FormValue("question_" + n))
		answers = append(answers, SecurityAnswer{QuestionID: qid, Answer: c.FormValue("answer_" + n)})
	}
	err = m.Service.Activate(c.UserContext(), sess, ActivateInput{NewPassword: c.FormValue("new_password"), Answers: answers,
		SecretPhrase: c.FormValue("secret_phrase")})
	if err != nil {
		return m.activateFailed(c, "", err)
	}
	sessionCookie.Clear(c)
	return c.Redirect("/login?activated=1", fiber.StatusSeeOther)
}

func (m *Module) activateFailed(c *fiber.Ctx, messageID string, err error) error {
	qs, qerr := m.Service.SecurityQuestions(c.UserContext(), web.Lang(c))
	if qerr != nil {
		return qerr
	}
	d := formPage{Extra: activateData{Questions: qs, Slots: []string{"1", "2", "3"}},
		Fields: map[string]string{"secret_phrase": c.FormValue("secret_phrase")}}
	if messageID != "" {
		d.Error = web.T(c, messageID, nil)
		c.Status(fiber.StatusUnprocessableEntity)
		return render(c, "activate", d)
	}
	return fail(c, "activate", d, err)
}

type activateData struct {
	Questions []Question
	Slots     []string // the three question/answer pairs of the form
}

type registerData struct {
	Mode        string
	Departments []Department
}

func (m *Module) pageRegister(c *fiber.Ctx) error {
	t, err := needTenant(c)
	if err != nil {
		return err
	}
	deps, err := m.Service.Departments(c.UserContext())
	if err != nil {
		return err
	}
	return render(c, "register", formPage{Extra: registerData{Mode: string(t.RegistrationMode), Departments: deps}})
}

func (m *Module) submitRegister(c *fiber.Ctx) error {
	start := time.Now()
	t, err := needTenant(c)
	if err != nil {
		return err
	}
	fields := map[string]string{}
	for _, k := range []string{"category", "id", "name", "email", "phone", "ptj_code"} {
		fields[k] = c.FormValue(k)
	}
	deps, err := m.Service.Departments(c.UserContext())
	if err != nil {
		return err
	}
	d := formPage{Fields: fields, Extra: registerData{Mode: string(t.RegistrationMode), Departments: deps}}
	err = m.Service.Register(c.UserContext(), RegisterInput{Category: fields["category"], ID: fields["id"], Name: fields["name"],
		Email: fields["email"], Phone: fields["phone"], DepartmentCode: departmentOf(deps, fields["ptj_code"]), PTJCode: fields["ptj_code"],
		IP: c.IP(), Lang: web.Lang(c), BaseURL: c.BaseURL()})
	m.waitFloor(start)
	if err != nil {
		return fail(c, "register", d, err)
	}
	d.Done = true
	return render(c, "register", d)
}

func (m *Module) pageVerifyEmail(c *fiber.Ctx) error {
	if _, err := needTenant(c); err != nil {
		return err
	}
	err := m.Service.VerifyEmail(c.UserContext(), c.Query("token"))
	if err != nil && !errors.Is(err, ErrInvalidLink) {
		return err
	}
	if err != nil {
		c.Status(fiber.StatusNotFound)
	}
	return render(c, "verify_email", formPage{Done: err == nil})
}

// forgotData lists the whole question bank when the tenant asks for an answer: the form
// cannot show the user's own questions without telling that the ID exists.
type forgotData struct {
	Questions []Question
}

func (m *Module) forgotData(c *fiber.Ctx) (forgotData, error) {
	required, err := m.Service.SecurityAnswerRequired(c.UserContext())
	if err != nil || !required {
		return forgotData{}, err
	}
	qs, err := m.Service.SecurityQuestions(c.UserContext(), web.Lang(c))
	return forgotData{Questions: qs}, err
}

func (m *Module) pageForgot(c *fiber.Ctx) error {
	if _, err := needTenant(c); err != nil {
		return err
	}
	fd, err := m.forgotData(c)
	if err != nil {
		return err
	}
	return render(c, "forgot_password", formPage{Extra: fd, Focus: "id"})
}

func (m *Module) submitForgot(c *fiber.Ctx) error {
	start := time.Now()
	if _, err := needTenant(c); err != nil {
		return err
	}
	fd, err := m.forgotData(c)
	if err != nil {
		return err
	}
	d := formPage{Fields: map[string]string{"id": c.FormValue("id"), "email": c.FormValue("email")}, Extra: fd, Focus: "id"}
	qid, _ := strconv.Atoi(c.FormValue("question_id"))
	err = m.Service.ForgotPassword(c.UserContext(), ForgotInput{ID: c.FormValue("id"), Email: c.FormValue("email"),
		QuestionID: qid, SecurityAnswer: c.FormValue("security_answer"), IP: c.IP(), Lang: web.Lang(c), LoginURL: c.BaseURL() + "/login"})
	m.waitFloor(start)
	if err != nil {
		return fail(c, "forgot_password", d, err)
	}
	d.Done = true
	return render(c, "forgot_password", d)
}

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
	err = m.Service.ChangePassword(c.UserContext(), sess, change, web.Lang(c))
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
	if err != nil && !errors.Is(err, ErrInvalidLink) {
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

// formsCSS styles the account forms. The shell's stylesheet has no form rules yet; this small
// sheet is served from this origin, as the CSP requires.
func formsCSS(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, "text/css; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return c.SendString(formsStylesheet)
}

// idleJS warns two minutes before the idle timeout (or halfway, for very short ones) and
// then leaves for the login page, so nobody types into a form whose session has ended.
func idleJS(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, "text/javascript; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return c.SendString(idleScript)
}

const idleScript = `(function () {
  var box = document.getElementById('idle-warning');
  if (!box) { return; }
  var idle = parseInt(box.getAttribute('data-idle-minutes'), 10) * 60000;
  if (!(idle > 0)) { return; }
  var lead = Math.min(120000, idle / 2);
  setTimeout(function () { box.hidden = false; }, idle - lead);
  setTimeout(function () { window.location.assign('/login?expired=1'); }, idle);
})();
`

const formsStylesheet = `.form{max-width:32rem;display:grid;gap:.9rem;margin:1rem 0}
.form label{display:grid;gap:.3rem;font-weight:600}
.form input,.form select,.form textarea{font:inherit;padding:.55rem .6rem;border:1px solid #8a8a8a;border-radius:4px;font-weight:400}
.form .hint{font-weight:400;font-size:.9rem;color:#555}
.alert{border-left:4px solid #b3261e;background:#fdecea;padding:.7rem 1rem;margin:1rem 0}
.success{border-left:4px solid #1e7b34;background:#e9f6ec;padding:.7rem 1rem;margin:1rem 0}
.phrase{font-size:1.25rem;font-weight:700;padding:.6rem 1rem;border:2px dashed #777;display:inline-block}
.inline{display:inline}
dl.profile dt{font-weight:600}dl.profile dd{margin:0 0 .6rem 0}`

type totpData struct {
	Secret string
	QR     template.URL // data:image/png;base64,… (the CSP allows data: images)
}

// pageTOTP shows a new secret to enrol (as text and QR code); it takes effect on confirmation.
func (m *Module) pageTOTP(c *fiber.Ctx) error {
	sess, err := pageSession(c)
	if sess == nil {
		return err
	}
	if !sess.User.HasAdminRole() || sess.User.TOTPEnabled {
		return c.Redirect("/home", fiber.StatusSeeOther)
	}
	return m.renderTOTP(c, sess, formPage{})
}

func (m *Module) renderTOTP(c *fiber.Ctx, sess *Session, d formPage) error {
	e, err := m.Service.EnrolTOTP(c.UserContext(), sess)
	if err != nil {
		return err
	}
	qr, err := qrDataURL(e.URL)
	if err != nil {
		return err
	}
	d.Extra = totpData{Secret: e.Secret, QR: qr}
	return render(c, "totp", d)
}

func (m *Module) submitTOTP(c *fiber.Ctx) error {
	sess, err := pageSession(c)
	if sess == nil {
		return err
	}
	if err := m.Service.ConfirmTOTP(c.UserContext(), sess, c.FormValue("code")); err != nil {
		if !errors.Is(err, ErrInvalidCredentials) {
			return err
		}
		c.Status(fiber.StatusUnprocessableEntity)
		return m.renderTOTP(c, sess, formPage{Error: web.T(c, "account_totp_wrong", nil)})
	}
	return c.Redirect("/home", fiber.StatusSeeOther)
}

func qrDataURL(otpauthURL string) (template.URL, error) {
	key, err := otp.NewKeyFromURL(otpauthURL)
	if err != nil {
		return "", fmt.Errorf("totp key: %w", err)
	}
	img, err := key.Image(220, 220)
	if err != nil {
		return "", fmt.Errorf("totp qr code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", fmt.Errorf("totp qr png: %w", err)
	}
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())), nil
}
