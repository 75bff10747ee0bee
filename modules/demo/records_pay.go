package demo

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// The pay model of the demo payslips: a Malaysian state civil servant's monthly slip, close
// enough to the real thing to exercise every screen, and computed in whole sen so that the
// totals the feed derives (gross, deductions, net) and the EC statement's sums agree exactly.
//
// Earnings: gaji pokok by grade and years of service, with the annual increment (kenaikan gaji
// tahunan) every January and the SSPA rise of 1 December 2024 (15% for the implementing
// group, grades up to 40; 10% for the management and professional group, 41 and up);
// Imbuhan Tetap Perumahan (ITP, the housing allowance) by grade; Imbuhan Tetap Keraian (ITK)
// from grade 41; Bantuan Sara Hidup (BSH, the COLA) by where the PTJ is; overtime (elaun lebih
// masa) in an occasional month for grades up to 29.
//
// Deductions: PCB (monthly tax deduction) from LHDN's resident rates for a single person,
// less zakat paid through the payroll (which LHDN offsets against tax); KWSP 11% and
// PERKESO/SIP only for staff with a KWSP number — pensionable officers contribute nothing
// (their pension is paid by the government under the Pensions Act 1980), which is what their
// real slips show; and, for some, LPPSA housing financing, a koperasi and an ANGKASA
// (personal financing) instalment, takaful, Tabung Haji savings and the welfare club's fee,
// all fixed over the window as instalments are, and kept
// within the civil service's rule that deductions leave at least 40% of the emoluments.
// The amounts are realistic, not official: LHDN's PCB formula and the SSM salary tables
// have more cases than a demo needs.

// salaryScale is one grade's basic salary (before SSPA) in sen: the entry point, the annual
// increment and the ceiling, with the age people join it at.
type salaryScale struct {
	grade                int
	start, step, ceiling int64
	entryAge             int64
	itp, itk             int64
	// implementingGroup: grades up to 40 (kumpulan pelaksana), who got the larger SSPA rise
	// and are paid overtime.
	implementingGroup bool
}

// scales are by grade number (N19, W29, DG41 …: the letters are the scheme, the number
// the level). A grade between two rows takes the lower one.
var scales = []salaryScale{
	{grade: 11, start: 1_250_00, step: 95_00, ceiling: 3_400_00, entryAge: 19, itp: 250_00, implementingGroup: true},
	{grade: 19, start: 1_450_00, step: 125_00, ceiling: 4_800_00, entryAge: 19, itp: 300_00, implementingGroup: true},
	{grade: 22, start: 2_100_00, step: 135_00, ceiling: 5_300_00, entryAge: 28, itp: 300_00, implementingGroup: true},
	{grade: 29, start: 1_950_00, step: 165_00, ceiling: 6_000_00, entryAge: 22, itp: 350_00, implementingGroup: true},
	{grade: 41, start: 2_350_00, step: 265_00, ceiling: 9_700_00, entryAge: 24, itp: 700_00, itk: 300_00},
	{grade: 44, start: 4_200_00, step: 300_00, ceiling: 11_000_00, entryAge: 32, itp: 1_000_00, itk: 400_00},
	{grade: 48, start: 5_700_00, step: 340_00, ceiling: 12_800_00, entryAge: 38, itp: 1_300_00, itk: 600_00},
	{grade: 52, start: 7_000_00, step: 380_00, ceiling: 14_200_00, entryAge: 44, itp: 1_500_00, itk: 900_00},
}

// sspaFrom is when the SSPA salary rise took effect (phase one).
var sspaFrom = time.Date(2024, time.December, 1, 0, 0, 0, 0, time.UTC)

// Tax and contribution constants, in sen.
const (
	personalRelief  = 9_000_00
	epfReliefCap    = 4_000_00
	socsoReliefCap  = 350_00
	smallIncome     = 35_000_00 // rebate of RM400 at or below it
	smallRebate     = 400_00
	socsoWageCapOld = 5_000_00 // PERKESO's insured wage ceiling until September 2024
	socsoWageCap    = 6_000_00 // from October 2024
	zakatRate       = 25       // per mille: 2.5% of income
	maxDeductions   = 60       // percent of the month's emoluments
)

