package tenant

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/speks-portal/speks/migrations"
)

// PoolConfig is the connection budget of one process (docs/OPERATIONS.md "Database
// connections"): every tenant and the platform share ONE pool of at most MaxConns
// connections, so connections = MaxConns × processes however many tenants there are.
type PoolConfig struct {
	// MaxConns is the budget: connections this process opens through the main URL (which may
	// be a transaction pooler such as PgBouncer), for all tenants and the platform together.
	MaxConns int
	// MaxIdleTime closes a connection idle this long, so a quiet process holds none.
	MaxIdleTime time.Duration
	// AcquireTimeout bounds how long a tenant's statement waits for a free connection of the
	// budget; then it fails with ErrBusy, which the web edge answers 503 + Retry-After. Zero
	// waits as long as the caller's context allows.
	AcquireTimeout time.Duration
	// DirectURL reaches PostgreSQL itself, never a transaction pooler: what needs a session
	// of its own (migrations and their advisory locks, the provisioning lock) uses it; the
	// LISTEN connections of the notify relay and the authz watcher use it too. "" = the main URL.
	DirectURL string
	// AppName is every connection's application_name (speks-serve, speks-worker …), so
	// pg_stat_activity tells the processes' connections apart.
	AppName string
}

// DirectMaxConns is the most connections a process opens on the direct URL, and only while it
// migrates or provisions: the session that holds an advisory lock and the one goose migrates on.
const DirectMaxConns = 3

// Databases is the process's one pool and the tenant handles over it.
//
// Isolation: a connection of the pool belongs to no tenant. Every statement runs inside a
// transaction whose first statement is SET LOCAL search_path TO <the handle's schema> (the
// platform's handle: public), issued by the pool's driver itself (pooledConn), so a
// transaction pooler may hand the server connection to another client between two
// transactions and no schema setting outlives the transaction it was made in. Tenant code
// gets a *DB, never the pool.
type Databases struct {
	pool      *sqlx.DB
	direct    *sqlx.DB
	directURL string
	cfg       PoolConfig

	mu      sync.Mutex
	handles map[string]*DB
}

// OpenDatabases prepares the pool and the direct handle; nothing connects until first use.
func OpenDatabases(baseURL string, cfg PoolConfig) (*Databases, error) {
	if cfg.MaxConns < 1 {
		cfg.MaxConns = 1
	}
	if cfg.DirectURL == "" {
		cfg.DirectURL = baseURL
	}
	dsn, err := poolDSN(baseURL, cfg.AppName)
	if err != nil {
		return nil, err
	}
	inner, err := pq.NewConnector(dsn)
	if err != nil {
		return nil, fmt.Errorf("database.url: %w", err)
	}
	pool := sqlx.NewDb(sql.OpenDB(&connector{inner: inner}), "postgres")
	pool.SetMaxOpenConns(cfg.MaxConns)
	pool.SetMaxIdleConns(cfg.MaxConns)
	pool.SetConnMaxIdleTime(cfg.MaxIdleTime)

	directURL, err := withParams(cfg.DirectURL, map[string]string{"application_name": directName(cfg.AppName)})
	if err != nil {
		_ = pool.Close()
		return nil, fmt.Errorf("database.direct_url: %w", err)
	}
	direct, err := openPinned(directURL, "public")
	if err != nil {
		_ = pool.Close()
		return nil, err
	}
	direct.SetMaxOpenConns(DirectMaxConns - 2) // the other two: a schema's migration handle
	return &Databases{pool: pool, direct: direct, directURL: directURL, cfg: cfg, handles: map[string]*DB{}}, nil
}

// poolDSN is the pool's connection string. binary_parameters makes lib/pq send a statement
// with parameters as Parse, Bind and Execute in one round trip instead of preparing it first
// (one round trip more per statement, on every hot path). Its cost: []byte parameters travel
// in binary form, so JSON for a jsonb column is passed as a string (jsonb's binary form starts
// with a version byte).
func poolDSN(baseURL, appName string) (string, error) {
	return withParams(baseURL, map[string]string{"application_name": appName, "binary_parameters": "yes"})
}

func directName(app string) string {
	if app == "" {
		return ""
	}
	return app + "-direct"
}

