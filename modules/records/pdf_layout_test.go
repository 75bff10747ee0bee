package records

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/speks-portal/speks/modules/foundation/ids"
	"github.com/speks-portal/speks/modules/foundation/money"
	"go.yaml.in/yaml/v3"
)

// Long values real payrolls carry: the longest job titles and department names of the
// states, and a position of 200 characters.
var (
	longPosition   = "Penolong Pegawai Teknologi Maklumat Kanan (Gred FA29) Pusat Teknologi Maklumat dan Komunikasi Negeri"
	longDepartment = "Jabatan Perkhidmatan Pembetungan dan Pengurusan Sisa Pepejal Negeri Sembilan"
	position200    = strings.Repeat("Pegawai Tadbir dan Diplomatik ", 7)[:199] + "X"
	longPTJ        = "Bahagian Pengurusan Sumber Manusia dan Pembangunan Kompetensi Pejabat Setiausaha Kerajaan Negeri"
	longIssuer     = "Kerajaan Negeri Negeri Sembilan Darul Khusus"
)

// longPayslip is the benchmark payslip with the longest particulars.
func longPayslip(position string) *Payslip {
	ps := benchPayslip()
	ps.Employee.Name = "Nur Aisyah Humaira binti Wan Muhammad Khairul Anuar Al-Haddad"
	ps.Employee.Position, ps.Employee.Department, ps.Employee.PTJ = position, longDepartment, longPTJ
	ps.Employee.Bank = "Bank Kerjasama Rakyat Malaysia Berhad (Bank Rakyat)"
	ps.Earnings[1].Description = "Imbuhan Tetap Perumahan bagi Pegawai yang Bertugas di Kawasan Pedalaman dan Pulau-pulau Terpencil"
	ps.Deductions[3].Code = "LPPSA-PINJAMAN-PERUMAHAN"
	return ps
}

func longStatement() *Statement {
	st := &Statement{Year: 2025,
		Employer: StatementParty{Name: longIssuer, EmployerNo: "E1234567", Department: longDepartment},
		Employee: StatementPerson{Name: "Aminah binti Ahmad", ICMasked: ids.Mask(icAminah), TaxNo: "SG10012345", KWSPNo: "KW1001",
			SalaryNo: "G1001", Position: longPosition},
		Sections: []StatementGroup{
			{Section: "B Pendapatan penggajian, gaji, upah, elaun, bonus, komisen, ganjaran dan manfaat berupa barangan yang dinikmati sepanjang tahun",
				Items: []Line{{Code: "B1", Description: "Gaji / Upah", Amount: 5425560}, {Code: "B2", Description: longDepartment, Amount: 360000}}, Total: 5785560},
			{Section: "D Potongan", Items: []Line{{Code: "D1", Description: "Potongan Cukai Bulanan (PCB)", Amount: 252600}}, Total: 252600},
		},
		Verification: Verification{VerifyURL: "https://p.ispeks.negerisembilan.gov.my/verify/Rfz-bK9JH5VYlaREhwyPF2JHF0A7xyzXYZ0123456789", VerifyCode: "A9BC-1F2E"},
	}
	// Every part of the form, its long item names, and two items the form does not number
	// (B1, B2: data sent before the feed checked codes) with the feed's long words.
	st.Form = ecForm(st.Sections)
	return st
}

func longPayment() *Payment {
	p := &Payment{PaymentSummary: PaymentSummary{Ref: "PV-2026-000123", VoucherNo: "V2026/05/000123", ChequeEFTNo: "EFT0001",
		PaymentDate: "2026-10-05", Amount: 123456789, Status: "received_by_bank", PayerPTJ: longPTJ,
		Description: "Bekalan dan pemasangan peralatan rangkaian serta perkhidmatan penyelenggaraan pencegahan bagi tempoh dua belas bulan"},
		PayeeName: "Syarikat Pembinaan dan Kejuruteraan Awam Teknologi Hijau Nusantara Sdn Bhd", Bank: "Maybank",
		AccountMasked: ids.Mask("512345678901"),
		Verification:  Verification{VerifyURL: "https://ispeks.kelantan.gov.my/verify/abc", VerifyCode: "1234-ABCD"}}
	for i := range 12 {
		p.Invoices = append(p.Invoices, Invoice{InvoiceNo: fmt.Sprintf("INV/2026/KEJURUTERAAN-AWAM/%05d", i), Amount: money.Sen(1000000 + i)})
	}
	return p
}

