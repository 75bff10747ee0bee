package tenant

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/speks-portal/speks/migrations"
)

// Provisioner creates tenants: the registry row, the schema, its migrations. A failure at any
// step removes what the earlier steps made, so nothing half-made is left behind.
type Provisioner struct {
	registry     *Registry
	dbs          *Databases
	platformHost string
	// AfterMigrate runs once the schema is current and before the tenant goes active; later
	// modules seed their defaults here (policies, security questions). An error undoes all.
	AfterMigrate []func(ctx context.Context, t *Tenant, db *DB) error
	// OnRemove undoes, inside the transaction that removes a failed provisioning, what the
	// AfterMigrate hooks wrote outside the tenant's schema (the policies in public.casbin_rule):
	// each module removes its own rows.
	OnRemove []func(ctx context.Context, tx sqlx.ExecerContext, code string) error
}

// NewProvisioner works on the given registry and handles.
func NewProvisioner(registry *Registry, dbs *Databases, platformHost string) *Provisioner {
	return &Provisioner{registry: registry, dbs: dbs, platformHost: platformHost}
}

// Create validates spec and provisions the tenant; it returns the active tenant.
func (p *Provisioner) Create(ctx context.Context, spec Spec, actor string) (*Tenant, error) {
	spec.Normalise()
	if err := spec.Validate(p.platformHost); err != nil {
		return nil, err
	}
	// A session advisory lock per code: a second Create of the same code waits its turn, and a
	// 'provisioning' row found while holding the lock can only be a crashed attempt's leftover.
	// Session locks need a session of their own: the direct URL, never a transaction pooler.
	conn, err := p.dbs.Direct().Connx(ctx)
	if err != nil {
		return nil, fmt.Errorf("provision %s: connect: %w", spec.Code, err)
	}
	defer conn.Close()
	lockKey := int64(crc32.ChecksumIEEE([]byte("speks-provision:" + spec.Code)))
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, lockKey); err != nil {
		return nil, fmt.Errorf("provision %s: lock: %w", spec.Code, err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, lockKey) //nolint:errcheck

	if err := p.removeLeftover(ctx, spec.Code); err != nil {
		return nil, err
	}
	if err := p.createRowAndSchema(ctx, &spec, actor); err != nil {
		return nil, err
	}
	t, err := p.finish(ctx, spec.Code)
	if err != nil {
		if cleanupErr := p.remove(context.WithoutCancel(ctx), spec.Code); cleanupErr != nil {
			return nil, errors.Join(err, cleanupErr)
		}
		return nil, err
	}
	return t, nil
}

func (p *Provisioner) createRowAndSchema(ctx context.Context, spec *Spec, actor string) error {
	return p.registry.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := p.registry.insert(ctx, tx, spec); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "CREATE SCHEMA "+pq.QuoteIdentifier(SchemaName(spec.Code))); err != nil {
			return fmt.Errorf("create schema for %s: %w", spec.Code, err)
		}
		return Audit(ctx, tx, actor, "tenant.create", spec.Code, map[string]any{
			"hosts": spec.Hosts, "registration_mode": spec.RegistrationMode,
		})
	})
}

// finish migrates the new schema, runs the modules' seeding and marks the tenant active.
func (p *Provisioner) finish(ctx context.Context, code string) (*Tenant, error) {
	t, err := p.registry.Get(ctx, code)
	if err != nil {
		return nil, err
	}
	db, err := p.dbs.Schema(t.Schema)
	if err != nil {
		return nil, err
	}
	if _, err := p.dbs.Migrate(ctx, migrations.Tenant, t.Schema); err != nil {
		return nil, err
	}
	for _, seed := range p.AfterMigrate {
		if err := seed(ctx, t, db); err != nil {
			return nil, fmt.Errorf("seed tenant %s: %w", code, err)
		}
	}
	if _, err := p.dbs.Public().ExecContext(ctx,
		`UPDATE tenants SET status = 'active', updated_at = now() WHERE code = $1`, code); err != nil {
		return nil, fmt.Errorf("activate tenant %s: %w", code, err)
	}
	t.Status = StatusActive
	return t, nil
}

func (p *Provisioner) removeLeftover(ctx context.Context, code string) error {
	var status string
	err := p.dbs.Public().GetContext(ctx, &status, `SELECT status FROM tenants WHERE code = $1`, code)
	if err != nil || status != string(StatusProvisioning) {
		return nil // absent, or a real tenant the insert will report as a duplicate
	}
	return p.remove(ctx, code)
}

// remove drops a tenant's schema and rows; used to undo a failed provisioning.
func (p *Provisioner) remove(ctx context.Context, code string) error {
	schema := SchemaName(code)
	p.dbs.Forget(schema)
	return p.registry.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+pq.QuoteIdentifier(schema)+" CASCADE"); err != nil {
			return fmt.Errorf("drop schema %s: %w", schema, err)
		}
		for _, undo := range p.OnRemove {
			if err := undo(ctx, tx, code); err != nil {
				return fmt.Errorf("undo the seeding of %s: %w", code, err)
			}
		}
		return DeleteIn(ctx, tx, code)
	})
}

// MigrateAll brings the platform schema and every tenant schema up to date. Each schema is
// migrated under its own advisory lock, so concurrent runs are safe and idempotent.
func MigrateAll(ctx context.Context, dbs *Databases) ([]migrations.Result, error) {
	var results []migrations.Result
	res, err := dbs.Migrate(ctx, migrations.Platform, "public")
	results = append(results, res)
	if err != nil {
		return results, err
	}
	var schemas []string
	if err := dbs.Public().SelectContext(ctx, &schemas,
		`SELECT schema_name FROM tenants WHERE status <> 'provisioning' ORDER BY code`); err != nil {
		return results, fmt.Errorf("list tenant schemas: %w", err)
	}
	for _, schema := range schemas {
		res, err := dbs.Migrate(ctx, migrations.Tenant, schema)
		results = append(results, res)
		if err != nil {
			return results, err
		}
	}
	return results, nil
}
