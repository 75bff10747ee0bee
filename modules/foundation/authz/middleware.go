package authz

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/casbin/casbin/v2"
	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/foundation/fault"
	"github.com/speks-portal/speks/modules/foundation/guard"
	"github.com/speks-portal/speks/tenant"
)

// Credential recognises a machine caller that has no session (the feed API key). It returns
// the subject ("" when the request carries no such credential) or an error that answers the
// request, e.g. 401 for a key that is presented but invalid.
type Credential func(c *fiber.Ctx) (subject string, err error)

// Options configure the Module.
type Options struct {
	// DB reaches public.casbin_rule (the platform handle).
	DB *sqlx.DB
	// DSN, when set, starts a LISTEN/NOTIFY watcher so this replica sees other replicas'
	// policy changes within a second.
	DSN         string
	Logger      *slog.Logger
	Credentials []Credential
	// Enforcer, when set, is used instead of one loaded from DB (tests).
	Enforcer casbin.IEnforcer
}

// Module is the one authorisation middleware. Mount it right after the session middlewares
// (account.Module.SessionModule and the platform's, which put the Principal on the context)
// and before every module with routes, the account routes (account.Module.Routes) included:
// every route registered after it is checked, and a request matching no policy is refused.
// A Module serves one app: its route index is built from the app of its first request.
type Module struct {
	opts Options
	log  *slog.Logger

	loaded  atomic.Value // casbin.IEnforcer once loaded: the per-request path takes no lock
	mu      sync.Mutex   // serialises loading
	watcher *Watcher

	indexOnce sync.Once
	index     *routeIndex

	// decisions remembers Enforce's answers for the enforcer this module loaded itself; nil
	// with Options.Enforcer, whose policies a caller may change without a reload.
	decisions atomic.Pointer[decisionCache]
}

// decisionCache holds Enforce's answers. The questions are few — subject (a role name),
// domain (a tenant code), object (a route pattern, never the raw path) and method — so it
// stays small, and evaluating Casbin's matcher per request was the largest single cost of a
// payslip view (docs/BENCHMARKS.md "Payday"). Every policy reload empties it; an answer
// computed before a reload but stored after it is dropped (the generation moved on).
// Casbin's own SyncedCachedEnforcer is not used for that reason: its LoadPolicy clears the
// cache before loading, so an Enforce racing the reload can store the old policies' answer
// after the clear, and it would stay until the next reload.
type decisionCache struct {
	mu      sync.RWMutex
	gen     uint64
	answers map[decisionKey]bool
}

type decisionKey struct{ sub, dom, obj, act string }

// maxDecisions bounds the cache against tenants × roles × routes growing past the expected.
const maxDecisions = 1 << 16

func newDecisionCache() *decisionCache {
	return &decisionCache{answers: make(map[decisionKey]bool)}
}

// get returns the cached answer and the generation to store a new one under.
func (d *decisionCache) get(k decisionKey) (answer, found bool, gen uint64) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	answer, found = d.answers[k]
	return answer, found, d.gen
}

func (d *decisionCache) put(k decisionKey, answer bool, gen uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if gen != d.gen {
		return // the policies were reloaded since the answer was computed
	}
	if len(d.answers) >= maxDecisions {
		clear(d.answers)
	}
	d.answers[k] = answer
}

// reset forgets every answer; the policies have just been reloaded.
func (d *decisionCache) reset() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.gen++
	clear(d.answers)
}

// NewModule returns the middleware module. Policies are loaded on the first request (and
// retried on the next one after a failure): web modules are built before any request, with
// no way to report an error.
func NewModule(opts Options) *Module {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Module{opts: opts, log: log}
}

// Mount adds the middleware.
func (m *Module) Mount(app *fiber.App) { app.Use(m.Middleware) }

// Enforcer returns the loaded enforcer, loading it first if needed.
func (m *Module) Enforcer() (casbin.IEnforcer, error) {
	if e, ok := m.loaded.Load().(casbin.IEnforcer); ok {
		return e, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.loaded.Load().(casbin.IEnforcer); ok {
		return e, nil
	}
	if m.opts.Enforcer != nil {
		m.loaded.Store(m.opts.Enforcer)
		return m.opts.Enforcer, nil
	}
	var w *Watcher
	if m.opts.DSN != "" {
		var err error
		if w, err = NewWatcher(m.opts.DSN, m.opts.DB, m.log); err != nil {
			return nil, err
		}
	}
	decisions := newDecisionCache()
	enf, err := NewEnforcer(m.opts.DB, w, m.log, decisions.reset)
	if err != nil {
		if w != nil {
			w.Close()
		}
		return nil, err
	}
	m.watcher = w
	m.decisions.Store(decisions)
	m.loaded.Store(casbin.IEnforcer(enf))
	return enf, nil
}

// Close stops the watcher.
func (m *Module) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.watcher != nil {
		m.watcher.Close()
	}
}

