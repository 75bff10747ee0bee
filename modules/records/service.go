package records

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jmoiron/sqlx"
)

// These load a record and give it its verification token; baseURL is the tenant origin the
// QR code points to (https://<tenant host>).

// PayslipWithToken loads a payslip and issues its verification token.
func PayslipWithToken(ctx context.Context, db sqlx.ExtContext, ic string, year, month int, baseURL string) (*Payslip, error) {
	ps, err := LoadPayslip(ctx, db, ic, year, month)
	if err != nil {
		return nil, err
	}
	hash := ps.contentHash()
	token, err := issueToken(ctx, db, tokenSpec{docType: "payslip", docKey: ps.docKey(), contentHash: hash,
		holder: ps.Employee.Name, period: fmt.Sprintf("%04d-%02d", year, month), amount: ps.Net})
	if err != nil {
		return nil, err
	}
	ps.Verification = verification(baseURL, token, hash)
	return ps, nil
}

// StatementWithToken loads an EC statement and issues its verification token.
func StatementWithToken(ctx context.Context, db sqlx.ExtContext, ic string, year int, employer, baseURL string) (*Statement, error) {
	st, err := LoadStatement(ctx, db, ic, year, employer)
	if err != nil {
		return nil, err
	}
	hash := st.contentHash()
	token, err := issueToken(ctx, db, tokenSpec{docType: "statement", docKey: st.docKey(), contentHash: hash,
		holder: st.Employee.Name, period: strconv.Itoa(year), amount: st.Income()})
	if err != nil {
		return nil, err
	}
	st.Verification = verification(baseURL, token, hash)
	return st, nil
}

// paymentWithToken loads a found payment's detail and issues its verification token.
func paymentWithToken(ctx context.Context, db sqlx.ExtContext, row *paymentRow, baseURL string) (*Payment, error) {
	p, err := loadPaymentDetail(ctx, db, row)
	if err != nil {
		return nil, err
	}
	hash := p.contentHash()
	token, err := issueToken(ctx, db, tokenSpec{docType: "payment", docKey: p.docKey(), contentHash: hash,
		holder: p.PayeeName, period: p.PaymentDate, amount: p.Amount})
	if err != nil {
		return nil, err
	}
	p.Verification = verification(baseURL, token, hash)
	return p, nil
}

// departmentOf names the person's department for "contact your payroll unit" messages.
func departmentOf(ctx context.Context, db sqlx.QueryerContext, ic string) string {
	if ic == "" {
		return ""
	}
	var name string
	if err := sqlx.GetContext(ctx, db, &name, `
		SELECT coalesce(d.name, e.department_code) FROM employees e
		LEFT JOIN departments d ON d.code = e.department_code WHERE e.ic_no = $1`, ic); err != nil {
		return ""
	}
	return name
}
