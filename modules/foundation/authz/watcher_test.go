package authz_test

import (
	"testing"

	"github.com/casbin/casbin/v2"

	"github.com/speks-portal/speks/modules/foundation/authz"
	"github.com/speks-portal/speks/modules/foundation/web/apitest"
	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// Two replicas (two enforcers, each with its own watcher) on one database: a policy added
// or removed on one applies on the other within seconds, and so do the defaults of a tenant
// created meanwhile (seeded outside any enforcer).
func TestReplicasSeePolicyChanges(t *testing.T) {
	env := tenanttest.New(t, 2)
	one := watchedEnforcer(t, env)
	two := watchedEnforcer(t, env)

	rule := []any{authz.ITOfficer, "pahang", "/admin/users", "GET"}
	if ok := enforce(t, two, rule...); ok {
		t.Fatal("allowed before the rule exists")
	}
	if _, err := one.AddPolicy(rule...); err != nil {
		t.Fatal(err)
	}
	apitest.WaitFor(t, "the second replica to allow the added rule", func() bool { return enforce(t, two, rule...) })

	if _, err := two.RemovePolicy(rule...); err != nil {
		t.Fatal(err)
	}
	apitest.WaitFor(t, "the first replica to refuse the removed rule", func() bool { return !enforce(t, one, rule...) })

	env.Provisioner.AfterMigrate = append(env.Provisioner.AfterMigrate, authz.SeedTenant)
	env.Tenant(t, "terengganu", tenant.PayrollMatch)
	for _, e := range []*casbin.SyncedEnforcer{one, two} {
		apitest.WaitFor(t, "the replicas to load the new tenant's defaults", func() bool {
			return enforce(t, e, authz.Staff, "terengganu", "/api/v1/payslips/:year/:month.pdf", "GET")
		})
	}
}

func watchedEnforcer(t *testing.T, env *tenanttest.Env) *casbin.SyncedEnforcer {
	t.Helper()
	w, err := authz.NewWatcher(env.URL, env.Databases.Public(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	e, err := authz.NewEnforcer(env.Databases.Public(), w, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func enforce(t *testing.T, e *casbin.SyncedEnforcer, req ...any) bool {
	t.Helper()
	ok, err := e.Enforce(req...)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}
