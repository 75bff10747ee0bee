package records

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Payee is whom payments are read for: a supplier (by its id in the supplier master, which
// the feed resolved from any form of the company number) or a member of staff (claims).
type Payee struct {
	SupplierID int64
	EmployeeIC string
}

func (p Payee) valid() bool { return p.SupplierID != 0 || p.EmployeeIC != "" }

// where is the SQL condition selecting the payee's payments, with its argument as $n.
func (p Payee) where(n int) (string, any) {
	if p.SupplierID != 0 {
		return fmt.Sprintf("supplier_id = $%d", n), p.SupplierID
	}
	return fmt.Sprintf("employee_ic = $%d", n), p.EmployeeIC
}

// PaymentSummary is one line of the eMaklum list (API.md "Records").
type PaymentSummary struct {
	Ref         string `json:"ref" db:"ref"`
	VoucherNo   string `json:"voucher_no" db:"voucher_no"`
	ChequeEFTNo string `json:"cheque_eft_no" db:"cheque_eft_no"`
	PaymentDate string `json:"payment_date" db:"payment_date"`
	Amount      Money  `json:"amount" db:"amount"`
	Status      string `json:"status" db:"status"`
	PayerPTJ    string `json:"payer_ptj" db:"payer_ptj"`
	Description string `json:"description" db:"description"`
}

// Invoice is one invoice a payment settles.
type Invoice struct {
	InvoiceNo string `json:"invoice_no" db:"invoice_no"`
	Amount    Money  `json:"amount" db:"amount"`
}

// StatusChange is one entry of a payment's status history.
type StatusChange struct {
	Status     string    `json:"status" db:"status"`
	RecordedAt time.Time `json:"recorded_at" db:"recorded_at"`
}

// Payment is the detail shown once the account number matched.
type Payment struct {
	PaymentSummary
	PayeeName     string         `json:"payee_name"`
	PTJCode       string         `json:"ptj_code"`
	Bank          string         `json:"bank"`
	AccountMasked string         `json:"account_masked"`
	Invoices      []Invoice      `json:"invoices"`
	History       []StatusChange `json:"status_history"`
	Verification

	id      int64
	payeeID string
}

// paymentColumns are the list columns of payments aliased p.
const paymentColumns = `p.ref, p.voucher_no, p.cheque_eft_no, to_char(p.payment_date, 'YYYY-MM-DD') AS payment_date,
	p.amount, p.status, coalesce(nullif(p.ptj_name, ''), p.ptj_code) AS payer_ptj, p.description`

// ListPayments returns the payee's payments dated from..to (inclusive), newest first.
func ListPayments(ctx context.Context, db sqlx.QueryerContext, payee Payee, from, to time.Time) ([]PaymentSummary, error) {
	out := []PaymentSummary{}
	if !payee.valid() {
		return out, nil
	}
	cond, arg := payee.where(1)
	err := sqlx.SelectContext(ctx, db, &out, `SELECT `+paymentColumns+` FROM payments p
		WHERE p.`+cond+` AND p.payment_date BETWEEN $2 AND $3 ORDER BY p.payment_date DESC, p.ref`,
		arg, from.Format(time.DateOnly), to.Format(time.DateOnly))
	if err != nil {
		return nil, fmt.Errorf("list payments: %w", err)
	}
	return out, nil
}

// paymentRow is the payment with what matching the account and printing the detail need.
type paymentRow struct {
	PaymentSummary
	ID        int64  `db:"id"`
	PayeeID   string `db:"payee_id"`
	PayeeName string `db:"payee_name"`
	PTJCode   string `db:"ptj_code"`
	Account   string `db:"account"`
	Bank      string `db:"bank"`
}

// findPayment reads the payee's payment ref, or ErrNotFound (also when it is someone else's).
// The account it went to is the payment's own, else the one in the payee's master record.
func findPayment(ctx context.Context, db sqlx.QueryerContext, payee Payee, ref string) (*paymentRow, error) {
	if !payee.valid() {
		return nil, ErrNotFound
	}
	cond, arg := payee.where(2)
	var r paymentRow
	err := sqlx.GetContext(ctx, db, &r, `
		SELECT `+paymentColumns+`, p.id, p.payee_id, p.payee_name, p.ptj_code,
			coalesce(nullif(p.bank_account, ''), s.bank_account, e.bank_account, '') AS account,
			coalesce(s.bank_name, e.bank_name, '') AS bank
		FROM payments p
		LEFT JOIN suppliers s ON s.id = p.supplier_id
		LEFT JOIN employees e ON e.ic_no = p.employee_ic
		WHERE p.ref = $1 AND p.`+cond, ref, arg)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("find payment: %w", err)
	}
	return &r, nil
}

