package feed

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// The payments feed (eMaklum): one row per invoice line of a payment; the payment's own
// columns repeat on each of its rows and must agree. A payment is upserted by its ref, its
// invoice lines replaced as a set, and every change of status appended to its history.
// The payee must be known: staff by IC number in the payroll master, suppliers by either
// form of their company number in the supplier master.
//
// status_date (optional, YYYY-MM-DD) is the day the payment reached its status: paid out on
// the payment date, received by the bank a working day or two later. The history shows it,
// because the day the portal imported a row says nothing to a supplier. A feed without the
// column (or a row leaving it empty) means the payment date, as feeds did before it existed.

const (
	payPayeeType = iota
	payPayeeID
	payPayeeName
	payRef
	payVoucherNo
	payChequeEFTNo
	payDate
	payAmount
	payStatus
	payPTJCode
	payPTJName
	payDescription
	payBankAccount
	payInvoiceNo
	payInvoiceAmount
	payStatusDate
)

// PaymentStatuses are the payment status values of docs/API.md "Feeds".
var PaymentStatuses = []string{"sent_to_bank", "received_by_bank", "failed", "issued", "cancelled"}

// paymentColumns are the payment-level columns, which must agree on all rows of one ref.
var paymentColumns = []string{"payee_type", "payee_id", "payee_name", "voucher_no", "cheque_eft_no",
	"payment_date", "amount", "status", "status_date", "ptj_code", "ptj_name", "description", "bank_account"}

func init() {
	register(&kindSpec{
		kind: Payments,
		columns: []column{
			{"payee_type", true, 10}, {"payee_id", true, 60}, {"payee_name", true, 200}, {"ref", true, 60},
			{"voucher_no", false, 60}, {"cheque_eft_no", false, 60}, {"payment_date", true, 10},
			{"amount", true, 20}, {"status", true, 20}, {"ptj_code", false, 30}, {"ptj_name", false, 200},
			{"description", false, 500}, {"bank_account", false, 40}, {"invoice_no", false, 60},
			{"invoice_amount", false, 20}, {"status_date", false, 10},
		},
		omit: []string{"status_date"},
		stageDDL: `payee_type text, payee_id text, payee_ic text, payee_reg_new text, payee_reg_old text,
			payee_name text, ref text, voucher_no text, cheque_eft_no text, payment_date date, amount numeric(14,2),
			status text, ptj_code text, ptj_name text, description text, bank_account text, invoice_no text,
			invoice_amount numeric(14,2), status_date date`,
		stageColumns: []string{"payee_type", "payee_id", "payee_ic", "payee_reg_new", "payee_reg_old",
			"payee_name", "ref", "voucher_no", "cheque_eft_no", "payment_date", "amount", "status", "ptj_code",
			"ptj_name", "description", "bank_account", "invoice_no", "invoice_amount", "status_date"},
		convert: convertPaymentLine,
		check:   checkPayments,
		apply:   applyPayments,
	})
}

func convertPaymentLine(r *row, out []any) bool {
	payeeType := r.oneOf(payPayeeType, CodeInvalidValue, "", "supplier", "staff")
	out[0] = payeeType
	out[1], out[2], out[3], out[4] = "", nil, nil, nil
	switch payeeType {
	case "staff":
		ic := r.ic(payPayeeID)
		out[1], out[2] = ic, ic
	case "supplier":
		no := r.companyNo(payPayeeID)
		out[1], out[3], out[4] = no.String(), nullable(no.New), nullable(no.Old)
	}
	out[5] = r.text(payPayeeName)
	out[6] = r.text(payRef)
	out[7] = r.text(payVoucherNo)
	out[8] = r.text(payChequeEFTNo)
	out[9] = r.date(payDate)
	amount, _ := r.amount(payAmount, positive)
	out[10] = amount.String()
	out[11] = r.oneOf(payStatus, CodeInvalidStatus, "", PaymentStatuses...)
	for i, col := range []int{payPTJCode, payPTJName, payDescription, payBankAccount, payInvoiceNo} {
		out[12+i] = r.text(col)
	}
	out[18] = statusDate(r, out[9].(string))
	out[17] = nil
	switch {
	case r.text(payInvoiceNo) != "" && r.text(payInvoiceAmount) == "":
		r.fail(payInvoiceAmount, CodeRequired, "required when invoice_no is given")
	case r.text(payInvoiceNo) == "" && r.text(payInvoiceAmount) != "":
		r.fail(payInvoiceNo, CodeRequired, "required when invoice_amount is given")
	case r.text(payInvoiceNo) != "":
		invoice, _ := r.amount(payInvoiceAmount, nonZero)
		out[17] = invoice.String()
	}
	return !r.bad
}

