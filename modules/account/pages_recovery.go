package account

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/modules/foundation/web"
)

// forgotData lists the whole question bank when the tenant asks for an answer: the form
// cannot show the user's own questions without telling that the ID exists.
type forgotData struct {
	Questions []Question
}

func (m *Module) forgotData(c *fiber.Ctx) (forgotData, error) {
	required, err := m.Recovery.SecurityAnswerRequired(c.UserContext())
	if err != nil || !required {
		return forgotData{}, err
	}
	qs, err := m.Recovery.SecurityQuestions(c.UserContext(), web.Lang(c))
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
	err = m.Recovery.ForgotPassword(c.UserContext(), ForgotInput{ID: c.FormValue("id"), Email: c.FormValue("email"),
		QuestionID: qid, SecurityAnswer: c.FormValue("security_answer"), IP: c.IP(), Lang: web.Lang(c), LoginURL: c.BaseURL() + "/login"})
	m.waitFloor(start)
	if err != nil {
		return fail(c, "forgot_password", d, err)
	}
	d.Done = true
	return render(c, "forgot_password", d)
}
