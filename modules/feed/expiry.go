package feed

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
)

// Expiry is one kind of fed record the retention policy removes (modules/retention decides
// when and how fast; this package, the one writer of the documents and import batches, says
// how). DeleteBatch removes at most size expired records, skipping rows a concurrent feed
// holds (SKIP LOCKED; they go the next run); lines, items, invoice lines and status history go
// with their parent (ON DELETE CASCADE).
type Expiry struct {
	Kind        string
	Count       func(ctx context.Context, db sqlx.QueryerContext) (int64, error)
	DeleteBatch func(ctx context.Context, db sqlx.ExecerContext, size int) (int64, error)
}

// Expiries lists the expired records in deletion order: payslips and payments whose period
// ended before date, statements of years before statementsBefore, import batches received
// before batchesBefore.
func Expiries(date time.Time, statementsBefore int, batchesBefore time.Time) []Expiry {
	return []Expiry{
		expiry("payslips", `SELECT count(*) FROM payslips WHERE (year, month) < ($1::smallint, $2::smallint)`,
			`DELETE FROM payslips WHERE (ic_no, year, month) IN (
				SELECT ic_no, year, month FROM payslips WHERE (year, month) < ($1::smallint, $2::smallint)
				LIMIT $3 FOR UPDATE SKIP LOCKED)`, date.Year(), int(date.Month())),
		expiry("statements", `SELECT count(*) FROM statements WHERE year < $1::smallint`,
			`DELETE FROM statements WHERE (ic_no, year) IN (
				SELECT ic_no, year FROM statements WHERE year < $1::smallint LIMIT $2 FOR UPDATE SKIP LOCKED)`,
			statementsBefore),
		expiry("payments", `SELECT count(*) FROM payments WHERE payment_date < $1::date`,
			`DELETE FROM payments WHERE id IN (
				SELECT id FROM payments WHERE payment_date < $1::date LIMIT $2 FOR UPDATE SKIP LOCKED)`,
			date.Format(time.DateOnly)),
		expiry("import_batches", `SELECT count(*) FROM import_batches WHERE received_at < $1`,
			`DELETE FROM import_batches WHERE id IN (
				SELECT id FROM import_batches WHERE received_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
			batchesBefore),
	}
}

// expiry binds a kind's limits to its count and delete; the batch size is the delete's last
// argument.
func expiry(kind, count, del string, limits ...any) Expiry {
	return Expiry{
		Kind: kind,
		Count: func(ctx context.Context, db sqlx.QueryerContext) (int64, error) {
			var n int64
			err := sqlx.GetContext(ctx, db, &n, count, limits...)
			return n, err
		},
		DeleteBatch: func(ctx context.Context, db sqlx.ExecerContext, size int) (int64, error) {
			res, err := db.ExecContext(ctx, del, append(append([]any{}, limits...), size)...)
			if err != nil {
				return 0, err
			}
			return res.RowsAffected()
		},
	}
}