// statusDate is the row's status_date, NULL when it is empty (resolvePayees puts the payment
// date in its place once the rows of a payment were compared). A payment cannot reach a
// status before it was made.
func statusDate(r *row, paid string) any {
	if r.text(payStatusDate) == "" {
		return nil
	}
	d := r.date(payStatusDate)
	if d != "" && paid != "" && d < paid {
		r.fail(payStatusDate, CodeInvalidDate, "must not be before payment_date")
	}
	return d
}

func checkPayments(ctx context.Context, tx *sqlx.Tx) ([]RowError, error) {
	list := []func(context.Context, *sqlx.Tx) ([]RowError, error){
		duplicateCheck("duplicate invoice lines", "ref, invoice_no", "", "the same payment ref and invoice_no"),
		consistencyCheck("invoice presence", "ref", "invoice_no = ''", "invoice_no",
			"a payment lists invoices on all its rows or on none; invoice_no empty is"),
	}
	mixed, err := paymentsDisagree(ctx, tx)
	if err != nil {
		return nil, err
	}
	if mixed {
		for _, col := range paymentColumns {
			list = append(list, consistencyCheck("payment "+col, "ref", col, col, "another "+col+" for the same payment ref"))
		}
	}
	list = append(list, resolvePayees)
	return checks(ctx, tx, list...)
}

// paymentsDisagree is the cheap test (one hash aggregate) that decides whether the
// per-column consistency checks need to run at all.
func paymentsDisagree(ctx context.Context, tx *sqlx.Tx) (bool, error) {
	var mixed bool
	err := tx.GetContext(ctx, &mixed, `SELECT EXISTS (
		SELECT 1 FROM (SELECT ref, hashtextextended(concat_ws(E'\x1f', payee_type, payee_id, payee_name,
			voucher_no, cheque_eft_no, payment_date, amount, status, status_date, ptj_code, ptj_name, description,
			bank_account), 0) AS h
			FROM pg_temp.feed_stage) r
		GROUP BY ref HAVING min(h) <> max(h))`)
	if err != nil {
		return false, wrap("check payment consistency", err)
	}
	return mixed, nil
}

// resolvePayees builds feed_payments, one row per ref with its resolved payee and invoice
// digest (kept for apply), and reports payees that are unknown or ambiguous.
func resolvePayees(ctx context.Context, tx *sqlx.Tx) ([]RowError, error) {
	if _, err := exec(ctx, tx, "resolve payees", `
		CREATE TEMP TABLE feed_payments ON COMMIT DROP AS
		SELECT p.*, n.id AS by_new, o.id AS by_old, coalesce(n.id, o.id) AS supplier_id,
			n.reg_no_old AS by_new_old, o.reg_no_new AS by_old_new,
			EXISTS (SELECT 1 FROM employees e WHERE e.ic_no = p.payee_ic) AS staff_known,
			i.digest
		FROM (SELECT DISTINCT ON (ref) * FROM pg_temp.feed_stage ORDER BY ref, line) p
		JOIN (SELECT ref, coalesce(bit_xor(hashtextextended(concat_ws(E'\x1f', invoice_no, invoice_amount), 0))
				FILTER (WHERE invoice_no <> ''), 0) AS digest
			FROM pg_temp.feed_stage GROUP BY ref) i USING (ref)
		LEFT JOIN suppliers n ON n.reg_no_new = p.payee_reg_new
		LEFT JOIN suppliers o ON o.reg_no_old = p.payee_reg_old`); err != nil {
		return nil, err
	}
	if _, err := exec(ctx, tx, "default status dates", `
		UPDATE pg_temp.feed_payments SET status_date = payment_date WHERE status_date IS NULL`); err != nil {
		return nil, err
	}
	return queryErrors(ctx, tx, "payees", `
		SELECT line, 'payee_id' AS "column",
			CASE WHEN payee_type = 'staff' OR supplier_id IS NULL THEN '`+CodeUnknownPayee+`'
				ELSE '`+CodeRegNoConflict+`' END AS code,
			CASE WHEN payee_type = 'staff' THEN 'no employee with this IC number in the payroll master'
				WHEN supplier_id IS NULL THEN 'no supplier with this company number in the supplier master; send the suppliers feed first'
				WHEN by_new <> by_old THEN 'the new-style and the old-style number belong to two different suppliers'
				ELSE 'the supplier registered with one of these numbers has another number of the other form' END AS message
		FROM pg_temp.feed_payments
		WHERE (payee_type = 'staff' AND NOT staff_known)
			OR (payee_type = 'supplier' AND (supplier_id IS NULL OR by_new <> by_old
				OR by_new_old <> payee_reg_old OR by_old_new <> payee_reg_new))
		ORDER BY line`)
}

