package records

import (
	"syscall"
	"testing"
	"time"

	"github.com/speks-portal/speks/modules/foundation/ids"
	"github.com/speks-portal/speks/modules/foundation/money"
)

// benchPayslip is a typical civil-service payslip: 6 earnings, 9 deductions.
func benchPayslip() *Payslip {
	ps := &Payslip{
		PayslipSummary: PayslipSummary{Year: 2026, Month: 10, PayDate: "2026-10-23", Gross: 612345, TotalDeductions: 198765, Net: 413580},
		Employee: Employee{Name: "Aminah binti Ahmad", ICMasked: ids.Mask(icAminah), SalaryNo: "G1001", Position: "Jurutera",
			Grade: "J41", Department: "Jabatan Kerja Raya", PTJ: "JKR Ibu Pejabat", Bank: "Bank Islam", AccountMasked: ids.Mask("12010012345678")},
		YTD:          YTD{Gross: 6123450, Deductions: 1987650, Net: 4135800},
		Verification: Verification{VerifyURL: "https://ispeks.kelantan.gov.my/verify/Rfz-bK9JH5VYlaREhwyPF2JHF0A7", VerifyCode: "A9BC-1F2E"},
	}
	for i, d := range []string{"Gaji Pokok", "Imbuhan Tetap Perumahan", "Imbuhan Tetap Khidmat Awam", "Bantuan Sara Hidup", "Elaun Lebih Masa", "Elaun Perjalanan"} {
		ps.Earnings = append(ps.Earnings, Line{Code: "000" + string(rune('1'+i)), Description: d, Amount: money.Sen(100000 + i*1234)})
	}
	for i, d := range []string{"Cukai Pendapatan (PCB)", "Caruman KWSP", "PERKESO", "LPPSA Pembiayaan Perumahan", "Koperasi Guru", "ANGKASA", "Zakat", "Takaful", "Kelab Sukan"} {
		ps.Deductions = append(ps.Deductions, Line{Code: "40" + string(rune('1'+i)) + "1", Description: d, Amount: money.Sen(5000 + i*999)})
	}
	return ps
}

func identity(id string) string { return id }

// BenchmarkPayslipPDF measures laying out, QR-encoding and writing one payslip PDF
// (target: well under 20 ms).
// Besides ns/op (wall time, which on a shared machine includes waiting for a core) it
// reports pdf/cpu-s: documents per second of the process's CPU time (user + system, the
// garbage collector included), the number that sizes a replica.
func BenchmarkPayslipPDF(b *testing.B) {
	doc := payslipDoc(benchPayslip(), "Kerajaan Negeri Kelantan", identity)
	b.ReportAllocs()
	start := cpuTime(b)
	for b.Loop() {
		if _, err := renderPDF(doc); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/(cpuTime(b)-start).Seconds(), "pdf/cpu-s")
}

// cpuTime is the CPU time the process has used so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPayslipPDFWithCrest is the same payslip with a state's crest (prepared once, as
// the crest cache keeps it) in the header.
func BenchmarkPayslipPDFWithCrest(b *testing.B) {
	logo, err := prepareLogo(testLogo(b, 1024, 1024))
	if err != nil {
		b.Fatal(err)
	}
	doc := payslipDoc(benchPayslip(), "Kerajaan Negeri Kelantan", identity)
	doc.Logo = logo
	b.ReportAllocs()
	for b.Loop() {
		if _, err := renderPDF(doc); err != nil {
			b.Fatal(err)
		}
	}
}
