package feed

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// stageTable is the temporary table each import copies its rows into. It lives in the
// session's pg_temp schema (never in a tenant schema), is not WAL-logged and disappears with
// the transaction, committed or not.
const stageTable = "feed_stage"

// queryErrors runs a set-based check whose rows are (line, column, code, message).
func queryErrors(ctx context.Context, tx *sqlx.Tx, what, query string, args ...any) ([]RowError, error) {
	var out []RowError
	if err := tx.SelectContext(ctx, &out, query+fmt.Sprintf(" LIMIT %d", maxErrors+1), args...); err != nil {
		return nil, fmt.Errorf("check %s: %w", what, err)
	}
	return out, nil
}

// checks runs several checks and joins their findings.
func checks(ctx context.Context, tx *sqlx.Tx, list ...func(context.Context, *sqlx.Tx) ([]RowError, error)) ([]RowError, error) {
	var all []RowError
	for _, check := range list {
		found, err := check(ctx, tx)
		if err != nil {
			return nil, err
		}
		all = append(all, found...)
	}
	return all, nil
}

// exec runs one statement of an upsert and returns the rows it touched.
func exec(ctx context.Context, tx *sqlx.Tx, what, query string, args ...any) (int64, error) {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	return n, nil
}

// duplicateCheck reports every row whose key columns repeat an earlier row's, pointing at
// the first. where filters rows that take part (e.g. optional keys present).
func duplicateCheck(what, key, where, message string) func(context.Context, *sqlx.Tx) ([]RowError, error) {
	if where == "" {
		where = "true"
	}
	query := `SELECT line, '' AS "column", '` + CodeDuplicateRow + `' AS code,
			format('` + message + ` as line %s', first_line) AS message
		FROM (SELECT line, min(line) OVER (PARTITION BY ` + key + `) AS first_line
		      FROM pg_temp.` + stageTable + ` WHERE ` + where + `) d
		WHERE line <> first_line ORDER BY line`
	return func(ctx context.Context, tx *sqlx.Tx) ([]RowError, error) {
		return queryErrors(ctx, tx, what, query)
	}
}

// consistencyCheck reports rows that disagree with the first row of their group on value:
// e.g. two rows of one payment with different dates.
func consistencyCheck(what, group, value, column, message string) func(context.Context, *sqlx.Tx) ([]RowError, error) {
	query := `SELECT line, '` + column + `' AS "column", '` + CodeInconsistent + `' AS code,
			format('` + message + ` (line %s says %s)', first_line, left(first_value, 80)) AS message
		FROM (SELECT line, (` + value + `)::text AS value,
		             first_value(line) OVER w AS first_line, first_value((` + value + `)::text) OVER w AS first_value
		      FROM pg_temp.` + stageTable + ` WINDOW w AS (PARTITION BY ` + group + ` ORDER BY line)) d
		WHERE value IS DISTINCT FROM first_value ORDER BY line`
	return func(ctx context.Context, tx *sqlx.Tx) ([]RowError, error) {
		return queryErrors(ctx, tx, what, query)
	}
}

func wrap(what string, err error) error { return fmt.Errorf("%s: %w", what, err) }
