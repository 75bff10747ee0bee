package account

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/modules/account/onetime"
	"github.com/speks-portal/speks/modules/foundation/web"
)

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
	err = m.Registration.Register(c.UserContext(), RegisterInput{Category: fields["category"], ID: fields["id"], Name: fields["name"],
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
	err := m.Registration.VerifyEmail(c.UserContext(), c.Query("token"))
	if err != nil && !errors.Is(err, onetime.ErrInvalidLink) {
		return err
	}
	if err != nil {
		c.Status(fiber.StatusNotFound)
	}
	return render(c, "verify_email", formPage{Done: err == nil})
}
