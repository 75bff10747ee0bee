package demo

import (
	"fmt"
	"time"
)

// ecItem is one item of a person's EC statement.
type ecItem struct {
	Section, Code, Description string
	Amount                     int64 // sen
}

// The parts of LHDN form EC (the public-sector statement of remuneration) the items belong to.
// The portal shows them in this order and takes Part B as the year's employment income.
const (
	ecIncome        = "B Pendapatan Penggajian"
	ecDeductions    = "D Jumlah Potongan"
	ecContributions = "E Caruman Pekerja" // "… yang dikenakan ke atas pekerja"; the feed keeps 30 characters
)

// childRelief is the yearly tax relief for a qualifying child under 18, in sen.
const childRelief = 2_000_00

// statement is the person's EC for year, summed from that year's payslips: the statement and
// the slips can never disagree.
func (p *payee) statement(year int) []ecItem {
	sums := map[string]int64{}
	for m := time.January; m <= time.December; m++ {
		for _, l := range p.slip(time.Date(year, m, 1, 0, 0, 0, 0, time.UTC)) {
			sums[l.Code] += l.Amount
		}
	}
	items := []ecItem{
		{ecIncome, "B1a", "Gaji kasar, upah atau gaji cuti (termasuk gaji lebih masa)", sums[codeBasic] + sums[codeOvertime]},
		{ecIncome, "B1c", "Tip kasar, perkuisit, penerimaan sagu hati atau elaun-elaun lain",
			sums[codeITP] + sums[codeITK] + sums[codeBSH]},
		{ecDeductions, "D1", "Potongan cukai bulanan (PCB) yang dibayar kepada LHDNM", sums[codePCB]},
	}
	if z := sums[codeZakat]; z > 0 {
		items = append(items, ecItem{ecDeductions, "D3", "Zakat yang dibayar melalui potongan gaji", z})
	}
	// The payroll counted the relief for qualifying children in each month's PCB: RM 2,000 a
	// child a year.
	if p.Children != nil && *p.Children > 0 {
		items = append(items, ecItem{ecDeductions, "D5", "Jumlah pelepasan bagi anak yang layak", int64(*p.Children) * childRelief})
	}
	// E1 names the fund: KWSP for contract officers. A pensionable officer's pension is paid by
	// the government through KWAP, to which the officer contributes nothing, so E1 stays blank.
	if k := sums[codeKWSP]; k > 0 {
		items = append(items, ecItem{ecContributions, "E1", "Kumpulan Wang Simpanan Pekerja (KWSP): caruman wajib pekerja", k})
	}
	if s := sums[codePERKESO] + sums[codeSIP]; s > 0 {
		items = append(items, ecItem{ecContributions, "E2", "PERKESO: caruman wajib pekerja (termasuk SIP)", s})
	}
	return items
}

// employerNo is the state's employer number with LHDN (No. Majikan E), the same on every
// statement of the tenant.
func employerNo(state *State) string {
	return fmt.Sprintf("E%010d", seedOf("employer:"+state.Spec.Code)%10_000_000_000)
}
