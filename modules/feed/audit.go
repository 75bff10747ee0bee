package feed

import (
	"context"
	"strconv"

	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/foundation/auditlog"
)

// Audit actions of feeds in the tenant's audit_log (the admin console's audit search finds
// them with action "feed.").
const (
	ActionImport   = "feed.import"
	ActionRejected = "feed.rejected"
)

// hashPrefix is how much of the file's SHA-256 the trail keeps: enough to match a batch
// and a file the sender still has, without the trail repeating the batch table.
const hashPrefix = 12

// auditImport records a committed batch, in the import's transaction, so a batch and its
// trail entry exist together or not at all. Counts and the hash only: never row contents.
func (imp *importer) auditImport(ctx context.Context, tx *sqlx.Tx, res *Result) error {
	sum := imp.src.sum()
	if len(sum) > hashPrefix {
		sum = sum[:hashPrefix]
	}
	return writeAudit(ctx, tx, imp.opts.Actor, ActionImport, "batch:"+strconv.FormatInt(res.BatchID, 10), map[string]any{
		"kind": imp.spec.kind, "rows": res.Rows, "inserted": res.Inserted, "updated": res.Updated,
		"unchanged": res.Unchanged, "hash": sum,
	})
}

// auditRejected records a refused file on the tenant's pool: the import's transaction was
// rolled back, and the refusal must stay in the trail. Only the error count is kept, as the
// errors quote the file's values.
func (imp *importer) auditRejected(ctx context.Context, res *Result) error {
	detail := map[string]any{"kind": imp.spec.kind, "errors": 0}
	if res != nil {
		detail["rows"], detail["errors"] = res.Rows, len(res.Errors)
	}
	return writeAudit(context.WithoutCancel(ctx), imp.scope.DB, imp.opts.Actor, ActionRejected,
		"feed:"+string(imp.spec.kind), detail)
}

func writeAudit(ctx context.Context, db sqlx.ExecerContext, actor, action, subject string, detail map[string]any) error {
	return auditlog.Write(ctx, db, auditlog.Entry{Actor: actor, Action: action, Subject: subject, Detail: detail})
}
