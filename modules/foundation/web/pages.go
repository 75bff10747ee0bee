package web

import (
	"context"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/modules/foundation/fault"
	"github.com/speks-portal/speks/tenant"
)

// TenantLister lists the tenants for the platform landing page (tenant.Registry does).
type TenantLister interface {
	List(ctx context.Context) ([]*tenant.Tenant, error)
}

// homeRan marks a request the landing route answered: Fiber reports both it and the
// middleware mounted on "/" with the route path "/", and the metrics must tell them apart.
type homeRan struct{}

// mountPages adds the shell's own pages: the landing page of each host, the tenant API
// document and the tenant's stylesheet.
func (s *shell) mountPages(app *fiber.App) {
	app.Get("/", s.home)
	app.Get("/theme.css", themeCSS)
	app.Get("/api/v1/tenant", tenantInfo)
}

// home is the tenant's landing page on a tenant host and JANM's on the platform host.
func (s *shell) home(c *fiber.Ctx) error {
	c.Locals(homeRan{}, true)
	if tenant.IsPlatform(c.UserContext()) {
		return s.platformHome(c)
	}
	t := currentTenant(c)
	if t == nil {
		return fiber.ErrNotFound
	}
	return Render(c, "web/landing", landingOf(t))
}

type registrationLink struct {
	URL     string
	LabelID string
}

type landingData struct {
	Mode         string
	Registration *registrationLink
	EmailDomains string
}

// landingOf says how people get an account in t: self_register tenants link to /register,
// payroll_match ones to /first-login, admin_only ones explain the form and approvals.
func landingOf(t *tenant.Tenant) landingData {
	d := landingData{Mode: string(t.RegistrationMode)}
	switch t.RegistrationMode {
	case tenant.SelfRegister:
		d.Registration = &registrationLink{URL: "/register", LabelID: "account_self_register_link"}
	case tenant.PayrollMatch:
		d.Registration = &registrationLink{URL: "/first-login", LabelID: "account_payroll_match_link"}
		domains := make([]string, len(t.EmailDomains))
		for i, dom := range t.EmailDomains {
			domains[i] = "@" + dom
		}
		d.EmailDomains = strings.Join(domains, ", ")
	}
	return d
}

// HelpdeskPhoneURI is the tenant's helpdesk telephone for a tel: link ("" without a tenant).
func (p *Page) HelpdeskPhoneURI() string {
	if p.Tenant == nil {
		return ""
	}
	return phoneURI(p.Tenant.HelpdeskPhone)
}

// phoneURI keeps the digits (and a leading +) of a phone number for a tel: link.
func phoneURI(phone string) string {
	var b strings.Builder
	for i, r := range phone {
		if (r >= '0' && r <= '9') || (r == '+' && i == 0) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

type stateLink struct {
	Code, Name, Host, URL string
}

type platformData struct {
	States []stateLink
}

func (s *shell) platformHome(c *fiber.Ctx) error {
	tenants, err := s.tenants.List(c.UserContext())
	if err != nil {
		return fmt.Errorf("list tenants for the platform page: %w", err)
	}
	var data platformData
	lang := Lang(c)
	for _, t := range tenants {
		if t.Status != tenant.StatusActive {
			continue
		}
		host, url := s.tenantAddress(t)
		// The link carries the reader's language: the lang cookie is per host.
		data.States = append(data.States, stateLink{Code: t.Code, Name: t.Name, Host: host, URL: url + "?lang=" + lang})
	}
	return Render(c, "web/platform", data)
}

// tenantAddress is where people reach t: <code>.localhost:<port> in dev mode (where the
// production host names do not resolve), its first host over HTTPS otherwise.
func (s *shell) tenantAddress(t *tenant.Tenant) (host, url string) {
	if s.cfg.IsDev() && s.cfg.Platform.DevHostSuffix != "" {
		host = t.Code + s.cfg.Platform.DevHostSuffix
		return host, "http://" + host + ":" + s.cfg.Port() + "/"
	}
	if len(t.Hosts) == 0 {
		return "", ""
	}
	return t.Hosts[0], "https://" + t.Hosts[0] + "/"
}

// TenantInfo is the document of GET /api/v1/tenant (docs/API.md "Tenant information").
type TenantInfo struct {
	Code             string            `json:"code"`
	Name             string            `json:"name"`
	RegistrationMode string            `json:"registration_mode"`
	Languages        []string          `json:"languages"`
	DefaultLanguage  string            `json:"default_language"`
	Helpdesk         Helpdesk          `json:"helpdesk"`
	Branding         BrandingInfo      `json:"branding"`
	EmailDomains     []string          `json:"email_domains"`
	Links            map[string]string `json:"links"`
}

// Helpdesk is whom users contact.
type Helpdesk struct {
	Email string `json:"email"`
	Phone string `json:"phone"`
}

// BrandingInfo is the tenant's look, with colours already validated.
type BrandingInfo struct {
	PrimaryColour string `json:"primary_colour"`
	AccentColour  string `json:"accent_colour"`
	LogoURL       string `json:"logo_url,omitempty"`
}

// tenantInfo answers GET /api/v1/tenant: public facts a login page or a mobile app needs.
func tenantInfo(c *fiber.Ctx) error {
	t := currentTenant(c)
	if t == nil {
		return fault.New(fault.NotFound, "not_found", nil)
	}
	th := themeOf(t.Branding)
	links := map[string]string{"login": "/login"}
	if reg := landingOf(t).Registration; reg != nil {
		links["registration"] = reg.URL
	}
	domains := append([]string{}, t.EmailDomains...)
	return c.JSON(TenantInfo{
		Code:             t.Code,
		Name:             t.Name,
		RegistrationMode: string(t.RegistrationMode),
		Languages:        tenant.Languages,
		DefaultLanguage:  t.DefaultLanguage,
		Helpdesk:         Helpdesk{Email: t.HelpdeskEmail, Phone: t.HelpdeskPhone},
		Branding:         BrandingInfo{PrimaryColour: th.Brand, AccentColour: th.Accent, LogoURL: sameOriginPath(t.Branding.LogoURL)},
		EmailDomains:     domains,
		Links:            links,
	})
}
