package demo

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"testing"
	"time"
)

func TestAnnualTaxFollowsTheResidentBands(t *testing.T) {
	for _, c := range []struct{ chargeable, tax int64 }{
		{5_000_00, 0},
		{20_000_00, 0},        // 150 less the RM400 rebate
		{35_000_00, 200_00},   // 600 − 400
		{35_000_01, 600_00},   // no rebate above RM35,000
		{50_000_00, 1_500_00}, // 600 + 6% of 15,000
		{70_000_00, 3_700_00},
		{100_000_00, 9_400_00},
		{120_000_00, 14_400_00}, // 9,400 + 25% of 20,000
	} {
		if got := annualTax(c.chargeable); got != c.tax {
			t.Errorf("annualTax(%s) = %s, want %s", formatSen(c.chargeable), formatSen(got), formatSen(c.tax))
		}
	}
}

func TestPayDateIsThe25thOrTheWorkingDayBefore(t *testing.T) {
	states := map[string]*State{}
	for _, s := range States() {
		states[s.Spec.Code] = &s
	}
	for _, c := range []struct {
		state string
		month time.Month
		year  int
		want  string
	}{
		{"selangor", time.January, 2025, "2025-01-24"}, // the 25th is a Saturday
		{"kelantan", time.January, 2025, "2025-01-23"}, // Friday is Kelantan's weekend too
		{"pahang", time.May, 2025, "2025-05-23"},       // a Sunday
		{"kelantan", time.May, 2025, "2025-05-25"},     // Sunday is a working day in Kelantan
		{"melaka", time.March, 2025, "2025-03-25"},     // a Tuesday
	} {
		got := payDate(states[c.state], time.Date(c.year, c.month, 1, 0, 0, 0, 0, time.UTC)).Format(time.DateOnly)
		if got != c.want {
			t.Errorf("%s %d-%02d: paid %s, want %s", c.state, c.year, c.month, got, c.want)
		}
	}
}

func TestScaleOfReadsTheGradeLevel(t *testing.T) {
	for grade, want := range map[string]int{"DG41": 41, "N19": 19, "N22": 22, "FT19": 19, "J48": 48, "M52": 52,
		"H11": 11, "JA29": 29, "": 19, "X": 19} {
		if got := scaleOf(grade).grade; got != want {
			t.Errorf("scaleOf(%q) = %d, want %d", grade, got, want)
		}
	}
}

func TestFormatSen(t *testing.T) {
	for sen, want := range map[int64]string{0: "0.00", 5: "0.05", 1205: "12.05", -1205: "-12.05", 123456789: "1234567.89"} {
		if got := formatSen(sen); got != want {
			t.Errorf("formatSen(%d) = %q, want %q", sen, got, want)
		}
	}
}

// TestSlipsKeepTheRules: over a generated workforce, every slip has each code once, a basic
// salary and ITP, KWSP exactly for the staff with a KWSP number, deductions within 60% of
// the emoluments, and the same slip twice over.
func TestSlipsKeepTheRules(t *testing.T) {
	state := &States()[3]
	people := newStaffGenerator(state, organisationOf(state))
	first := time.Date(2024, time.January, 1, 0, 0, 0, 0, time.UTC)
	for i := range 300 {
		e := people.employee(i)
		p := newPayee(state, roster{IC: e.ICNo, Name: e.Name, Grade: e.Grade, PTJCode: e.PTJCode, KWSPNo: e.KWSPNo})
		for m := range 24 {
			month := first.AddDate(0, m, 0)
			lines := p.slip(month)
			var gross, deductions int64
			codes := map[string]bool{}
			for _, l := range lines {
				if codes[l.Code] || l.Amount < 0 {
					t.Fatalf("%s %s: line %+v repeated or negative", e.Grade, month.Format("2006-01"), l)
				}
				codes[l.Code] = true
				if l.Kind == "E" {
					gross += l.Amount
				} else {
					deductions += l.Amount
				}
			}
			if !codes[codeBasic] || !codes[codeITP] || codes[codeKWSP] != (e.KWSPNo != "") {
				t.Fatalf("%s: codes %v", month.Format("2006-01"), codes)
			}
			if deductions*100 > gross*maxDeductions {
				t.Fatalf("%s: deductions %s of %s", month.Format("2006-01"), formatSen(deductions), formatSen(gross))
			}
			if again := p.slip(month); fmt.Sprint(again) != fmt.Sprint(lines) {
				t.Fatalf("%s: the slip changed on a second generation", month.Format("2006-01"))
			}
		}
	}
}

