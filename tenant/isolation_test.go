package tenant_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// departmentsApp answers over HTTP with the department codes its tenant scope sees: the scope
// comes from the request's Host, as the web shell opens it.
func departmentsApp(scoper *tenant.Scoper) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, _, err := scoper.ForHost(r.Context(), tenant.NormaliseHost(r.Host))
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		scope, ok := tenant.FromContext(ctx)
		if !ok {
			http.NotFound(w, r)
			return
		}
		var codes []string
		if err := scope.DB.SelectContext(ctx, &codes, `SELECT code FROM departments ORDER BY code`); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, scope.Tenant.Code+":"+strings.Join(codes, ","))
	})
}

// isolationEnvs are the two ways a process reaches PostgreSQL, each with ONE server
// connection for every tenant: directly with a budget of one, and through the tests'
// PgBouncer in transaction mode (one server connection per database), where four client
// connections of the process take turns on that one server session.
var isolationEnvs = []struct {
	name string
	open func(t *testing.T) *tenanttest.Env
}{
	{"direct", func(t *testing.T) *tenanttest.Env {
		return tenanttest.NewWith(t, tenanttest.NewDatabase(t), tenant.PoolConfig{MaxConns: 1, AcquireTimeout: time.Minute})
	}},
	{"pgbouncer", func(t *testing.T) *tenanttest.Env {
		direct := tenanttest.NewDatabase(t)
		return tenanttest.NewWith(t, tenanttest.PoolerURL(t, direct),
			tenant.PoolConfig{MaxConns: 4, AcquireTimeout: time.Minute, DirectURL: direct})
	}},
}

// twoTenantsWithDepartments provisions alpha with departments A1 and A2 and beta with B1.
func twoTenantsWithDepartments(t *testing.T, env *tenanttest.Env) (alpha, beta *tenant.Tenant) {
	t.Helper()
	alpha = env.Tenant(t, "alpha", tenant.PayrollMatch)
	beta = env.Tenant(t, "beta", tenant.SelfRegister)
	for tn, codes := range map[*tenant.Tenant][]string{alpha: {"A1", "A2"}, beta: {"B1"}} {
		for _, code := range codes {
			if _, err := env.DB(t, tn).ExecContext(context.Background(), `INSERT INTO departments (code, name) VALUES ($1, $1)`, code); err != nil {
				t.Fatal(err)
			}
		}
	}
	return alpha, beta
}

// Alternating requests for two tenants over one server connection must each see only their
// own rows: every statement's transaction sets the tenant's search_path first.
func TestAlternatingTenantsNeverSeeEachOthersRows(t *testing.T) {
	for _, mode := range isolationEnvs {
		t.Run(mode.name, func(t *testing.T) {
			env := mode.open(t)
			twoTenantsWithDepartments(t, env)
			srv := httptest.NewServer(departmentsApp(env.Scoper))
			defer srv.Close()
			want := map[string]string{"alpha.example.test": "alpha:A1,A2", "beta.example.test": "beta:B1"}
			for i := 0; i < 40; i++ {
				host := "alpha.example.test"
				if i%2 == 1 {
					host = "beta.example.test"
				}
				req, err := http.NewRequest("GET", srv.URL+"/departments", nil)
				if err != nil {
					t.Fatal(err)
				}
				req.Host = host
				resp, err := srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if string(body) != want[host] {
					t.Fatalf("request %d on %s saw %q, want %q", i, host, body, want[host])
				}
			}
		})
	}
}

