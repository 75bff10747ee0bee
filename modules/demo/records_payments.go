package demo

import (
	"database/sql"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"
)

// The demo's eMaklum payments: a year of payments to the state's suppliers, with their
// invoices, and the staff's OT and TNT claims, with the statuses a year of payments goes
// through. Suppliers are named by their company number in every form accounting systems
// write it (new, old with or without the dash, both), so the demo exercises the matching of
// the feed (FAQ 12).

var paymentHeader = []string{"payee_type", "payee_id", "payee_name", "ref", "voucher_no", "cheque_eft_no",
	"payment_date", "amount", "status", "ptj_code", "ptj_name", "description", "bank_account", "invoice_no",
	"invoice_amount"}

// supplierRow is the part of a suppliers row the payments need.
type supplierRow struct {
	RegNoNew    sql.NullString `db:"reg_no_new"`
	RegNoOld    sql.NullString `db:"reg_no_old"`
	Name        string         `db:"name"`
	BankAccount string         `db:"bank_account"`
}

// ptjRow is a PTJ, the paying office printed on a payment.
type ptjRow struct {
	Code string `db:"code"`
	Name string `db:"name"`
}

type invoice struct {
	No     string
	Amount int64
}

// payment is one payment and its invoice lines (none for a staff claim).
type payment struct {
	PayeeType, PayeeID, PayeeName, Ref, VoucherNo, ChequeEFTNo string
	Date                                                       time.Time
	Amount                                                     int64
	Status, PTJCode, PTJName, Description, BankAccount         string
	Invoices                                                   []invoice
}

// write puts the payment's rows: one per invoice line, or one without invoice columns.
func (p *payment) write(w *csv.Writer) error {
	row := []string{p.PayeeType, p.PayeeID, p.PayeeName, p.Ref, p.VoucherNo, p.ChequeEFTNo,
		p.Date.Format(time.DateOnly), formatSen(p.Amount), p.Status, p.PTJCode, p.PTJName, p.Description,
		p.BankAccount, "", ""}
	if len(p.Invoices) == 0 {
		return w.Write(row)
	}
	for _, inv := range p.Invoices {
		row[13], row[14] = inv.No, formatSen(inv.Amount)
		if err := w.Write(row); err != nil {
			return err
		}
	}
	return nil
}

var malayMonths = [...]string{"Januari", "Februari", "Mac", "April", "Mei", "Jun", "Julai", "Ogos",
	"September", "Oktober", "November", "Disember"}

var supplierWork = []string{"Bekalan alat tulis dan barang pejabat", "Penyelenggaraan bangunan dan kemudahan",
	"Perkhidmatan katering mesyuarat dan kursus", "Sewaan kenderaan jabatan", "Perkhidmatan pembersihan pejabat",
	"Kerja-kerja landskap dan pemotongan rumput", "Bekalan dan pemasangan peralatan ICT",
	"Percetakan laporan dan borang", "Penyelenggaraan sistem hawa dingin", "Kerja-kerja membaik pulih jalan",
	"Bekalan ubat-ubatan dan peralatan perubatan", "Perkhidmatan kawalan keselamatan"}

// paymentYear is the payments' year: the last full year before the reference date.
type paymentYear struct {
	state *State
	year  int
	ptjs  []ptjRow
}

// workday draws a working day of the state in month (1–12) of the year, from day lo on.
func (y *paymentYear) workday(r *rand.Rand, month time.Month, lo int) time.Time {
	for {
		d := time.Date(y.year, month, lo+r.IntN(28-lo+1), 0, 0, 0, 0, time.UTC)
		if !weekend(y.state, d) {
			return d
		}
	}
}

// settle gives a payment its status and its cheque or EFT number. Payments of the last days
// of the year are still with the bank; older ones mostly reached it, a few failed (a closed
// or mistyped account) or were cancelled, and some were paid by cheque ("issued").
func (y *paymentYear) settle(r *rand.Rand, p *payment) {
	end := time.Date(y.year, time.December, 31, 0, 0, 0, 0, time.UTC)
	eft := fmt.Sprintf("EFT%s%05d", p.Date.Format("060102"), r.IntN(100_000))
	switch n := r.IntN(100); {
	case end.Sub(p.Date) < 10*24*time.Hour:
		p.Status, p.ChequeEFTNo = "sent_to_bank", eft
	case n < 6:
		p.Status, p.ChequeEFTNo = "issued", strconv.Itoa(100_000+r.IntN(900_000))
	case n < 10:
		p.Status, p.ChequeEFTNo = "failed", eft
	case n < 13:
		p.Status, p.ChequeEFTNo = "cancelled", eft
	default:
		p.Status, p.ChequeEFTNo = "received_by_bank", eft
	}
}

