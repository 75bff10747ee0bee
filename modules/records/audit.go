package records

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// Audit actions this module writes. The admin audit view lists them.
const (
	ActionPayslipView        = "payslip.view"
	ActionPayslipPDF         = "payslip.pdf"
	ActionStatementView      = "statement.view"
	ActionStatementPDF       = "statement.pdf"
	ActionPaymentVerified    = "payment.account_verified"
	ActionPaymentMismatch    = "payment.account_mismatch"
	ActionPaymentThrottled   = "payment.account_throttled"
	ActionPaymentPDF         = "payment.pdf"
	ActionExport             = "account.export"
	ActionDocumentVerified   = "document.verified"
	ActionVerifyThrottled    = "document.verify_throttled"
	ActionPaymentDetailsView = "payment.view"
)

// auditInsert adds an entry to the tenant's audit trail.
const auditInsert = `INSERT INTO audit_log (actor_user_id, action, subject, detail) VALUES ($1, $2, $3, $4)`

// audit writes one entry of the tenant's audit trail: who (actorID, 0 for the public),
// what (action, subject), when (now) and detail. Detail never holds IC or account numbers.
func audit(ctx context.Context, db sqlx.ExecerContext, actorID int64, action, subject string, detail map[string]any) error {
	buf, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("audit detail: %w", err)
	}
	var actor any
	if actorID != 0 {
		actor = actorID
	}
	if _, err := db.ExecContext(ctx, auditInsert, actor, action, subject, buf); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}
