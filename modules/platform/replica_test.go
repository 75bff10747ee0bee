package platform_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/speks-portal/speks/config"
	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/foundation/authz"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/modules/foundation/web/apitest"
	"github.com/speks-portal/speks/tenant"
)

// A second replica — its own resolver snapshot and its own Casbin enforcer with a watcher —
// serves a state onboarded on the first within seconds, with its policies, without restart.
func TestSecondReplicaSeesTheOnboardedTenant(t *testing.T) {
	h := newHarness(t)
	admin, _ := h.admin(t)

	cfg, err := config.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	resolver := tenant.NewResolver(h.env.Registry, ".localhost", 2*time.Second)
	scoper := &tenant.Scoper{Resolver: resolver, Databases: h.env.Databases, PlatformHost: h.env.PlatformHost}
	az := authz.NewModule(authz.Options{DB: h.env.Databases.Public(), DSN: h.env.URL, Logger: quiet})
	t.Cleanup(az.Close)
	accounts := account.NewService("platform-test-session-secret-0123456789", "platform-test-decoy", quiet)
	app, err := web.New(web.Options{Config: cfg, Scoper: scoper, Tenants: h.env.Registry, Logger: quiet,
		Modules: []web.Module{account.NewModule(accounts), az}})
	if err != nil {
		t.Fatal(err)
	}
	replica := newClient(t, app, "terengganu.localhost")
	const route = "/api/v1/auth/security-questions" // authorised by terengganu's own policies
	if r := replica.Do("GET", route, nil); r.Status != http.StatusNotFound {
		t.Fatalf("before onboarding the replica answers %d", r.Status)
	}

	if r := admin.Do("POST", "/api/v1/platform/tenants", onboarding("terengganu")); r.Status != http.StatusCreated {
		t.Fatalf("onboard: %d %s", r.Status, r.Raw)
	}
	apitest.WaitWithin(t, 10*time.Second, "the second replica to serve the new state", func() bool {
		r := replica.Get(route)
		return r.Status == http.StatusOK && len(r.List) > 0
	})
}
