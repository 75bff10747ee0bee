package records

import (
	"context"

	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/foundation/auditlog"
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

// audit records an action of the logged-in person on their own records. The actor is
// written out — the login ID masked to its last four characters and the account number, as
// "********5523 #42" — so the IT officer reading the trail sees who opened a payment or
// typed a wrong account number without looking the account up; the entry is also about that
// account, so a search by account number finds it.
func (w who) audit(ctx context.Context, action, subject string, detail map[string]any) error {
	return w.auditIn(ctx, w.scope.DB, action, subject, detail)
}

// auditIn is audit inside the caller's unit of work.
func (w who) auditIn(ctx context.Context, db sqlx.ExecerContext, action, subject string, detail map[string]any) error {
	return auditlog.Write(ctx, db, auditlog.Entry{ActorUserID: w.p.UserID,
		Actor: w.p.MaskedLoginID() + " #" + itoa64(w.p.UserID), Action: action, Subject: subject,
		UserID: w.p.UserID, Detail: detail})
}
