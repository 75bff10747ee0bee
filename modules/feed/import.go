package feed

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/tenant"
)

// Options describe who sends a feed and how.
type Options struct {
	// Actor is recorded on the batch and in the audit trail: "apikey:<name>", "cli" or "demo".
	Actor string
	// APIKeyID is the key that authenticated an HTTP feed (0 for the CLI).
	APIKeyID int64
	// IdempotencyKey, when set, makes a repeat with the same key return the first answer.
	IdempotencyKey string
	// MaxBytes bounds the body (feeds.max_body_bytes); 0 = no limit.
	MaxBytes int64
	// Now fixes the clock for validation (year ranges); zero = time.Now.
	Now time.Time
	// Publish, when set, mails people with an account about their new payslips and EC
	// statements (publish.go); nil sends nothing.
	Publish *Publishing
}

// Result is the answer of a feed (docs/API.md "Feeds"): rows counts the file's data records; inserted,
// updated and unchanged count the records they make — a person, a supplier, a payslip
// (ic_no, year, month), a statement (ic_no, year) or a payment (ref).
type Result struct {
	BatchID   int64      `json:"batch_id"`
	Kind      Kind       `json:"kind"`
	Rows      int64      `json:"rows"`
	Inserted  int64      `json:"inserted"`
	Updated   int64      `json:"updated"`
	Unchanged int64      `json:"unchanged"`
	Errors    []RowError `json:"errors"`
	// Replayed: the same file or Idempotency-Key was imported before; this is its answer
	// and nothing was written.
	Replayed bool `json:"-"`
}

// maxIdempotencyKey bounds the Idempotency-Key header.
const maxIdempotencyKey = 200

