package demo

import (
	"database/sql"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"
)

// The demo's eMaklum payments: the last 12 months of payments to the state's suppliers, with
// their invoices, and the staff's OT and TNT claims, with the statuses payments of that age
// have. Suppliers are named by their company number in every form accounting systems
// write it (new, old with or without the dash, both), so the demo exercises the matching of
// the feed: a number written in another form must not hide a supplier's payments.

var paymentHeader = []string{"payee_type", "payee_id", "payee_name", "ref", "voucher_no", "cheque_eft_no",
	"payment_date", "amount", "status", "ptj_code", "ptj_name", "description", "bank_account", "invoice_no",
	"invoice_amount", "status_date"}

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
	StatusDate                                                 time.Time // the day Status happened
	Amount                                                     int64
	Status, PTJCode, PTJName, Description, BankAccount         string
	Invoices                                                   []invoice
}

// write puts the payment's rows: one per invoice line, or one without invoice columns.
func (p *payment) write(w *csv.Writer) error {
	row := []string{p.PayeeType, p.PayeeID, p.PayeeName, p.Ref, p.VoucherNo, p.ChequeEFTNo,
		p.Date.Format(time.DateOnly), formatSen(p.Amount), p.Status, p.PTJCode, p.PTJName, p.Description,
		p.BankAccount, "", "", p.StatusDate.Format(time.DateOnly)}
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

// pendingDays: payments of the last days before the reference are still with the bank.
const pendingDays = 10

// paymentBook makes the payments of a month. A month's payments are a function of the
// payee and the month; only their status depends on the reference, and only for the
// payments of its last pendingDays, which are all in the month before it.
type paymentBook struct {
	state *State
	ref   time.Time
	ptjs  []ptjRow
}

// writePayments writes payments in order.
func writePayments(w *csv.Writer, payments []payment) error {
	for i := range payments {
		if err := payments[i].write(w); err != nil {
			return err
		}
	}
	return nil
}

// monthSeed distinguishes the months of one payee's random streams.
func monthSeed(month time.Time) uint64 { return uint64(month.Year()*12 + int(month.Month()) - 1) }

// workday draws a working day of the state in month (its first day), from day lo to the
// month's last day.
func (b *paymentBook) workday(r *rand.Rand, month time.Time, lo int) time.Time {
	last := month.AddDate(0, 1, -1).Day()
	for {
		d := time.Date(month.Year(), month.Month(), lo+r.IntN(last-lo+1), 0, 0, 0, 0, time.UTC)
		if !weekend(b.state, d) {
			return d
		}
	}
}

// settle gives a payment its status and its cheque or EFT number. Payments made in the last
// pendingDays before the reference are still with the bank; older ones mostly reached it, a
// few failed (a closed or mistyped account) or were cancelled, and some were paid by cheque
// ("issued"). The draws are the same whatever the reference, so that an older month's
// payments come out the same month after month.
func (b *paymentBook) settle(r *rand.Rand, p *payment) {
	eft := fmt.Sprintf("EFT%s%05d", p.Date.Format("060102"), r.IntN(100_000))
	switch n := r.IntN(100); {
	case n < 6:
		p.Status, p.ChequeEFTNo = "issued", strconv.Itoa(100_000+r.IntN(900_000))
	case b.ref.Sub(p.Date) <= pendingDays*24*time.Hour:
		p.Status, p.ChequeEFTNo = "sent_to_bank", eft
	case n < 10:
		p.Status, p.ChequeEFTNo = "failed", eft
	case n < 13:
		p.Status, p.ChequeEFTNo = "cancelled", eft
	default:
		p.Status, p.ChequeEFTNo = "received_by_bank", eft
	}
	p.StatusDate = b.statusDate(p)
}

// statusDate is the day a payment reached its status, as the accounting system reports it:
// sent to the bank or a cheque issued on the payment date, received or bounced by the bank a
// working day or two later, cancelled within a working week. The lag comes from the ref, not
// from the month's random stream, so the other draws stay what they were.
func (b *paymentBook) statusDate(p *payment) time.Time {
	lag := 1 + int(seedOf("status:"+p.Ref)%2)
	switch p.Status {
	case "sent_to_bank", "issued":
		return p.Date
	case "cancelled":
		lag += 2
	}
	d := p.Date
	for lag > 0 {
		if d = d.AddDate(0, 0, 1); !weekend(b.state, d) {
			lag--
		}
	}
	return d
}

func (b *paymentBook) voucher(r *rand.Rand, ptj string, year int) string {
	return fmt.Sprintf("%s/BV/%d/%05d", ptj, year, 1+r.IntN(99_999))
}

// supplierPayments are one supplier's payments in month (its first day): none in most
// months, about five a year.
func (b *paymentBook) supplierPayments(s supplierRow, month time.Time) []payment {
	key := s.RegNoNew.String + s.RegNoOld.String
	r := rand.New(rand.NewPCG(seedOf("payments:"+b.state.Spec.Code+":"+key), monthSeed(month)))
	n := choose(r, []weighted[int]{{0, 8}, {1, 3}, {2, 1}})
	out := make([]payment, 0, n)
	for k := 1; k <= n; k++ {
		ptj := pick(r, b.ptjs)
		p := payment{PayeeType: "supplier", PayeeID: supplierID(r, s), PayeeName: s.Name,
			Ref: fmt.Sprintf("PV%s-%s-%02d", month.Format("200601"), key, k), VoucherNo: b.voucher(r, ptj.Code, month.Year()),
			Date: b.workday(r, month, 1), PTJCode: ptj.Code, PTJName: ptj.Name,
			Description: pick(r, supplierWork), BankAccount: s.BankAccount}
		p.Invoices = invoices(r, month.Year())
		for _, inv := range p.Invoices {
			p.Amount += inv.Amount
		}
		b.settle(r, &p)
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

// claims are a staff member's OT and TNT claims paid in month (its first day), each for the
// month before it: about a third of the staff claim now and then, overtime only in the
// grades paid for it.
func (b *paymentBook) claims(p *payee, ptjName string, month time.Time) []payment {
	if rand.New(rand.NewPCG(p.seed, 1_000_000)).IntN(100) >= 35 {
		return nil // not a claimant
	}
	r := rand.New(rand.NewPCG(p.seed, 2_000_000+monthSeed(month)))
	if r.IntN(100) >= 30 {
		return nil
	}
	worked := month.AddDate(0, -1, 0)
	n := choose(r, []weighted[int]{{1, 4}, {2, 1}})
	out := make([]payment, 0, n)
	for k := 1; k <= n; k++ {
		kind, what, amount := "TNT", "Tuntutan Perjalanan (TNT)", 40_00+r.Int64N(1_160_00)
		if p.scale.implementingGroup && r.IntN(2) == 0 {
			kind, what, amount = "OT", "Tuntutan Elaun Lebih Masa (OT)", 80_00+r.Int64N(820_00)
		}
		c := payment{PayeeType: "staff", PayeeID: writtenIC(r, p.IC), PayeeName: p.Name,
			Ref:       fmt.Sprintf("%s%s-%s-%02d", kind, month.Format("200601"), p.SalaryNo, k),
			VoucherNo: b.voucher(r, p.PTJCode, month.Year()), Date: b.workday(r, month, 5), Amount: amount,
			PTJCode: p.PTJCode, PTJName: ptjName, BankAccount: p.BankAccount,
			Description: fmt.Sprintf("%s bagi bulan %s %d", what, malayMonths[worked.Month()-1], worked.Year())}
		b.settle(r, &c)
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
