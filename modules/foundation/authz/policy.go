// Package authz decides who may call which route: Casbin v2, RBAC with domains. The subject
// is a role (every visitor also holds "anonymous"; the feed API key is the subject "feed"),
// the domain is the tenant code ("*" on the platform host), the object is the route pattern
// Fiber registered (e.g. /api/v1/payslips/:year/:month.pdf; policies may use keyMatch2
// patterns such as /api/v1/payslips/*), the action is the HTTP method. Policies live in
// public.casbin_rule; every tenant gets the default set when it is created (and `speks
// migrate` adds missing defaults to existing ones); replicas reload on a PostgreSQL NOTIFY.
package authz

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/tenant"
)

// Roles. Staff and supplier are the account categories; the others are granted roles.
const (
	Anonymous        = "anonymous"
	Staff            = "staff"
	Supplier         = "supplier"
	PTJAdmin         = "ptj_admin"
	HeadOfDepartment = "head_of_department"
	ITOfficer        = "it_officer"
	Treasury         = "treasury"
	PlatformAdmin    = "platform_admin"
	Feed             = "feed"
	// SignedIn is not held by anyone directly: every role of a logged-in person inherits it.
	SignedIn = "signed_in"
	// PlatformDomain is the domain of the platform host.
	PlatformDomain = "*"
)

// Roles lists every subject a policy may name (SignedIn aside).
var Roles = []string{Anonymous, Staff, Supplier, PTJAdmin, HeadOfDepartment, ITOfficer, Treasury, PlatformAdmin, Feed}

// modelText is RBAC with domains; roles inherit within a domain only (g = _, _, _), so a
// grant in one state never reaches another.
const modelText = `
[request_definition]
r = sub, dom, obj, act

[policy_definition]
p = sub, dom, obj, act

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub, r.dom) && r.dom == p.dom && keyMatch2(r.obj, p.obj) && r.act == p.act
`

// rule is one default permission: sub may act on obj.
type rule struct{ sub, obj, act string }

const get, post, patch = "GET", "POST", "PATCH"

// publicRules are the routes any visitor reaches, on tenant and platform hosts alike.
var publicRules = []rule{
	{Anonymous, "/", get}, {Anonymous, "/theme.css", get}, {Anonymous, "/api/v1/tenant", get},
	{Anonymous, "/healthz", get}, {Anonymous, "/readyz", get}, {Anonymous, "/metrics", get},
	// The development mail sink is only mounted in dev mode.
	{Anonymous, "/dev/mail", get}, {Anonymous, "/dev/mail.css", get},
}

