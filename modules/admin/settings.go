package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/account/lockout"
	"github.com/speks-portal/speks/modules/foundation/fault"
	"github.com/speks-portal/speks/modules/foundation/guard"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/tenant"
)

// SettingsDoc is GET/PUT /api/v1/admin/settings: the tenant row's policies and the account
// module's require_security_answer and login throttling.
type SettingsDoc struct {
	tenant.Settings
	RequireSecurityAnswer bool `json:"require_security_answer"`
	lockout.LoginLimits
}

func (m *Module) currentSettings(c *fiber.Ctx, sc *tenant.Scope) (*SettingsDoc, error) {
	// The registry, not the request's snapshot: an officer must see what they just saved.
	t, err := m.Registry.Get(c.UserContext(), sc.Tenant.Code)
	if err != nil {
		return nil, err
	}
	doc := &SettingsDoc{Settings: tenant.SettingsOf(t)}
	if err := sc.DB.GetContext(c.UserContext(), &doc.RequireSecurityAnswer,
		`SELECT require_security_answer FROM account_settings`); err != nil {
		return nil, fmt.Errorf("read account settings: %w", err)
	}
	if doc.LoginLimits, err = lockout.ReadLoginLimits(c.UserContext(), sc.DB); err != nil {
		return nil, err
	}
	return doc, nil
}

func (m *Module) apiSettings(c *fiber.Ctx) error {
	_, sc, err := guard.Require(c)
	if err != nil {
		return err
	}
	doc, err := m.currentSettings(c, sc)
	if err != nil {
		return err
	}
	return c.JSON(doc)
}

// apiPutSettings replaces the settings; a field the body leaves out keeps its value. Every
// problem is reported at once (422 invalid_input with fields); nothing is saved then.
func (m *Module) apiPutSettings(c *fiber.Ctx) error {
	p, sc, err := guard.Require(c)
	if err != nil {
		return err
	}
	before, err := m.currentSettings(c, sc)
	if err != nil {
		return err
	}
	after := *before
	after.EmailDomains = append([]string{}, before.EmailDomains...)
	if err := json.Unmarshal(c.Body(), &after); err != nil {
		return fault.New(fault.BadRequest, "bad_request", err)
	}
	if err := m.saveSettings(c, p, sc, before, &after); err != nil {
		var invalid *tenant.ValidationError
		if errors.As(err, &invalid) {
			// The settings form names its own code for the tenant's validation.
			return fault.New(fault.Invalid, "invalid_input", err).With("fields", invalid.Problems)
		}
		return err
	}
	saved, err := m.currentSettings(c, sc)
	if err != nil {
		return err
	}
	return c.JSON(saved)
}

// saveSettings writes the tenant row and the account settings, and audits the change with its
// before and after. Both parts are validated first: a *tenant.ValidationError lists every
// problem of either, and nothing is saved then.
func (m *Module) saveSettings(c *fiber.Ctx, p *account.Principal, sc *tenant.Scope, before, after *SettingsDoc) error {
	ctx := c.UserContext()
	if err := validateSettings(after); err != nil {
		return err
	}
	if err := m.Registry.UpdateSettings(ctx, sc.Tenant.Code, after.Settings, actorLabel(p)); err != nil {
		return err
	}
	tx, err := sc.DB.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if err := account.SetRequireSecurityAnswerIn(ctx, tx, after.RequireSecurityAnswer); err != nil {
		return err
	}
	if err := account.SetLoginLimitsIn(ctx, tx, after.LoginLimits); err != nil {
		return err
	}
	if err := Record(ctx, tx, p, "settings.update", "tenant:"+sc.Tenant.Code, 0,
		map[string]any{"before": before, "after": after}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	return nil
}

// validateSettings reports the problems of the tenant's part and of the login limits together.
func validateSettings(doc *SettingsDoc) error {
	s := doc.Settings
	s.Normalise()
	var problems []tenant.FieldError
	if err := s.Validate(); err != nil {
		var invalid *tenant.ValidationError
		if !errors.As(err, &invalid) {
			return err
		}
		problems = invalid.Problems
	}
	problems = append(problems, doc.LoginLimits.Problems()...)
	if len(problems) > 0 {
		return &tenant.ValidationError{Problems: problems}
	}
	return nil
}

type settingsPage struct {
	Settings *SettingsDoc
	Domains  string
	Modes    []tenant.RegistrationMode
	Problems []tenant.FieldError
	Saved    bool
	// LogoSaved and LogoError report the logo form's last post (a refusal code of checkLogo).
	LogoSaved bool
	LogoError string
}

var registrationModes = []tenant.RegistrationMode{tenant.PayrollMatch, tenant.SelfRegister, tenant.AdminOnly}

func (m *Module) pageSettings(c *fiber.Ctx) error {
	_, sc, err := guard.Require(c)
	if err != nil {
		return err
	}
	doc, err := m.currentSettings(c, sc)
	if err != nil {
		return err
	}
	return web.Render(c, "admin/settings", settingsPage{Settings: doc, Domains: strings.Join(doc.EmailDomains, ", "),
		Modes: registrationModes, Saved: c.Query("saved") == "1", LogoSaved: c.Query("logo") == "saved",
		LogoError: logoRefusal(c.Query("logo_error"))})
}

// submitSettings is the settings form; a refused form comes back with its values and problems.
func (m *Module) submitSettings(c *fiber.Ctx) error {
	p, sc, err := guard.Require(c)
	if err != nil {
		return err
	}
	before, err := m.currentSettings(c, sc)
	if err != nil {
		return err
	}
	after := formSettings(c)
	if err := m.saveSettings(c, p, sc, before, after); err != nil {
		var invalid *tenant.ValidationError
		if !errors.As(err, &invalid) {
			return err
		}
		c.Status(fiber.StatusUnprocessableEntity)
		return web.Render(c, "admin/settings", settingsPage{Settings: after, Domains: c.FormValue("email_domains"),
			Modes: registrationModes, Problems: invalid.Problems})
	}
	return c.Redirect("/admin/settings?saved=1", fiber.StatusSeeOther)
}

// formSettings reads the form; a number that does not parse becomes 0, which validation refuses.
func formSettings(c *fiber.Ctx) *SettingsDoc {
	num := func(name string) int {
		n, _ := strconv.Atoi(strings.TrimSpace(c.FormValue(name)))
		return n
	}
	return &SettingsDoc{Settings: tenant.Settings{
		RegistrationMode:   tenant.RegistrationMode(c.FormValue("registration_mode")),
		EmailDomains:       strings.FieldsFunc(c.FormValue("email_domains"), func(r rune) bool { return r == ',' || r == ' ' || r == '\n' }),
		LockoutMaxFailures: num("lockout_max_failures"), LockoutMinutes: num("lockout_minutes"),
		SessionIdleMinutes: num("session_idle_minutes"), RetentionMonths: num("retention_months"),
		HelpdeskEmail: c.FormValue("helpdesk_email"), HelpdeskPhone: c.FormValue("helpdesk_phone"),
		PrimaryColour: c.FormValue("primary_colour"), AccentColour: c.FormValue("accent_colour"),
	}, RequireSecurityAnswer: c.FormValue("require_security_answer") == "on",
		LoginLimits: lockout.LoginLimits{WindowMinutes: num("login_window_minutes"),
			FailuresPerAddress: num("login_failures_per_address"), AccountsPerAddress: num("login_accounts_per_address"),
			FailuresPerAccount: num("login_failures_per_account"), IdentifyPerAddress: num("identify_per_address")}}
}
