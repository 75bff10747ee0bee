// Package tenanttest gives integration tests a real, empty PostgreSQL database of their own,
// with the platform schema migrated and helpers to provision tenants. The server is the one
// `make test` ensures (SPEKS_TEST_DATABASE_URL, default the local trust-auth server).
package tenanttest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/speks-portal/speks/tenant"
)

// DefaultServerURL is where tests find PostgreSQL unless SPEKS_TEST_DATABASE_URL says otherwise.
const DefaultServerURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// Env is one test's platform: a fresh database and the tenant machinery over it.
type Env struct {
	URL          string
	Databases    *tenant.Databases
	Registry     *tenant.Registry
	Resolver     *tenant.Resolver
	Provisioner  *tenant.Provisioner
	Scoper       *tenant.Scoper
	PlatformHost string
}

// ServerURL is the test server's maintenance URL.
func ServerURL() string {
	if u := os.Getenv("SPEKS_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultServerURL
}

// NewDatabase creates an empty database with a unique name, dropped when the test ends.
func NewDatabase(t testing.TB) string {
	t.Helper()
	buf := make([]byte, 6)
	_, _ = rand.Read(buf)
	name := "speks_test_" + hex.EncodeToString(buf)
	admin, err := sqlx.Open("postgres", ServerURL())
	if err != nil {
		t.Fatalf("open test server: %v", err)
	}
	if _, err := admin.Exec("CREATE DATABASE " + pq.QuoteIdentifier(name)); err != nil {
		admin.Close()
		t.Fatalf("create test database (is PostgreSQL running? `make test` starts it): %v", err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		_, _ = admin.Exec("DROP DATABASE IF EXISTS " + pq.QuoteIdentifier(name) + " WITH (FORCE)")
	})
	u, err := url.Parse(ServerURL())
	if err != nil {
		t.Fatalf("parse test server url: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// PoolerURL is dbURL (a database from NewDatabase) reached through the tests' PgBouncer in
// transaction mode (SPEKS_TEST_POOLER_URL, which `make test` sets; .ci/ensure-services.sh
// starts it with one server connection per database). Without it the test is skipped, except
// under CI=true, where a missing pooler fails the test rather than hide the check.
func PoolerURL(t testing.TB, dbURL string) string {
	t.Helper()
	raw := os.Getenv("SPEKS_TEST_POOLER_URL")
	if raw == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("SPEKS_TEST_POOLER_URL is not set: CI runs the isolation tests through PgBouncer too (make test sets it)")
		}
		t.Skip("SPEKS_TEST_POOLER_URL is not set (make test sets it): not testing through PgBouncer")
	}
	pooler, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("SPEKS_TEST_POOLER_URL: %v", err)
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatalf("parse database url: %v", err)
	}
	u.Host, u.User = pooler.Host, pooler.User
	return u.String()
}

// New returns an Env on a fresh, migrated database; tenants can be added with Tenant. Its
// one pool (the process's budget, database.max_conns) holds poolSize connections for the
// tenants' work plus 4 for the platform side, as the separate per-tenant and platform pools
// of earlier did; NewWith sets the budget exactly.
func New(t testing.TB, poolSize int) *Env {
	t.Helper()
	return NewWith(t, NewDatabase(t), tenant.PoolConfig{MaxConns: poolSize + 4, AcquireTimeout: 30 * time.Second})
}

// NewWith returns an Env on dbURL (a fresh database from NewDatabase, or the same one through
// a pooler), migrated over pool.DirectURL when set.
func NewWith(t testing.TB, dbURL string, pool tenant.PoolConfig) *Env {
	t.Helper()
	if pool.MaxIdleTime == 0 {
		pool.MaxIdleTime = time.Minute
	}
	if pool.AppName == "" {
		pool.AppName = "speks-test"
	}
	dbs, err := tenant.OpenDatabases(dbURL, pool)
	if err != nil {
		t.Fatalf("open databases: %v", err)
	}
	t.Cleanup(func() { _ = dbs.Close() })
	if _, err := tenant.MigrateAll(context.Background(), dbs); err != nil {
		t.Fatalf("migrate platform: %v", err)
	}
	registry := tenant.NewRegistry(dbs.Public())
	resolver := tenant.NewResolver(registry, ".localhost", 100*time.Millisecond)
	const platformHost = "platform.localhost"
	return &Env{
		URL:          dbURL,
		Databases:    dbs,
		Registry:     registry,
		Resolver:     resolver,
		Provisioner:  tenant.NewProvisioner(registry, dbs, platformHost),
		Scoper:       &tenant.Scoper{Resolver: resolver, Databases: dbs, PlatformHost: platformHost},
		PlatformHost: platformHost,
	}
}

// Tenant provisions a tenant with code and mode and host <code>.example.test.
func (e *Env) Tenant(t testing.TB, code string, mode tenant.RegistrationMode) *tenant.Tenant {
	t.Helper()
	tn, err := e.Provisioner.Create(context.Background(), tenant.Spec{
		Code: code, Name: "Negeri " + code, Hosts: []string{code + ".example.test"}, RegistrationMode: mode,
	}, "test")
	if err != nil {
		t.Fatalf("provision tenant %s: %v", code, err)
	}
	e.Resolver.Invalidate()
	return tn
}

// DB returns the handle bound to a tenant's schema.
func (e *Env) DB(t testing.TB, tn *tenant.Tenant) *tenant.DB {
	t.Helper()
	db, err := e.Databases.Schema(tn.Schema)
	if err != nil {
		t.Fatalf("tenant handle %s: %v", tn.Code, err)
	}
	return db
}