// tenantRules are the defaults of every tenant. The account routes are authorised like the
// others; the account session middleware, which runs before this check, additionally keeps a
// restricted session to the few routes of its purpose.
var tenantRules = []rule{
	// Ways in: login, first login, registration, recovery, and the session itself.
	{Anonymous, "/account/forms.css", get},
	{Anonymous, "/login", get}, {Anonymous, "/login", post}, {Anonymous, "/logout", post},
	{Anonymous, "/first-login", get}, {Anonymous, "/first-login", post},
	{Anonymous, "/activate", get}, {Anonymous, "/activate", post},
	{Anonymous, "/register", get}, {Anonymous, "/register", post},
	{Anonymous, "/verify-email", get}, {Anonymous, "/forgot-password", get}, {Anonymous, "/forgot-password", post},
	{Anonymous, "/account/email/confirm", get},
	{Anonymous, "/api/v1/auth/*", post}, {Anonymous, "/api/v1/auth/*", get},
	{Anonymous, "/api/v1/session", get}, {Anonymous, "/api/v1/account/email/confirm", get},
	// Public verification of a printed document, and the records module's assets.
	{Anonymous, "/verify/:token", get}, {Anonymous, "/records/:file", get},
	// The state's logo, shown on every page (modules/admin).
	{Anonymous, "/branding/logo", get},

	// Anyone logged in: home and their own account.
	{SignedIn, "/home", get}, {SignedIn, "/account", get},
	{SignedIn, "/account/password", get}, {SignedIn, "/account/password", post},
	{SignedIn, "/account/profile", get}, {SignedIn, "/account/profile", post},
	{SignedIn, "/account/cancellation", post}, {SignedIn, "/account/sessions/end-all", post},
	{SignedIn, "/account/totp", get}, {SignedIn, "/account/totp", post},
	{SignedIn, "/api/v1/account/sessions/end-all", post}, {SignedIn, "/api/v1/account/password", post},
	{SignedIn, "/api/v1/account/profile", get}, {SignedIn, "/api/v1/account/profile", patch},
	{SignedIn, "/api/v1/account/cancellation", post},
	{SignedIn, "/api/v1/account/totp/enrol", post}, {SignedIn, "/api/v1/account/totp/confirm", post},

	// Staff: payslips and EC statements (pay records exist only for the payroll master).
	{Staff, "/payslips", get}, {Staff, "/payslips/:year/:month", get},
	{Staff, "/statements", get}, {Staff, "/statements/:year", get},
	{Staff, "/api/v1/payslips", get}, {Staff, "/api/v1/payslips/*", get},
	{Staff, "/api/v1/statements", get}, {Staff, "/api/v1/statements/*", get},
	// Payments: suppliers, and staff for their claims (docs/API.md "Records").
	{Staff, "/payments", get}, {Staff, "/payments/:ref", get}, {Staff, "/payments/:ref", post},
	{Staff, "/api/v1/payments", get}, {Staff, "/api/v1/payments/*", get}, {Staff, "/api/v1/payments/:ref/verify", post},
	{Supplier, "/payments", get}, {Supplier, "/payments/:ref", get}, {Supplier, "/payments/:ref", post},
	{Supplier, "/api/v1/payments", get}, {Supplier, "/api/v1/payments/*", get}, {Supplier, "/api/v1/payments/:ref/verify", post},
	{Staff, "/api/v1/account/export", get}, {Supplier, "/api/v1/account/export", get},

	// User-administration requests (modules/requests): PTJ admins and heads of department raise
	// them, heads then treasury decide; the service scopes rows to the caller's PTJ/department.
	{PTJAdmin, "/api/v1/admin/requests", get}, {PTJAdmin, "/api/v1/admin/requests", post},
	{HeadOfDepartment, "/api/v1/admin/requests", get}, {HeadOfDepartment, "/api/v1/admin/requests", post},
	{Treasury, "/api/v1/admin/requests", get},
	{HeadOfDepartment, "/api/v1/admin/requests/:id/approve", post}, {HeadOfDepartment, "/api/v1/admin/requests/:id/reject", post},
	{Treasury, "/api/v1/admin/requests/:id/approve", post}, {Treasury, "/api/v1/admin/requests/:id/reject", post},
	// The PTJ payroll admin: the staff of their PTJ and their registered e-mail.
	{PTJAdmin, "/api/v1/admin/ptj/staff", get}, {PTJAdmin, "/api/v1/admin/ptj/staff/:user_id/email", post},
	// The same as pages.
	{PTJAdmin, "/admin/requests", get}, {PTJAdmin, "/admin/requests", post},
	{HeadOfDepartment, "/admin/requests", get}, {HeadOfDepartment, "/admin/requests", post}, {Treasury, "/admin/requests", get},
	{HeadOfDepartment, "/admin/requests/:id/approve", post}, {HeadOfDepartment, "/admin/requests/:id/reject", post},
	{Treasury, "/admin/requests/:id/approve", post}, {Treasury, "/admin/requests/:id/reject", post},
	{PTJAdmin, "/admin/ptj/staff", get}, {PTJAdmin, "/admin/ptj/staff/:user_id/email", post},
	// Approved requests not carried out: the IT officer lists them and carries them out again
	// (reading and retrying only; deciding stays with the head and the treasury).
	{ITOfficer, "/api/v1/admin/requests/stuck", get}, {ITOfficer, "/api/v1/admin/requests/:id/retry", post},
	{ITOfficer, "/admin/requests/stuck", get}, {ITOfficer, "/admin/requests/:id/retry", post},

	// The payroll system's feeds, authenticated by the tenant's API key.
	{Feed, "/api/v1/feeds/:kind", post},

	// The IT officer's console (modules/admin); treasury may read the audit trail.
	{ITOfficer, "/api/v1/admin/users", get}, {ITOfficer, "/api/v1/admin/activations", get},
	{ITOfficer, "/api/v1/admin/users/:user_id", get},
	{ITOfficer, "/api/v1/admin/users/:user_id/activate", post}, {ITOfficer, "/api/v1/admin/users/:user_id/deactivate", post},
	{ITOfficer, "/api/v1/admin/users/:user_id/unlock", post}, {ITOfficer, "/api/v1/admin/users/:user_id/reset", post},
	{ITOfficer, "/api/v1/admin/cancellations", get}, {ITOfficer, "/api/v1/admin/cancellations/:id/complete", post},
	{ITOfficer, "/api/v1/admin/failed-mail", get}, {ITOfficer, "/api/v1/admin/feed-batches", get},
	{ITOfficer, "/api/v1/admin/apikeys", get}, {ITOfficer, "/api/v1/admin/apikeys", post},
	{ITOfficer, "/api/v1/admin/apikeys/:prefix", "DELETE"},
	{ITOfficer, "/admin/apikeys", get}, {ITOfficer, "/admin/apikeys", post}, {ITOfficer, "/admin/apikeys/:prefix/revoke", post},
	{ITOfficer, "/api/v1/admin/audit", get}, {Treasury, "/api/v1/admin/audit", get},
	{ITOfficer, "/api/v1/admin/settings", get}, {Treasury, "/api/v1/admin/settings", get},
	{ITOfficer, "/api/v1/admin/settings", "PUT"}, {ITOfficer, "/api/v1/admin/settings/logo", post},
	{ITOfficer, "/admin/users", get}, {ITOfficer, "/admin/audit", get}, {Treasury, "/admin/audit", get},
	{ITOfficer, "/admin", get}, {ITOfficer, "/admin/cancellations/:id/complete", post},
	{ITOfficer, "/admin/settings", get}, {ITOfficer, "/admin/settings", post},
	{ITOfficer, "/admin/calendar", get}, {ITOfficer, "/admin/calendar/weekend", post},
	{ITOfficer, "/admin/calendar/holidays", post}, {ITOfficer, "/admin/calendar/holidays/:date/remove", post},
	{ITOfficer, "/admin/calendar/import", post},
	{ITOfficer, "/api/v1/admin/calendar", get}, {ITOfficer, "/api/v1/admin/calendar/:year", "PUT"},
	{ITOfficer, "/admin/users/:user_id/activate", post}, {ITOfficer, "/admin/users/:user_id/deactivate", post},
	{ITOfficer, "/admin/users/:user_id/unlock", post}, {ITOfficer, "/admin/users/:user_id/reset", post},
	{ITOfficer, "/api/v1/admin/users/:user_id/roles", post}, {ITOfficer, "/admin/users/:user_id/roles", post},
	{ITOfficer, "/admin/settings/logo", post},
}