// Two tenants, two workers each, at once on ONE server connection: plain reads, writes and
// transactions (InTx) each see and touch only their own tenant's rows, and every one of
// them ran on the same server session (one backend pid), so nothing but the per-transaction
// search_path kept them apart.
func TestTenantsTakeTurnsOnOneServerConnection(t *testing.T) {
	for _, mode := range isolationEnvs {
		t.Run(mode.name, func(t *testing.T) {
			env := mode.open(t)
			tenants := []*tenant.Tenant{env.Tenant(t, "alpha", tenant.PayrollMatch), env.Tenant(t, "beta", tenant.PayrollMatch)}
			ctx := context.Background()
			var mu sync.Mutex
			pids := map[int]bool{}
			const workers, rounds = 2, 15
			var wg sync.WaitGroup
			errs := make(chan error, len(tenants)*workers)
			for _, tn := range tenants {
				prefix := strings.ToUpper(tn.Code[:1])
				db := env.DB(t, tn)
				for w := range workers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						errs <- takeTurns(ctx, db, prefix, w, rounds, func(pid int) {
							mu.Lock()
							pids[pid] = true
							mu.Unlock()
						})
					}()
				}
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			for _, tn := range tenants {
				var n int
				if err := env.DB(t, tn).Get(&n, `SELECT count(*) FROM departments`); err != nil {
					t.Fatal(err)
				}
				if n != workers*rounds*2 {
					t.Errorf("%s holds %d departments, want %d", tn.Code, n, workers*rounds*2)
				}
			}
			if len(pids) != 1 {
				t.Errorf("the work ran on %d server sessions, want the one: %v", len(pids), pids)
			}
		})
	}
}

