package records

import (
	"context"

	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/auditlog"
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

// audit writes one entry of the tenant's audit trail: who (actorID, 0 for the public),
// what (action, subject), when (now) and detail. Detail never holds IC or account numbers.
func audit(ctx context.Context, db sqlx.ExecerContext, actorID int64, action, subject string, detail map[string]any) error {
	return auditlog.Write(ctx, db, auditlog.Entry{ActorUserID: actorID, Action: action, Subject: subject, Detail: detail})
}
