package records

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// PurgeResult counts what Purge removed.
type PurgeResult struct {
	Tokens  int64 `json:"document_tokens"`
	Unlocks int64 `json:"payment_unlocks"`
}

// Purge forgets verification tokens issued before cutoff (the retention cut-off: the records
// they confirm are gone, and a token keeps a holder's name and amount) and payment unlocks
// that have expired. The retention job calls it with the same cut-off it purges records by.
func Purge(ctx context.Context, db sqlx.ExtContext, cutoff time.Time) (PurgeResult, error) {
	var res PurgeResult
	r, err := db.ExecContext(ctx, `DELETE FROM document_tokens WHERE created_at < $1`, cutoff)
	if err != nil {
		return res, fmt.Errorf("purge verification tokens: %w", err)
	}
	res.Tokens, _ = r.RowsAffected()
	r, err = db.ExecContext(ctx, `DELETE FROM payment_unlocks WHERE unlocked_at < now() - make_interval(secs => $1)`,
		unlockWindow.Seconds())
	if err != nil {
		return res, fmt.Errorf("purge payment unlocks: %w", err)
	}
	res.Unlocks, _ = r.RowsAffected()
	return res, nil
}