var socsoCapFrom = time.Date(2024, time.October, 1, 0, 0, 0, 0, time.UTC)

// taxBands are LHDN's resident rates (years of assessment 2023 onwards): from, rate in
// hundredths of a percent, and the tax on everything below from.
var taxBands = []struct{ from, basisPoints, taxBelow int64 }{
	{400_000_00, 2500, 84_400_00},
	{100_000_00, 2500, 9_400_00},
	{70_000_00, 1900, 3_700_00},
	{50_000_00, 1100, 1_500_00},
	{35_000_00, 600, 600_00},
	{20_000_00, 300, 150_00},
	{5_000_00, 100, 0},
}

// annualTax is the resident's tax on a chargeable income, before zakat, in sen.
func annualTax(chargeable int64) int64 {
	var tax int64
	for _, b := range taxBands {
		if chargeable > b.from {
			tax = b.taxBelow + (chargeable-b.from)*b.basisPoints/10_000
			break
		}
	}
	if chargeable <= smallIncome {
		tax -= smallRebate
	}
	return max(tax, 0)
}

// payee is one staff member as the pay model sees them: what the payroll master says, and the
// standing choices (financing, zakat) drawn once, whatever the months generated.
type payee struct {
	roster
	scale          salaryScale
	serviceYears   int64 // on ReferenceDate
	epf            bool
	bsh            int64
	lppsa, kop     int64
	angkasa, zakat int64 // zakat: per mille of gross, 0 for none
	club, hajj     int64
	takaful        int64
	seed           uint64
}

// roster is the part of an employees row the records need.
type roster struct {
	IC          string `db:"ic_no"`
	SalaryNo    string `db:"salary_no"`
	Name        string `db:"name"`
	PTJCode     string `db:"ptj_code"`
	Grade       string `db:"grade"`
	BankAccount string `db:"bank_account"`
	KWSPNo      string `db:"kwsp_no"`
	TaxNo       string `db:"tax_no"`
	Children    *int   `db:"children"`
}

// newPayee draws a person's standing pay choices. Years of service are counted on
// ReferenceDate, like ages, not on the first month generated: that month moves with the
// clock, and a slip must stay the same whichever window it is generated in.
func newPayee(state *State, e roster) *payee {
	p := &payee{roster: e, scale: scaleOf(e.Grade), epf: e.KWSPNo != "", seed: seedOf("pay:" + state.Spec.Code + ":" + e.IC)}
	r := rand.New(rand.NewPCG(p.seed, 0))
	if age, ok := ageAt(e.IC, ReferenceDate); ok {
		p.serviceYears = max(age-p.scale.entryAge, 0)
	} else {
		p.serviceYears = int64(r.IntN(15))
	}
	// BSH is higher in the state capital's head offices (PTJ 01 of a department) than in
	// the districts.
	p.bsh = 250_00
	if strings.HasSuffix(e.PTJCode, "010000") {
		p.bsh = 300_00
	}
	basic := p.scale.start + p.serviceYears*p.scale.step
	if r.IntN(100) < 35 {
		p.lppsa = roundRinggit(min(basic, p.scale.ceiling) * int64(12+r.IntN(14)) / 100)
	}
	if r.IntN(100) < 30 {
		p.kop = int64(50+10*r.IntN(30)) * 100
	}
	if r.IntN(100) < 25 {
		p.angkasa = int64(150+25*r.IntN(30)) * 100
	}
	// Zakat on income is paid through the payroll by a good share of Muslim staff; MyKad
	// names of Muslims carry bin/binti (the generator's names follow that rule).
	if muslim(e.Name) && r.IntN(100) < 40 {
		p.zakat = zakatRate
	}
	if muslim(e.Name) && r.IntN(100) < 25 {
		p.hajj = int64(50+50*r.IntN(10)) * 100 // saving for the pilgrimage through Tabung Haji
	}
	if r.IntN(100) < 70 {
		p.club = pick(r, []int64{5_00, 10_00, 20_00}) // the department's sports and welfare club
	}
	if r.IntN(100) < 30 {
		p.takaful = int64(40+10*r.IntN(22)) * 100
	}
	return p
}