// takeTurns writes, reads and works in a transaction as one tenant (departments coded
// <prefix>…), failing on any row or search_path of another tenant.
func takeTurns(ctx context.Context, db *tenant.DB, prefix string, worker, rounds int, sawPid func(int)) error {
	own := func(codes []string) error {
		for _, c := range codes {
			if !strings.HasPrefix(c, prefix) {
				return fmt.Errorf("tenant %s saw department %s", prefix, c)
			}
		}
		return nil
	}
	for i := range rounds {
		code := fmt.Sprintf("%s%d-%d", prefix, worker, i)
		if _, err := db.ExecContext(ctx, `INSERT INTO departments (code, name) VALUES ($1, $1)`, code); err != nil {
			return fmt.Errorf("write %s: %w", code, err)
		}
		var codes []string
		if err := db.SelectContext(ctx, &codes, `SELECT code FROM departments`); err != nil {
			return fmt.Errorf("read: %w", err)
		}
		if err := own(codes); err != nil {
			return err
		}
		err := tenant.InTx(ctx, db, func(tx *sqlx.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO departments (code, name) VALUES ($1, $1)`, code+"-tx"); err != nil {
				return err
			}
			var codes []string
			if err := tx.SelectContext(ctx, &codes, `SELECT code FROM departments`); err != nil {
				return err
			}
			if err := own(codes); err != nil {
				return err
			}
			var path string
			var pid int
			if err := tx.QueryRowxContext(ctx, `SELECT current_setting('search_path'), pg_backend_pid()`).Scan(&path, &pid); err != nil {
				return err
			}
			if path != "tenant_"+strings.ToLower(map[string]string{"A": "alpha", "B": "beta"}[prefix]) {
				return fmt.Errorf("tenant %s ran with search_path %q", prefix, path)
			}
			sawPid(pid)
			return nil
		})
		if err != nil {
			return fmt.Errorf("InTx: %w", err)
		}
		var pid int
		if err := db.GetContext(ctx, &pid, `SELECT pg_backend_pid()`); err != nil {
			return err
		}
		sawPid(pid)
	}
	return nil
}

// A tenant handle cannot reach platform tables or another tenant's tables by unqualified
// name, directly or through the pooler.
func TestTenantHandleSeesOnlyItsSchema(t *testing.T) {
	for _, mode := range isolationEnvs {
		t.Run(mode.name, func(t *testing.T) {
			env := mode.open(t)
			a := env.Tenant(t, "alpha", tenant.PayrollMatch)
			env.Tenant(t, "beta", tenant.PayrollMatch)
			var path string
			if err := env.DB(t, a).Get(&path, `SHOW search_path`); err != nil {
				t.Fatal(err)
			}
			if path != "tenant_alpha" {
				t.Fatalf("search_path = %q, want tenant_alpha", path)
			}
			if _, err := env.DB(t, a).Exec(`SELECT 1 FROM tenants`); err == nil {
				t.Fatal("a tenant handle could read the platform's tenants table unqualified")
			}
			// The platform's statements on the same pool run with search_path public.
			if err := env.Databases.Public().Get(&path, `SHOW search_path`); err != nil || path != "public" {
				t.Fatalf("platform search_path = %q (%v), want public", path, err)
			}
		})
	}
}

func TestResolverHostsAndStatuses(t *testing.T) {
	env := tenanttest.New(t, 2)
	env.Tenant(t, "alpha", tenant.PayrollMatch)
	ctx := context.Background()
	for _, host := range []string{"alpha.example.test", "ALPHA.Example.Test:8443", "alpha.localhost:8080"} {
		got, err := env.Resolver.Resolve(ctx, host)
		if err != nil || got.Code != "alpha" {
			t.Fatalf("Resolve(%q) = %v, %v; want alpha", host, got, err)
		}
	}
	for _, host := range []string{"beta.example.test", "example.test", "alpha.example.test.evil.my", "platform.localhost"} {
		if _, err := env.Resolver.Resolve(ctx, host); !tenant.IsUnknownHost(err) {
			t.Fatalf("Resolve(%q) error = %v, want unknown host", host, err)
		}
	}
	// Without the dev suffix (production), <code>.localhost is unknown.
	prod := tenant.NewResolver(env.Registry, "", 0)
	if _, err := prod.Resolve(ctx, "alpha.localhost"); !tenant.IsUnknownHost(err) {
		t.Fatalf("production resolver answered a dev host: %v", err)
	}
	// Suspension is seen after the snapshot refresh and closes the scope.
	if err := env.Registry.SetStatus(ctx, "alpha", tenant.StatusSuspended, "test"); err != nil {
		t.Fatal(err)
	}
	env.Resolver.Invalidate()
	_, _, err := env.Scoper.ForCode(ctx, "alpha")
	var suspended *tenant.SuspendedError
	if !errors.As(err, &suspended) || suspended.Tenant.Code != "alpha" {
		t.Fatalf("ForCode on a suspended tenant = %v, want SuspendedError", err)
	}
}

func TestProvisioningFailureLeavesNothingBehind(t *testing.T) {
	env := tenanttest.New(t, 2)
	ctx := context.Background()
	spec := tenant.Spec{Code: "gamma", Name: "Gamma", Hosts: []string{"gamma.example.test"}, RegistrationMode: tenant.AdminOnly}
	env.Provisioner.AfterMigrate = append(env.Provisioner.AfterMigrate, func(context.Context, *tenant.Tenant, *tenant.DB) error {
		return fmt.Errorf("seeding failed on purpose")
	})
	if _, err := env.Provisioner.Create(ctx, spec, "test"); err == nil {
		t.Fatal("Create succeeded although seeding failed")
	}
	assertNoTrace(t, env, "gamma")

	env.Provisioner.AfterMigrate = nil
	tn, err := env.Provisioner.Create(ctx, spec, "test")
	if err != nil {
		t.Fatalf("retry after a failed provisioning: %v", err)
	}
	if tn.Status != tenant.StatusActive || tn.Hosts[0] != "gamma.example.test" {
		t.Fatalf("provisioned tenant = %+v", tn)
	}
	if _, err := env.Provisioner.Create(ctx, spec, "test"); !errors.Is(err, tenant.ErrDuplicate) {
		t.Fatalf("second Create = %v, want ErrDuplicate", err)
	}
	other := tenant.Spec{Code: "delta", Name: "Delta", Hosts: []string{"GAMMA.example.test"}, RegistrationMode: tenant.AdminOnly}
	if _, err := env.Provisioner.Create(ctx, other, "test"); !errors.Is(err, tenant.ErrHostTaken) {
		t.Fatalf("Create with a taken host = %v, want ErrHostTaken", err)
	}
	assertNoTrace(t, env, "delta")
}

// A crashed provisioning leaves a 'provisioning' row and a schema; the next Create cleans up.
func TestProvisioningRecoversFromACrashedAttempt(t *testing.T) {
	env := tenanttest.New(t, 2)
	pub := env.Databases.Public()
	pub.MustExec(`INSERT INTO tenants (code, name, schema_name, registration_mode) VALUES ('omega', 'Omega', 'tenant_omega', 'admin_only')`)
	pub.MustExec(`CREATE SCHEMA tenant_omega`)
	pub.MustExec(`CREATE TABLE tenant_omega.half_made (id int)`)
	if _, err := env.Resolver.Resolve(context.Background(), "omega.localhost"); !tenant.IsUnknownHost(err) {
		t.Fatalf("a provisioning tenant must be invisible, got %v", err)
	}
	tn, err := env.Provisioner.Create(context.Background(), tenant.Spec{Code: "omega", Name: "Omega", RegistrationMode: tenant.AdminOnly}, "test")
	if err != nil {
		t.Fatal(err)
	}
	var leftovers int
	if err := env.DB(t, tn).Get(&leftovers, `SELECT count(*) FROM pg_tables WHERE schemaname = 'tenant_omega' AND tablename = 'half_made'`); err != nil {
		t.Fatal(err)
	}
	if leftovers != 0 {
		t.Fatal("the crashed attempt's table survived")
	}
}

func assertNoTrace(t *testing.T, env *tenanttest.Env, code string) {
	t.Helper()
	var rows, schemas, hosts int
	pub := env.Databases.Public()
	if err := pub.Get(&rows, `SELECT count(*) FROM tenants WHERE code = $1`, code); err != nil {
		t.Fatal(err)
	}
	if err := pub.Get(&hosts, `SELECT count(*) FROM tenant_hosts WHERE tenant_code = $1`, code); err != nil {
		t.Fatal(err)
	}
	if err := pub.Get(&schemas, `SELECT count(*) FROM pg_namespace WHERE nspname = $1`, tenant.SchemaName(code)); err != nil {
		t.Fatal(err)
	}
	if rows+schemas+hosts != 0 {
		t.Fatalf("tenant %s left rows=%d hosts=%d schemas=%d", code, rows, hosts, schemas)
	}
}

// A qualified read (GetQualified: every table named with the handle's schema, no transaction,
// no search_path) sees its own tenant's rows, alternating with the other tenant's qualified
// reads and ordinary statements on ONE server connection, and leaves no search_path behind;
// a statement that does not name the handle's schema is refused before it runs.
func TestQualifiedReadsSeeOnlyTheirSchema(t *testing.T) {
	for _, mode := range isolationEnvs {
		t.Run(mode.name, func(t *testing.T) {
			env := mode.open(t)
			a, b := twoTenantsWithDepartments(t, env)
			ctx := context.Background()
			want := map[*tenant.Tenant]string{a: "A1,A2", b: "B1"}
			for i := range 20 {
				tn, other := a, b
				if i%2 == 1 {
					tn, other = b, a
				}
				db := env.DB(t, tn)
				var got string
				if err := db.GetQualified(ctx, &got, `SELECT string_agg(code, ',' ORDER BY code) FROM `+db.Table("departments")); err != nil {
					t.Fatal(err)
				}
				if got != want[tn] {
					t.Fatalf("qualified read %d of %s saw %q, want %q", i, tn.Code, got, want[tn])
				}
				var codes []string
				if err := env.DB(t, other).SelectContext(ctx, &codes, `SELECT code FROM departments ORDER BY code`); err != nil {
					t.Fatal(err)
				}
				if strings.Join(codes, ",") != want[other] {
					t.Fatalf("after a qualified read of %s, %s saw %v, want %s", tn.Code, other.Code, codes, want[other])
				}
			}
			var n int
			if err := env.DB(t, a).GetQualified(ctx, &n, `SELECT count(*) FROM departments`); err == nil {
				t.Fatal("a qualified read that names no schema ran")
			}
			if err := env.DB(t, a).GetQualified(ctx, &n, `SELECT count(*) FROM `+env.DB(t, b).Table("departments")); err == nil {
				t.Fatal("a qualified read naming another tenant's schema only ran")
			}
		})
	}
}
