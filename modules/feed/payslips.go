package feed

import (
	"context"
	"errors"

	"github.com/cespare/xxhash/v2"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// The payslips feed: one row per payslip line. The lines of (ic_no, year, month) in a file
// are that payslip's whole set and replace whatever an earlier feed sent for it.
//
// It is the big feed (≈15 lines × every staff member × every month), so its checks are
// shaped for volume: everything is decided on one aggregate per payslip (hash aggregation,
// no sort of the lines), and the duplicate-line rule is enforced by the payslip_lines key
// (ic_no, year, month, kind, code) during the insert itself — only when that insert fails
// is the staging table searched for the duplicates to list them.

const (
	psIC = iota
	psYear
	psMonth
	psPayDate
	psKind
	psCode
	psDescription
	psAmount
)

func init() {
	register(&kindSpec{
		kind: Payslips,
		columns: []column{
			{"ic_no", true, 20}, {"year", true, 4}, {"month", true, 2}, {"pay_date", true, 10},
			{"kind", true, 1}, {"code", true, 30}, {"description", true, 200}, {"amount", true, 20},
		},
		stageDDL:     `ic_no text, year smallint, month smallint, pay_date date, kind char(1), code text, description text, amount numeric(14,2), digest bigint`,
		stageColumns: []string{"ic_no", "year", "month", "pay_date", "kind", "code", "description", "amount", "digest"},
		convert:      convertPayslipLine,
		check:        checkPayslips,
		apply:        applyPayslips,
		direct:       importPayslipsDirect,
	})
}

// convertPayslipLine fills out in stageColumns' order; the direct path reads the same values
// by the cv constants of payslips_direct.go (one more: the line comes first there).
func convertPayslipLine(r *row, out []any) bool {
	out[0] = r.ic(psIC)
	out[1] = r.intIn(psYear, 2000, int64(r.now.Year()+1), CodeInvalidYear)
	out[2] = r.intIn(psMonth, 1, 12, CodeInvalidMonth)
	out[3] = r.date(psPayDate)
	switch k := r.text(psKind); k {
	case "E", "D", "e", "d":
		out[4] = string(k[0] &^ 0x20) // upper case
	default:
		r.fail(psKind, CodeInvalidValue, "must be E (earning) or D (deduction)")
	}
	out[5] = r.text(psCode)
	out[6] = r.text(psDescription)
	amount, _ := r.amount(psAmount, nonNegative)
	out[7] = amount
	if r.bad {
		return false
	}
	out[8] = lineDigest(out[4].(string), out[5].(string), out[6].(string), amount.String())
	return true
}

// lineDigest hashes what a payslip line shows. A payslip's digest is the XOR of its lines'
// (the order of the lines does not matter), stored with it so that a payslip sent again
// unchanged is recognised without reading its lines.
func lineDigest(fields ...string) int64 {
	var d xxhash.Digest
	d.Reset()
	for i, f := range fields {
		if i > 0 {
			_, _ = d.WriteString("\x1f")
		}
		_, _ = d.WriteString(f)
	}
	return int64(d.Sum64())
}

// checkPayslips builds feed_payslips, one row per payslip of the file with its totals and
// digest, and checks on it that each payslip has one pay date and a known employee.
func checkPayslips(ctx context.Context, tx *sqlx.Tx) ([]RowError, error) {
	if _, err := exec(ctx, tx, "aggregate payslips", `
		CREATE TEMP TABLE feed_payslips ON COMMIT DROP AS
		SELECT ic_no, year, month, min(line) AS first_line,
			min(pay_date) AS pay_date, max(pay_date) AS last_pay_date,
			coalesce(sum(amount) FILTER (WHERE kind = 'E'), 0) AS gross,
			coalesce(sum(amount) FILTER (WHERE kind = 'D'), 0) AS deductions,
			count(*) AS line_count,
			bit_xor(digest) AS digest
		FROM pg_temp.feed_stage GROUP BY ic_no, year, month`); err != nil {
		return nil, err
	}
	var mixedDates bool
	if err := tx.GetContext(ctx, &mixedDates,
		`SELECT EXISTS (SELECT 1 FROM pg_temp.feed_payslips WHERE pay_date <> last_pay_date)`); err != nil {
		return nil, wrap("check pay dates", err)
	}
	var found []RowError
	if mixedDates {
		dates, err := consistencyCheck("pay dates", "ic_no, year, month", "pay_date", "pay_date",
			"another pay date for the same payslip")(ctx, tx)
		if err != nil {
			return nil, err
		}
		found = append(found, dates...)
	}
	unknown, err := unknownEmployees(ctx, tx, "feed_payslips")
	if err != nil {
		return nil, err
	}
	found = append(found, unknown...)
	if len(found) > 0 {
		// The file is refused anyway: list its duplicate lines too, so one answer has them all.
		dups, err := duplicatePayslipLines(ctx, tx)
		return append(found, dups...), err
	}
	return found, nil
}

// unknownEmployees reports, once per person at their first line, IC numbers that are not
// in the payroll master (the employees feed must come first).
func unknownEmployees(ctx context.Context, tx *sqlx.Tx, aggregate string) ([]RowError, error) {
	return queryErrors(ctx, tx, "unknown employees", `
		SELECT min(first_line) AS line, 'ic_no' AS "column", '`+CodeUnknownEmployee+`' AS code,
			'no employee with this IC number in the payroll master; send the employees feed first' AS message
		FROM pg_temp.`+aggregate+` a
		WHERE NOT EXISTS (SELECT 1 FROM employees e WHERE e.ic_no = a.ic_no)
		GROUP BY ic_no ORDER BY 1`)
}

func duplicatePayslipLines(ctx context.Context, tx *sqlx.Tx) ([]RowError, error) {
	return duplicateCheck("duplicate payslip lines", "ic_no, year, month, kind, code", "",
		"the same payslip line (IC number, year, month, kind and code)")(ctx, tx)
}

func applyPayslips(ctx context.Context, tx *sqlx.Tx, batch int64) (counts, []RowError, error) {
	c, err := classifyPayslips(ctx, tx)
	if err != nil || c.inserted+c.updated == 0 {
		return c, nil, err
	}
	// A savepoint lets a duplicate line (caught by the lines' key) turn into a row error.
	if _, err := tx.ExecContext(ctx, `SAVEPOINT payslip_lines`); err != nil {
		return counts{}, nil, wrap("savepoint", err)
	}
	err = writePayslips(ctx, tx, batch, c)
	if isDuplicatePayslipLine(err) {
		if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT payslip_lines`); err != nil {
			return counts{}, nil, wrap("rollback to savepoint", err)
		}
		dups, err := duplicatePayslipLines(ctx, tx)
		return counts{}, dups, err
	}
	return c, nil, err
}

// isDuplicatePayslipLine tells the payslip_lines key refusing a line: the file has the same
// line twice.
func isDuplicatePayslipLine(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "23505" && pqErr.Constraint == "payslip_lines_pkey"
}

// classifyPayslips sorts the file's payslips (feed_payslips) into new, changed and
// unchanged ones: feed_payslip_changes holds the first two.
func classifyPayslips(ctx context.Context, tx *sqlx.Tx) (counts, error) {
	return classify(ctx, tx, "payslips", `
		CREATE TEMP TABLE feed_payslip_changes ON COMMIT DROP AS
		SELECT f.*, p.ic_no IS NULL AS is_new
		FROM pg_temp.feed_payslips f
		LEFT JOIN payslips p USING (ic_no, year, month)
		WHERE p.ic_no IS NULL OR (p.pay_date, p.gross, p.total_deductions, p.line_count, p.lines_digest)
			IS DISTINCT FROM (f.pay_date, f.gross, f.deductions, f.line_count, f.digest)`,
		`pg_temp.feed_payslips`, `pg_temp.feed_payslip_changes`)
}

// payslipsFromChanges writes the payslips of feed_payslip_changes that the condition after it
// picks ($1 the batch): the changed ones (with ON CONFLICT) or the new ones.
const payslipsFromChanges = `
	INSERT INTO payslips (ic_no, year, month, pay_date, gross, total_deductions, net, line_count, lines_digest, batch_id)
	SELECT ic_no, year, month, pay_date, gross, deductions, gross - deductions, line_count, digest, $1
	FROM pg_temp.feed_payslip_changes WHERE `

// writePayslips replaces the changed payslips and their lines and inserts the new ones.
// Each step runs only when there is something for it: a month sent for the first time pays
// neither the delete (a join against every line the tenant has) nor the upsert's conflict
// handling. New payslips take a plain INSERT: only feeds write payslips, and the advisory
// lock lets one feed of the tenant run at a time, so nobody else can insert them meanwhile.
// Changed ones keep the upsert: the retention purge may delete an old one in between.
// When every payslip of the file is new or changed, the lines are copied straight from
// staging without the join.
func writePayslips(ctx context.Context, tx *sqlx.Tx, batch int64, c counts) error {
	if c.updated > 0 {
		if _, err := exec(ctx, tx, "delete replaced payslip lines", `
			DELETE FROM payslip_lines l USING pg_temp.feed_payslip_changes c
			WHERE NOT c.is_new AND l.ic_no = c.ic_no AND l.year = c.year AND l.month = c.month`); err != nil {
			return err
		}
		if _, err := exec(ctx, tx, "update payslips", payslipsFromChanges+`NOT is_new ORDER BY ic_no, year, month
			ON CONFLICT (ic_no, year, month) DO UPDATE SET pay_date = EXCLUDED.pay_date, gross = EXCLUDED.gross,
				total_deductions = EXCLUDED.total_deductions, net = EXCLUDED.net, line_count = EXCLUDED.line_count,
				lines_digest = EXCLUDED.lines_digest, batch_id = EXCLUDED.batch_id, updated_at = now()`, batch); err != nil {
			return err
		}
	}
	if err := insertNewPayslips(ctx, tx, batch, c); err != nil {
		return err
	}
	lines := `INSERT INTO payslip_lines (ic_no, year, month, seq, kind, code, description, amount)
		SELECT s.ic_no, s.year, s.month, s.line, s.kind, s.code, s.description, s.amount FROM pg_temp.feed_stage s`
	if c.unchanged > 0 {
		lines += ` JOIN pg_temp.feed_payslip_changes c USING (ic_no, year, month)`
	}
	_, err := exec(ctx, tx, "insert payslip lines", lines)
	return err
}

// insertNewPayslips inserts the new payslips of feed_payslip_changes, if there are any: the
// staged path before their lines, the direct path after them.
func insertNewPayslips(ctx context.Context, tx *sqlx.Tx, batch int64, c counts) error {
	if c.inserted == 0 {
		return nil
	}
	_, err := exec(ctx, tx, "insert payslips", payslipsFromChanges+`is_new ORDER BY ic_no, year, month`, batch)
	return err
}

// classify runs the query that creates the table of new and changed records, and counts
// them against the file's aggregate.
func classify(ctx context.Context, tx *sqlx.Tx, what, create, all, changed string) (counts, error) {
	if _, err := exec(ctx, tx, "classify "+what, create); err != nil {
		return counts{}, err
	}
	var c counts
	var total int64
	err := tx.QueryRowxContext(ctx, `SELECT (SELECT count(*) FROM `+all+`),
		count(*) FILTER (WHERE is_new), count(*) FILTER (WHERE NOT is_new) FROM `+changed).
		Scan(&total, &c.inserted, &c.updated)
	if err != nil {
		return counts{}, wrap("count "+what, err)
	}
	c.unchanged = total - c.inserted - c.updated
	return c, nil
}
