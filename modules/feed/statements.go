package feed

import (
	"context"
	"strings"

	"github.com/jmoiron/sqlx"
)

// The statements feed: one row per item of a person's annual EC statement (Borang EC). The
// items of (ic_no, year) in a file are the statement's whole set and replace the earlier one.

const (
	stIC = iota
	stYear
	stEmployerNo
	stTaxNo
	stSection
	stCode
	stDescription
	stAmount
)

func init() {
	register(&kindSpec{
		kind: Statements,
		columns: []column{
			{"ic_no", true, 20}, {"year", true, 4}, {"employer_no", true, 30}, {"tax_no", false, 30},
			{"section", true, 30}, {"code", true, 30}, {"description", true, 300}, {"amount", true, 20},
		},
		stageDDL:     `ic_no text, year smallint, employer_no text, tax_no text, section text, code text, description text, amount numeric(14,2)`,
		stageColumns: []string{"ic_no", "year", "employer_no", "tax_no", "section", "code", "description", "amount"},
		convert:      convertStatementItem,
		check:        checkStatements,
		apply:        applyStatements,
	})
}

func convertStatementItem(r *row, out []any) bool {
	out[0] = r.ic(stIC)
	// An EC statement covers a year that has ended, or the current one at the earliest.
	out[1] = r.intIn(stYear, 2000, int64(r.now.Year()), CodeInvalidYear)
	out[2] = r.text(stEmployerNo)
	out[3] = r.text(stTaxNo)
	out[4] = r.text(stSection)
	out[5] = r.ecItem()
	out[6] = r.text(stDescription)
	amount, _ := r.amount(stAmount, nonNegative)
	out[7] = amount.String()
	return !r.bad
}

// ecItem reads the item code: one of Borang EC's (ECItems, any case, stored as the form
// spells it), in the part the section column names by its first letter ("B", "B Pendapatan
// Penggajian").
func (r *row) ecItem() string {
	code, part, ok := ECItem(r.vals[stCode])
	if !ok {
		r.fail(stCode, CodeUnknownECItem, "must be an item of Borang EC: %s", strings.Join(ECItems, ", "))
		return ""
	}
	if section := r.vals[stSection]; section != "" && !strings.EqualFold(section[:1], part) {
		r.fail(stSection, CodeECPartMismatch, "item %s belongs to part %s of Borang EC", code, part)
	}
	return code
}

func checkStatements(ctx context.Context, tx *sqlx.Tx) ([]RowError, error) {
	if _, err := exec(ctx, tx, "aggregate statements", `
		CREATE TEMP TABLE feed_statements ON COMMIT DROP AS
		SELECT ic_no, year, min(line) AS first_line, min(employer_no) AS employer_no, min(tax_no) AS tax_no,
			count(*) AS item_count,
			bit_xor(hashtextextended(concat_ws(E'\x1f', section, code, description, amount), 0)) AS digest
		FROM pg_temp.feed_stage GROUP BY ic_no, year`); err != nil {
		return nil, err
	}
	return checks(ctx, tx,
		duplicateCheck("duplicate statement items", "ic_no, year, section, code", "",
			"the same statement item (IC number, year, section and code)"),
		consistencyCheck("employer numbers", "ic_no, year", "employer_no", "employer_no",
			"another employer number for the same statement"),
		consistencyCheck("tax numbers", "ic_no, year", "tax_no", "tax_no", "another tax number for the same statement"),
		func(ctx context.Context, tx *sqlx.Tx) ([]RowError, error) {
			return unknownEmployees(ctx, tx, "feed_statements")
		},
	)
}

func applyStatements(ctx context.Context, tx *sqlx.Tx, batch int64) (counts, []RowError, error) {
	c, err := classify(ctx, tx, "statements", `
		CREATE TEMP TABLE feed_statement_changes ON COMMIT DROP AS
		SELECT f.*, s.ic_no IS NULL AS is_new
		FROM pg_temp.feed_statements f
		LEFT JOIN statements s USING (ic_no, year)
		WHERE s.ic_no IS NULL OR (s.employer_no, s.tax_no, s.item_count, s.items_digest)
			IS DISTINCT FROM (f.employer_no, f.tax_no, f.item_count, f.digest)`,
		`pg_temp.feed_statements`, `pg_temp.feed_statement_changes`)
	if err != nil || c.inserted+c.updated == 0 {
		return c, nil, err
	}
	if err := writeStatements(ctx, tx, batch, c); err != nil {
		return counts{}, nil, err
	}
	if _, err := exec(ctx, tx, "insert statement items", `
		INSERT INTO statement_items (ic_no, year, seq, section, code, description, amount)
		SELECT s.ic_no, s.year, s.line, s.section, s.code, s.description, s.amount
		FROM pg_temp.feed_stage s JOIN pg_temp.feed_statement_changes c USING (ic_no, year)`); err != nil {
		return counts{}, nil, err
	}
	return c, nil, nil
}

// statementsFromChanges writes the statements of feed_statement_changes that the condition
// after it picks ($1 the batch): the changed ones (with ON CONFLICT) or the new ones.
const statementsFromChanges = `
	INSERT INTO statements (ic_no, year, employer_no, tax_no, item_count, items_digest, batch_id)
	SELECT ic_no, year, employer_no, tax_no, item_count, digest, $1
	FROM pg_temp.feed_statement_changes WHERE `

// writeStatements replaces the changed statements and inserts the new ones, each step only
// when there is something for it, for the reasons given at writePayslips.
func writeStatements(ctx context.Context, tx *sqlx.Tx, batch int64, c counts) error {
	if c.updated > 0 {
		if _, err := exec(ctx, tx, "delete replaced statement items", `
			DELETE FROM statement_items i USING pg_temp.feed_statement_changes c
			WHERE NOT c.is_new AND i.ic_no = c.ic_no AND i.year = c.year`); err != nil {
			return err
		}
		if _, err := exec(ctx, tx, "update statements", statementsFromChanges+`NOT is_new ORDER BY ic_no, year
			ON CONFLICT (ic_no, year) DO UPDATE SET employer_no = EXCLUDED.employer_no, tax_no = EXCLUDED.tax_no,
				item_count = EXCLUDED.item_count, items_digest = EXCLUDED.items_digest, batch_id = EXCLUDED.batch_id,
				updated_at = now()`, batch); err != nil {
			return err
		}
	}
	if c.inserted > 0 {
		if _, err := exec(ctx, tx, "insert statements", statementsFromChanges+`is_new ORDER BY ic_no, year`, batch); err != nil {
			return err
		}
	}
	return nil
}
