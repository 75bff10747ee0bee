package tenant

import (
	"context"
	"errors"

	"github.com/speks-portal/speks/modules/foundation/fault"
)

// Scope is what a request or job knows about its tenant: who it is and the database handle
// bound to its schema (DB: every statement runs with the tenant's search_path). Handlers,
// services and jobs take it from the context, never from request input.
type Scope struct {
	Tenant *Tenant
	DB     *DB
}

type scopeKey struct{}
type platformKey struct{}

// NewContext returns ctx carrying s.
func NewContext(ctx context.Context, s *Scope) context.Context {
	return context.WithValue(ctx, scopeKey{}, s)
}

// FromContext returns the tenant scope, or false on the platform host or outside a request.
func FromContext(ctx context.Context) (*Scope, bool) {
	s, ok := ctx.Value(scopeKey{}).(*Scope)
	return s, ok
}

// ErrNoScope is returned by Require outside a tenant's request or job.
var ErrNoScope = fault.New(fault.NotFound, "not_found", errors.New("no tenant scope"))

// Require returns the tenant scope of ctx, or ErrNoScope. It is how every service reaches its
// tenant's database: the scope comes from the context (set by the request middleware, the job
// middleware or the CLI), and store functions take the handle or transaction explicitly.
func Require(ctx context.Context) (*Scope, error) {
	s, ok := FromContext(ctx)
	if !ok {
		return nil, ErrNoScope
	}
	return s, nil
}

// IsPlatform reports whether ctx belongs to a request on the platform host.
func IsPlatform(ctx context.Context) bool {
	v, _ := ctx.Value(platformKey{}).(bool)
	return v
}

// SuspendedError carries the suspended tenant so the edge can answer in its language.
type SuspendedError struct{ Tenant *Tenant }

func (e *SuspendedError) Error() string { return "tenant " + e.Tenant.Code + " is suspended" }
func (e *SuspendedError) Is(target error) bool {
	return target == ErrSuspended
}

// Scoper opens tenant scopes for requests (by host) and for jobs (by code).
type Scoper struct {
	Resolver     *Resolver
	Databases    *Databases
	PlatformHost string
}

// ForCode opens the scope of an active tenant by code: what a job or CLI command uses.
func (s *Scoper) ForCode(ctx context.Context, code string) (context.Context, *Scope, error) {
	t, err := s.Resolver.ByCode(ctx, code)
	if err != nil {
		return ctx, nil, err
	}
	return s.open(ctx, t)
}

func (s *Scoper) open(ctx context.Context, t *Tenant) (context.Context, *Scope, error) {
	if t.Status == StatusSuspended {
		return ctx, nil, &SuspendedError{Tenant: t}
	}
	db, err := s.Databases.Schema(t.Schema)
	if err != nil {
		return ctx, nil, err
	}
	scope := &Scope{Tenant: t, DB: db}
	return NewContext(ctx, scope), scope, nil
}

// ForHost opens the scope of the request host's tenant (the host already normalised, e.g.
// by NormaliseHost), or marks ctx as the platform host's. Unknown hosts and suspended
// tenants are errors the web edge maps to pages. The web shell calls it for every request.
func (s *Scoper) ForHost(ctx context.Context, host string) (context.Context, *Tenant, error) {
	if host == s.PlatformHost {
		return context.WithValue(ctx, platformKey{}, true), nil, nil
	}
	t, err := s.Resolver.Resolve(ctx, host)
	if err != nil {
		return ctx, nil, err
	}
	ctx, _, err = s.open(ctx, t)
	if err != nil {
		return ctx, nil, err
	}
	return ctx, t, nil
}

// IsUnknownHost reports errors that mean "no tenant here".
func IsUnknownHost(err error) bool {
	return errors.Is(err, ErrUnknownHost) || errors.Is(err, ErrNotFound)
}
