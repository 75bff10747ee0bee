package tenant_test

import (
	"errors"
	"testing"

	"github.com/speks-portal/speks/tenant"
)

func validSettings() tenant.Settings {
	return tenant.Settings{RegistrationMode: tenant.PayrollMatch, EmailDomains: []string{" @Selangor.GOV.my "}, LockoutMaxFailures: 5,
		LockoutMinutes: 15, SessionIdleMinutes: 15, RetentionMonths: 24, HelpdeskPhone: "03-5544 0000", PrimaryColour: "#1a5276"}
}

// Settings are normalised, and each bound of the tenants table is checked before the row is
// written, every problem reported at once.
func TestSettingsValidate(t *testing.T) {
	s := validSettings()
	s.Normalise()
	if err := s.Validate(); err != nil || s.EmailDomains[0] != "selangor.gov.my" {
		t.Fatalf("valid settings refused: %v (%v)", err, s.EmailDomains)
	}
	for field, mutate := range map[string]func(*tenant.Settings){
		"registration_mode":    func(s *tenant.Settings) { s.RegistrationMode = "open" },
		"email_domains":        func(s *tenant.Settings) { s.EmailDomains = []string{"no spaces allowed"} },
		"lockout_max_failures": func(s *tenant.Settings) { s.LockoutMaxFailures = 0 },
		"lockout_minutes":      func(s *tenant.Settings) { s.LockoutMinutes = 1441 },
		"session_idle_minutes": func(s *tenant.Settings) { s.SessionIdleMinutes = 4 },
		"retention_months":     func(s *tenant.Settings) { s.RetentionMonths = 121 },
		"helpdesk_email":       func(s *tenant.Settings) { s.HelpdeskEmail = "Meja <a@b.my>" },
		"helpdesk_phone":       func(s *tenant.Settings) { s.HelpdeskPhone = "call us" },
		"primary_colour":       func(s *tenant.Settings) { s.PrimaryColour = "red;}body{" },
		"accent_colour":        func(s *tenant.Settings) { s.AccentColour = "#12345" },
	} {
		s := validSettings()
		s.Normalise()
		mutate(&s)
		err := s.Validate()
		var v *tenant.ValidationError
		if !errors.As(err, &v) || !errors.Is(err, tenant.ErrInvalid) || len(v.Problems) != 1 || v.Problems[0].Field != field {
			t.Errorf("%s: got %v", field, err)
		}
	}
}
