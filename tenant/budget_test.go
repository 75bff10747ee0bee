package tenant_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// Sixteen tenants busy at once through one process never hold more than the process's
// budget of application connections (counted by PostgreSQL, by application_name): four
// tenants' transactions take the whole budget, the other twelve wait their turn, and all
// sixteen finish once connections come free. Quiet tenants hold nothing.
func TestBudgetCapsTheConnectionsOfEveryTenantTogether(t *testing.T) {
	const budget, tenants = 4, 16
	dbURL := tenanttest.NewDatabase(t)
	dbs, err := tenant.OpenDatabases(dbURL, tenant.PoolConfig{
		MaxConns: budget, AcquireTimeout: time.Minute, MaxIdleTime: time.Minute, AppName: "speks-budgettest",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dbs.Close() })
	watcher, err := sqlx.Open("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = watcher.Close() })
	appConns := func() int {
		t.Helper()
		var n int
		if err := watcher.Get(&n, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND application_name = 'speks-budgettest'`); err != nil {
			t.Fatal(err)
		}
		return n
	}
	ctx := context.Background()
	handles := make([]*tenant.DB, tenants)
	for i := range handles {
		if handles[i], err = dbs.Schema(fmt.Sprintf("tenant_t%02d", i)); err != nil {
			t.Fatal(err)
		}
	}

	// The first four tenants open a transaction each: the budget is spent.
	var held []*sqlx.Tx
	for _, db := range handles[:budget] {
		tx, err := db.BeginTxx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, tx)
	}
	// The other twelve, each a reader, a writer and a transaction, must wait.
	var wg sync.WaitGroup
	errs := make(chan error, tenants)
	for _, db := range handles[budget:] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var one int
			if err := db.GetContext(ctx, &one, `SELECT 1`); err != nil {
				errs <- err
				return
			}
			if _, err := db.ExecContext(ctx, `SELECT pg_sleep(0.01)`); err != nil {
				errs <- err
				return
			}
			errs <- tenant.InTx(ctx, db, func(tx *sqlx.Tx) error {
				var path string
				if err := tx.GetContext(ctx, &path, `SHOW search_path`); err != nil {
					return err
				}
				if path != db.Schema() {
					return fmt.Errorf("search_path %q in the transaction of %s", path, db.Schema())
				}
				return nil
			})
		}()
	}
	waitFor(t, "twelve tenants waiting for a connection", func() bool { return dbs.Stats().WaitCount >= tenants-budget })
	if n := appConns(); n != budget {
		t.Fatalf("with the budget spent PostgreSQL sees %d application connections, want %d", n, budget)
	}
	for _, tx := range held {
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	stats := dbs.Stats()
	if stats.MaxOpenConnections != budget || stats.OpenConnections > budget {
		t.Fatalf("pool stats %+v, want at most %d open", stats, budget)
	}
	if n := appConns(); n > budget {
		t.Fatalf("PostgreSQL sees %d application connections after the work, over the budget of %d", n, budget)
	}
}

// A statement that finds the budget spent for longer than database.acquire_timeout fails
// with ErrBusy, which IsUnavailable reports as a passing condition (503 at the web edge).
func TestWaitingBeyondTheAcquireTimeoutIsBusy(t *testing.T) {
	dbs, err := tenant.OpenDatabases(tenanttest.NewDatabase(t), tenant.PoolConfig{MaxConns: 1, AcquireTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dbs.Close() })
	a, _ := dbs.Schema("tenant_alpha")
	b, _ := dbs.Schema("tenant_beta")
	ctx := context.Background()
	tx, err := a.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var one int
	err = b.GetContext(ctx, &one, `SELECT 1`)
	if !tenant.IsUnavailable(err) || err != tenant.ErrBusy {
		t.Fatalf("GetContext with the budget spent = %v, want ErrBusy", err)
	}
	if _, err := b.BeginTxx(ctx, nil); err != tenant.ErrBusy {
		t.Fatalf("BeginTxx with the budget spent = %v, want ErrBusy", err)
	}
	if err := sqlx.GetContext(ctx, b, &one, `SELECT 1`); err != tenant.ErrBusy {
		t.Fatalf("sqlx.GetContext (a store's way) with the budget spent = %v, want ErrBusy", err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := b.GetContext(ctx, &one, `SELECT 1`); err != nil || one != 1 {
		t.Fatalf("after the connection came free: %d, %v", one, err)
	}
}

// waitFor polls cond until it holds (a state to reach, not a time to meet).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
