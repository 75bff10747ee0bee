// Package tenant is the heart of multi-tenancy: the registry of states in the public schema,
// host → tenant resolution, the process's one connection pool and the tenant handles over it
// (every transaction sets the tenant's search_path), the request/job scope, and provisioning
// of new tenants.
package tenant

import (
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/lib/pq"
	"github.com/speks-portal/speks/modules/foundation/fault"
)

// Status of a tenant. A provisioning tenant is invisible to requests until it is ready.
type Status string

const (
	StatusProvisioning Status = "provisioning"
	StatusActive       Status = "active"
	StatusSuspended    Status = "suspended"
)

// RegistrationMode is how people get an account in a tenant (docs/API.md "Tenant information").
type RegistrationMode string

const (
	SelfRegister RegistrationMode = "self_register"
	PayrollMatch RegistrationMode = "payroll_match"
	AdminOnly    RegistrationMode = "admin_only"
)

// Valid reports whether m is one of the three known modes.
func (m RegistrationMode) Valid() bool {
	return m == SelfRegister || m == PayrollMatch || m == AdminOnly
}

// Branding is the tenant's look; colours are CSS hex colours.
type Branding struct {
	PrimaryColour string `json:"primary_colour,omitempty"`
	AccentColour  string `json:"accent_colour,omitempty"`
	LogoURL       string `json:"logo_url,omitempty"`
}

// Value stores Branding as jsonb, in its text form: the pool sends []byte parameters in
// binary, and jsonb's binary form needs a version byte.
func (b Branding) Value() (driver.Value, error) {
	raw, err := json.Marshal(b)
	return string(raw), err
}

// Scan reads Branding from jsonb.
func (b *Branding) Scan(src any) error {
	switch v := src.(type) {
	case []byte:
		return json.Unmarshal(v, b)
	case string:
		return json.Unmarshal([]byte(v), b)
	case nil:
		*b = Branding{}
		return nil
	}
	return fmt.Errorf("branding: cannot scan %T", src)
}

// Tenant is one state on the platform, with its policies as typed fields.
type Tenant struct {
	Code               string           `db:"code" json:"code"`
	Name               string           `db:"name" json:"name"`
	Status             Status           `db:"status" json:"status"`
	Schema             string           `db:"schema_name" json:"-"`
	RegistrationMode   RegistrationMode `db:"registration_mode" json:"registration_mode"`
	EmailDomains       pq.StringArray   `db:"email_domains" json:"email_domains"`
	RetentionMonths    int              `db:"retention_months" json:"retention_months"`
	LockoutMaxFailures int              `db:"lockout_max_failures" json:"lockout_max_failures"`
	LockoutMinutes     int              `db:"lockout_minutes" json:"lockout_minutes"`
	SessionIdleMinutes int              `db:"session_idle_minutes" json:"session_idle_minutes"`
	HelpdeskEmail      string           `db:"helpdesk_email" json:"helpdesk_email"`
	HelpdeskPhone      string           `db:"helpdesk_phone" json:"helpdesk_phone"`
	DefaultLanguage    string           `db:"default_language" json:"default_language"`
	Branding           Branding         `db:"branding" json:"branding"`
	ExportedAt         *time.Time       `db:"exported_at" json:"exported_at,omitempty"`
	CreatedAt          time.Time        `db:"created_at" json:"created_at"`
	UpdatedAt          time.Time        `db:"updated_at" json:"updated_at"`
	Hosts              []string         `db:"-" json:"hosts"`
}

// Languages the interface offers; Malay first, as the default.
var Languages = []string{"ms", "en"}

