package retention

import (
	"context"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/foundation/auditlog"
)

// ActionPurge is the audit action of a retention run that deleted (not a dry run); the admin
// console's audit search finds it with action "retention.".
const ActionPurge = "retention.purge"

// auditPurge writes the run's entry in the tenant's audit_log, in the transaction that
// records the run: the officer's trail and retention_runs never disagree. The detail holds
// the cut-offs and counts per kind, and the error of a run that stopped half-way.
func auditPurge(ctx context.Context, tx *sqlx.Tx, rep *Report, actor, errText string) error {
	detail := map[string]any{
		"retention_months":       rep.RetentionMonths,
		"cutoff":                 rep.Cutoff,
		"statements_before_year": rep.StatementsBeforeYear,
		"batches_before":         rep.BatchesBefore.Format(time.DateOnly),
		"counts":                 rep.Counts,
	}
	if errText != "" {
		detail["error"] = errText
	}
	return auditlog.Write(ctx, tx, auditlog.Entry{Actor: actor, Action: ActionPurge,
		Subject: "retention_run:" + strconv.FormatInt(rep.RunID, 10), Detail: detail})
}