// openPinned opens a plain lib/pq handle on a direct URL with search_path pinned to schema as
// a startup parameter (safe there: no pooler in between).
func openPinned(directURL, schema string) (*sqlx.DB, error) {
	dsn, err := withParams(directURL, map[string]string{"search_path": schema})
	if err != nil {
		return nil, err
	}
	db, err := sqlx.Open("postgres", dsn)
	if err != nil {
		return nil, fmt.Errorf("open direct database handle for %s: %w", schema, err)
	}
	db.SetMaxIdleConns(1)
	db.SetConnMaxIdleTime(30 * time.Second)
	return db, nil
}

// Public is the handle for the platform tables: the same pool, its statements run with
// search_path public. It has no acquire deadline of its own (its callers' contexts bound it).
func (d *Databases) Public() *sqlx.DB { return d.pool }

// Direct is a small handle on database.direct_url (search_path public) for what cannot go
// through a transaction pooler: session advisory locks. At most DirectMaxConns-2 connections.
func (d *Databases) Direct() *sqlx.DB { return d.direct }

// DirectURL is database.direct_url with this process's application_name: for LISTEN.
func (d *Databases) DirectURL() string { return d.directURL }

// Stats reports the pool: open and in-use connections, how often and how long statements
// waited for one (sql.DBStats), for the metrics and the load tests.
func (d *Databases) Stats() sql.DBStats { return d.pool.Stats() }

