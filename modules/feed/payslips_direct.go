package feed

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/foundation/money"
)

// The payslips feed's direct path: a new month goes straight into payslip_lines.
//
// The staged path writes every line twice (COPY into the staging table, then INSERT …
// SELECT into payslip_lines) and aggregates the lines in the database: about a quarter of
// the import's time. Payday's file is a new month: every payslip in it is new. The direct
// path bets on that and reads the file once:
//
//  1. Each line is converted and checked in Go, copied straight into payslip_lines (the
//     key to payslips deferred: the payslips come after their lines), and folded into the
//     run of lines of its payslip. Files list a payslip's lines together, so a run is
//     usually the whole payslip. Every few thousand runs the lines' COPY pauses for a COPY of
//     the runs into feed_payslip_runs, so memory holds one chunk of runs, whatever the file.
//  2. The runs are added up into feed_payslips — the table the staged path's check builds
//     from its lines — checked and classified the same way.
//  3. The payslips are inserted as in the staged path and the deferred key is checked.
//
// Anything that breaks the bet or the file — a bad row, a failed check, a line the key
// refuses (twice in the file, or already there), a payslip that is not new — makes it answer
// false. The import then rolls back to the savepoint it took and the staged path reads the
// file again: it lists every error of a bad file and writes corrections and re-sent months.
// Those cost one more reading; a new month costs one.

// linesKey is payslip_lines' key to payslips (migration 00052 made it deferrable).
const linesKey = "payslip_lines_ic_no_year_month_fkey"

// payslipRunColumns are feed_payslip_runs' columns, in the order payslipRun.values gives them.
var payslipRunColumns = []string{"ic_no", "year", "month", "first_line", "pay_date", "last_pay_date",
	"gross", "deductions", "line_count", "digest"}

// payslipLineColumns are what the direct path copies into payslip_lines.
var payslipLineColumns = []string{"ic_no", "year", "month", "seq", "kind", "code", "description", "amount"}

// Where convertPayslipLine's values sit in the slice convertRows hands on (the line first).
const (
	cvLine = iota
	cvIC
	cvYear
	cvMonth
	cvPayDate
	cvKind
	cvCode
	cvDescription
	cvAmount
	cvDigest
)

// payslipKey names one payslip.
type payslipKey struct {
	ic          string
	year, month int64
}

func payslipKeyOf(vals []any) payslipKey {
	return payslipKey{ic: vals[cvIC].(string), year: vals[cvYear].(int64), month: vals[cvMonth].(int64)}
}

// payslipRun sums up consecutive lines of one payslip.
type payslipRun struct {
	key                  payslipKey
	firstLine            int64
	payDate, lastPayDate string // the earliest and latest, YYYY-MM-DD
	gross, deductions    money.Sen
	lines                int64
	digest               int64
}

// start begins a run at vals. The run keeps copies of its strings: the parser's would keep
// the whole record they were cut from alive as long as the run.
func (run *payslipRun) start(vals []any) {
	key := payslipKeyOf(vals)
	key.ic = strings.Clone(key.ic)
	payDate := strings.Clone(vals[cvPayDate].(string))
	*run = payslipRun{key: key, firstLine: vals[cvLine].(int64), payDate: payDate, lastPayDate: payDate}
	run.add(vals)
}

func (run *payslipRun) add(vals []any) {
	if d := vals[cvPayDate].(string); d != run.payDate || d != run.lastPayDate {
		run.payDate = strings.Clone(min(run.payDate, d))
		run.lastPayDate = strings.Clone(max(run.lastPayDate, d))
	}
	if vals[cvKind] == "E" {
		run.gross += vals[cvAmount].(money.Sen)
	} else {
		run.deductions += vals[cvAmount].(money.Sen)
	}
	run.lines++
	run.digest ^= vals[cvDigest].(int64)
}