// Import reads a CSV feed of kind from r into the tenant of ctx's scope, all or nothing. It
// returns ErrInvalidFile with the Result listing every error, ErrTooLarge past MaxBytes,
// or another error when the database or the body failed; in all those cases nothing was
// written. The HTTP handler and `speks import` both call it: there is one code path.
func Import(ctx context.Context, kind Kind, r io.Reader, opts Options) (*Result, error) {
	scope, err := tenant.Require(ctx)
	if err != nil {
		return nil, err
	}
	spec, ok := specs[kind]
	if !ok {
		return nil, ErrUnknownKind
	}
	if len(opts.IdempotencyKey) > maxIdempotencyKey {
		return nil, ErrIdempotencyKey
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	imp := &importer{scope: scope, spec: spec, opts: opts, body: r, started: time.Now()}
	res, err := imp.run(ctx)
	if errors.Is(err, ErrInvalidFile) {
		// The sender's answer is the 422 with its errors; a trail that could not be written
		// is logged rather than turning that answer into a 500.
		if aerr := imp.auditRejected(ctx, res); aerr != nil {
			slog.ErrorContext(ctx, "feed audit failed", "tenant", scope.Tenant.Code, "kind", kind, "err", aerr)
		}
	}
	imp.log(ctx, res, err)
	return res, err
}

type importer struct {
	scope   *tenant.Scope
	spec    *kindSpec
	opts    Options
	body    io.Reader
	started time.Time
	src     *source
	// phases times the steps for the log line: where a slow feed spends its time.
	phases []any
}

// phase records the time since the previous phase under name.
func (imp *importer) phase(name string, since *time.Time) {
	imp.phases = append(imp.phases, name, time.Since(*since).Round(time.Millisecond))
	*since = time.Now()
}

func (imp *importer) run(ctx context.Context) (*Result, error) {
	// The body is read (hashed, and spooled when it is a stream) before a connection is
	// taken: a slow upload then holds neither a connection of the budget nor the tenant's
	// feed lock.
	mark := time.Now()
	src, spooled, release, err := openSource(imp.body, imp.opts.MaxBytes)
	if err != nil {
		return nil, imp.bodyError(err)
	}
	defer release()
	imp.src = src
	// The log tells a body hashed in place from a stream copied to a temporary file.
	step := "hash"
	if spooled {
		step = "spool"
	}
	imp.phase(step, &mark)
	tx, err := imp.scope.DB.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("feed %s: begin: %w", imp.spec.kind, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if err := imp.prepare(ctx, tx); err != nil {
		return nil, err
	}
	if imp.opts.IdempotencyKey != "" {
		if prev, err := findBatch(ctx, tx, "idempotency_key = $1", imp.opts.IdempotencyKey); prev != nil || err != nil {
			return prev, err
		}
	}
	// A file imported before is answered here, before anything is parsed or staged.
	if prev, err := findBatch(ctx, tx, "kind = $1 AND content_hash = $2", imp.spec.kind, imp.src.sum()); prev != nil || err != nil {
		return prev, err
	}
	res, err := imp.importRows(ctx, tx, &mark)
	if err != nil {
		return res, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("feed %s: commit: %w", imp.spec.kind, err)
	}
	imp.phase("commit", &mark)
	return res, nil
}

// importRows writes the file's rows, or answers with its errors. A kind with a direct path
// tries that first; when the direct path finds anything wrong with the file it is rolled
// back to its savepoint and the staged path reads the file again to list every error.
func (imp *importer) importRows(ctx context.Context, tx *sqlx.Tx, mark *time.Time) (*Result, error) {
	if imp.spec.direct != nil {
		res, ok, err := imp.tryDirect(ctx, tx, mark)
		if ok || err != nil {
			return res, err
		}
	}
	errs := &errorList{}
	rows, err := imp.stage(ctx, tx, errs)
	if err != nil {
		return nil, err
	}
	imp.phase("stage", mark)
	res := &Result{Kind: imp.spec.kind, Rows: rows, Errors: []RowError{}}
	if !errs.full {
		found, err := imp.spec.check(ctx, tx)
		if err != nil {
			return nil, fmt.Errorf("feed %s: %w", imp.spec.kind, err)
		}
		errs.addAll(found)
		imp.phase("check", mark)
	}
	if !errs.empty() {
		res.Errors = errs.sorted()
		return res, ErrInvalidFile
	}
	if err := imp.write(ctx, tx, res); err != nil {
		return res, err
	}
	imp.phase("write", mark)
	return res, nil
}

// tryDirect runs the kind's direct path under a savepoint. ok is false when the file is to
// take the staged path instead: then nothing of the direct path is left and the body is
// back at its start.
func (imp *importer) tryDirect(ctx context.Context, tx *sqlx.Tx, mark *time.Time) (*Result, bool, error) {
	if _, err := tx.ExecContext(ctx, `SAVEPOINT feed_direct`); err != nil {
		return nil, false, fmt.Errorf("feed %s: savepoint: %w", imp.spec.kind, err)
	}
	res, ok, err := imp.spec.direct(ctx, imp, tx, mark)
	if ok || err != nil {
		return res, ok, err
	}
	if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT feed_direct`); err != nil {
		return nil, false, fmt.Errorf("feed %s: rollback to savepoint: %w", imp.spec.kind, err)
	}
	imp.phase("direct refused", mark)
	return nil, false, imp.src.rewind()
}

// prepare serialises the tenant's feeds and sizes the session for set-based work. The
// advisory lock is transaction-scoped: it goes with the commit or rollback, even when the
// connection dies, and its key is the tenant's schema, so other tenants never wait.
func (imp *importer) prepare(ctx context.Context, tx *sqlx.Tx) error {
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, lockKey(imp.scope.Tenant.Schema)); err != nil {
		return fmt.Errorf("feed %s: lock: %w", imp.spec.kind, err)
	}
	// Memory for the aggregates of a big feed, for this transaction only.
	if _, err := tx.ExecContext(ctx, `SET LOCAL work_mem = '64MB'`); err != nil {
		return fmt.Errorf("feed %s: settings: %w", imp.spec.kind, err)
	}
	return nil
}

// lockKey is the advisory lock of one tenant's feeds.
func lockKey(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("speks-feed:" + schema))
	return int64(h.Sum64())
}

// stage streams the body (openSource made it ready) through the parser and the row checks
// into the staging table, with COPY. Invalid rows are reported and left out; valid ones are
// copied even after an error, so the set-based checks can still list every problem of the file.
func (imp *importer) stage(ctx context.Context, tx *sqlx.Tx, errs *errorList) (int64, error) {
	if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE `+stageTable+` (line integer NOT NULL, `+
		imp.spec.stageDDL+`) ON COMMIT DROP`); err != nil {
		return 0, fmt.Errorf("feed %s: create staging table: %w", imp.spec.kind, err)
	}
	copyIn, err := startCopy(ctx, tx, `pg_temp.`+stageTable, append([]string{"line"}, imp.spec.stageColumns...))
	if err != nil {
		return 0, fmt.Errorf("feed %s: %w", imp.spec.kind, err)
	}
	defer copyIn.Close()
	rows, err := imp.convertRows(errs, len(imp.spec.stageColumns), func(vals []any) error {
		_, err := copyIn.ExecContext(ctx, vals...)
		return err
	})
	if err != nil {
		return 0, err
	}
	// An Exec without values ends the COPY and reports any error of the data sent so far.
	if _, err := copyIn.ExecContext(ctx); err != nil {
		return 0, fmt.Errorf("feed %s: COPY: %w", imp.spec.kind, err)
	}
	return rows, nil
}

// startCopy prepares a COPY of columns into table; each Exec with values sends a row, an
// Exec without values ends it.
func startCopy(ctx context.Context, tx *sqlx.Tx, table string, columns []string) (*sql.Stmt, error) {
	stmt, err := tx.PrepareContext(ctx, `COPY `+table+` (`+strings.Join(columns, ", ")+`) FROM STDIN`)
	if err != nil {
		return nil, fmt.Errorf("start COPY into %s: %w", table, err)
	}
	return stmt, nil
}

// convertRows reads the body from where it stands through the header check and the kind's
// convert, handing each valid row's values (its line first, then width values) to use.
// Invalid rows are reported on errs and skipped; a bad header stops it with errs full. It
// returns the number of records read.
func (imp *importer) convertRows(errs *errorList, width int, use func(vals []any) error) (int64, error) {
	stream, err := newCSVStream(imp.src, imp.spec)
	if err != nil {
		return 0, imp.bodyError(err)
	}
	if err := stream.header(errs); err != nil {
		return 0, imp.bodyError(err)
	}
	if !errs.empty() {
		errs.full = true // without a good header the rows cannot be read
		return 0, nil
	}
	vals := make([]any, 1+width)
	r := &row{spec: imp.spec, vals: stream.vals, lines: stream.lines, errs: errs, now: imp.opts.Now}
	for !errs.full {
		ok, more, err := stream.next(errs)
		if err != nil {
			return 0, imp.bodyError(err)
		}
		if !more {
			break
		}
		r.bad = false
		if !ok || !imp.spec.convert(r, vals[1:]) {
			continue
		}
		vals[0] = int64(stream.line)
		if err := use(vals); err != nil {
			return 0, fmt.Errorf("feed %s: COPY: %w", imp.spec.kind, err)
		}
	}
	return int64(stream.records), nil
}

// bodyError keeps ErrTooLarge recognisable and names other read failures.
func (imp *importer) bodyError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrTooLarge):
		return fmt.Errorf("%w (%d bytes)", ErrTooLarge, imp.opts.MaxBytes)
	}
	return fmt.Errorf("feed %s: read body: %w", imp.spec.kind, err)
}