func muslim(name string) bool {
	return strings.Contains(name, " bin ") || strings.Contains(name, " binti ")
}

// scaleOf reads the level from a grade such as "DG41" or "N19".
func scaleOf(grade string) salaryScale {
	i := len(grade)
	for i > 0 && grade[i-1] >= '0' && grade[i-1] <= '9' {
		i--
	}
	n, err := strconv.Atoi(grade[i:])
	if err != nil {
		n = 19
	}
	s := scales[0]
	for _, sc := range scales {
		if sc.grade <= n {
			s = sc
		}
	}
	return s
}

// ageAt reads the birth date from a MyKad number: YYMMDD, a century chosen so the person is
// of working age.
func ageAt(ic string, at time.Time) (int64, bool) {
	if len(ic) < 6 {
		return 0, false
	}
	birth, err := time.Parse("060102", ic[:6])
	if err != nil {
		return 0, false
	}
	if birth.Year() > at.Year()-17 {
		birth = birth.AddDate(-100, 0, 0)
	}
	age := at.Year() - birth.Year()
	if at.YearDay() < birth.YearDay() {
		age--
	}
	return int64(age), true
}

// payLine is one line of a payslip.
type payLine struct {
	Kind, Code, Description string
	Amount                  int64 // sen
}

// Codes of the payslip lines; statements.go of the EC sums them by code.
const (
	codeBasic    = "GAJI"
	codeITP      = "ITP"
	codeITK      = "ITK"
	codeBSH      = "BSH"
	codeOvertime = "OT"
	codePCB      = "PCB"
	codeKWSP     = "KWSP"
	codePERKESO  = "PERKESO"
	codeSIP      = "SIP"
	codeLPPSA    = "LPPSA"
	codeKoperasi = "KOP"
	codeANGKASA  = "ANGKASA"
	codeZakat    = "ZAKAT"
	codeTakaful  = "TAKAFUL"
	codeHajj     = "TH"
	codeClub     = "KELAB"
)

// basicAt is the basic salary of the month: one increment per January counted from
// ReferenceDate (fewer before it, never below the entry point; up to the grade's ceiling),
// and the SSPA rise from December 2024.
func (p *payee) basicAt(month time.Time) int64 {
	years := int64(month.Year() - ReferenceDate.Year())
	basic := min(p.scale.start+max(p.serviceYears+years, 0)*p.scale.step, p.scale.ceiling)
	if !month.Before(sspaFrom) {
		pct := int64(110)
		if p.scale.implementingGroup {
			pct = 115
		}
		basic = basic * pct / 100
	}
	return basic
}

// slip is the person's payslip for month (its first day): a function of the person and the
// month alone.
func (p *payee) slip(month time.Time) []payLine {
	r := rand.New(rand.NewPCG(p.seed, uint64(month.Year()*12+int(month.Month()))))
	basic := p.basicAt(month)
	lines := []payLine{
		{"E", codeBasic, "Gaji Pokok", basic},
		{"E", codeITP, "Imbuhan Tetap Perumahan (ITP)", p.scale.itp},
	}
	if p.scale.itk > 0 {
		lines = append(lines, payLine{"E", codeITK, "Imbuhan Tetap Keraian (ITK)", p.scale.itk})
	}
	lines = append(lines, payLine{"E", codeBSH, "Bantuan Sara Hidup (BSH/COLA)", p.bsh})
	if p.scale.implementingGroup && r.IntN(100) < 12 {
		// The government's hourly rate: (monthly basic × 12) / (313 days × 8 hours), paid at
		// 1.125 on working days.
		hours := int64(6 + r.IntN(30))
		lines = append(lines, payLine{"E", codeOvertime, "Elaun Lebih Masa", basic * 12 * hours * 1125 / (313 * 8 * 1000)})
	}
	var gross int64
	for _, l := range lines {
		gross += l.Amount
	}
	return append(lines, p.deductions(month, basic, gross)...)
}