func (y *paymentYear) voucher(r *rand.Rand, ptj string) string {
	return fmt.Sprintf("%s/BV/%d/%05d", ptj, y.year, 1+r.IntN(99_999))
}

// supplierPayments are one supplier's payments of the year.
func (y *paymentYear) supplierPayments(s supplierRow) []payment {
	key := s.RegNoNew.String + s.RegNoOld.String
	r := rand.New(rand.NewPCG(seedOf("payments:"+y.state.Spec.Code+":"+key), uint64(y.year)))
	n := 1 + r.IntN(3) + r.IntN(4)
	out := make([]payment, 0, n)
	for k := 1; k <= n; k++ {
		ptj := pick(r, y.ptjs)
		p := payment{PayeeType: "supplier", PayeeID: supplierID(r, s), PayeeName: s.Name,
			Ref: fmt.Sprintf("PV%d-%s-%02d", y.year, key, k), VoucherNo: y.voucher(r, ptj.Code),
			Date: y.workday(r, time.Month(1+r.IntN(12)), 1), PTJCode: ptj.Code, PTJName: ptj.Name,
			Description: pick(r, supplierWork), BankAccount: s.BankAccount}
		p.Invoices = invoices(r, y.year)
		for _, inv := range p.Invoices {
			p.Amount += inv.Amount
		}
		y.settle(r, &p)
		out = append(out, p)
	}
	return out
}

// invoices are one to three invoices (RM150 to RM48,000), now and then less a credit note.
func invoices(r *rand.Rand, year int) []invoice {
	base := 100 + r.IntN(9000)
	n := choose(r, []weighted[int]{{1, 6}, {2, 3}, {3, 1}})
	out := make([]invoice, 0, n+1)
	for i := range n {
		out = append(out, invoice{fmt.Sprintf("INV%02d/%05d", year%100, base+i), 15_000 + r.Int64N(4_785_000)})
	}
	if r.IntN(25) == 0 {
		out = append(out, invoice{fmt.Sprintf("CN%02d/%05d", year%100, base), -(100 + r.Int64N(out[0].Amount/10))})
	}
	return out
}

// supplierID writes a supplier's company number in one of the forms it is known by.
func supplierID(r *rand.Rand, s supplierRow) string {
	var dashed string
	if old := s.RegNoOld.String; old != "" {
		dashed = old[:len(old)-1] + "-" + old[len(old)-1:]
	}
	switch {
	case s.RegNoNew.Valid && s.RegNoOld.Valid:
		return pick(r, []string{s.RegNoNew.String, dashed, s.RegNoOld.String, s.RegNoNew.String + " (" + dashed + ")"})
	case s.RegNoNew.Valid:
		return s.RegNoNew.String
	default:
		return pick(r, []string{dashed, s.RegNoOld.String})
	}
}

// claims are a staff member's OT and TNT claims paid in the year: about a third of the staff
// claim something, overtime only in the grades paid for it. A claim is paid the month after
// the one it is for.
func (y *paymentYear) claims(p *payee, ptjName string) []payment {
	r := rand.New(rand.NewPCG(p.seed, uint64(1_000_000+y.year)))
	if r.IntN(100) >= 35 {
		return nil
	}
	n := 1 + r.IntN(4)
	out := make([]payment, 0, n)
	for k := 1; k <= n; k++ {
		month := time.Month(1 + r.IntN(11))
		kind, what, amount := "TNT", "Tuntutan Perjalanan (TNT)", 40_00+r.Int64N(1_160_00)
		if p.scale.implementingGroup && r.IntN(2) == 0 {
			kind, what, amount = "OT", "Tuntutan Elaun Lebih Masa (OT)", 80_00+r.Int64N(820_00)
		}
		c := payment{PayeeType: "staff", PayeeID: writtenIC(r, p.IC), PayeeName: p.Name,
			Ref: fmt.Sprintf("%s%d-%s-%02d", kind, y.year, p.SalaryNo, k), VoucherNo: y.voucher(r, p.PTJCode),
			Date: y.workday(r, month+1, 5), Amount: amount, PTJCode: p.PTJCode, PTJName: ptjName,
			Description: fmt.Sprintf("%s bagi bulan %s %d", what, malayMonths[month-1], y.year), BankAccount: p.BankAccount}
		y.settle(r, &c)
		out = append(out, c)
	}
	return out
}

// writtenIC: accounting systems write an IC number with or without its dashes.
func writtenIC(r *rand.Rand, ic string) string {
	if len(ic) == 12 && r.IntN(10) < 3 {
		return ic[:6] + "-" + ic[6:8] + "-" + ic[8:]
	}
	return ic
}
