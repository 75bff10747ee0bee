package account

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"image/png"

	"github.com/gofiber/fiber/v2"
	"github.com/pquerna/otp"

	"github.com/speks-portal/speks/modules/foundation/web"
)

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
