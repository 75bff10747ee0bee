package feed

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/foundation/notify"
)

// Publishing makes Import tell people that a new document is ready: when a feed adds a
// payslip month (or an EC year) for someone with an active account, one mail per person —
// for the latest new month (year) of the file — goes into the outbox in the feed's own
// transaction, so it exists exactly when the payslip does. The mail carries a link and
// never an amount. The tenant turns it off with SetNotifyReady.
type Publishing struct {
	// BaseURL is the tenant portal's address the links start with, e.g.
	// https://p.ispeks.selangor.gov.my (no trailing slash).
	BaseURL string
}

// Paths of the portal pages the mails link to.
const (
	payslipPath   = "/payslips/%d/%d"
	statementPath = "/statements/%d"
)

// NotifyReady reports the tenant's policy: are "ready" mails sent?
func NotifyReady(ctx context.Context, db sqlx.QueryerContext) (bool, error) {
	var on bool
	if err := sqlx.GetContext(ctx, db, &on, `SELECT coalesce((SELECT notify_ready FROM feed_settings), true)`); err != nil {
		return false, fmt.Errorf("feed: read settings: %w", err)
	}
	return on, nil
}

// SetNotifyReady changes the tenant's policy.
func SetNotifyReady(ctx context.Context, db sqlx.ExecerContext, on bool) error {
	if _, err := db.ExecContext(ctx, `INSERT INTO feed_settings (notify_ready) VALUES ($1)
		ON CONFLICT (singleton) DO UPDATE SET notify_ready = EXCLUDED.notify_ready, updated_at = now()`, on); err != nil {
		return fmt.Errorf("feed: change settings: %w", err)
	}
	return nil
}

// readyMail is one person to tell, and about what.
type readyMail struct {
	Email string `db:"email"`
	Name  string `db:"name"`
	IC    string `db:"ic_no"`
	Year  int    `db:"year"`
	Month int    `db:"month"`
}

// publish queues the mails for the documents the batch added. It runs after apply, while
// the classification tables (feed_payslip_changes, feed_statement_changes) are still there.
func (imp *importer) publish(ctx context.Context, tx *sqlx.Tx) error {
	p := imp.opts.Publish
	if p == nil || (imp.spec.kind != Payslips && imp.spec.kind != Statements) {
		return nil
	}
	on, err := NotifyReady(ctx, tx)
	if err != nil || !on {
		return err
	}
	var mails []readyMail
	if err := tx.SelectContext(ctx, &mails, readyQuery(imp.spec.kind)); err != nil {
		return fmt.Errorf("feed %s: find people to notify: %w", imp.spec.kind, err)
	}
	base := strings.TrimSuffix(p.BaseURL, "/")
	for _, m := range mails {
		msg := notify.Message{To: m.Email, Template: notify.TemplateStatementReady,
			Data:     map[string]any{"name": m.Name, "year": m.Year, "link": base + fmt.Sprintf(statementPath, m.Year)},
			DedupKey: fmt.Sprintf("statement_ready:%s:%d", m.IC, m.Year)}
		if imp.spec.kind == Payslips {
			msg.Template = notify.TemplatePayslipReady
			msg.Data["month"] = m.Month
			msg.Data["link"] = base + fmt.Sprintf(payslipPath, m.Year, m.Month)
			msg.DedupKey = fmt.Sprintf("payslip_ready:%s:%d-%02d", m.IC, m.Year, m.Month)
		}
		if err := notify.Enqueue(ctx, tx, msg); err != nil {
			return fmt.Errorf("feed %s: queue ready mail: %w", imp.spec.kind, err)
		}
	}
	return nil
}

// readyQuery finds, per active account of a person with a new document in this batch, the
// latest such document.
func readyQuery(kind Kind) string {
	changes, month, order := "pg_temp.feed_payslip_changes", "c.month", "c.year DESC, c.month DESC"
	if kind == Statements {
		changes, month, order = "pg_temp.feed_statement_changes", "0", "c.year DESC"
	}
	return `SELECT DISTINCT ON (u.id) u.email, u.name, c.ic_no, c.year, ` + month + ` AS month
		FROM ` + changes + ` c
		JOIN users u ON u.employee_ic = c.ic_no AND u.status = 'active' AND u.email <> ''
		WHERE c.is_new
		ORDER BY u.id, ` + order
}
