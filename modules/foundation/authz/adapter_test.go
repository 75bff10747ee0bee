package authz_test

import (
	"context"
	"reflect"
	"sort"
	"testing"

	"github.com/casbin/casbin/v2"

	"github.com/speks-portal/speks/modules/foundation/authz"
	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// The adapter round-trips rules through public.casbin_rule: adding twice is harmless,
// removing and filtered removing delete exactly what they name, and a fresh enforcer loads
// what another one saved.
func TestAdapterStoresRulesInPostgres(t *testing.T) {
	env := tenanttest.New(t, 2)
	db := env.Databases.Public()
	a, err := authz.NewEnforcer(db, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, rule := range [][]string{
		{authz.Treasury, "melaka", "/admin/requests", "GET"},
		{authz.Treasury, "melaka", "/admin/requests/:id", "POST"},
		{authz.ITOfficer, "melaka", "/admin/users", "GET"},
	} {
		if _, err := a.AddPolicy(rule); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.AddPolicy(authz.Treasury, "melaka", "/admin/requests", "GET"); err != nil {
		t.Fatalf("adding an existing rule: %v", err)
	}
	if _, err := a.AddGroupingPolicy("head_of_department", authz.SignedIn, "melaka"); err != nil {
		t.Fatal(err)
	}

	b := mustEnforcer(t, env)
	if got, want := sorted(must(b.GetPolicy())), sorted(must(a.GetPolicy())); !reflect.DeepEqual(got, want) {
		t.Fatalf("a second enforcer loaded %v, want %v", got, want)
	}
	if ok, _ := b.Enforce(authz.Treasury, "melaka", "/admin/requests/:id", "POST"); !ok {
		t.Error("loaded policy does not allow what was stored")
	}

	if _, err := a.RemovePolicy(authz.Treasury, "melaka", "/admin/requests", "GET"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.RemoveFilteredPolicy(0, authz.ITOfficer, "melaka"); err != nil {
		t.Fatal(err)
	}
	c := mustEnforcer(t, env)
	want := [][]string{{authz.Treasury, "melaka", "/admin/requests/:id", "POST"}}
	if got := withoutDomain(must(c.GetPolicy()), authz.PlatformDomain); !reflect.DeepEqual(got, want) {
		t.Errorf("after removals the table holds %v, want %v", got, want)
	}
	if g := must(c.GetGroupingPolicy()); len(g) != 1 || g[0][0] != "head_of_department" {
		t.Errorf("grouping rules = %v", g)
	}

	// SavePolicy replaces the whole table with the enforcer's rules.
	c.ClearPolicy()
	if _, err := c.AddPolicy(authz.Feed, "melaka", "/api/v1/feeds/:kind", "POST"); err != nil {
		t.Fatal(err)
	}
	if err := c.SavePolicy(); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM public.casbin_rule`); err != nil || n != 1 {
		t.Errorf("after SavePolicy the table holds %d rows (%v), want 1", n, err)
	}
}

// The platform migration seeds exactly the platform defaults the code declares, and
// SeedTenant is idempotent and confined to the tenant's domain.
func TestDefaultPoliciesAreSeeded(t *testing.T) {
	env := tenanttest.New(t, 2)
	db := env.Databases.Public()
	e := mustEnforcer(t, env)
	wantP, _ := authz.DefaultPolicies(authz.PlatformDomain)
	if got := must(e.GetFilteredPolicy(1, authz.PlatformDomain)); !reflect.DeepEqual(sorted(got), sorted(wantP)) {
		t.Errorf("migration 00010 seeds %v,\nauthz.DefaultPolicies(\"*\") is %v", got, wantP)
	}

	env.Provisioner.AfterMigrate = append(env.Provisioner.AfterMigrate, authz.SeedTenant)
	tn := env.Tenant(t, "melaka", tenant.AdminOnly)
	if err := authz.SeedTenant(context.Background(), tn, env.DB(t, tn)); err != nil {
		t.Fatalf("seeding twice: %v", err)
	}
	if err := authz.SeedAll(context.Background(), env.Registry, db); err != nil {
		t.Fatalf("SeedAll: %v", err)
	}
	e = mustEnforcer(t, env)
	p, g := authz.DefaultPolicies("melaka")
	if got := must(e.GetFilteredPolicy(1, "melaka")); !reflect.DeepEqual(sorted(got), sorted(p)) {
		t.Errorf("tenant policies %v, want %v", got, p)
	}
	if got := must(e.GetFilteredGroupingPolicy(2, "melaka")); !reflect.DeepEqual(sorted(got), sorted(g)) {
		t.Errorf("tenant roles %v, want %v", got, g)
	}
}

func mustEnforcer(t *testing.T, env *tenanttest.Env) *casbin.SyncedEnforcer {
	t.Helper()
	e, err := authz.NewEnforcer(env.Databases.Public(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// must unwraps a policy listing, whose only error is a missing section of the model.
func must(rules [][]string, err error) [][]string {
	if err != nil {
		panic(err)
	}
	return rules
}

func sorted(rules [][]string) [][]string {
	out := append([][]string{}, rules...)
	sort.Slice(out, func(i, j int) bool { return joined(out[i]) < joined(out[j]) })
	return out
}

func joined(r []string) string {
	s := ""
	for _, v := range r {
		s += v + "\x00"
	}
	return s
}

func withoutDomain(rules [][]string, dom string) [][]string {
	var out [][]string
	for _, r := range rules {
		if r[1] != dom {
			out = append(out, r)
		}
	}
	return out
}