// Middleware authorises the request: subject = each of the principal's roles (or the
// machine credential's subject) and "anonymous", domain = tenant code or "*", object = the
// matched route pattern, action = the method (HEAD is GET).
func (m *Module) Middleware(c *fiber.Ctx) error {
	m.indexOnce.Do(func() { m.index = newRouteIndex(c.App()) })
	pattern, ok := m.index.lookup(c.Method(), string(c.Request().URI().PathOriginal()))
	if !ok {
		return fiber.ErrNotFound // no route: nothing to authorise, and nothing runs
	}
	enf, err := m.Enforcer()
	if err != nil {
		return fmt.Errorf("authz: %w", err)
	}
	req := request{enf: enf, decisions: m.cache(), dom: domain(c.UserContext()), obj: pattern, act: action(c.Method())}
	subjects := []string{Anonymous}
	p, signedIn := guard.PrincipalFrom(c.UserContext())
	if signedIn {
		subjects = PrincipalSubjects(p)
	}
	if ok, err := req.anyAllowed(subjects); err != nil || ok {
		return m.pass(c, err)
	}
	// Machine credentials are looked at only where anonymous visitors may not go, so a
	// public page never costs a key lookup, whatever headers come with it.
	if !signedIn {
		sub, err := m.machineSubject(c)
		if err != nil {
			return err
		}
		if sub != "" {
			signedIn = true
			if ok, err := req.anyAllowed([]string{sub}); err != nil || ok {
				return m.pass(c, err)
			}
		}
	}
	return m.refuse(c, signedIn, req.dom, pattern)
}

// request is one authorisation question, asked for several subjects.
type request struct {
	enf           casbin.IEnforcer
	decisions     *decisionCache // nil: ask the enforcer every time
	dom, obj, act string
}

// cache is the decision cache, once the module's own enforcer has loaded.
func (m *Module) cache() *decisionCache { return m.decisions.Load() }

func (r request) enforce(sub string) (bool, error) {
	if r.decisions == nil {
		return r.enf.Enforce(sub, r.dom, r.obj, r.act)
	}
	k := decisionKey{sub, r.dom, r.obj, r.act}
	answer, found, gen := r.decisions.get(k)
	if found {
		return answer, nil
	}
	answer, err := r.enf.Enforce(sub, r.dom, r.obj, r.act)
	if err == nil {
		r.decisions.put(k, answer, gen)
	}
	return answer, err
}

func (r request) anyAllowed(subjects []string) (bool, error) {
	for _, sub := range subjects {
		ok, err := r.enforce(sub)
		if err != nil {
			return false, fmt.Errorf("authz: enforce %s %s %s: %w", r.dom, r.act, r.obj, err)
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}

// pass continues to the handler, unless the decision itself failed.
func (m *Module) pass(c *fiber.Ctx, err error) error {
	if err != nil {
		return err
	}
	return c.Next()
}

// machineSubject is the subject of the first credential the request carries, or "".
func (m *Module) machineSubject(c *fiber.Ctx) (string, error) {
	for _, cred := range m.opts.Credentials {
		sub, err := cred(c)
		if err != nil || sub != "" {
			return sub, err
		}
	}
	return "", nil
}

// PrincipalSubjects are the subjects a logged-in person is authorised as: the roles they act
// with (guard.Principal.ActsAs: their category when it is a role, staff for an officer on the
// payroll, their granted roles), then signed_in and anonymous. signed_in is named directly as
// well as inherited, so an account with neither a role category nor a granted role (an
// officer created without one) can still reach its own account routes, such as setting its
// first password.
func PrincipalSubjects(p *guard.Principal) []string {
	return append(p.ActsAs(), SignedIn, Anonymous)
}

func domain(ctx context.Context) string {
	if scope, ok := tenant.FromContext(ctx); ok {
		return scope.Tenant.Code
	}
	return PlatformDomain
}

func action(method string) string {
	if method == fiber.MethodHead {
		return fiber.MethodGet
	}
	return method
}

// refuse answers 401 (or the login page) to an anonymous visitor, 403 to anyone else.
func (m *Module) refuse(c *fiber.Ctx, signedIn bool, dom, pattern string) error {
	if signedIn {
		m.log.InfoContext(c.UserContext(), "authz: refused", "domain", dom, "route", pattern, "method", c.Method())
		return fault.New(fault.Forbidden, "forbidden", nil)
	}
	page := action(c.Method()) == fiber.MethodGet && !strings.HasPrefix(c.Path(), "/api/")
	if page && dom == PlatformDomain && strings.HasPrefix(c.Path(), "/platform") {
		return c.Redirect("/platform/login", fiber.StatusSeeOther) // JANM's console (modules/platform)
	}
	if page && dom != PlatformDomain { // elsewhere on the platform host there is no login page
		return c.Redirect("/login?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
	}
	return fault.Unauth()
}