func (run *payslipRun) values() []any {
	return []any{run.key.ic, run.key.year, run.key.month, run.firstLine, run.payDate, run.lastPayDate,
		run.gross, run.deductions, run.lines, run.digest}
}

// importPayslipsDirect is the payslips kind's direct path (kindSpec.direct).
func importPayslipsDirect(ctx context.Context, imp *importer, tx *sqlx.Tx, mark *time.Time) (*Result, bool, error) {
	rows, ok, err := copyNewLines(ctx, imp, tx)
	if err != nil || !ok {
		return nil, false, err
	}
	imp.phase("lines", mark)
	if ok, err := checkPayslipRuns(ctx, tx); err != nil || !ok {
		return nil, false, err
	}
	imp.phase("check", mark)
	c, err := classifyPayslips(ctx, tx)
	if err != nil {
		return nil, false, fmt.Errorf("feed %s: %w", Payslips, err)
	}
	if c.updated+c.unchanged > 0 {
		return nil, false, nil // not a new month: the staged path replaces lines
	}
	batch, err := imp.nextBatch(ctx, tx)
	if err != nil {
		return nil, false, err
	}
	if err := insertNewPayslips(ctx, tx, batch, c); err != nil {
		return nil, false, fmt.Errorf("feed %s: %w", Payslips, err)
	}
	if _, err := tx.ExecContext(ctx, `SET CONSTRAINTS `+linesKey+` IMMEDIATE`); err != nil {
		return nil, false, fmt.Errorf("feed %s: check the lines' payslips: %w", Payslips, err)
	}
	imp.phase("write", mark)
	res := &Result{Kind: Payslips, Rows: rows, Errors: []RowError{}}
	return res, true, imp.record(ctx, tx, res, batch, c)
}

