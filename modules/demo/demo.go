// Package demo creates the demo states of docs/API.md "Demo": the four tenants their FAQs
// describe (Pahang, Kelantan, Melaka, Selangor) with synthetic but realistic payroll and
// supplier data, and reports their URLs and logins as text or as the JSON document acceptance
// tests read.
//
// Everything is deterministic (seeded PCG generators, a fixed reference date) and only ever
// adds what is missing, so running it again changes no row. (A Go release that changed how
// math/rand/v2 draws numbers would generate other people; a re-run would then add them
// beside the earlier ones, never alter those.) The demo accounts and requests come from the
// steps in accounts.go, passed as Options.TenantSteps by the composition root: they pick the
// people and call the owning feature module (account, requests, platform) to write them. This
// package sits on top: it imports the features, no feature imports it.
package demo

import (
	"context"
	"errors"
	"fmt"

	"github.com/speks-portal/speks/tenant"
)

// ErrProduction is returned when the demo is asked for in production mode.
var ErrProduction = errors.New("the demo is refused when mode is production: it creates tenants with synthetic people")

// Defaults and limits of the data volume. The limits keep a mistyped flag from filling a disk;
// memory stays bounded well past them (rows are streamed, only 8-byte keys are remembered).
const (
	DefaultStaff     = 300
	DefaultSuppliers = 60
	MaxStaff         = 1_000_000
	MaxSuppliers     = 100_000
	MaxStates        = 99
)

// Deps are the platform pieces the demo works through.
type Deps struct {
	Databases   *tenant.Databases
	Registry    *tenant.Registry
	Provisioner *tenant.Provisioner
}

// TenantStep adds a module's demo data to one tenant once its synthetic data is in place and
// fills that module's keys of entry (e.g. entry.Staff). It must be idempotent too.
type TenantStep func(ctx context.Context, t *tenant.Tenant, db *tenant.DB, entry *TenantEntry) error

// PlatformStep adds platform-wide demo data (e.g. the platform administrator) to out.
type PlatformStep func(ctx context.Context, out *Output) error

// Options say how much to create and where the demo will be served.
type Options struct {
	// Production is the configured mode; the demo refuses to run when it is set.
	Production bool
	// Port, DevHostSuffix and PlatformHost make the local hosts and URLs printed
	// (<code><suffix>:<port>).
	Port          int
	DevHostSuffix string
	PlatformHost  string
	// Staff and Suppliers per tenant; 0 means the default.
	Staff     int
	Suppliers int
	// States is how many tenants: the four demo states, then synthetic copies up to States
	// (StatesUpTo); 0 means the four.
	States int
	// TenantSteps and PlatformSteps add the demo accounts (accounts.go) after the data.
	TenantSteps   []TenantStep
	PlatformSteps []PlatformStep
}

func (o *Options) normalise() error {
	if o.Production {
		return ErrProduction
	}
	if o.Staff == 0 {
		o.Staff = DefaultStaff
	}
	if o.Suppliers == 0 {
		o.Suppliers = DefaultSuppliers
	}
	var problems []error
	if o.Staff < 1 || o.Staff > MaxStaff {
		problems = append(problems, fmt.Errorf("staff: must be between 1 and %d, got %d", MaxStaff, o.Staff))
	}
	if o.Suppliers < 1 || o.Suppliers > MaxSuppliers {
		problems = append(problems, fmt.Errorf("suppliers: must be between 1 and %d, got %d", MaxSuppliers, o.Suppliers))
	}
	if o.States < 0 || o.States > MaxStates {
		problems = append(problems, fmt.Errorf("states: must be between 0 and %d, got %d", MaxStates, o.States))
	}
	if o.Port < 1 || o.Port > 65535 {
		problems = append(problems, fmt.Errorf("port: must be between 1 and 65535, got %d", o.Port))
	}
	return errors.Join(problems...)
}

// Run creates (or completes) the demo states and returns what to print. The platform and
// tenant schemas are migrated first, so it works on an empty database.
func Run(ctx context.Context, deps Deps, opts Options) (*Output, error) {
	if err := opts.normalise(); err != nil {
		return nil, err
	}
	if _, err := tenant.MigrateAll(ctx, deps.Databases); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	out := &Output{Port: opts.Port, PlatformHost: opts.PlatformHost, Tenants: map[string]*TenantEntry{}}
	for _, state := range StatesUpTo(opts.States) {
		entry, err := runState(ctx, deps, &opts, &state)
		if err != nil {
			return nil, fmt.Errorf("demo state %s: %w", state.Spec.Code, err)
		}
		out.Tenants[state.Spec.Code] = entry
	}
	for _, step := range opts.PlatformSteps {
		if err := step(ctx, out); err != nil {
			return nil, fmt.Errorf("demo platform step: %w", err)
		}
	}
	return out, nil
}

func runState(ctx context.Context, deps Deps, opts *Options, state *State) (*TenantEntry, error) {
	t, err := ensureTenant(ctx, deps, state.Spec)
	if err != nil {
		return nil, err
	}
	db, err := deps.Databases.Schema(t.Schema)
	if err != nil {
		return nil, err
	}
	counts, err := seed(ctx, db, state, opts.Staff, opts.Suppliers)
	if err != nil {
		return nil, err
	}
	entry := &TenantEntry{
		Host:             localHost(t, opts.DevHostSuffix),
		RegistrationMode: t.RegistrationMode,
		Name:             t.Name,
		ProductionHosts:  t.Hosts,
		Counts:           counts,
	}
	for _, step := range opts.TenantSteps {
		if err := step(ctx, t, db, entry); err != nil {
			return nil, err
		}
	}
	// Chosen last, so that nobody a step gave an account is offered as unregistered.
	if entry.UnregisteredStaff, err = unregisteredStaff(ctx, db, t); err != nil {
		return nil, err
	}
	return entry, nil
}

// ensureTenant provisions the state's tenant, or returns it as it is when it exists already:
// settings changed since (through the admin API) are kept.
func ensureTenant(ctx context.Context, deps Deps, spec tenant.Spec) (*tenant.Tenant, error) {
	t, err := deps.Provisioner.Create(ctx, spec, "demo")
	if errors.Is(err, tenant.ErrDuplicate) {
		return deps.Registry.Get(ctx, spec.Code)
	}
	return t, err
}

// localHost is where the tenant answers locally; without a dev suffix, its first real host.
func localHost(t *tenant.Tenant, devSuffix string) string {
	if devSuffix != "" || len(t.Hosts) == 0 {
		return t.Code + devSuffix
	}
	return t.Hosts[0]
}
