// Package retention deletes what a tenant may no longer keep, and leaves an audit record of
// what it deleted (table retention_runs: who, when, the cut-offs, the counts per kind).
//
// # Periods, and why
//
//   - Payslips, EC statements and payments (eMaklum): the tenant's retention_months, 24 by
//     default. Every state's portal promises two years and no more (Pahang's and Kelantan's
//     FAQs: "disimpan dalam tempoh 2 tahun … selepas tempoh tersebut, data akan digugurkan"),
//     the payroll and accounting systems stay the records of authority, and personal data
//     is not to be kept longer than its purpose needs (PDPA 2010, retention principle). A
//     state may choose another period (1–120 months, tenant policy).
//   - A record's age counts from the end of the period it covers: a payslip from the end of
//     its month, a payment from its date, an EC statement from the end of its year (31
//     December) — a person must be able to read the EC for year Y for the full period after
//     the year closes, as they need it for the tax return filed in the following months.
//     The cut-off is the first day of the current month (Malaysia time) minus the
//     retention months: a payslip whose month ended before it is purged.
//   - Import batches: 13 months (BatchRetention). A batch is the record of who fed what and
//     when, and the memory that makes a re-sent file a no-op. Re-sends come within days; 13
//     months cover a full financial year of audit plus the month it closes in. They carry
//     no personal data, but past that they describe data that is mostly gone.
//   - Mail outbox rows (modules/foundation/notify), sent or failed: 90 days after they were sent or
//     failed (OutboxRetention). They are the trace the helpdesk and IT officers follow when
//     someone says a mail never came (the FAQs send such calls to the helpdesk; a failed
//     row is listed for IT officers with its error). Complaints come within days or weeks of
//     the mail, and a quarter covers three monthly payslip cycles; past that a row is only a
//     person's address (its template values, one-time codes included, were emptied when it
//     was sent), which PDPA's retention principle says not to keep. Pending and in-flight
//     rows are never touched.
//   - Verification tokens (modules/records, the QR code on a printed payslip, EC or payment
//     advice): the same cut-off as the records, as a token repeats its document's holder
//     name and amount; once the documents of its period may no longer be kept, neither may
//     what confirms them. Expired payment unlocks (30 minutes) go at every run too.
//   - Retention runs themselves are kept: they are the proof of what was deleted, and tiny.
//
// This package writes only retention_runs: every record it purges is deleted by the module
// that owns it. The documents and import batches are the feed module's (feed.Expiries: the
// count and the batched delete of each kind; this package decides the cut-offs, the batch size
// and the pauses). The outbox and the verification tokens are Sweeps (package
// cmd/speks/sweeps.go lists them) that the worker and `speks retention run` hand to Run; their
// counts go into the same retention_runs record. Sessions and one-time codes have their own, much shorter periods,
// set by the account module that owns them.
//
// # How it deletes
//
// In batches of Options.BatchSize records, each its own short transaction, skipping rows a
// concurrent feed holds (SKIP LOCKED; they go the next night). PostgreSQL readers never wait
// for deletes (MVCC), but a single huge DELETE would hold row locks against feeds for
// minutes, grow one enormous transaction, and burst WAL and I/O; small batches keep each of
// those short. Lines, items, invoice lines and status history go with their parent
// (ON DELETE CASCADE). A dry run counts and deletes nothing; it is recorded too.
package retention

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/feed"
	"github.com/speks-portal/speks/modules/foundation/web/myt"
	"github.com/speks-portal/speks/tenant"
)

// BatchRetention is how long import batch records are kept.
const BatchRetention = 13 // months

// OutboxRetention is how long sent and failed mail outbox rows are kept (package doc).
const OutboxRetention = 90 * 24 * time.Hour

// Sweep purges records another module owns, at the run's cut-off (the first day of the
// oldest month kept). Purge fills counts with one entry per kind of record it deletes. In a
// dry run it is called inside a transaction that is rolled back: the counts are exact and
// nothing goes, without each module writing a counting twin of its delete.
type Sweep struct {
	Name  string
	Purge func(ctx context.Context, db sqlx.ExtContext, cutoff time.Time, counts map[string]int64) error
}

// DefaultBatchSize is how many records one delete transaction removes.
const DefaultBatchSize = 1000

// Options tune one run.
type Options struct {
	DryRun bool
	// Actor is recorded: "cli", "scheduler".
	Actor string
	// Now fixes the clock (tests); zero = time.Now.
	Now time.Time
	// BatchSize records per transaction; 0 = DefaultBatchSize.
	BatchSize int
	// Pause between two batches, to leave I/O to the portal's readers on a busy server.
	Pause time.Duration
	// Sweeps run after the records' purges (cmd/speks/sweeps.go: outbox, tokens).
	Sweeps []Sweep
}

// Report is what a run did (or, dry, would do).
type Report struct {
	RunID                int64            `json:"run_id"`
	Tenant               string           `json:"tenant"`
	DryRun               bool             `json:"dry_run"`
	RetentionMonths      int              `json:"retention_months"`
	Cutoff               string           `json:"cutoff"`
	StatementsBeforeYear int              `json:"statements_before_year"`
	BatchesBefore        time.Time        `json:"batches_before"`
	Counts               map[string]int64 `json:"counts"`
	Duration             time.Duration    `json:"duration_ns"`
}