func applyPayments(ctx context.Context, tx *sqlx.Tx, batch int64) (counts, []RowError, error) {
	c, err := classify(ctx, tx, "payments", `
		CREATE TEMP TABLE feed_payment_changes ON COMMIT DROP AS
		SELECT f.*, e.id IS NULL AS is_new, e.id AS payment_id, e.status IS DISTINCT FROM f.status AS status_changed,
			e.status_date IS DISTINCT FROM f.status_date AS status_date_changed
		FROM pg_temp.feed_payments f
		LEFT JOIN payments e USING (ref)
		WHERE e.id IS NULL OR (e.payee_type, e.supplier_id, e.employee_ic, e.payee_id, e.payee_name, e.voucher_no,
				e.cheque_eft_no, e.payment_date, e.amount, e.status, e.status_date, e.ptj_code, e.ptj_name,
				e.description, e.bank_account, e.invoices_digest)
			IS DISTINCT FROM (f.payee_type, f.supplier_id, f.payee_ic, f.payee_id, f.payee_name, f.voucher_no,
				f.cheque_eft_no, f.payment_date, f.amount, f.status, f.status_date, f.ptj_code, f.ptj_name,
				f.description, f.bank_account, f.digest)`,
		`pg_temp.feed_payments`, `pg_temp.feed_payment_changes`)
	if err != nil || c.inserted+c.updated == 0 {
		return c, nil, err
	}
	// A payment sent for the first time has no invoice lines to delete nor a status date
	// to correct: those steps (joins against every payment the tenant has) are skipped.
	for _, step := range []struct {
		what, query string
		args        []any
		onlyUpdates bool
	}{
		{"upsert payments", `
			WITH up AS (
				INSERT INTO payments (ref, payee_type, supplier_id, employee_ic, payee_id, payee_name, voucher_no,
					cheque_eft_no, payment_date, amount, status, status_date, ptj_code, ptj_name, description,
					bank_account, invoices_digest, batch_id)
				SELECT ref, payee_type, supplier_id, payee_ic, payee_id, payee_name, voucher_no, cheque_eft_no,
					payment_date, amount, status, status_date, ptj_code, ptj_name, description, bank_account, digest, $1
				FROM pg_temp.feed_payment_changes ORDER BY line
				ON CONFLICT (ref) DO UPDATE SET payee_type = EXCLUDED.payee_type, supplier_id = EXCLUDED.supplier_id,
					employee_ic = EXCLUDED.employee_ic, payee_id = EXCLUDED.payee_id, payee_name = EXCLUDED.payee_name,
					voucher_no = EXCLUDED.voucher_no, cheque_eft_no = EXCLUDED.cheque_eft_no,
					payment_date = EXCLUDED.payment_date, amount = EXCLUDED.amount, status = EXCLUDED.status,
					status_date = EXCLUDED.status_date,
					ptj_code = EXCLUDED.ptj_code, ptj_name = EXCLUDED.ptj_name, description = EXCLUDED.description,
					bank_account = EXCLUDED.bank_account, invoices_digest = EXCLUDED.invoices_digest,
					batch_id = EXCLUDED.batch_id, updated_at = now()
				RETURNING id, ref)
			UPDATE pg_temp.feed_payment_changes c SET payment_id = up.id FROM up WHERE c.ref = up.ref`, []any{batch}, false},
		{"delete replaced invoice lines", `
			DELETE FROM payment_invoices i USING pg_temp.feed_payment_changes c
			WHERE NOT c.is_new AND i.payment_id = c.payment_id`, nil, true},
		{"insert invoice lines", `
			INSERT INTO payment_invoices (payment_id, seq, invoice_no, amount)
			SELECT c.payment_id, s.line, s.invoice_no, s.invoice_amount
			FROM pg_temp.feed_stage s JOIN pg_temp.feed_payment_changes c USING (ref)
			WHERE s.invoice_no <> ''`, nil, false},
		{"append status history", `
			INSERT INTO payment_status_history (payment_id, status, status_date, batch_id)
			SELECT payment_id, status, status_date, $1 FROM pg_temp.feed_payment_changes
			WHERE is_new OR status_changed ORDER BY line`, []any{batch}, false},
		// The same status on another day is the accounting system correcting the date, not a
		// new event: the latest entry takes the date instead of a second one being added.
		{"correct status dates", `
			UPDATE payment_status_history h SET status_date = c.status_date
			FROM pg_temp.feed_payment_changes c
			WHERE NOT c.is_new AND NOT c.status_changed AND c.status_date_changed
				AND h.id = (SELECT max(id) FROM payment_status_history l WHERE l.payment_id = c.payment_id)`, nil, true},
	} {
		if step.onlyUpdates && c.updated == 0 {
			continue
		}
		if _, err := exec(ctx, tx, step.what, step.query, step.args...); err != nil {
			return counts{}, nil, err
		}
	}
	return c, nil, nil
}