// Schema returns the handle of schema; it holds no connection of its own.
func (d *Databases) Schema(schema string) (*DB, error) {
	if !schemaPattern.MatchString(schema) {
		return nil, fmt.Errorf("tenant handle: %q is not a tenant schema name", schema)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if db, ok := d.handles[schema]; ok {
		return db, nil
	}
	db := &DB{dbs: d, schema: schema, prefix: pq.QuoteIdentifier(schema) + "."}
	d.handles[schema] = db
	return db, nil
}

var schemaPattern = regexp.MustCompile(`^tenant_[a-z][a-z0-9_]{1,30}$`)

// Forget drops the handle of schema (after suspension or offboarding). The pool's connections
// carry no schema, so there is nothing to close.
func (d *Databases) Forget(schema string) {
	d.mu.Lock()
	delete(d.handles, schema)
	d.mu.Unlock()
}

// Close closes the pool and the direct handle.
func (d *Databases) Close() error {
	return errors.Join(d.pool.Close(), d.direct.Close())
}

// Migrate applies set's pending migrations to schema over the direct URL (goose holds a
// session advisory lock per schema, which a transaction pooler would not keep).
func (d *Databases) Migrate(ctx context.Context, set migrations.Set, schema string) (migrations.Result, error) {
	var res migrations.Result
	err := d.withDirect(schema, func(db *sql.DB) (err error) {
		res, err = migrations.Up(ctx, db, set, schema)
		return err
	})
	return res, err
}

// Pending reports whether schema lacks a migration of set (over the direct URL).
func (d *Databases) Pending(ctx context.Context, set migrations.Set, schema string) (bool, error) {
	var pending bool
	err := d.withDirect(schema, func(db *sql.DB) (err error) {
		pending, err = migrations.Pending(ctx, db, set, schema)
		return err
	})
	return pending, err
}

func (d *Databases) withDirect(schema string, fn func(*sql.DB) error) error {
	db, err := openPinned(d.directURL, schema)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(2)
	return fn(db.DB)
}

// withParams returns rawURL with the given query parameters set (empty values are skipped).
func withParams(rawURL string, params map[string]string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("parse database url: %w", err)
	}
	q := u.Query()
	for k, v := range params {
		if v != "" {
			q.Set(k, v)
		}
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// ErrBusy means no connection of the process's budget became free within
// database.acquire_timeout: a passing overload, answered 503 + Retry-After (IsUnavailable).
var ErrBusy = errors.New("no database connection free within database.acquire_timeout")

// DB is a tenant's database handle: the process's pool, bound to the tenant's schema. It
// offers only ways to run SQL that carry the schema: each statement outside a transaction
// runs in a short transaction of its own that first sets search_path (two extra round trips:
// BEGIN + SET LOCAL in one, COMMIT), and BeginTxx / InTx set it right after BEGIN (one
// round trip, the BEGIN's own). A unit of work with several statements should therefore use
// one transaction (InTx); a single hot read can name its tables with the schema instead
// (Table, GetQualified) and take one round trip. It satisfies sqlx.ExtContext, so stores take
// it or a *sqlx.Tx.
type DB struct {
	dbs    *Databases
	schema string
	prefix string // the schema quoted, with its dot: what Table puts before a table's name
}

// Schema is the PostgreSQL schema the handle is bound to.
func (d *DB) Schema() string { return d.schema }

// bind returns ctx carrying the schema and, with an acquire timeout, a guard that fails the
// wait for a connection with ErrBusy once the timeout passes.
func (d *DB) bind(ctx context.Context) (context.Context, *guard) {
	ctx = context.WithValue(ctx, schemaKey{}, d.schema)
	timeout := d.dbs.cfg.AcquireTimeout
	if timeout <= 0 {
		return ctx, nil
	}
	inner, cancel := context.WithCancel(ctx)
	g := &guard{cancel: cancel}
	g.timer = time.AfterFunc(timeout, func() {
		if g.state.CompareAndSwap(guardWaiting, guardTimedOut) {
			cancel()
		}
	})
	return busyCtx{Context: context.WithValue(inner, guardKey{}, g), g: g}, g
}

func (d *DB) DriverName() string         { return d.dbs.pool.DriverName() }
func (d *DB) Rebind(query string) string { return d.dbs.pool.Rebind(query) }
func (d *DB) BindNamed(query string, arg any) (string, []any, error) {
	return d.dbs.pool.BindNamed(query, arg)
}

// QueryContext runs a query in a transaction of its own that ends when the rows are closed.
func (d *DB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx, g := d.bind(ctx)
	rows, err := d.dbs.pool.QueryContext(ctx, query, args...)
	if err != nil {
		g.release()
	}
	return rows, err
}

// QueryxContext is QueryContext returning *sqlx.Rows.
func (d *DB) QueryxContext(ctx context.Context, query string, args ...any) (*sqlx.Rows, error) {
	ctx, g := d.bind(ctx)
	rows, err := d.dbs.pool.QueryxContext(ctx, query, args...)
	if err != nil {
		g.release()
	}
	return rows, err
}

// QueryRowxContext runs a query for at most one row in a transaction of its own.
func (d *DB) QueryRowxContext(ctx context.Context, query string, args ...any) *sqlx.Row {
	ctx, g := d.bind(ctx)
	row := d.dbs.pool.QueryRowxContext(ctx, query, args...)
	if row.Err() != nil {
		g.release()
	}
	return row
}

// ExecContext runs a statement in a transaction of its own.
func (d *DB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx, g := d.bind(ctx)
	defer g.release()
	return d.dbs.pool.ExecContext(ctx, query, args...)
}

// GetContext reads one row into dest in a transaction of its own.
func (d *DB) GetContext(ctx context.Context, dest any, query string, args ...any) error {
	ctx, g := d.bind(ctx)
	defer g.release()
	return d.dbs.pool.GetContext(ctx, dest, query, args...)
}

// Table is name qualified by the handle's schema ("tenant_kelantan".sessions), for a statement
// run with GetQualified.
func (d *DB) Table(name string) string { return d.prefix + name }

// GetQualified reads one row into dest with a statement that names every table through Table,
// outside any transaction and without setting search_path: one round trip where GetContext
// takes three. It is for the hot single-statement reads of every request (the session lookup).
// A statement that does not name the handle's schema is refused; one that names some tables
// through Table and others bare would read the bare ones from the connection's default
// search_path, so every table must go through Table.
func (d *DB) GetQualified(ctx context.Context, dest any, query string, args ...any) error {
	if !strings.Contains(query, d.prefix) {
		return fmt.Errorf("tenant: a qualified read that does not name schema %s", d.schema)
	}
	ctx, g := d.bind(ctx)
	defer g.release()
	return d.dbs.pool.GetContext(context.WithValue(ctx, qualifiedKey{}, true), dest, query, args...)
}

// SelectContext reads every row into dest in a transaction of its own.
func (d *DB) SelectContext(ctx context.Context, dest any, query string, args ...any) error {
	ctx, g := d.bind(ctx)
	defer g.release()
	return d.dbs.pool.SelectContext(ctx, dest, query, args...)
}

// BeginTxx opens a transaction whose first statement sets the schema.
func (d *DB) BeginTxx(ctx context.Context, opts *sql.TxOptions) (*sqlx.Tx, error) {
	ctx, g := d.bind(ctx)
	tx, err := d.dbs.pool.BeginTxx(ctx, opts)
	if err != nil {
		g.release()
	}
	return tx, err
}

// Get, Select, Exec and MustExec are the context-free forms, for tests and tools.
func (d *DB) Get(dest any, query string, args ...any) error {
	return d.GetContext(context.Background(), dest, query, args...)
}

func (d *DB) Select(dest any, query string, args ...any) error {
	return d.SelectContext(context.Background(), dest, query, args...)
}

func (d *DB) Exec(query string, args ...any) (sql.Result, error) {
	return d.ExecContext(context.Background(), query, args...)
}

func (d *DB) MustExec(query string, args ...any) sql.Result {
	res, err := d.Exec(query, args...)
	if err != nil {
		panic(err)
	}
	return res
}

// QueryRowContext is QueryRowxContext returning *sql.Row.
func (d *DB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	ctx, g := d.bind(ctx)
	row := d.dbs.pool.QueryRowContext(ctx, query, args...)
	if row.Err() != nil {
		g.release()
	}
	return row
}

// QueryRow, Begin, MustBegin and MustBeginTx are further context-free forms, for tests.
func (d *DB) QueryRow(query string, args ...any) *sql.Row {
	return d.QueryRowContext(context.Background(), query, args...)
}

func (d *DB) Begin() (*sql.Tx, error) {
	tx, err := d.BeginTxx(context.Background(), nil)
	if err != nil {
		return nil, err
	}
	return tx.Tx, nil
}

func (d *DB) MustBegin() *sqlx.Tx { return d.MustBeginTx(context.Background(), nil) }

func (d *DB) MustBeginTx(ctx context.Context, opts *sql.TxOptions) *sqlx.Tx {
	tx, err := d.BeginTxx(ctx, opts)
	if err != nil {
		panic(err)
	}
	return tx
}

func (d *DB) Query(query string, args ...any) (*sql.Rows, error) {
	return d.QueryContext(context.Background(), query, args...)
}

// EnsureDatabase creates the database named in rawURL when it does not exist yet, connecting
// to the server's maintenance database; a newcomer's first `speks migrate` needs no createdb.
func EnsureDatabase(ctx context.Context, rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("parse database url: %w", err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" {
		return nil
	}
	admin := *u
	admin.Path = "/postgres"
	db, err := sqlx.Open("postgres", admin.String())
	if err != nil {
		return fmt.Errorf("open maintenance database: %w", err)
	}
	defer db.Close()
	var exists bool
	if err := db.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name); err != nil {
		return fmt.Errorf("look up database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	_, err = db.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name))
	// Another process may create it between our check and our CREATE: PostgreSQL reports that
	// as duplicate_database (42P04) or, when both race in the catalog, unique_violation (23505).
	if pqErr, ok := err.(*pq.Error); ok && (pqErr.Code == "42P04" || pqErr.Code == "23505") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// IsUnavailable reports whether err means PostgreSQL could not be reached or is going away
// (connection refused or reset, the server shutting down or starting up, too many
// connections): a passing condition the caller should answer with "try again shortly", not
// a fault of the request; so is ErrBusy, a full connection budget. Pools reconnect by themselves once the server is back.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrBusy) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) {
		return true
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		// Class 08: connection exception; 53300 too_many_connections; 57P01–57P03: admin
		// shutdown, crash shutdown, cannot connect now (starting up or in recovery).
		switch code := string(pqErr.Code); {
		case strings.HasPrefix(code, "08"), code == "53300", code == "57P01", code == "57P02", code == "57P03":
			return true
		}
		return false
	}
	var netErr *net.OpError
	if errors.As(err, &netErr) {
		return true
	}
	// lib/pq answers a server that hangs up during the handshake (as one restarting does)
	// with a bare io.EOF.
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}