// deductions of a month with this basic salary and gross pay.
func (p *payee) deductions(month time.Time, basic, gross int64) []payLine {
	var out []payLine
	var epf, socso, eis int64
	if p.epf {
		// The employee's 11% of wages, rounded up to the ringgit as KWSP's schedule does.
		epf = roundUpRinggit(gross * 11 / 100)
		wageCap := int64(socsoWageCap)
		if month.Before(socsoCapFrom) {
			wageCap = socsoWageCapOld
		}
		insured := min(gross, wageCap)
		socso, eis = roundUp5Sen(insured*5/1000), roundUp5Sen(insured*2/1000)
		out = append(out, payLine{"D", codeKWSP, "Caruman KWSP (pekerja)", epf},
			payLine{"D", codePERKESO, "Caruman PERKESO (Skim Bencana Pekerjaan)", socso},
			payLine{"D", codeSIP, "Sistem Insurans Pekerjaan (SIP)", eis})
	}
	zakat := roundRinggit(gross * p.zakat / 1000)
	chargeable := 12*gross - personalRelief - min(12*epf, epfReliefCap) - min(12*(socso+eis), socsoReliefCap)
	pcb := roundUp5Sen(max(annualTax(max(chargeable, 0))/12-zakat, 0))
	// A month without tax has no PCB line; the EC still shows the year's D1, zero or not.
	if pcb > 0 {
		out = append(out, payLine{"D", codePCB, "Potongan Cukai Bulanan (PCB)", pcb})
	}
	if zakat > 0 {
		out = append(out, payLine{"D", codeZakat, "Zakat Pendapatan", zakat})
	}
	// Instalments in order of priority, each only while the total stays within the rule.
	room := gross*maxDeductions/100 - epf - socso - eis - pcb - zakat
	for _, l := range []payLine{
		{"D", codeLPPSA, "Bayaran Balik Pembiayaan Perumahan LPPSA", p.lppsa},
		{"D", codeKoperasi, "Potongan Koperasi", p.kop},
		{"D", codeANGKASA, "Potongan ANGKASA (Pembiayaan Peribadi)", p.angkasa},
		{"D", codeTakaful, "Potongan Takaful / Insurans", p.takaful},
		{"D", codeHajj, "Simpanan Tabung Haji", p.hajj},
		{"D", codeClub, "Yuran Kelab Sukan dan Kebajikan", p.club},
	} {
		if l.Amount > 0 && l.Amount <= room {
			out = append(out, l)
			room -= l.Amount
		}
	}
	return out
}

func roundRinggit(sen int64) int64   { return (sen + 50) / 100 * 100 }
func roundUpRinggit(sen int64) int64 { return (sen + 99) / 100 * 100 }
func roundUp5Sen(sen int64) int64    { return (sen + 4) / 5 * 5 }

// payDate is when a month's salary is paid. The civil service is paid before the month ends,
// on a date the Treasury fixes every year; the demo uses the rule most of those schedules
// follow: the 25th, or the working day before it when the 25th falls on the state's weekend
// (Friday and Saturday in Kelantan, Saturday and Sunday elsewhere). Public holidays are left
// out: they vary by state and year and would make the dates depend on a calendar table.
func payDate(state *State, month time.Time) time.Time {
	d := time.Date(month.Year(), month.Month(), 25, 0, 0, 0, 0, time.UTC)
	for weekend(state, d) {
		d = d.AddDate(0, 0, -1)
	}
	return d
}

// weekend: Kelantan rests on Friday and Saturday.
func weekend(state *State, d time.Time) bool {
	wd := d.Weekday()
	if state.Spec.Code == "kelantan" {
		return wd == time.Friday || wd == time.Saturday
	}
	return wd == time.Saturday || wd == time.Sunday
}

// formatSen writes an amount the way the feeds want it: 1234.56, no separators.
func formatSen(sen int64) string {
	sign := ""
	if sen < 0 {
		sign, sen = "-", -sen
	}
	return sign + strconv.FormatInt(sen/100, 10) + "." + strconv.FormatInt(sen%100/10, 10) + strconv.FormatInt(sen%10, 10)
}
