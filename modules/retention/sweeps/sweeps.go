// Package sweeps lists the purges of other modules that a retention run performs besides the
// feed records: the mail outbox (modules/notify) and verification tokens and payment unlocks
// (modules/records). It is a package of its own so that package retention depends on none of
// them (modules/feed's benchmark imports retention, and records imports feed). The periods
// and their reasons are in package retention's documentation.
package sweeps

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/notify"
	"github.com/speks-portal/speks/modules/records"
	"github.com/speks-portal/speks/modules/retention"
)

// Count keys in the retention report and the retention_runs record.
const (
	KindOutbox         = "outbox"
	KindDocumentTokens = "document_tokens"
	KindPaymentUnlocks = "payment_unlocks"
)

// All is what the worker's nightly job and `speks retention run` hand to retention.Run.
func All() []retention.Sweep {
	return []retention.Sweep{Outbox(), Verification()}
}

// Outbox purges sent and failed mail older than retention.OutboxRetention.
func Outbox() retention.Sweep {
	return retention.Sweep{Name: "outbox", Purge: func(ctx context.Context, db sqlx.ExtContext, _ time.Time, counts map[string]int64) error {
		n, err := notify.Purge(ctx, db, retention.OutboxRetention)
		counts[KindOutbox] = n
		return err
	}}
}

// Verification purges verification tokens issued before the records' cut-off and expired
// payment unlocks.
func Verification() retention.Sweep {
	return retention.Sweep{Name: "verification", Purge: func(ctx context.Context, db sqlx.ExtContext, cutoff time.Time, counts map[string]int64) error {
		res, err := records.Purge(ctx, db, cutoff)
		counts[KindDocumentTokens], counts[KindPaymentUnlocks] = res.Tokens, res.Unlocks
		return err
	}}
}
