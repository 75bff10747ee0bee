package main

// The purges of other modules that a retention run performs besides the feed records: the
// mail outbox (modules/foundation/notify) and verification tokens and payment unlocks
// (modules/records). The composition root hands them to retention.Run, so package retention
// depends on none of those modules. The periods and their reasons are in package retention's
// documentation.

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/foundation/notify"
	"github.com/speks-portal/speks/modules/records"
	"github.com/speks-portal/speks/modules/retention"
)

// Count keys in the retention report and the retention_runs record.
const (
	sweptOutbox         = "outbox"
	sweptDocumentTokens = "document_tokens"
	sweptPaymentUnlocks = "payment_unlocks"
)

// retentionSweeps is what the worker's nightly job and `speks retention run` hand to retention.Run.
func retentionSweeps() []retention.Sweep {
	return []retention.Sweep{outboxSweep(), verificationSweep()}
}

// outboxSweep purges sent and failed mail older than retention.OutboxRetention.
func outboxSweep() retention.Sweep {
	return retention.Sweep{Name: "outbox", Purge: func(ctx context.Context, db sqlx.ExtContext, _ time.Time, counts map[string]int64) error {
		n, err := notify.Purge(ctx, db, retention.OutboxRetention)
		counts[sweptOutbox] = n
		return err
	}}
}

// verificationSweep purges verification tokens issued before the records' cut-off and expired
// payment unlocks.
func verificationSweep() retention.Sweep {
	return retention.Sweep{Name: "verification", Purge: func(ctx context.Context, db sqlx.ExtContext, cutoff time.Time, counts map[string]int64) error {
		res, err := records.Purge(ctx, db, cutoff)
		counts[sweptDocumentTokens], counts[sweptPaymentUnlocks] = res.Tokens, res.Unlocks
		return err
	}}
}