// copyNewLines reads the body once, converting every line, copies the lines into
// payslip_lines and the runs of each payslip's lines into feed_payslip_runs. ok is false at
// the first bad row or at a line the key refuses.
func copyNewLines(ctx context.Context, imp *importer, tx *sqlx.Tx) (rows int64, ok bool, err error) {
	if _, err := tx.ExecContext(ctx, `SET CONSTRAINTS `+linesKey+` DEFERRED`); err != nil {
		return 0, false, fmt.Errorf("feed %s: defer the lines' key: %w", Payslips, err)
	}
	if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE feed_payslip_runs (ic_no text, year smallint,
		month smallint, first_line integer, pay_date date, last_pay_date date, gross numeric(14,2),
		deductions numeric(14,2), line_count integer, digest bigint) ON COMMIT DROP`); err != nil {
		return 0, false, fmt.Errorf("feed %s: create runs table: %w", Payslips, err)
	}
	w := &lineWriter{ctx: ctx, tx: tx, line: make([]any, len(payslipLineColumns))}
	defer w.close()
	errs := &errorList{firstOnly: true}
	rows, err = imp.convertRows(errs, len(imp.spec.stageColumns), w.add)
	if err == nil && errs.empty() {
		err = w.flush(0)
	}
	switch {
	case isDuplicatePayslipLine(err):
		return 0, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("feed %s: %w", Payslips, err)
	}
	return rows, errs.empty(), nil
}

// runsPerChunk bounds the runs held in memory: after so many, the lines' COPY is ended, the
// runs are copied into feed_payslip_runs, and the lines' COPY starts again. Memory stays
// flat whatever the file's size; a restart costs a round trip per few thousand payslips.
// A variable so that the tests can make every run a chunk.
var runsPerChunk = 4096

// lineWriter copies a file's lines into payslip_lines and their runs into feed_payslip_runs,
// alternating between the two COPYs a connection can run only one at a time.
type lineWriter struct {
	ctx   context.Context
	tx    *sqlx.Tx
	lines *sql.Stmt // the open COPY into payslip_lines; nil between chunks
	runs  []payslipRun
	line  []any
}

// add copies one converted line (convertRows' values) and folds it into its run.
func (w *lineWriter) add(vals []any) error {
	if w.lines == nil {
		stmt, err := startCopy(w.ctx, w.tx, "payslip_lines", payslipLineColumns)
		if err != nil {
			return err
		}
		w.lines = stmt
	}
	if n := len(w.runs); n > 0 && w.runs[n-1].key == payslipKeyOf(vals) {
		w.runs[n-1].add(vals)
	} else {
		w.runs = append(w.runs, payslipRun{})
		w.runs[n].start(vals)
	}
	w.line[0], w.line[1], w.line[2], w.line[3] = vals[cvIC], vals[cvYear], vals[cvMonth], vals[cvLine]
	w.line[4], w.line[5], w.line[6], w.line[7] = vals[cvKind], vals[cvCode], vals[cvDescription], vals[cvAmount]
	if _, err := w.lines.ExecContext(w.ctx, w.line...); err != nil {
		return err
	}
	if len(w.runs) > runsPerChunk {
		return w.flush(1) // the last run may go on in the next lines
	}
	return nil
}

// flush ends the lines' COPY and copies the runs but the last keep into feed_payslip_runs.
func (w *lineWriter) flush(keep int) error {
	if w.lines != nil {
		// An Exec without values ends the COPY and reports any error of the lines sent so far.
		_, err := w.lines.ExecContext(w.ctx)
		w.close()
		if err != nil {
			return fmt.Errorf("COPY payslip lines: %w", err)
		}
	}
	done := len(w.runs) - keep
	if done <= 0 {
		return nil
	}
	if err := copyRuns(w.ctx, w.tx, w.runs[:done]); err != nil {
		return err
	}
	w.runs = append(w.runs[:0], w.runs[done:]...)
	return nil
}

func (w *lineWriter) close() {
	if w.lines != nil {
		_ = w.lines.Close()
		w.lines = nil
	}
}

func copyRuns(ctx context.Context, tx *sqlx.Tx, runs []payslipRun) error {
	copyIn, err := startCopy(ctx, tx, "pg_temp.feed_payslip_runs", payslipRunColumns)
	if err != nil {
		return err
	}
	defer copyIn.Close()
	for i := range runs {
		if _, err := copyIn.ExecContext(ctx, runs[i].values()...); err != nil {
			return fmt.Errorf("COPY payslip runs: %w", err)
		}
	}
	if _, err := copyIn.ExecContext(ctx); err != nil {
		return fmt.Errorf("COPY payslip runs: %w", err)
	}
	return nil
}

// checkPayslipRuns adds the runs up per payslip into feed_payslips and checks what the staged
// path checks on it: one pay date per payslip, an employee for every IC number.
func checkPayslipRuns(ctx context.Context, tx *sqlx.Tx) (bool, error) {
	if _, err := exec(ctx, tx, "add up payslip runs", `
		CREATE TEMP TABLE feed_payslips ON COMMIT DROP AS
		SELECT ic_no, year, month, min(first_line) AS first_line,
			min(pay_date) AS pay_date, max(last_pay_date) AS last_pay_date,
			sum(gross) AS gross, sum(deductions) AS deductions,
			sum(line_count)::bigint AS line_count, bit_xor(digest) AS digest
		FROM pg_temp.feed_payslip_runs GROUP BY ic_no, year, month`); err != nil {
		return false, fmt.Errorf("feed %s: %w", Payslips, err)
	}
	var clean bool
	err := tx.GetContext(ctx, &clean, `SELECT NOT EXISTS (
			SELECT 1 FROM pg_temp.feed_payslips a
			WHERE a.pay_date <> a.last_pay_date
				OR NOT EXISTS (SELECT 1 FROM employees e WHERE e.ic_no = a.ic_no))`)
	if err != nil {
		return false, fmt.Errorf("feed %s: check payslips: %w", Payslips, err)
	}
	return clean, nil
}
