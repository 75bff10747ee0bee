package records

import (
	"strconv"
	"time"
)

// printedDateLayout is how documents print a date: dd/mm/yyyy, as Malaysian forms write it.
// The records store dates as yyyy-mm-dd, which readers take for a reference number.
const printedDateLayout = "02/01/2006"

// printedDate turns a stored yyyy-mm-dd date into dd/mm/yyyy; anything else prints as it
// came rather than as a wrong date.
func printedDate(iso string) string {
	d, err := time.Parse(time.DateOnly, iso)
	if err != nil {
		return iso
	}
	return d.Format(printedDateLayout)
}

// monthName is the month in the reader's language.
func monthName(L Labeller, month int) string { return L("records_month_" + strconv.Itoa(month)) }

// period is "Oktober 2026".
func period(L Labeller, year, month int) string {
	return monthName(L, month) + " " + strconv.Itoa(year)
}

// pageOf are the words of "Halaman 2 daripada 3", printed on a document longer than a page.
func pageOf(L Labeller) [2]string { return [2]string{L("records_page"), L("records_page_of")} }

func linesRows(lines []Line) [][3]string {
	rows := make([][3]string, len(lines))
	for i, l := range lines {
		rows[i] = [3]string{l.Code, l.Description, l.Amount.Ringgit()}
	}
	return rows
}

// payslipDoc lays a payslip out like a civil-service payslip: particulars, earnings,
// deductions, net pay and the year-to-date totals.
func payslipDoc(ps *Payslip, issuer string, L Labeller) *pdfDoc {
	e := ps.Employee
	return &pdfDoc{
		Issuer: issuer, Title: L("records_doc_payslip"), Period: period(L, ps.Year, ps.Month),
		Fields: [][2]string{
			{L("records_name"), e.Name}, {L("records_ic"), e.ICMasked},
			{L("records_salary_no"), e.SalaryNo}, {L("records_pay_date"), printedDate(ps.PayDate)},
			{L("records_position"), e.Position}, {L("records_grade"), e.Grade},
			{L("records_department"), e.Department}, {L("records_ptj"), e.PTJ},
			{L("records_bank"), e.Bank}, {L("records_account"), e.AccountMasked},
		},
		Tables: []pdfTable{
			{Title: L("records_earnings"), Rows: linesRows(ps.Earnings), Total: [2]string{L("records_gross"), ps.Gross.Ringgit()}},
			{Title: L("records_deductions"), Rows: linesRows(ps.Deductions), Total: [2]string{L("records_total_deductions"), ps.TotalDeductions.Ringgit()}},
		},
		Summary: [][2]string{
			{L("records_net"), "RM " + ps.Net.Ringgit()}, {L("records_ytd_gross"), "RM " + ps.YTD.Gross.Ringgit()},
			{L("records_ytd_deductions"), "RM " + ps.YTD.Deductions.Ringgit()}, {L("records_ytd_net"), "RM " + ps.YTD.Net.Ringgit()},
		},
		VerifyURL: ps.VerifyURL, VerifyCode: ps.VerifyCode, Note: L("records_verify_note"), PageOf: pageOf(L),
	}
}

// statementDoc lays the EC statement out as Borang EC: the employer, part A (the employee's
// particulars, numbered as on the page), then parts B to F with every item of the form in
// its numbering, "–" where the payroll sent no amount, and each part's total.
func statementDoc(st *Statement, issuer string, L Labeller) *pdfDoc {
	e := st.Employee
	dash := func(v string) string {
		if v == "" {
			return "–"
		}
		return v
	}
	children := "–"
	if e.Children != nil {
		children = strconv.Itoa(*e.Children)
	}
	fund := e.KWSPNo
	if fund == "" {
		fund = e.KWAPNo
	}
	a := func(n string) string { return n + " " + L("records_ec_"+n) }
	d := &pdfDoc{
		Issuer: issuer, Title: L("records_doc_statement"), Period: L("records_year") + " " + strconv.Itoa(st.Year),
		Fields: [][2]string{
			{L("records_employer"), st.Employer.Name}, {L("records_employer_no"), st.Employer.EmployerNo},
			{L("records_department"), st.Employer.Department},
		},
		FieldsTitle: L("records_ec_part_A"),
		MoreFields: [][2]string{
			{a("A1"), e.Name}, {a("A2"), dash(e.Position)},
			{a("A3"), dash(e.SalaryNo)}, {a("A4"), e.ICMasked},
			{a("A5"), dash(e.TaxNo)}, {a("A6"), dash(fund)},
			{a("A7"), dash(e.PERKESONoMasked)}, {a("A8"), children},
		},
		VerifyURL: st.VerifyURL, VerifyCode: st.VerifyCode, Note: L("records_verify_note"), PageOf: pageOf(L),
	}
	for _, p := range st.Form {
		rows := make([][3]string, len(p.Items))
		for i, it := range p.Items {
			label, amount := it.Description, "–"
			if label == "" {
				label = L("records_ec_" + it.Code)
			}
			if !it.Blank() {
				amount = it.Amount.Ringgit()
			}
			rows[i] = [3]string{it.Code, label, amount}
		}
		d.Tables = append(d.Tables, pdfTable{Title: L("records_ec_part_" + p.Part), Rows: rows,
			Total: [2]string{L("records_section_total"), p.Total.Ringgit()}})
	}
	return d
}

// paymentDoc is the payment advice: payee, voucher, cheque/EFT, invoices, status.
func paymentDoc(p *Payment, issuer string, L Labeller) *pdfDoc {
	rows := make([][3]string, len(p.Invoices))
	for i, inv := range p.Invoices {
		rows[i] = [3]string{strconv.Itoa(i + 1), inv.InvoiceNo, inv.Amount.Ringgit()}
	}
	return &pdfDoc{
		Issuer: issuer, Title: L("records_doc_payment"), Period: printedDate(p.PaymentDate),
		Fields: [][2]string{
			{L("records_payee"), p.PayeeName}, {L("records_ref"), p.Ref},
			{L("records_voucher_no"), p.VoucherNo}, {L("records_cheque_eft_no"), p.ChequeEFTNo},
			{L("records_payment_date"), printedDate(p.PaymentDate)}, {L("records_status"), L("records_status_" + p.Status)},
			{L("records_payer_ptj"), p.PayerPTJ}, {L("records_bank"), p.Bank},
			{L("records_account"), p.AccountMasked}, {L("records_description"), p.Description},
		},
		Tables:    []pdfTable{{Title: L("records_invoices"), Rows: rows, Total: [2]string{L("records_total"), p.Amount.Ringgit()}}},
		VerifyURL: p.VerifyURL, VerifyCode: p.VerifyCode, Note: L("records_verify_note"), PageOf: pageOf(L),
	}
}
