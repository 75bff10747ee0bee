// Package auditlog writes the tenant's audit trail (the audit_log table every module's
// actions go to and the IT officer searches). One writer, so every entry has the same shape:
// who (an account id and/or a readable actor), what (action, subject), about whom (user id)
// and detail. Neither subject nor detail may hold a password, a code or a full IC or company
// number: callers pass account numbers and masked values.
package auditlog

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// Entry is one audit_log row; zero ids are stored as NULL.
type Entry struct {
	ActorUserID int64
	Actor       string
	Action      string
	Subject     string
	UserID      int64
	Detail      map[string]any
}

// Write inserts e through db (a transaction, to make the entry part of the change it records).
func Write(ctx context.Context, db sqlx.ExecerContext, e Entry) error {
	if e.Detail == nil {
		e.Detail = map[string]any{}
	}
	buf, err := json.Marshal(e.Detail)
	if err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO audit_log (actor_user_id, actor, action, subject, user_id, detail)
		VALUES ($1, $2, $3, $4, $5, $6)`, nullID(e.ActorUserID), e.Actor, e.Action, e.Subject, nullID(e.UserID), string(buf)); err != nil { // jsonb as text: the pool sends []byte in binary
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