// testLogo is a crest-like PNG of w×h with transparent corners.
func testLogo(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			dx, dy := float64(x-w/2)/float64(w/2), float64(y-h/2)/float64(h/2)
			if dx*dx+dy*dy <= 1 {
				img.Set(x, y, color.NRGBA{R: 0xb0, G: 0x13, B: 0x1d, A: 0xff})
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// layoutCase is one document to lay out.
type layoutCase struct {
	name string
	doc  *pdfDoc
	want []string // text that must be printed whole (wrapped words rejoined)
}

// localeLabels are the module's messages in lang, read from its locale file: the layout
// tests print the real labels, whose lengths matter.
func localeLabels(t testing.TB, lang string) Labeller {
	t.Helper()
	raw, err := localeFiles.ReadFile("locales/records." + lang + ".yaml")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	if err := yaml.Unmarshal(raw, &m); err != nil {
		t.Fatalf("locale %s: %v", lang, err)
	}
	return func(id string) string {
		if s, ok := m[id]; ok {
			return s
		}
		t.Errorf("no %s message %s", lang, id)
		return id
	}
}

func layoutCases(t testing.TB, L Labeller, logo *pdfLogo) []layoutCase {
	many := longPayslip(longPosition)
	for i := range 40 { // more lines than one page holds
		many.Deductions = append(many.Deductions, Line{Code: fmt.Sprintf("9%03d", i), Description: "Potongan Koperasi " + longPTJ, Amount: money.Sen(1000 + i)})
	}
	cases := []layoutCase{
		{"payslip longest title", payslipDoc(longPayslip(longPosition), longIssuer, L), []string{longPosition, longDepartment, longPTJ, longIssuer}},
		{"payslip 200-character position", payslipDoc(longPayslip(position200), longIssuer, L), []string{position200, longDepartment}},
		{"payslip over two pages", payslipDoc(many, longIssuer, L), []string{longPosition, "9039"}},
		{"EC statement", statementDoc(longStatement(), longIssuer, L), []string{longPosition, longDepartment, longIssuer}},
		{"payment advice", paymentDoc(longPayment(), longIssuer, L), []string{longPTJ, "INV/2026/KEJURUTERAAN-AWAM/00011"}},
	}
	for _, c := range cases {
		c.doc.Logo = logo
	}
	return cases
}

// TestPDFLayoutLongValues lays out every kind of PDF with the longest real values, with and
// without a crest, and checks the boxes the layout drew: no two overlap, none crosses a
// margin, and every long value is printed whole.
func TestPDFLayoutLongValues(t *testing.T) {
	logo, err := prepareLogo(testLogo(t, 600, 400))
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"ms", "en"} {
		for _, withLogo := range []*pdfLogo{nil, logo} {
			for _, c := range layoutCases(t, localeLabels(t, lang), withLogo) {
				name := lang + " " + c.name + map[bool]string{true: " with crest", false: " without crest"}[withLogo != nil]
				t.Run(name, func(t *testing.T) {
					buf, boxes, err := layoutPDF(c.doc)
					if err != nil {
						t.Fatal(err)
					}
					savePDFIfAsked(t, name, buf)
					checkBoxes(t, boxes)
					checkPageNumbers(t, c.doc, boxes)
					printed := joinedText(boxes) // a value wrapped between words reads as it came
					for _, want := range c.want {
						if !strings.Contains(printed, want) {
							t.Errorf("%q not printed whole in:\n%s", want, printed)
						}
					}
					if text := pdfText(t, buf); !strings.Contains(text, c.doc.VerifyCode) {
						t.Errorf("verification code missing from the text:\n%s", text)
					}
				})
			}
		}
	}
}

// checkBoxes fails for a box outside the margins or two boxes of a page that overlap.
func checkBoxes(t *testing.T, boxes []drawnBox) {
	t.Helper()
	const eps = 0.01
	if len(boxes) < 20 {
		t.Fatalf("only %d boxes recorded", len(boxes))
	}
	for i, a := range boxes {
		if a.X < margin-eps || a.Y < margin-eps || a.X+a.W > pageW-margin+eps || a.Y+a.H > pageH-margin+eps {
			t.Errorf("page %d: %q at x %.1f–%.1f, y %.1f–%.1f crosses the margin", a.Page, a.Text, a.X, a.X+a.W, a.Y, a.Y+a.H)
		}
		for _, b := range boxes[i+1:] {
			if a.Page == b.Page && a.X < b.X+b.W-eps && b.X < a.X+a.W-eps && a.Y < b.Y+b.H-eps && b.Y < a.Y+a.H-eps {
				t.Errorf("page %d: %q (%.1f,%.1f %.1f×%.1f) overlaps %q (%.1f,%.1f %.1f×%.1f)",
					a.Page, a.Text, a.X, a.Y, a.W, a.H, b.Text, b.X, b.Y, b.W, b.H)
			}
		}
	}
}

// checkPageNumbers: a document of more than one page numbers every page at its foot, and
// each continuation page names the state and the document at its top.
func checkPageNumbers(t *testing.T, d *pdfDoc, boxes []drawnBox) {
	t.Helper()
	pages := boxes[len(boxes)-1].Page
	if pages == 1 {
		return
	}
	for p := 1; p <= pages; p++ {
		number, named := false, p == 1
		for _, b := range boxes {
			number = number || b.Page == p && b.Text == fmt.Sprintf("%s %d %s %d", d.PageOf[0], p, d.PageOf[1], pages) && b.Y > bottom-12
			named = named || b.Page == p && strings.HasPrefix(b.Text, d.Issuer+" · "+d.Title) && b.Y < margin+12
		}
		if !number || !named {
			t.Errorf("page %d of %d: page number %v, continuation line %v", p, pages, number, named)
		}
	}
}

// joinedText is the printed text with each wrapped value's lines joined by a space.
func joinedText(boxes []drawnBox) string {
	var b strings.Builder
	for _, box := range boxes {
		b.WriteString(box.Text)
		b.WriteString(" ")
	}
	return b.String()
}

// savePDFIfAsked writes the PDF into $SPEKS_SCREENSHOTS when that is set, to be looked at.
func savePDFIfAsked(t *testing.T, name string, buf []byte) {
	dir := os.Getenv("SPEKS_SCREENSHOTS")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	file := strings.NewReplacer(" ", "-", "/", "-").Replace(name) + ".pdf"
	if err := os.WriteFile(filepath.Join(dir, file), buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestWrapLongValues(t *testing.T) {
	doc := payslipDoc(longPayslip(position200), longIssuer, localeLabels(t, "ms"))
	_, boxes, err := layoutPDF(doc)
	if err != nil {
		t.Fatal(err)
	}
	var lines []drawnBox
	for _, b := range boxes {
		if strings.Contains(position200, b.Text) && len(b.Text) > 10 {
			lines = append(lines, b)
		}
	}
	if len(lines) < 4 {
		t.Fatalf("a 200-character position in %d lines: %+v", len(lines), lines)
	}
	for i, l := range lines {
		if l.X != lines[0].X || l.W > fieldValueW+0.01 {
			t.Errorf("line %d %q at x %.1f, %.1f wide: not in the value column", i, l.Text, l.X, l.W)
		}
		if i > 0 && l.Y <= lines[i-1].Y {
			t.Errorf("line %d is not below line %d", i, i-1)
		}
	}
	// A word wider than its column (the deduction code here) is cut, not left to run past it.
	var code []string
	for _, b := range boxes {
		if b.Text != "" && b.X == margin && strings.Contains("LPPSA-PINJAMAN-PERUMAHAN", b.Text) {
			code = append(code, b.Text)
			if b.W > tableCodeW+0.01 {
				t.Errorf("code piece %q is %.1f wide", b.Text, b.W)
			}
		}
	}
	if strings.Join(code, "") != "LPPSA-PINJAMAN-PERUMAHAN" || len(code) < 2 {
		t.Errorf("long code printed as %q", code)
	}
}

var isoDate = regexp.MustCompile(`\b\d{4}-\d{2}-\d{2}\b`)

// TestPDFDatesAreDayMonthYear: every date a person reads on a payslip or payment advice is
// dd/mm/yyyy.
func TestPDFDatesAreDayMonthYear(t *testing.T) {
	for _, c := range []struct {
		name string
		doc  *pdfDoc
		want []string
	}{
		{"payslip", payslipDoc(benchPayslip(), "Kerajaan Negeri Kelantan", identity), []string{"23/10/2026"}},
		{"payment advice", paymentDoc(longPayment(), "Kerajaan Negeri Kelantan", identity), []string{"05/10/2026"}},
	} {
		text := pdfText(t, mustRender(t, c.doc))
		for _, want := range c.want {
			if !strings.Contains(text, want) {
				t.Errorf("%s lacks the date %s:\n%s", c.name, want, text)
			}
		}
		if iso := isoDate.FindString(text); iso != "" {
			t.Errorf("%s prints the ISO date %s:\n%s", c.name, iso, text)
		}
	}
	for in, want := range map[string]string{"2026-01-31": "31/01/2026", "": "", "31/01/2026": "31/01/2026", "bukan tarikh": "bukan tarikh"} {
		if got := printedDate(in); got != want {
			t.Errorf("printedDate(%q) = %q, want %q", in, got, want)
		}
	}
}

func mustRender(t testing.TB, d *pdfDoc) []byte {
	t.Helper()
	buf, err := renderPDF(d)
	if err != nil {
		t.Fatal(err)
	}
	return buf
}

// TestPDFTextInWinAnsi: text is printed in the standard fonts' code page, so Latin letters
// with accents and the middle dot print as themselves and a character outside it as "?".
func TestPDFTextInWinAnsi(t *testing.T) {
	for in, want := range map[string]string{
		"Kerajaan Negeri · PENYATA GAJI": "Kerajaan Negeri \xb7 PENYATA GAJI",
		"Zoë Núñez":                      "Zo\xeb N\xfa\xf1ez",
		"Pegawai 日本":                     "Pegawai ??",
		"RM 1,234.56":                    "RM 1,234.56",
	} {
		if got := winAnsi(in); got != want {
			t.Errorf("winAnsi(%q) = %q, want %q", in, got, want)
		}
	}
	ps := benchPayslip()
	ps.Employee.Name = "Zoë Núñez a/l Rāmasāmy 日本"
	text := pdfText(t, mustRender(t, payslipDoc(ps, "Kerajaan Negeri Kelantan", identity)))
	if !strings.Contains(text, "Zoë Núñez a/l R?mas?my ??") {
		t.Errorf("the name is not printed with its Latin letters and ? for the others:\n%s", text)
	}
}