// Cutoffs computes the three limits of a run at now for a retention of months.
func Cutoffs(now time.Time, months int) (cutoff time.Time, statementsBefore int, batchesBefore time.Time) {
	local := now.In(myt.Zone)
	monthStart := time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, myt.Zone)
	cutoff = monthStart.AddDate(0, -months, 0)
	// An EC statement for year Y ended on 31 December Y: it is older than the cut-off when
	// Y < cutoff's year (the cut-off is always the first day of a month).
	return cutoff, cutoff.Year(), monthStart.AddDate(0, -BatchRetention, 0)
}

// cutoffs are a run's limits.
type cutoffs struct {
	date             time.Time // payslips and payments whose period ended before this day
	statementsBefore int
	batchesBefore    time.Time
}

// Run purges (or counts, dry) the expired records of ctx's tenant and records the run.
func Run(ctx context.Context, opts Options) (*Report, error) {
	scope, err := tenant.Require(ctx)
	if err != nil {
		return nil, err
	}
	started := time.Now()
	if opts.Now.IsZero() {
		opts.Now = started
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	var c cutoffs
	c.date, c.statementsBefore, c.batchesBefore = Cutoffs(opts.Now, scope.Tenant.RetentionMonths)
	rep := &Report{Tenant: scope.Tenant.Code, DryRun: opts.DryRun, RetentionMonths: scope.Tenant.RetentionMonths,
		Cutoff: c.date.Format(time.DateOnly), StatementsBeforeYear: c.statementsBefore, BatchesBefore: c.batchesBefore,
		Counts: map[string]int64{}}
	var runErr error
	for _, e := range feed.Expiries(c.date, c.statementsBefore, c.batchesBefore) {
		n, err := runPurge(ctx, scope.DB, e, opts)
		rep.Counts[e.Kind] = n
		if err != nil {
			runErr = fmt.Errorf("retention %s: %s: %w", scope.Tenant.Code, e.Kind, err)
			break
		}
	}
	if runErr == nil {
		runErr = runSweeps(ctx, scope, c.date, opts, rep.Counts)
	}
	rep.Duration = time.Since(started)
	// The record is written even when a purge failed half-way: what went is what it says.
	if err := record(context.WithoutCancel(ctx), scope.DB, rep, opts.Actor, started, runErr); err != nil {
		return rep, fmt.Errorf("retention %s: record the run: %w (run error: %v)", scope.Tenant.Code, err, runErr)
	}
	slog.InfoContext(ctx, "retention run", "tenant", rep.Tenant, "dry_run", rep.DryRun, "cutoff", rep.Cutoff,
		"counts", rep.Counts, "duration", rep.Duration.Round(time.Millisecond), "err", runErr)
	return rep, runErr
}

// runPurge deletes one kind in batches until none is left (or counts it, dry).
func runPurge(ctx context.Context, db *tenant.DB, e feed.Expiry, opts Options) (int64, error) {
	if opts.DryRun {
		return e.Count(ctx, db)
	}
	var total int64
	for {
		n, err := e.DeleteBatch(ctx, db, opts.BatchSize)
		if err != nil {
			return total, err
		}
		total += n
		if n < int64(opts.BatchSize) {
			return total, nil
		}
		if err := sleep(ctx, opts.Pause); err != nil {
			return total, err
		}
	}
}

// runSweeps runs the other modules' purges, each in a rolled-back transaction when dry.
func runSweeps(ctx context.Context, scope *tenant.Scope, cutoff time.Time, opts Options, counts map[string]int64) error {
	for _, sw := range opts.Sweeps {
		var err error
		if opts.DryRun {
			err = dryRun(ctx, scope.DB, func(tx *sqlx.Tx) error { return sw.Purge(ctx, tx, cutoff, counts) })
		} else {
			err = sw.Purge(ctx, scope.DB, cutoff, counts)
		}
		if err != nil {
			return fmt.Errorf("retention %s: %s: %w", scope.Tenant.Code, sw.Name, err)
		}
	}
	return nil
}

// dryRun runs fn in a transaction and always rolls it back.
func dryRun(ctx context.Context, db *tenant.DB, fn func(tx *sqlx.Tx) error) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin dry run: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // the point: nothing is kept
	return fn(tx)
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func record(ctx context.Context, db *tenant.DB, rep *Report, actor string, started time.Time, runErr error) error {
	counts, err := json.Marshal(rep.Counts)
	if err != nil {
		return err
	}
	errText := ""
	if runErr != nil {
		errText = runErr.Error()
	}
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if err := tx.GetContext(ctx, &rep.RunID, `INSERT INTO retention_runs (started_at, finished_at, actor, dry_run,
			retention_months, cutoff, statements_before_year, batches_before, counts, error)
		VALUES ($1, now(), $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		started, actor, rep.DryRun, rep.RetentionMonths, rep.Cutoff, rep.StatementsBeforeYear, rep.BatchesBefore,
		string(counts), errText); err != nil { // jsonb as text: the pool sends []byte in binary
		return err
	}
	// A dry run deleted nothing: it stays in retention_runs only.
	if !rep.DryRun {
		if err := auditPurge(ctx, tx, rep, actor, errText); err != nil {
			return err
		}
	}
	return tx.Commit()
}