// platformRules are JANM's console on the platform host (modules/platform); migrations
// platform/00020 and 00030 insert the same rows.
var platformRules = []rule{
	{Anonymous, "/platform/login", get}, {Anonymous, "/platform/login", post}, {Anonymous, "/platform/logout", post},
	{Anonymous, "/api/v1/platform/auth/login", post}, {Anonymous, "/api/v1/platform/auth/logout", post},
	{Anonymous, "/api/v1/platform/session", get},
	{PlatformAdmin, "/platform", get}, {PlatformAdmin, "/platform/tenants", post},
	{PlatformAdmin, "/platform/tenants/:code/status", post}, {PlatformAdmin, "/platform/tenants/:code/offboard", post},
	{PlatformAdmin, "/api/v1/platform/tenants", get}, {PlatformAdmin, "/api/v1/platform/tenants", post},
	{PlatformAdmin, "/api/v1/platform/tenants/:code", get}, {PlatformAdmin, "/api/v1/platform/tenants/:code", patch},
	{PlatformAdmin, "/api/v1/platform/tenants/:code", "DELETE"},
	{PlatformAdmin, "/api/v1/platform/tenants/:code/export", post},
}

// signedInRoles inherit SignedIn in every tenant.
var signedInRoles = []string{Staff, Supplier, PTJAdmin, HeadOfDepartment, ITOfficer, Treasury}

