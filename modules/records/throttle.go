package records

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Limit is a sliding-window throttle: at most Max events per Window in one bucket.
type Limit struct {
	Max    int
	Window time.Duration
}

// Throttles of this module.
var (
	// wrongAccountLimit: wrong account numbers one user may type (all payments together).
	wrongAccountLimit = Limit{Max: 5, Window: 15 * time.Minute}
	// verifyLimit: verification page views per client address.
	verifyLimit = Limit{Max: 60, Window: 10 * time.Minute}
)

// exceeded reports whether bucket already holds Max events inside the window.
func (l Limit) exceeded(ctx context.Context, db sqlx.QueryerContext, bucket string) (bool, error) {
	var n int
	err := sqlx.GetContext(ctx, db, &n, `
		SELECT count(*) FROM (SELECT 1 FROM throttle_events
			WHERE bucket = $1 AND at > now() - make_interval(secs => $2) LIMIT $3) x`,
		bucket, l.Window.Seconds(), l.Max)
	if err != nil {
		return false, fmt.Errorf("throttle %s: %w", bucket, err)
	}
	return n >= l.Max, nil
}

// record adds an event to bucket and forgets up to 50 events (of any bucket) older than a
// day, so the table stays the size of a day's traffic without a separate purge job.
func (l Limit) record(ctx context.Context, db sqlx.ExecerContext, bucket string) error {
	if _, err := db.ExecContext(ctx, `
		WITH gone AS (DELETE FROM throttle_events WHERE ctid = ANY (ARRAY(
			SELECT ctid FROM throttle_events WHERE at < now() - interval '1 day' LIMIT 50)))
		INSERT INTO throttle_events (bucket) VALUES ($1)`, bucket); err != nil {
		return fmt.Errorf("throttle %s: %w", bucket, err)
	}
	return nil
}
