package tenant

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Resolver maps a request's host to its tenant. It serves from an in-memory snapshot of the
// registry, refreshed when older than TTL, so a change made on another replica is seen within
// seconds and the payday peak costs no registry query per request. When the database is down,
// the last good snapshot keeps serving.
type Resolver struct {
	registry *Registry
	// DevSuffix, when set (dev mode only), lets every tenant answer on <code><DevSuffix>.
	devSuffix string
	ttl       time.Duration

	mu       sync.RWMutex
	snap     *snapshot
	loadedAt time.Time
	loading  sync.Mutex
}

type snapshot struct {
	byHost map[string]*Tenant
	byCode map[string]*Tenant
}

// refreshWait bounds a snapshot refresh when an older snapshot can still answer.
const refreshWait = time.Second

// NewResolver resolves from registry; devSuffix is "" in production.
func NewResolver(registry *Registry, devSuffix string, ttl time.Duration) *Resolver {
	return &Resolver{registry: registry, devSuffix: devSuffix, ttl: ttl}
}

// Resolve returns the tenant for host (any case, with or without a port), or ErrUnknownHost.
// Tenants still being provisioned are unknown; suspended ones are returned with their status.
func (r *Resolver) Resolve(ctx context.Context, host string) (*Tenant, error) {
	snap, err := r.current(ctx)
	if err != nil {
		return nil, err
	}
	host = NormaliseHost(host)
	t := snap.byHost[host]
	if t == nil && r.devSuffix != "" && strings.HasSuffix(host, r.devSuffix) {
		t = snap.byCode[strings.TrimSuffix(host, r.devSuffix)]
	}
	if t == nil || t.Status == StatusProvisioning {
		return nil, ErrUnknownHost
	}
	return t, nil
}

// ByCode returns a tenant by its code from the snapshot (for jobs and the CLI), or ErrNotFound.
func (r *Resolver) ByCode(ctx context.Context, code string) (*Tenant, error) {
	snap, err := r.current(ctx)
	if err != nil {
		return nil, err
	}
	if t := snap.byCode[code]; t != nil && t.Status != StatusProvisioning {
		return t, nil
	}
	return nil, ErrNotFound
}

// Invalidate makes the next lookup reload the registry (after a local change).
func (r *Resolver) Invalidate() {
	r.mu.Lock()
	r.loadedAt = time.Time{}
	r.mu.Unlock()
}

func (r *Resolver) current(ctx context.Context) (*snapshot, error) {
	r.mu.RLock()
	snap, age := r.snap, time.Since(r.loadedAt)
	r.mu.RUnlock()
	if snap != nil && age < r.ttl {
		return snap, nil
	}
	if snap == nil {
		r.loading.Lock()
	} else if !r.loading.TryLock() {
		return snap, nil // another request is reloading; the slightly old snapshot will do
	}
	defer r.loading.Unlock()

	loadCtx := ctx
	if snap != nil {
		// With a snapshot to fall back on, a refresh waits at most this long for a connection
		// of the process's budget (its platform handle has no acquire deadline of its own), so
		// a spent budget never holds a request up on the host table.
		var cancel context.CancelFunc
		loadCtx, cancel = context.WithTimeout(ctx, refreshWait)
		defer cancel()
	}
	loaded, err := r.load(loadCtx)
	if err != nil {
		if snap != nil {
			slog.WarnContext(ctx, "tenant registry reload failed; serving the last snapshot", "err", err)
			return snap, nil
		}
		return nil, err
	}
	return loaded, nil
}

func (r *Resolver) load(ctx context.Context) (*snapshot, error) {
	r.mu.RLock()
	if r.snap != nil && time.Since(r.loadedAt) < r.ttl {
		defer r.mu.RUnlock()
		return r.snap, nil // loaded by the request that held the lock before us
	}
	r.mu.RUnlock()
	tenants, err := r.registry.List(ctx)
	if err != nil {
		return nil, err
	}
	snap := &snapshot{byHost: map[string]*Tenant{}, byCode: map[string]*Tenant{}}
	for _, t := range tenants {
		snap.byCode[t.Code] = t
		for _, h := range t.Hosts {
			snap.byHost[h] = t
		}
	}
	r.mu.Lock()
	r.snap, r.loadedAt = snap, time.Now()
	r.mu.Unlock()
	return snap, nil
}