// DefaultPolicies returns the default p and g rules of domain (a tenant code, or
// PlatformDomain for the platform host).
func DefaultPolicies(domain string) (p, g [][]string) {
	rules := append(append([]rule{}, publicRules...), platformRules...)
	if domain != PlatformDomain {
		rules = append(append([]rule{}, publicRules...), tenantRules...)
		for _, role := range signedInRoles {
			g = append(g, []string{role, SignedIn, domain})
		}
	}
	for _, r := range rules {
		p = append(p, []string{r.sub, domain, r.obj, r.act})
	}
	return p, g
}

// SeedTenant stores the default policies of t (idempotent) and tells the replicas. Its
// signature is a tenant.Provisioner AfterMigrate hook; db may be the tenant's handle, as
// the policy table is addressed by its schema.
func SeedTenant(ctx context.Context, t *tenant.Tenant, db *tenant.DB) error {
	return seed(ctx, db, t.Code)
}

// SeedPlatform stores the default policies of the platform host (idempotent).
func SeedPlatform(ctx context.Context, db *sqlx.DB) error {
	return seed(ctx, db, PlatformDomain)
}

// SeedAll stores the missing defaults of the platform and every registered tenant, for
// `speks migrate`. A default an administrator removed comes back: defaults are the floor.
func SeedAll(ctx context.Context, registry *tenant.Registry, db *sqlx.DB) error {
	if err := SeedPlatform(ctx, db); err != nil {
		return err
	}
	tenants, err := registry.List(ctx)
	if err != nil {
		return fmt.Errorf("authz: list tenants: %w", err)
	}
	for _, t := range tenants {
		if err := seed(ctx, db, t.Code); err != nil {
			return err
		}
	}
	return nil
}

func seed(ctx context.Context, db tenant.Beginner, domain string) error {
	p, g := DefaultPolicies(domain)
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("authz: seed %s: %w", domain, err)
	}
	defer func() { _ = tx.Rollback() }()
	for ptype, rules := range map[string][][]string{"p": p, "g": g} {
		for _, r := range rules {
			if err := insertRule(ctx, tx, ptype, r); err != nil {
				return fmt.Errorf("authz: seed %s: %w", domain, err)
			}
		}
	}
	if err := Notify(ctx, tx, ""); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("authz: seed %s: %w", domain, err)
	}
	return nil
}

// NewEnforcer loads every policy from db into a goroutine-safe enforcer. With a watcher, it
// reloads when another replica changes the policies and tells the others of its own changes.
// afterReload runs after every reload the watcher triggers (the middleware's decision cache
// forgets its answers there).
func NewEnforcer(db *sqlx.DB, w *Watcher, log *slog.Logger, afterReload ...func()) (*casbin.SyncedEnforcer, error) {
	m, err := model.NewModelFromString(modelText)
	if err != nil {
		return nil, fmt.Errorf("authz: model: %w", err)
	}
	e, err := casbin.NewSyncedEnforcer(m, NewAdapter(db))
	if err != nil {
		return nil, fmt.Errorf("authz: enforcer: %w", err)
	}
	if w == nil {
		return e, nil
	}
	if err := e.SetWatcher(w); err != nil {
		return nil, fmt.Errorf("authz: watcher: %w", err)
	}
	if log == nil {
		log = slog.Default()
	}
	// Casbin's default callback reloads without the synced enforcer's lock; this one takes it.
	_ = w.SetUpdateCallback(func(string) {
		if err := e.LoadPolicy(); err != nil {
			log.Error("authz: reload policies", "err", err)
		}
		for _, f := range afterReload {
			f()
		}
	})
	return e, nil
}

// DropDomainIn removes every policy and role assignment of a tenant inside the caller's
// transaction (offboarding) and tells every replica to reload when it commits. This package is
// the one writer of public.casbin_rule.
func DropDomainIn(ctx context.Context, tx sqlx.ExecerContext, domain string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM public.casbin_rule WHERE (ptype = 'p' AND v1 = $1) OR (ptype = 'g' AND v2 = $1)`,
		domain); err != nil {
		return fmt.Errorf("authz: drop policies of %s: %w", domain, err)
	}
	return Notify(ctx, tx, "")
}