// accountMatches compares the typed account number with the payment's in constant time,
// ignoring spaces and dashes. An empty stored account never matches.
func (r *paymentRow) accountMatches(typed string) bool {
	want, got := normaliseAccount(r.Account), normaliseAccount(typed)
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

// loadPaymentDetail adds invoices and status history to a found payment.
func loadPaymentDetail(ctx context.Context, db sqlx.QueryerContext, r *paymentRow) (*Payment, error) {
	p := &Payment{PaymentSummary: r.PaymentSummary, PayeeName: r.PayeeName, PTJCode: r.PTJCode, Bank: r.Bank,
		AccountMasked: MaskAccount(r.Account), id: r.ID, payeeID: r.PayeeID,
		Invoices: []Invoice{}, History: []StatusChange{}}
	if err := sqlx.SelectContext(ctx, db, &p.Invoices,
		`SELECT invoice_no, amount FROM payment_invoices WHERE payment_id = $1 ORDER BY seq`, r.ID); err != nil {
		return nil, fmt.Errorf("payment invoices: %w", err)
	}
	if err := sqlx.SelectContext(ctx, db, &p.History,
		`SELECT status, recorded_at FROM payment_status_history WHERE payment_id = $1 ORDER BY recorded_at, id`, r.ID); err != nil {
		return nil, fmt.Errorf("payment status history: %w", err)
	}
	return p, nil
}

func (p *Payment) docKey() string { return "payment/" + p.Ref }

func (p *Payment) contentHash() string {
	h := newContentHasher("payment")
	h.add(p.Ref, p.payeeID, p.PayeeName, p.VoucherNo, p.ChequeEFTNo, p.PaymentDate, p.Amount.String(), p.Status, p.PayerPTJ)
	for _, inv := range p.Invoices {
		h.add(inv.InvoiceNo, inv.Amount.String())
	}
	return h.sum()
}

// unlockWindow is how long a matched account number keeps a payment's detail open to its
// payee (to print the advice) before the number must be typed again.
const unlockWindow = 30 * time.Minute

func unlockPayment(ctx context.Context, db sqlx.ExtContext, userID, paymentID int64) error {
	_, err := db.ExecContext(ctx, `
		INSERT INTO payment_unlocks (user_id, payment_id) VALUES ($1, $2)
		ON CONFLICT (user_id, payment_id) DO UPDATE SET unlocked_at = now()`, userID, paymentID)
	if err != nil {
		return fmt.Errorf("unlock payment: %w", err)
	}
	return nil
}

func isUnlocked(ctx context.Context, db sqlx.QueryerContext, userID, paymentID int64) (bool, error) {
	var ok bool
	err := sqlx.GetContext(ctx, db, &ok, `
		SELECT EXISTS (SELECT 1 FROM payment_unlocks WHERE user_id = $1 AND payment_id = $2
			AND unlocked_at > now() - make_interval(secs => $3))`, userID, paymentID, unlockWindow.Seconds())
	if err != nil {
		return false, fmt.Errorf("payment unlock: %w", err)
	}
	return ok, nil
}
