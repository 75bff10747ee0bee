package tenant

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Registry reads and writes the tenant tables of the public schema.
type Registry struct {
	db *sqlx.DB
}

// NewRegistry works on the public handle.
func NewRegistry(public *sqlx.DB) *Registry { return &Registry{db: public} }

const tenantColumns = `code, name, status, schema_name, registration_mode, email_domains,
	retention_months, lockout_max_failures, lockout_minutes, session_idle_minutes,
	helpdesk_email, helpdesk_phone, default_language, branding, exported_at, created_at, updated_at`

// List returns every tenant with its hosts, ordered by code.
func (r *Registry) List(ctx context.Context) ([]*Tenant, error) {
	var tenants []*Tenant
	if err := r.db.SelectContext(ctx, &tenants, `SELECT `+tenantColumns+` FROM tenants ORDER BY code`); err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	var hosts []struct {
		Host string `db:"host"`
		Code string `db:"tenant_code"`
	}
	if err := r.db.SelectContext(ctx, &hosts, `SELECT host, tenant_code FROM tenant_hosts ORDER BY host`); err != nil {
		return nil, fmt.Errorf("list tenant hosts: %w", err)
	}
	byCode := make(map[string]*Tenant, len(tenants))
	for _, t := range tenants {
		byCode[t.Code] = t
	}
	for _, h := range hosts {
		if t := byCode[h.Code]; t != nil {
			t.Hosts = append(t.Hosts, h.Host)
		}
	}
	return tenants, nil
}

// Get returns one tenant with its hosts, or ErrNotFound.
func (r *Registry) Get(ctx context.Context, code string) (*Tenant, error) {
	var t Tenant
	err := r.db.GetContext(ctx, &t, `SELECT `+tenantColumns+` FROM tenants WHERE code = $1`, code)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("tenant %q: %w", code, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get tenant %q: %w", code, err)
	}
	if err := r.db.SelectContext(ctx, &t.Hosts, `SELECT host FROM tenant_hosts WHERE tenant_code = $1 ORDER BY host`, code); err != nil {
		return nil, fmt.Errorf("get hosts of tenant %q: %w", code, err)
	}
	return &t, nil
}

// insert writes the tenant row (status provisioning) and its hosts inside tx.
func (r *Registry) insert(ctx context.Context, tx *sqlx.Tx, s *Spec) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO tenants
		(code, name, status, schema_name, registration_mode, email_domains, retention_months,
		 helpdesk_email, helpdesk_phone, branding)
		VALUES ($1, $2, 'provisioning', $3, $4, $5, $6, $7, $8, $9)`,
		s.Code, s.Name, SchemaName(s.Code), s.RegistrationMode, pq.StringArray(append([]string{}, s.EmailDomains...)),
		s.RetentionMonths, s.HelpdeskEmail, s.HelpdeskPhone, s.Branding)
	if isUniqueViolation(err) {
		return fmt.Errorf("tenant %q: %w", s.Code, ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("insert tenant %q: %w", s.Code, err)
	}
	return insertHosts(ctx, tx, s.Code, s.Hosts)
}

func insertHosts(ctx context.Context, tx sqlx.ExecerContext, code string, hosts []string) error {
	for _, h := range hosts {
		_, err := tx.ExecContext(ctx, `INSERT INTO tenant_hosts (host, tenant_code) VALUES ($1, $2)`, h, code)
		if isUniqueViolation(err) {
			return fmt.Errorf("host %q: %w", h, ErrHostTaken)
		}
		if err != nil {
			return fmt.Errorf("insert host %q: %w", h, err)
		}
	}
	return nil
}

// The tenant package is the one writer of tenants and tenant_hosts. The functions below take
// the caller's transaction so the platform console's workflows (hosts, export, offboarding)
// write the registry together with their own changes and the platform audit, all or nothing.

// ReplaceHostsIn gives a tenant exactly hosts (already validated; ErrHostTaken when another
// tenant holds one).
func ReplaceHostsIn(ctx context.Context, tx sqlx.ExecerContext, code string, hosts []string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM tenant_hosts WHERE tenant_code = $1`, code); err != nil {
		return fmt.Errorf("replace hosts of %s: %w", code, err)
	}
	return insertHosts(ctx, tx, code, hosts)
}

// MarkExportedIn records that a full export of the tenant was just made (offboarding requires
// one made after the suspension).
func MarkExportedIn(ctx context.Context, tx sqlx.ExecerContext, code string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE tenants SET exported_at = now() WHERE code = $1`, code); err != nil {
		return fmt.Errorf("mark %s exported: %w", code, err)
	}
	return nil
}

// DeleteIn removes a tenant's registry row; its hosts go with it (foreign key cascade).
func DeleteIn(ctx context.Context, tx sqlx.ExecerContext, code string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM tenants WHERE code = $1`, code); err != nil {
		return fmt.Errorf("delete tenant %s: %w", code, err)
	}
	return nil
}

// SetStatus changes a tenant's status and records who did it.
func (r *Registry) SetStatus(ctx context.Context, code string, status Status, actor string) error {
	return r.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE tenants SET status = $2, updated_at = now()
			WHERE code = $1 AND status <> 'provisioning'`, code, status)
		if err != nil {
			return fmt.Errorf("set status of tenant %q: %w", code, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("tenant %q: %w", code, ErrNotFound)
		}
		return Audit(ctx, tx, actor, "tenant."+string(status), code, nil)
	})
}

func (r *Registry) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	return InTx(ctx, r.db, fn)
}

// Beginner opens transactions: a tenant's *DB (the transaction sets its search_path first)
// or the platform's *sqlx.DB.
type Beginner interface {
	BeginTxx(ctx context.Context, opts *sql.TxOptions) (*sqlx.Tx, error)
}

// InTx runs fn in a transaction on db, committing when fn returns nil and rolling back
// otherwise: the one place every store gets "all or nothing" from, and on a tenant's handle
// the way to run several statements for the round trips of one.
func InTx(ctx context.Context, db Beginner, fn func(tx *sqlx.Tx) error) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Audit appends to the platform audit log inside the caller's transaction.
func Audit(ctx context.Context, tx sqlx.ExecerContext, actor, action, code string, detail map[string]any) error {
	if detail == nil {
		detail = map[string]any{}
	}
	raw, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("encode audit detail: %w", err)
	}
	var codeArg any
	if code != "" {
		codeArg = code
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO platform_audit (actor, action, tenant_code, detail)
		VALUES ($1, $2, $3, $4)`, actor, action, codeArg, string(raw)); err != nil { // jsonb as text: the pool sends []byte in binary
		return fmt.Errorf("write platform audit %s: %w", action, err)
	}
	return nil
}

func isUniqueViolation(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "23505"
}
