package account

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/tenant"
)

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
	err = m.Recovery.FirstLogin(c.UserContext(), FirstLoginInput{ID: c.FormValue("id"), Email: c.FormValue("email"), IP: c.IP(),
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
	qs, err := m.Recovery.SecurityQuestions(c.UserContext(), web.Lang(c))
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
	err = m.Recovery.Activate(c.UserContext(), sess, ActivateInput{NewPassword: c.FormValue("new_password"), Answers: answers,
		SecretPhrase: c.FormValue("secret_phrase")})
	if err != nil {
		return m.activateFailed(c, "", err)
	}
	sessionCookie.Clear(c)
	return c.Redirect("/login?activated=1", fiber.StatusSeeOther)
}

func (m *Module) activateFailed(c *fiber.Ctx, messageID string, err error) error {
	qs, qerr := m.Recovery.SecurityQuestions(c.UserContext(), web.Lang(c))
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
