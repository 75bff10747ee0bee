package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/speks-portal/speks/modules/foundation/auditlog"
	"github.com/speks-portal/speks/tenant"
)

// inTx runs fn in a transaction on the tenant's handle, committing when it returns nil.
func inTx(ctx context.Context, sc *tenant.Scope, fn func(tx *sqlx.Tx) error) error {
	return tenant.InTx(ctx, sc.DB, fn)
}

// audit writes one entry of the tenant's audit_log. detail holds before/after values; never
// a secret.
func audit(ctx context.Context, tx sqlx.ExecerContext, actorID int64, actor, action string, userID int64, detail map[string]any) error {
	return auditlog.Write(ctx, tx, auditlog.Entry{ActorUserID: actorID, Actor: actor, Action: action, UserID: userID, Detail: detail})
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// isUniqueViolation reports PostgreSQL's unique_violation (23505).
func isUniqueViolation(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "23505"
}

func nilIfNoRows[T any](v *T, err error) (*T, error) {
	if isNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read master record: %w", err)
	}
	return v, nil
}

func stringArray(v []string) pq.StringArray { return pq.StringArray(v) }

func intArray(v []int) pq.Int64Array {
	out := make(pq.Int64Array, len(v))
	for i, n := range v {
		out[i] = int64(n)
	}
	return out
}
