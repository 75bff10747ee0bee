package tenant

import (
	"context"
	"database/sql"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// countingDialer counts round trips: each time a connection reads after it wrote.
type countingDialer struct{ trips atomic.Int64 }

func (d *countingDialer) Dial(network, address string) (net.Conn, error) {
	return d.DialTimeout(network, address, 0)
}

func (d *countingDialer) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	c, err := net.DialTimeout(network, address, timeout)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, d: d}, nil
}

type countingConn struct {
	net.Conn
	d     *countingDialer
	wrote bool
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.wrote = true
	return c.Conn.Write(p)
}

func (c *countingConn) Read(p []byte) (int, error) {
	if c.wrote {
		c.wrote = false
		c.d.trips.Add(1)
	}
	return c.Conn.Read(p)
}

// The cost of the isolation, in round trips to the server (docs/OPERATIONS.md "Database
// connections"), counted on the wire: a parameterised statement costs lib/pq as it comes two
// (Parse + Describe + Sync, then Bind + Execute + Sync) and the pool's lib/pq one
// (binary_parameters: Parse + Bind + Execute + Sync); on a tenant handle a lone statement runs
// in a transaction of its own, which adds BEGIN + SET LOCAL (one simple-protocol round trip)
// and COMMIT; a transaction (InTx) adds nothing to what BEGIN and COMMIT already cost.
func TestIsolationCostInRoundTrips(t *testing.T) {
	// No table is needed: the server's maintenance database will do.
	dbURL := os.Getenv("SPEKS_TEST_DATABASE_URL")
	if dbURL == "" {
		dbURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	// The pool is opened with the pool's own connection string (binary_parameters); the
	// comparison is lib/pq as it comes, on a connection pinned at startup.
	open := func(wrap bool) (*sqlx.DB, *countingDialer) {
		dsn := dbURL
		if wrap {
			var err error
			if dsn, err = poolDSN(dbURL, ""); err != nil {
				t.Fatal(err)
			}
		}
		inner, err := pq.NewConnector(dsn)
		if err != nil {
			t.Fatal(err)
		}
		d := &countingDialer{}
		inner.Dialer(d)
		var db *sql.DB
		if wrap {
			db = sql.OpenDB(&connector{inner: inner})
		} else {
			db = sql.OpenDB(inner)
		}
		db.SetMaxOpenConns(1)
		t.Cleanup(func() { _ = db.Close() })
		if err := db.Ping(); err != nil {
			t.Fatal(err)
		}
		return sqlx.NewDb(db, "postgres"), d
	}
	plain, plainTrips := open(false)
	pool, poolTrips := open(true)
	dbs := &Databases{pool: pool, handles: map[string]*DB{}}
	db, err := dbs.Schema("tenant_alpha")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var n int
	count := func(d *countingDialer, run func() error) int64 {
		t.Helper()
		before := d.trips.Load()
		if err := run(); err != nil {
			t.Fatal(err)
		}
		return d.trips.Load() - before
	}
	read := func(q sqlx.QueryerContext) func() error {
		return func() error { return sqlx.GetContext(ctx, q, &n, `SELECT $1::int + 1`, 1) }
	}
	// GetQualified asks for the handle's schema in the statement; here, where no tenant schema
	// exists, a comment carries its name.
	qualifiedRead := func() error {
		return db.GetQualified(ctx, &n, `SELECT $1::int + 1 -- `+db.Table("none"), 1)
	}
	noArgs := func(q sqlx.QueryerContext) func() error {
		return func() error { return sqlx.GetContext(ctx, q, &n, `SELECT 1`) }
	}
	threeInTx := func(b Beginner) func() error {
		return func() error {
			return InTx(ctx, b, func(tx *sqlx.Tx) error {
				for range 3 {
					if err := read(tx)(); err != nil {
						return err
					}
				}
				return nil
			})
		}
	}
	for _, tc := range []struct {
		what       string
		got, want  int64
		comparedTo int64
	}{
		{"a parameterised read", count(poolTrips, read(db)), 3, count(plainTrips, read(plain))},
		{"a read without parameters", count(poolTrips, noArgs(db)), 3, count(plainTrips, noArgs(plain))},
		{"three reads in one transaction", count(poolTrips, threeInTx(db)), 5, count(plainTrips, threeInTx(plain))},
		{"a qualified read (GetQualified)", count(poolTrips, qualifiedRead), 1, count(plainTrips, read(plain))},
	} {
		t.Logf("%s: %d round trips through a tenant handle, %d on a connection pinned at startup", tc.what, tc.got, tc.comparedTo)
		if tc.got != tc.want {
			t.Errorf("%s: %d round trips through a tenant handle, want %d", tc.what, tc.got, tc.want)
		}
	}
}
