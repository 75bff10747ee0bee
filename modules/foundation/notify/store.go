package notify

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/speks-portal/speks/tenant"
)

// Row statuses of the outbox table (migrations/tenant/00002_outbox.sql).
const (
	StatusPending = "pending"
	StatusQueued  = "queued"
	StatusSending = "sending"
	StatusSent    = "sent"
	StatusFailed  = "failed"
)

// outboxRow is what the sender needs of a row it has claimed.
type outboxRow struct {
	ID       int64           `db:"id"`
	To       string          `db:"recipient"`
	Template string          `db:"template"`
	Lang     string          `db:"lang"`
	Data     json.RawMessage `db:"data"`
	Attempts int             `db:"attempts"`
}

// claimOutcome says why a claim returned no row.
type claimOutcome int

const (
	claimed   claimOutcome = iota
	claimGone              // no such row in this tenant (purged, or the task names another tenant's id)
	claimDone              // already sent or failed: nothing to do, which is what makes redelivery safe
	claimBusy              // another worker holds a live lease on it
)

// claim takes the row for one send attempt: it becomes 'sending' with a lease, so a second
// delivery of the same task finds it busy (or done) instead of sending it again. A lease left
// by a worker that died runs out, and the next delivery takes the row over.
func claim(ctx context.Context, db *tenant.DB, id int64, lease time.Duration) (outboxRow, claimOutcome, error) {
	var row outboxRow
	err := db.GetContext(ctx, &row, `UPDATE outbox
		SET status = 'sending', attempts = attempts + 1, lease_until = now() + $2 * interval '1 millisecond', updated_at = now()
		WHERE id = $1 AND (status IN ('pending', 'queued') OR (status = 'sending' AND lease_until < now()))
		RETURNING id, recipient, template, lang, data, attempts`, id, lease.Milliseconds())
	if err == nil {
		return row, claimed, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return row, 0, fmt.Errorf("claim outbox row %d: %w", id, err)
	}
	var status string
	err = db.GetContext(ctx, &status, `SELECT status FROM outbox WHERE id = $1`, id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return row, claimGone, nil
	case err != nil:
		return row, 0, fmt.Errorf("read outbox row %d: %w", id, err)
	case status == StatusSent || status == StatusFailed:
		return row, claimDone, nil
	}
	return row, claimBusy, nil
}

// markSent records the delivery and drops the template values (they may hold a one-time code).
func markSent(ctx context.Context, db *tenant.DB, id int64) error {
	_, err := db.ExecContext(ctx, `UPDATE outbox SET status = 'sent', sent_at = now(), lease_until = NULL,
		last_error = '', data = '{}'::jsonb, updated_at = now() WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("mark outbox row %d sent: %w", id, err)
	}
	return nil
}

// markRetry hands the row back to its task's next retry with the error of this attempt.
func markRetry(ctx context.Context, db *tenant.DB, id int64, lastErr string) error {
	_, err := db.ExecContext(ctx, `UPDATE outbox SET status = 'queued', lease_until = NULL, last_error = $2,
		updated_at = now() WHERE id = $1 AND status = 'sending'`, id, lastErr)
	if err != nil {
		return fmt.Errorf("mark outbox row %d for retry: %w", id, err)
	}
	return nil
}

// markFailed gives up on the row: it stays visible to IT officers (Failed) with its last
// error, without its template values.
func markFailed(ctx context.Context, db *tenant.DB, id int64, lastErr string) error {
	_, err := db.ExecContext(ctx, `UPDATE outbox SET status = 'failed', failed_at = now(), lease_until = NULL,
		last_error = $2, data = '{}'::jsonb, updated_at = now() WHERE id = $1`, id, lastErr)
	if err != nil {
		return fmt.Errorf("mark outbox row %d failed: %w", id, err)
	}
	return nil
}

// selectForRelay locks up to limit rows the relay should hand to Asynq: pending ones, and
// queued ones not touched for staleAfter (their task may have been lost with Redis's data; the
// stable task ID makes re-enqueueing a live one a no-op). SKIP LOCKED lets several workers'
// relays run at once without waiting for, or double-handling, each other's rows.
func selectForRelay(ctx context.Context, tx *sqlx.Tx, limit int, staleAfter time.Duration) ([]int64, error) {
	var ids []int64
	err := tx.SelectContext(ctx, &ids, `SELECT id FROM outbox
		WHERE status = 'pending'
		   OR (status = 'queued' AND queued_at < now() - $2 * interval '1 millisecond')
		ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`, limit, staleAfter.Milliseconds())
	if err != nil {
		return nil, fmt.Errorf("select outbox rows to relay: %w", err)
	}
	return ids, nil
}

func markQueued(ctx context.Context, tx *sqlx.Tx, ids []int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE outbox SET status = 'queued', queued_at = now(), updated_at = now()
		WHERE id = ANY($1)`, pq.Int64Array(ids))
	if err != nil {
		return fmt.Errorf("mark %d outbox rows queued: %w", len(ids), err)
	}
	return nil
}

// FailedMail is a mail the worker gave up on, for the IT officers' console. It carries no
// template values: they were dropped when the row failed.
type FailedMail struct {
	ID        int64     `db:"id" json:"id"`
	To        string    `db:"recipient" json:"to"`
	Template  string    `db:"template" json:"template"`
	Lang      string    `db:"lang" json:"lang"`
	Attempts  int       `db:"attempts" json:"attempts"`
	LastError string    `db:"last_error" json:"last_error"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
	FailedAt  time.Time `db:"failed_at" json:"failed_at"`
}

// Failed lists the tenant's failed mail, newest first, at most limit rows (1–1000). db is the
// tenant's handle (tenant.Scope.DB).
func Failed(ctx context.Context, db sqlx.QueryerContext, limit int) ([]FailedMail, error) {
	limit = min(max(limit, 1), 1000)
	mails := []FailedMail{}
	err := sqlx.SelectContext(ctx, db, &mails, `SELECT id, recipient, template, lang, attempts, last_error,
		created_at, failed_at FROM outbox WHERE status = 'failed' ORDER BY failed_at DESC, id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("list failed mail: %w", err)
	}
	return mails, nil
}

// purgeBatch keeps each delete short, so a purge never holds locks long enough to stall the
// relay or the sender.
const purgeBatch = 5000

// Purge deletes the tenant's sent and failed outbox rows whose sending or failure is older than
// olderThan, in batches, and returns how many it deleted. Pending and in-flight rows are never
// purged. Failed rows go too: they exist to be looked at, and after the retention period they
// are only personal data (addresses) nobody needs.
func Purge(ctx context.Context, db sqlx.ExecerContext, olderThan time.Duration) (int64, error) {
	if olderThan <= 0 {
		return 0, errors.New("purge outbox: olderThan must be positive")
	}
	var total int64
	for {
		res, err := db.ExecContext(ctx, `DELETE FROM outbox WHERE id IN (
			SELECT id FROM outbox
			WHERE (status = 'sent' AND sent_at < now() - $1 * interval '1 millisecond')
			   OR (status = 'failed' AND failed_at < now() - $1 * interval '1 millisecond')
			LIMIT $2)`, olderThan.Milliseconds(), purgeBatch)
		if err != nil {
			return total, fmt.Errorf("purge outbox: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("purge outbox: %w", err)
		}
		total += n
		if n < purgeBatch {
			return total, nil
		}
	}
}
