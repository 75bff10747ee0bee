package platform

import (
	"archive/zip"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/speks-portal/speks/tenant"
)

// notExported are tables of a tenant schema that hold live credentials, not data: the
// session tokens' hashes (useless to anyone after offboarding, dangerous if the archive leaks).
var notExported = map[string]bool{"sessions": true}

// Export writes a ZIP of the tenant's schema to w: one JSON Lines file per table
// (<table>.jsonl, one row_to_json object a line) and a manifest.json. Rows are streamed, so
// memory stays flat whatever the size. All tables are read in one REPEATABLE READ, read-only
// transaction: the archive is one consistent snapshot. Then tenants.exported_at is set and
// the export audited.
//
// Why JSON Lines and not COPY … TO STDOUT: lib/pq (the driver of the whole code base)
// supports COPY FROM STDIN only; row_to_json keeps every type (numeric, arrays, jsonb,
// timestamps) exactly, which CSV would flatten.
func (s *Service) Export(ctx context.Context, code string, w io.Writer, actor string) error {
	t, err := s.Registry.Get(ctx, code)
	if err != nil {
		return err
	}
	if t.Status == tenant.StatusProvisioning {
		return fmt.Errorf("export %s: %w", code, tenant.ErrProvisioning)
	}
	started := s.now()
	counts, err := s.writeArchive(ctx, t, w)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := tenant.MarkExportedIn(ctx, tx, code); err != nil {
			return err
		}
		return tenant.Audit(ctx, tx, actor, "tenant.export", code, map[string]any{
			"rows": counts, "started_at": started.UTC().Format(time.RFC3339),
		})
	})
}

func (s *Service) writeArchive(ctx context.Context, t *tenant.Tenant, w io.Writer) (map[string]int64, error) {
	tx, err := s.public().BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("export %s: begin: %w", t.Code, err)
	}
	defer func() { _ = tx.Rollback() }()
	var tables []string
	if err := tx.SelectContext(ctx, &tables, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY table_name`, t.Schema); err != nil {
		return nil, fmt.Errorf("export %s: list tables: %w", t.Code, err)
	}
	zw := zip.NewWriter(w)
	counts := map[string]int64{}
	for _, table := range tables {
		if notExported[table] {
			continue
		}
		n, err := exportTable(ctx, tx, zw, t.Schema, table)
		if err != nil {
			return nil, fmt.Errorf("export %s: %w", t.Code, err)
		}
		counts[table] = n
	}
	if err := writeManifest(zw, t, counts, s.now()); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("export %s: finish archive: %w", t.Code, err)
	}
	return counts, nil
}

func exportTable(ctx context.Context, tx *sqlx.Tx, zw *zip.Writer, schema, table string) (int64, error) {
	f, err := zw.Create(table + ".jsonl")
	if err != nil {
		return 0, fmt.Errorf("table %s: %w", table, err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT row_to_json(t)::text FROM `+
		pq.QuoteIdentifier(schema)+`.`+pq.QuoteIdentifier(table)+` t`)
	if err != nil {
		return 0, fmt.Errorf("read table %s: %w", table, err)
	}
	defer rows.Close()
	var n int64
	var line []byte
	for rows.Next() {
		if err := rows.Scan(&line); err != nil {
			return n, fmt.Errorf("read table %s: %w", table, err)
		}
		if _, err := f.Write(append(line, '\n')); err != nil {
			return n, fmt.Errorf("write table %s: %w", table, err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("read table %s: %w", table, err)
	}
	return n, nil
}

func writeManifest(zw *zip.Writer, t *tenant.Tenant, counts map[string]int64, at time.Time) error {
	f, err := zw.Create("manifest.json")
	if err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	enc := json.NewEncoder(f)
	enc.SetIndent("", "  ")
	if err := enc.Encode(map[string]any{"tenant": t, "exported_at": at.UTC().Format(time.RFC3339), "rows": counts}); err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	return nil
}