var (
	codePattern   = regexp.MustCompile(`^[a-z][a-z0-9_]{1,30}$`)
	hostPattern   = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	domainPattern = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,}$`)
)

// EmailInDomains reports whether addr is at one of domains (the tenant's official e-mail
// domains; any address when there are none). Domains are compared exactly, case-insensitively:
// a subdomain is not the domain.
func EmailInDomains(addr string, domains []string) bool {
	if len(domains) == 0 {
		return true
	}
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return false
	}
	domain := strings.ToLower(strings.TrimSpace(addr[at+1:]))
	for _, d := range domains {
		if strings.ToLower(d) == domain {
			return true
		}
	}
	return false
}

// SchemaName is the PostgreSQL schema of a tenant code. Codes are validated against
// codePattern, so the name is always a safe identifier.
func SchemaName(code string) string { return "tenant_" + code }

// NormaliseHost lower-cases a host and drops a port and a trailing dot.
func NormaliseHost(host string) string {
	host = strings.ToLower(strings.TrimSpace(host))
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.Contains(host[i:], "]") {
		host = host[:i]
	}
	return strings.TrimSuffix(host, ".")
}

// Errors callers branch on. Those a person can cause carry their code (modules/foundation/fault);
// the web edge gives them a status, the CLI prints them.
var (
	ErrNotFound     = fault.New(fault.NotFound, "not_found", errors.New("tenant not found"))
	ErrDuplicate    = fault.New(fault.Conflict, "tenant_exists", errors.New("tenant code already exists"))
	ErrHostTaken    = fault.New(fault.Conflict, "host_taken", errors.New("host already belongs to a tenant"))
	ErrInvalid      = errors.New("invalid tenant")
	ErrUnknownHost  = errors.New("unknown host")
	ErrSuspended    = errors.New("tenant suspended")
	ErrProvisioning = fault.New(fault.Conflict, "tenant_provisioning", errors.New("tenant is being provisioned"))
)

// FieldError is one problem with one field of a tenant specification. Message is for
// developers (English); Code, when set, names the problem for a translated message where one
// field can fail in more than one way (e.g. admin.email: email_domain).
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
	Code    string `json:"code,omitempty"`
}

// ValidationError lists every problem with a specification; it matches ErrInvalid.
type ValidationError struct{ Problems []FieldError }

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Field + ": " + p.Message
	}
	return "invalid tenant: " + strings.Join(parts, "; ")
}

func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// Fault answers 422 invalid_tenant with every problem in "fields".
func (e *ValidationError) Fault() *fault.Error {
	return fault.New(fault.Invalid, "invalid_tenant", e).With("fields", e.Problems)
}

// Spec is what it takes to create a tenant.
type Spec struct {
	Code             string
	Name             string
	Hosts            []string
	RegistrationMode RegistrationMode
	EmailDomains     []string
	RetentionMonths  int
	HelpdeskEmail    string
	HelpdeskPhone    string
	Branding         Branding
}

// Normalise trims and lower-cases what is case-insensitive and fills defaults.
func (s *Spec) Normalise() {
	s.Code = strings.TrimSpace(s.Code)
	s.Name = strings.TrimSpace(s.Name)
	for i, h := range s.Hosts {
		s.Hosts[i] = NormaliseHost(h)
	}
	for i, d := range s.EmailDomains {
		s.EmailDomains[i] = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(d), "@"))
	}
	if s.RetentionMonths == 0 {
		s.RetentionMonths = 24
	}
	s.HelpdeskEmail = strings.TrimSpace(s.HelpdeskEmail)
	s.HelpdeskPhone = strings.TrimSpace(s.HelpdeskPhone)
}

// Validate reports every problem with the specification. platformHost may not be claimed.
func (s *Spec) Validate(platformHost string) error {
	var problems []FieldError
	bad := func(field, format string, args ...any) {
		problems = append(problems, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if !codePattern.MatchString(s.Code) {
		bad("code", "must match ^[a-z][a-z0-9_]{1,30}$ (lower-case letter, then letters, digits or _), got %q", s.Code)
	}
	if s.Name == "" || len(s.Name) > 200 {
		bad("name", "is required (at most 200 characters)")
	}
	seen := map[string]bool{}
	for _, h := range s.Hosts {
		switch {
		case !hostPattern.MatchString(h) || len(h) > 253:
			bad("hosts", "%q is not a valid host name", h)
		case h == platformHost:
			bad("hosts", "%q is the platform host", h)
		case seen[h]:
			bad("hosts", "%q is listed twice", h)
		}
		seen[h] = true
	}
	if !s.RegistrationMode.Valid() {
		bad("registration_mode", "must be self_register, payroll_match or admin_only, got %q", s.RegistrationMode)
	}
	for _, d := range s.EmailDomains {
		if !domainPattern.MatchString(d) {
			bad("email_domains", "%q is not a domain name", d)
		}
	}
	if s.RetentionMonths < 1 || s.RetentionMonths > 120 {
		bad("retention_months", "must be between 1 and 120")
	}
	if s.HelpdeskEmail != "" {
		if a, err := mail.ParseAddress(s.HelpdeskEmail); err != nil || a.Address != s.HelpdeskEmail {
			bad("helpdesk_email", "%q is not an email address", s.HelpdeskEmail)
		}
	}
	if s.HelpdeskPhone != "" && !settingsPhone.MatchString(s.HelpdeskPhone) {
		bad("helpdesk_phone", "%q is not a telephone number", s.HelpdeskPhone)
	}
	if len(problems) > 0 {
		return &ValidationError{Problems: problems}
	}
	return nil
}