// write upserts the staged rows and records the batch.
func (imp *importer) write(ctx context.Context, tx *sqlx.Tx, res *Result) error {
	batch, err := imp.nextBatch(ctx, tx)
	if err != nil {
		return err
	}
	c, rowErrs, err := imp.spec.apply(ctx, tx, batch)
	if err != nil {
		return fmt.Errorf("feed %s: %w", imp.spec.kind, err)
	}
	if len(rowErrs) > 0 {
		list := &errorList{}
		list.addAll(rowErrs)
		res.Errors = list.sorted()
		return ErrInvalidFile
	}
	return imp.record(ctx, tx, res, batch, c)
}

// nextBatch takes the id of the batch being written.
func (imp *importer) nextBatch(ctx context.Context, tx *sqlx.Tx) (int64, error) {
	var batch int64
	if err := tx.GetContext(ctx, &batch, `SELECT nextval(pg_get_serial_sequence('import_batches', 'id'))`); err != nil {
		return 0, fmt.Errorf("feed %s: batch id: %w", imp.spec.kind, err)
	}
	return batch, nil
}

// record completes a written batch: its answer, the ready mails, the batch row and the
// audit trail.
func (imp *importer) record(ctx context.Context, tx *sqlx.Tx, res *Result, batch int64, c counts) error {
	res.BatchID, res.Inserted, res.Updated, res.Unchanged = batch, c.inserted, c.updated, c.unchanged
	if err := imp.publish(ctx, tx); err != nil {
		return err
	}
	var keyID, idemKey any
	if imp.opts.APIKeyID != 0 {
		keyID = imp.opts.APIKeyID
	}
	if imp.opts.IdempotencyKey != "" {
		idemKey = imp.opts.IdempotencyKey
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO import_batches (id, kind, actor, api_key_id, idempotency_key,
			content_hash, bytes, rows, inserted, updated, unchanged, received_at, duration_ms)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		batch, imp.spec.kind, imp.opts.Actor, keyID, idemKey, imp.src.sum(), imp.src.size, res.Rows,
		res.Inserted, res.Updated, res.Unchanged, imp.started, time.Since(imp.started).Milliseconds())
	if err != nil {
		return fmt.Errorf("feed %s: record batch: %w", imp.spec.kind, err)
	}
	if err := imp.auditImport(ctx, tx, res); err != nil {
		return fmt.Errorf("feed %s: %w", imp.spec.kind, err)
	}
	return nil
}

