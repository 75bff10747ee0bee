package platform

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/account/identity"
	"github.com/speks-portal/speks/modules/foundation/authz"
	"github.com/speks-portal/speks/modules/foundation/fault"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/tenant"
)

// Errors of the tenant lifecycle.
var (
	ErrNotOffboardable = fault.New(fault.Conflict, "not_offboardable",
		errors.New("tenant must be suspended and exported after suspension"))
)

// Health is what the console shows of a tenant at a glance.
type Health struct {
	Users        int64      `json:"users" db:"users"`
	LastFeedAt   *time.Time `json:"last_feed_at" db:"last_feed_at"`
	FailedMail   int64      `json:"failed_mail" db:"failed_mail"`
	StorageBytes int64      `json:"storage_bytes" db:"storage_bytes"`
}

// Storage is the tenant's size as people read it (MB, GB).
func (h Health) Storage() string { return web.HumanSize(h.StorageBytes) }

// TenantView is a tenant with its health (nil while it is being provisioned).
type TenantView struct {
	*tenant.Tenant
	Health *Health `json:"health,omitempty"`
}

// ListTenants returns every tenant with its health.
func (s *Service) ListTenants(ctx context.Context) ([]TenantView, error) {
	tenants, err := s.Registry.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]TenantView, 0, len(tenants))
	for _, t := range tenants {
		v, err := s.view(ctx, t)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Tenant returns one tenant with its health, or tenant.ErrNotFound.
func (s *Service) Tenant(ctx context.Context, code string) (TenantView, error) {
	t, err := s.Registry.Get(ctx, code)
	if err != nil {
		return TenantView{}, err
	}
	return s.view(ctx, t)
}

func (s *Service) view(ctx context.Context, t *tenant.Tenant) (TenantView, error) {
	if t.Status == tenant.StatusProvisioning {
		return TenantView{Tenant: t}, nil
	}
	h, err := s.health(ctx, t)
	if err != nil {
		return TenantView{}, err
	}
	return TenantView{Tenant: t, Health: h}, nil
}

// health reads the counters from the tenant's schema and its size (tables with their indexes
// and TOAST) from the catalogue.
func (s *Service) health(ctx context.Context, t *tenant.Tenant) (*Health, error) {
	db, err := s.DBs.Schema(t.Schema)
	if err != nil {
		return nil, err
	}
	var h Health
	if err := db.GetContext(ctx, &h, `SELECT
		(SELECT count(*) FROM users) AS users,
		(SELECT max(received_at) FROM import_batches) AS last_feed_at,
		(SELECT count(*) FROM outbox WHERE status = 'failed') AS failed_mail`); err != nil {
		return nil, fmt.Errorf("health of tenant %s: %w", t.Code, err)
	}
	if err := s.public().GetContext(ctx, &h.StorageBytes, `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind IN ('r', 'm', 'p')`, t.Schema); err != nil {
		return nil, fmt.Errorf("storage of tenant %s: %w", t.Code, err)
	}
	return &h, nil
}

// FirstOfficer is the new tenant's first IT officer.
type FirstOfficer struct {
	ICNo  string `json:"ic_no"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// Onboarding is the one form that brings a new state onto the platform (docs/API.md "Platform").
type Onboarding struct {
	Code             string                  `json:"code"`
	Name             string                  `json:"name"`
	Hosts            []string                `json:"hosts"`
	RegistrationMode tenant.RegistrationMode `json:"registration_mode"`
	EmailDomains     []string                `json:"email_domains"`
	RetentionMonths  int                     `json:"retention_months"`
	// The state's helpdesk, shown on its landing and error pages and in every mail's footer;
	// its IT officer may change them later in the tenant settings.
	HelpdeskEmail string       `json:"helpdesk_email"`
	HelpdeskPhone string       `json:"helpdesk_phone"`
	Admin         FirstOfficer `json:"admin"`
}

func (o Onboarding) spec() tenant.Spec {
	return tenant.Spec{Code: o.Code, Name: o.Name, Hosts: slices.Clone(o.Hosts), RegistrationMode: o.RegistrationMode,
		EmailDomains: slices.Clone(o.EmailDomains), RetentionMonths: o.RetentionMonths,
		HelpdeskEmail: o.HelpdeskEmail, HelpdeskPhone: o.HelpdeskPhone}
}

// officerProblems checks the first IT officer before anything is provisioned. A state that
// restricts e-mail to its official domains gets an officer at one of them: the officer's
// address receives every one-time code of the state's administration.
func (o Onboarding) officerProblems(domains []string) []tenant.FieldError {
	var problems []tenant.FieldError
	if key := identity.ParseLoginID(o.Admin.ICNo); key.Category != identity.CategoryStaff {
		problems = append(problems, tenant.FieldError{Field: "admin.ic_no", Message: "must be a 12-digit IC number"})
	}
	if strings.TrimSpace(o.Admin.Name) == "" {
		problems = append(problems, tenant.FieldError{Field: "admin.name", Message: "is required"})
	}
	addr := strings.TrimSpace(o.Admin.Email)
	if a, err := mail.ParseAddress(addr); err != nil || a.Address != addr {
		problems = append(problems, tenant.FieldError{Field: "admin.email", Message: "is not an e-mail address"})
	} else if !tenant.EmailInDomains(addr, domains) {
		problems = append(problems, tenant.FieldError{Field: "admin.email", Code: "email_domain",
			Message: "must be at one of the state's e-mail domains: " + strings.Join(domains, ", ")})
	}
	return problems
}

// Onboard provisions the tenant and, inside the same provisioning, creates its first IT
// officer and queues the mail with a first-login one-time code: if any step fails the
// provisioner removes everything, so a state is never left without its officer.
func (s *Service) Onboard(ctx context.Context, in Onboarding, actor string) (*tenant.Tenant, error) {
	spec := in.spec()
	spec.Normalise()
	problems := in.officerProblems(spec.EmailDomains)
	if err := spec.Validate(s.PlatformHost); err != nil {
		var ve *tenant.ValidationError
		if !errors.As(err, &ve) {
			return nil, err
		}
		problems = append(ve.Problems, problems...)
	}
	if len(problems) > 0 {
		return nil, &tenant.ValidationError{Problems: problems}
	}
	p := *s.Provisioner // a copy per call: the extra hook belongs to this onboarding only
	p.AfterMigrate = append(slices.Clone(s.Provisioner.AfterMigrate), s.createOfficer(in.Admin, actor))
	started := s.now()
	t, err := p.Create(ctx, spec, actor)
	if err != nil {
		return nil, err
	}
	s.Resolver.Invalidate()
	// The IC number stays out of the platform audit; the tenant's own audit_log has the account.
	if err := s.audit(ctx, actor, "tenant.onboard", t.Code, map[string]any{
		"it_officer_email": strings.TrimSpace(in.Admin.Email), "took_ms": s.now().Sub(started).Milliseconds(),
	}); err != nil {
		return nil, err
	}
	return t, nil
}

func (s *Service) createOfficer(o FirstOfficer, actor string) func(ctx context.Context, t *tenant.Tenant, db *tenant.DB) error {
	return func(ctx context.Context, t *tenant.Tenant, db *tenant.DB) error {
		ctx = tenant.NewContext(ctx, &tenant.Scope{Tenant: t, DB: db})
		loginURL := ""
		if s.LoginURL != nil {
			loginURL = s.LoginURL(t)
		}
		_, err := s.Accounts.Registration.CreateAccount(ctx, account.NewAccount{
			Category: identity.CategoryOfficer, ID: o.ICNo, Name: strings.TrimSpace(o.Name),
			Email: strings.TrimSpace(o.Email), Roles: []string{authz.ITOfficer},
		}, "platform:"+actor, loginURL)
		if err != nil {
			return fmt.Errorf("first IT officer of %s: %w", t.Code, err)
		}
		return nil
	}
}

// Change is a PATCH of a tenant: nil fields stay as they are.
type Change struct {
	Hosts  *[]string      `json:"hosts"`
	Status *tenant.Status `json:"status"`
}

// ChangeTenant replaces the hosts and/or changes the status, each audited.
func (s *Service) ChangeTenant(ctx context.Context, code string, ch Change, actor string) (TenantView, error) {
	t, err := s.Registry.Get(ctx, code)
	if err != nil {
		return TenantView{}, err
	}
	if ch.Hosts != nil {
		if err := s.replaceHosts(ctx, t, *ch.Hosts, actor); err != nil {
			return TenantView{}, err
		}
	}
	if ch.Status != nil && *ch.Status != t.Status {
		if *ch.Status != tenant.StatusActive && *ch.Status != tenant.StatusSuspended {
			return TenantView{}, &tenant.ValidationError{Problems: []tenant.FieldError{{Field: "status", Message: "must be active or suspended"}}}
		}
		if err := s.Registry.SetStatus(ctx, code, *ch.Status, actor); err != nil {
			return TenantView{}, err
		}
	}
	s.Resolver.Invalidate()
	return s.Tenant(ctx, code)
}

func (s *Service) replaceHosts(ctx context.Context, t *tenant.Tenant, hosts []string, actor string) error {
	// Validate the hosts with the same rules as at creation, on the tenant's own spec.
	spec := tenant.Spec{Code: t.Code, Name: t.Name, Hosts: slices.Clone(hosts), RegistrationMode: t.RegistrationMode,
		EmailDomains: slices.Clone([]string(t.EmailDomains)), RetentionMonths: t.RetentionMonths}
	spec.Normalise()
	if err := spec.Validate(s.PlatformHost); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := tenant.ReplaceHostsIn(ctx, tx, t.Code, spec.Hosts); err != nil {
			return err
		}
		return tenant.Audit(ctx, tx, actor, "tenant.hosts", t.Code, map[string]any{"before": t.Hosts, "after": spec.Hosts})
	})
}

// Offboard drops a tenant: only a suspended one whose export was made after it was suspended
// (suspension stops every request and job, so that export holds the final data). The
// schema, the registry rows and the tenant's policies go; the platform audit keeps the fact.
func (s *Service) Offboard(ctx context.Context, code, actor string) error {
	t, err := s.Registry.Get(ctx, code)
	if err != nil {
		return err
	}
	if t.Status != tenant.StatusSuspended || t.ExportedAt == nil || t.ExportedAt.Before(t.UpdatedAt) {
		return fmt.Errorf("offboard %s: %w", code, ErrNotOffboardable)
	}
	s.DBs.Forget(t.Schema)
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		// Re-checked under a row lock: a resume between the read and here must win.
		var ok bool
		if err := tx.GetContext(ctx, &ok, `SELECT status = 'suspended' AND exported_at >= updated_at
			FROM tenants WHERE code = $1 FOR UPDATE`, code); err != nil {
			return fmt.Errorf("lock tenant %s: %w", code, err)
		}
		if !ok {
			return fmt.Errorf("offboard %s: %w", code, ErrNotOffboardable)
		}
		if _, err := tx.ExecContext(ctx, "DROP SCHEMA "+pq.QuoteIdentifier(t.Schema)+" CASCADE"); err != nil {
			return fmt.Errorf("drop schema of %s: %w", code, err)
		}
		if err := authz.DropDomainIn(ctx, tx, code); err != nil {
			return err
		}
		if err := tenant.DeleteIn(ctx, tx, code); err != nil {
			return err
		}
		return tenant.Audit(ctx, tx, actor, "tenant.offboard", code, map[string]any{
			"exported_at": t.ExportedAt.UTC().Format(time.RFC3339), "hosts": t.Hosts,
		})
	})
	if err != nil {
		return err
	}
	s.Resolver.Invalidate()
	return nil
}
