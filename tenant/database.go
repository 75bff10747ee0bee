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
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// PoolConfig sizes every per-tenant pool. The platform's connection budget is
// tenants × MaxOpen × replicas (docs/OPERATIONS.md).
type PoolConfig struct {
	MaxOpen     int
	MaxIdle     int
	MaxIdleTime time.Duration
	// PublicMaxOpen sizes the platform (public schema) pool; it is sized on its own because
	// provisioning holds one connection for its advisory lock while it works on another.
	// Zero means max(MaxOpen, 4).
	PublicMaxOpen int
}

// Databases hands out one *sqlx.DB per schema. Each handle's DSN carries search_path as a
// run-time parameter (lib/pq passes unknown URL parameters to the server), so every
// connection of a tenant's pool is pinned to that tenant's schema from the moment it opens:
// no request ever sets, or forgets to reset, a search_path.
type Databases struct {
	baseURL string
	pool    PoolConfig

	mu      sync.Mutex
	handles map[string]*sqlx.DB
	public  *sqlx.DB
}

// OpenDatabases prepares the handles; nothing connects until first use.
func OpenDatabases(baseURL string, pool PoolConfig) (*Databases, error) {
	if pool.MaxOpen < 1 {
		pool.MaxOpen = 1
	}
	if pool.PublicMaxOpen < 1 {
		pool.PublicMaxOpen = max(pool.MaxOpen, 4)
	}
	d := &Databases{baseURL: baseURL, pool: pool, handles: map[string]*sqlx.DB{}}
	public, err := d.open("public")
	if err != nil {
		return nil, err
	}
	public.SetMaxOpenConns(pool.PublicMaxOpen)
	d.public = public
	return d, nil
}

// Public is the handle for the platform tables (public schema).
func (d *Databases) Public() *sqlx.DB { return d.public }

// Schema returns the handle pinned to schema, opening it on first use.
func (d *Databases) Schema(schema string) (*sqlx.DB, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if db, ok := d.handles[schema]; ok {
		return db, nil
	}
	db, err := d.open(schema)
	if err != nil {
		return nil, err
	}
	d.handles[schema] = db
	return db, nil
}

// Forget closes and drops the handle of schema (after suspension or offboarding).
func (d *Databases) Forget(schema string) {
	d.mu.Lock()
	db, ok := d.handles[schema]
	delete(d.handles, schema)
	d.mu.Unlock()
	if ok {
		_ = db.Close()
	}
}

// Close closes every handle.
func (d *Databases) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for schema, db := range d.handles {
		_ = db.Close()
		delete(d.handles, schema)
	}
	return d.public.Close()
}

func (d *Databases) open(schema string) (*sqlx.DB, error) {
	dsn, err := WithSearchPath(d.baseURL, schema)
	if err != nil {
		return nil, err
	}
	db, err := sqlx.Open("postgres", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database for schema %s: %w", schema, err)
	}
	db.SetMaxOpenConns(d.pool.MaxOpen)
	db.SetMaxIdleConns(d.pool.MaxIdle)
	db.SetConnMaxIdleTime(d.pool.MaxIdleTime)
	return db, nil
}

// WithSearchPath returns rawURL with search_path pinned to schema alone.
func WithSearchPath(rawURL, schema string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("parse database url: %w", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
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
// a fault of the request. Pools reconnect by themselves once the server is back.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) {
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