// TestGeneratedFilesAreTheSameTwice: the Idempotency-Key is the hash of a file generated on
// its own, so the generation must not depend on anything but its inputs.
func TestGeneratedFilesAreTheSameTwice(t *testing.T) {
	state := &States()[0]
	people := newStaffGenerator(state, organisationOf(state))
	first := time.Date(2024, time.January, 1, 0, 0, 0, 0, time.UTC)
	var payees []*payee
	for i := range 50 {
		e := people.employee(i)
		payees = append(payees, newPayee(state, roster{IC: e.ICNo, SalaryNo: e.SalaryNo, Name: e.Name, Grade: e.Grade,
			PTJCode: e.PTJCode, KWSPNo: e.KWSPNo}))
	}
	book := paymentBook{state: state, ref: time.Date(2026, time.November, 1, 0, 0, 0, 0, time.UTC),
		ptjs: []ptjRow{{"JKR010000", "JKR Ibu Pejabat"}}}
	files := map[string]func(w *csv.Writer) error{
		"payslips":   func(w *csv.Writer) error { return writePayslips(w, state, payees, first.AddDate(0, 5, 0)) },
		"statements": func(w *csv.Writer) error { return writeStatements(w, payees, employerNo(state), 2024) },
		"claims": func(w *csv.Writer) error {
			for _, p := range payees {
				for m := range 12 {
					if err := writePayments(w, book.claims(p, "JKR Ibu Pejabat", book.ref.AddDate(0, -1-m, 0))); err != nil {
						return err
					}
				}
			}
			return nil
		},
	}
	for name, rows := range files {
		var a, b bytes.Buffer
		if err := writeCSV(&a, []string{"h"}, rows); err != nil {
			t.Fatal(err)
		}
		if err := writeCSV(&b, []string{"h"}, rows); err != nil {
			t.Fatal(err)
		}
		if a.Len() < 100 || !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("%s: %d and %d bytes, equal %v", name, a.Len(), b.Len(), bytes.Equal(a.Bytes(), b.Bytes()))
		}
	}
}

func TestSupplierIDUsesTheFormsTheMasterKnows(t *testing.T) {
	state := &States()[1]
	companies := newSupplierGenerator(state)
	book := paymentBook{state: state, ref: time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC),
		ptjs: []ptjRow{{"JKR010000", "JKR Ibu Pejabat"}}}
	forms := map[string]int{}
	for i := range 200 {
		s := companies.supplier(i)
		row := supplierRow{Name: s.Name}
		row.RegNoNew.String, row.RegNoNew.Valid = s.RegNoNew, s.RegNoNew != ""
		row.RegNoOld.String, row.RegNoOld.Valid = s.RegNoOld, s.RegNoOld != ""
		for m := range 12 {
			month := time.Date(2025, time.Month(1+m), 1, 0, 0, 0, 0, time.UTC)
			for _, p := range book.supplierPayments(row, month) {
				forms[idForm(p.PayeeID, s)]++
				var sum int64
				for _, inv := range p.Invoices {
					sum += inv.Amount
				}
				if p.Amount != sum || p.Amount <= 0 || p.Date.Year() != 2025 || p.Date.Month() != month.Month() ||
					weekend(state, p.Date) {
					t.Fatalf("payment %+v", p)
				}
			}
		}
	}
	for _, f := range []string{"new", "old-dashed", "old", "both"} {
		if forms[f] == 0 {
			t.Errorf("no payment names its supplier in the %s form: %v", f, forms)
		}
	}
	if forms["unknown"] > 0 {
		t.Errorf("%d payments name a number the master does not have", forms["unknown"])
	}
}

func idForm(id string, s Supplier) string {
	dashed := ""
	if s.RegNoOld != "" {
		dashed = s.RegNoOld[:len(s.RegNoOld)-1] + "-" + s.RegNoOld[len(s.RegNoOld)-1:]
	}
	switch {
	case s.RegNoNew != "" && id == s.RegNoNew:
		return "new"
	case dashed != "" && id == dashed:
		return "old-dashed"
	case s.RegNoOld != "" && id == s.RegNoOld:
		return "old"
	case s.RegNoNew != "" && dashed != "" && id == s.RegNoNew+" ("+dashed+")":
		return "both"
	}
	return "unknown"
}

// TestStatusDatesFollowTheBank: sent and issued on the payment date; received or failed one
// or two working days later, cancelled within a working week, never on the state's weekend.
func TestStatusDatesFollowTheBank(t *testing.T) {
	for _, s := range States() {
		b := &paymentBook{state: &s}
		paid := time.Date(2025, time.December, 16, 0, 0, 0, 0, time.UTC) // a Tuesday
		for i := range 40 {
			for status, maxDays := range map[string]int{"sent_to_bank": 0, "issued": 0, "received_by_bank": 2, "failed": 2, "cancelled": 4} {
				p := &payment{Ref: fmt.Sprintf("PV-%d", i), Date: paid, Status: status}
				got := b.statusDate(p)
				working := 0
				for d := paid; d.Before(got); {
					if d = d.AddDate(0, 0, 1); !weekend(&s, d) {
						working++
					}
				}
				lo := min(maxDays, 1)
				if maxDays == 4 {
					lo = 3
				}
				if working < lo || working > maxDays || (maxDays > 0 && weekend(&s, got)) {
					t.Errorf("%s %s %s: %s is %d working days after %s", s.Spec.Code, p.Ref, status,
						got.Format(time.DateOnly), working, paid.Format(time.DateOnly))
				}
			}
		}
	}
}