// findBatch returns the answer of an earlier batch matching where, or nil.
func findBatch(ctx context.Context, tx *sqlx.Tx, where string, args ...any) (*Result, error) {
	res := &Result{Errors: []RowError{}, Replayed: true}
	err := tx.QueryRowxContext(ctx, `SELECT id, kind, rows, inserted, updated, unchanged
		FROM import_batches WHERE `+where, args...).
		Scan(&res.BatchID, &res.Kind, &res.Rows, &res.Inserted, &res.Updated, &res.Unchanged)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("feed: look up earlier batch: %w", err)
	}
	return res, nil
}

// log writes one line per feed: counts and timing, never the file's content.
func (imp *importer) log(ctx context.Context, res *Result, err error) {
	attrs := []any{"tenant", imp.scope.Tenant.Code, "kind", imp.spec.kind, "actor", imp.opts.Actor,
		"duration", time.Since(imp.started).Round(time.Millisecond)}
	if imp.src != nil {
		attrs = append(attrs, "bytes", max(imp.src.n, imp.src.size))
	}
	attrs = append(attrs, imp.phases...)
	if res != nil {
		attrs = append(attrs, "batch_id", res.BatchID, "rows", res.Rows, "inserted", res.Inserted,
			"updated", res.Updated, "unchanged", res.Unchanged, "errors", len(res.Errors), "replayed", res.Replayed)
	}
	switch {
	case err == nil:
		slog.InfoContext(ctx, "feed imported", attrs...)
	case errors.Is(err, ErrInvalidFile), errors.Is(err, ErrTooLarge):
		slog.InfoContext(ctx, "feed refused", append(attrs, "reason", err.Error())...)
	default:
		slog.ErrorContext(ctx, "feed failed", append(attrs, "err", err)...)
	}
}
