package records

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/speks-portal/speks/modules/foundation/ids"
	"github.com/speks-portal/speks/modules/foundation/money"
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

// PaymentSummary is one line of the eMaklum list (docs/API.md "Records").
type PaymentSummary struct {
	Ref         string    `json:"ref" db:"ref"`
	VoucherNo   string    `json:"voucher_no" db:"voucher_no"`
	ChequeEFTNo string    `json:"cheque_eft_no" db:"cheque_eft_no"`
	PaymentDate string    `json:"payment_date" db:"payment_date"`
	Amount      money.Sen `json:"amount" db:"amount"`
	Status      string    `json:"status" db:"status"`
	PayerPTJ    string    `json:"payer_ptj" db:"payer_ptj"`
	Description string    `json:"description" db:"description"`
	// PaymentMethod is "cheque" or "eft" (see paymentColumns): it decides what the payee
	// proves to open the detail.
	PaymentMethod string `json:"payment_method" db:"payment_method"`
}

// Payment methods, as paymentColumns derives them.
const (
	MethodCheque = "cheque"
	MethodEFT    = "eft"
)

// IsCheque reports whether the payment was made by cheque.
func (s PaymentSummary) IsCheque() bool { return s.PaymentMethod == MethodCheque }

// withheld is the summary as lists and the account-check form show it: a cheque's number is
// what its payee types to open the detail (they hold the cheque; a cheque has no bank account
// of theirs to check), so it is shown only once they have.
func (s PaymentSummary) withheld() PaymentSummary {
	if s.IsCheque() {
		s.ChequeEFTNo = ""
	}
	return s
}

// Invoice is one invoice a payment settles.
type Invoice struct {
	InvoiceNo string    `json:"invoice_no" db:"invoice_no"`
	Amount    money.Sen `json:"amount" db:"amount"`
}

// StatusChange is one entry of a payment's status history: the day the status happened, as
// the accounting system reports it, and when the portal learnt of it.
type StatusChange struct {
	Status     string    `json:"status" db:"status"`
	StatusDate string    `json:"status_date" db:"status_date"`
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

// paymentColumns are the list columns of payments aliased p. The feed's cheque_eft_no tells
// the method: a cheque number is the cheque's printed serial, digits only, while EFT
// references carry letters (SPEKS writes them "EFT…").
const paymentColumns = `p.ref, p.voucher_no, p.cheque_eft_no, to_char(p.payment_date, 'YYYY-MM-DD') AS payment_date,
	p.amount, p.status, coalesce(nullif(p.ptj_name, ''), p.ptj_code) AS payer_ptj, p.description,
	CASE WHEN p.cheque_eft_no ~ '^[0-9]+$' THEN '` + MethodCheque + `' ELSE '` + MethodEFT + `' END AS payment_method`

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
	for i := range out {
		out[i] = out[i].withheld()
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

// proofMatches compares what the payee typed with what proves the payment is theirs — the
// cheque number of a cheque, the account number an EFT went to — in constant time, ignoring
// spaces and dashes. An empty stored value never matches.
func (r *paymentRow) proofMatches(typed string) bool {
	stored := r.Account
	if r.IsCheque() {
		stored = r.ChequeEFTNo
	}
	want, got := normaliseAccount(stored), normaliseAccount(typed)
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

// loadPaymentDetail adds invoices and status history to a found payment.
func loadPaymentDetail(ctx context.Context, db sqlx.QueryerContext, r *paymentRow) (*Payment, error) {
	p := &Payment{PaymentSummary: r.PaymentSummary, PayeeName: r.PayeeName, PTJCode: r.PTJCode, Bank: r.Bank,
		AccountMasked: ids.Mask(r.Account), id: r.ID, payeeID: r.PayeeID,
		Invoices: []Invoice{}, History: []StatusChange{}}
	if err := sqlx.SelectContext(ctx, db, &p.Invoices,
		`SELECT invoice_no, amount FROM payment_invoices WHERE payment_id = $1 ORDER BY seq`, r.ID); err != nil {
		return nil, fmt.Errorf("payment invoices: %w", err)
	}
	if err := sqlx.SelectContext(ctx, db, &p.History,
		`SELECT status, to_char(status_date, 'YYYY-MM-DD') AS status_date, recorded_at FROM payment_status_history
		WHERE payment_id = $1 ORDER BY recorded_at, id`, r.ID); err != nil {
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
