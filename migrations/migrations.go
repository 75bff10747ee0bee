// Package migrations holds the SQL migrations of the platform schema (platform/) and of every
// tenant schema (tenant/), and runs them with goose. Each migration runs in its own
// transaction; a PostgreSQL advisory lock per schema lets two processes migrate at once safely.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"hash/crc32"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed platform/*.sql tenant/*.sql
var files embed.FS

// Set names one of the two migration sets.
type Set string

const (
	Platform Set = "platform"
	Tenant   Set = "tenant"
)

// Result reports what one run applied to one schema.
type Result struct {
	Schema  string
	Applied []string
}

// Up applies every pending migration of set to schema, through db. db must be pinned to
// that schema (search_path), so the SQL files can use unqualified names.
func Up(ctx context.Context, db *sql.DB, set Set, schema string) (Result, error) {
	provider, err := newProvider(db, set, schema)
	if err != nil {
		return Result{}, err
	}
	applied, err := provider.Up(ctx)
	res := Result{Schema: schema}
	for _, r := range applied {
		res.Applied = append(res.Applied, r.Source.Path)
	}
	if err != nil {
		return res, fmt.Errorf("migrate %s schema %s: %w", set, schema, err)
	}
	return res, nil
}

// Pending reports whether schema lacks any migration of set.
func Pending(ctx context.Context, db *sql.DB, set Set, schema string) (bool, error) {
	provider, err := newProvider(db, set, schema)
	if err != nil {
		return false, err
	}
	pending, err := provider.HasPending(ctx)
	if err != nil {
		return false, fmt.Errorf("check %s schema %s: %w", set, schema, err)
	}
	return pending, nil
}

func newProvider(db *sql.DB, set Set, schema string) (*goose.Provider, error) {
	sub, err := fs.Sub(files, string(set))
	if err != nil {
		return nil, fmt.Errorf("migration set %s: %w", set, err)
	}
	// One lock per schema: migrating tenant A never waits for tenant B, and two `speks migrate`
	// runs on the same schema take turns (polling each second, for up to ten minutes).
	locker, err := lock.NewPostgresSessionLocker(
		lock.WithLockID(LockID(schema)),
		lock.WithLockTimeout(1, 600),
	)
	if err != nil {
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	return goose.NewProvider(goose.DialectPostgres, db, sub,
		goose.WithTableName(schema+".goose_db_version"),
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true),
	)
}

// LockID is the advisory lock key that guards the migrations of one schema.
func LockID(schema string) int64 {
	return int64(crc32.ChecksumIEEE([]byte("speks-migrate:" + schema)))
}
