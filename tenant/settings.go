package tenant

import (
	"context"
	"fmt"
	"net/mail"
	"regexp"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Settings are the policies a state's IT officer may change on their own tenant (admin
// console); code, name, hosts and status stay with the platform administrators.
type Settings struct {
	RegistrationMode   RegistrationMode `json:"registration_mode"`
	EmailDomains       []string         `json:"email_domains"`
	LockoutMaxFailures int              `json:"lockout_max_failures"`
	LockoutMinutes     int              `json:"lockout_minutes"`
	SessionIdleMinutes int              `json:"session_idle_minutes"`
	RetentionMonths    int              `json:"retention_months"`
	HelpdeskEmail      string           `json:"helpdesk_email"`
	HelpdeskPhone      string           `json:"helpdesk_phone"`
	PrimaryColour      string           `json:"primary_colour"`
	AccentColour       string           `json:"accent_colour"`
}

// SettingsOf returns t's current settings.
func SettingsOf(t *Tenant) Settings {
	return Settings{
		RegistrationMode: t.RegistrationMode, EmailDomains: append([]string{}, t.EmailDomains...),
		LockoutMaxFailures: t.LockoutMaxFailures, LockoutMinutes: t.LockoutMinutes,
		SessionIdleMinutes: t.SessionIdleMinutes, RetentionMonths: t.RetentionMonths,
		HelpdeskEmail: t.HelpdeskEmail, HelpdeskPhone: t.HelpdeskPhone,
		PrimaryColour: t.Branding.PrimaryColour, AccentColour: t.Branding.AccentColour,
	}
}

var (
	// Colours are written into the tenant's stylesheet, so only #rgb and #rrggbb pass.
	settingsColour = regexp.MustCompile(`^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)
	settingsPhone  = regexp.MustCompile(`^[0-9+() -]{6,30}$`)
)

// Normalise trims and lower-cases what is case-insensitive.
func (s *Settings) Normalise() {
	domains := make([]string, 0, len(s.EmailDomains))
	for _, d := range s.EmailDomains {
		if d = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(d), "@")); d != "" {
			domains = append(domains, d)
		}
	}
	s.EmailDomains = domains
	s.HelpdeskEmail = strings.TrimSpace(s.HelpdeskEmail)
	s.HelpdeskPhone = strings.TrimSpace(s.HelpdeskPhone)
	s.PrimaryColour, s.AccentColour = strings.TrimSpace(s.PrimaryColour), strings.TrimSpace(s.AccentColour)
}

// Validate reports every problem, with the same bounds as the tenants table's checks.
func (s *Settings) Validate() error {
	var problems []FieldError
	bad := func(field, msg string) { problems = append(problems, FieldError{Field: field, Message: msg}) }
	if !s.RegistrationMode.Valid() {
		bad("registration_mode", "must be self_register, payroll_match or admin_only")
	}
	for _, d := range s.EmailDomains {
		if !domainPattern.MatchString(d) {
			bad("email_domains", fmt.Sprintf("%q is not a domain name", d))
		}
	}
	ranges := []struct {
		field     string
		v, lo, hi int
	}{
		{"lockout_max_failures", s.LockoutMaxFailures, 1, 100}, {"lockout_minutes", s.LockoutMinutes, 1, 1440},
		{"session_idle_minutes", s.SessionIdleMinutes, 5, 240}, {"retention_months", s.RetentionMonths, 1, 120},
	}
	for _, r := range ranges {
		if r.v < r.lo || r.v > r.hi {
			bad(r.field, fmt.Sprintf("must be between %d and %d", r.lo, r.hi))
		}
	}
	if s.HelpdeskEmail != "" {
		if a, err := mail.ParseAddress(s.HelpdeskEmail); err != nil || a.Address != s.HelpdeskEmail {
			bad("helpdesk_email", "is not an email address")
		}
	}
	if s.HelpdeskPhone != "" && !settingsPhone.MatchString(s.HelpdeskPhone) {
		bad("helpdesk_phone", "is not a telephone number")
	}
	for field, c := range map[string]string{"primary_colour": s.PrimaryColour, "accent_colour": s.AccentColour} {
		if c != "" && !settingsColour.MatchString(c) {
			bad(field, "must be a colour like #1a5276")
		}
	}
	if len(problems) > 0 {
		return &ValidationError{Problems: problems}
	}
	return nil
}

// UpdateSettings validates s and writes it to the tenant's row (keeping its logo), with an
// entry in the platform audit log. Replicas see it when their resolver snapshot next
// refreshes (its TTL, 2 s in `speks serve`).
func (r *Registry) UpdateSettings(ctx context.Context, code string, s Settings, actor string) error {
	s.Normalise()
	if err := s.Validate(); err != nil {
		return err
	}
	return r.inTx(ctx, func(tx *sqlx.Tx) error {
		var b Branding
		if err := tx.GetContext(ctx, &b, `SELECT branding FROM tenants WHERE code = $1 FOR UPDATE`, code); err != nil {
			return fmt.Errorf("settings of tenant %q: %w", code, ErrNotFound)
		}
		b.PrimaryColour, b.AccentColour = s.PrimaryColour, s.AccentColour
		if _, err := tx.ExecContext(ctx, `UPDATE tenants SET registration_mode = $2, email_domains = $3,
			lockout_max_failures = $4, lockout_minutes = $5, session_idle_minutes = $6, retention_months = $7,
			helpdesk_email = $8, helpdesk_phone = $9, branding = $10, updated_at = now() WHERE code = $1`,
			code, s.RegistrationMode, pq.StringArray(s.EmailDomains), s.LockoutMaxFailures, s.LockoutMinutes,
			s.SessionIdleMinutes, s.RetentionMonths, s.HelpdeskEmail, s.HelpdeskPhone, b); err != nil {
			return fmt.Errorf("update settings of tenant %q: %w", code, err)
		}
		return Audit(ctx, tx, actor, "tenant.settings", code, map[string]any{"settings": s})
	})
}

// SetLogoURL points the tenant's branding at its logo (the admin module stores the image in
// the tenant schema and passes a same-origin path with a version suffix, so browsers refetch
// a replaced logo), with an entry in the platform audit log. Colours are left as they are.
func (r *Registry) SetLogoURL(ctx context.Context, code, logoURL, actor string) error {
	return r.inTx(ctx, func(tx *sqlx.Tx) error {
		var b Branding
		if err := tx.GetContext(ctx, &b, `SELECT branding FROM tenants WHERE code = $1 FOR UPDATE`, code); err != nil {
			return fmt.Errorf("branding of tenant %q: %w", code, ErrNotFound)
		}
		b.LogoURL = logoURL
		if _, err := tx.ExecContext(ctx, `UPDATE tenants SET branding = $2, updated_at = now() WHERE code = $1`, code, b); err != nil {
			return fmt.Errorf("update logo of tenant %q: %w", code, err)
		}
		return Audit(ctx, tx, actor, "tenant.logo", code, map[string]any{"logo_url": logoURL})
	})
}
