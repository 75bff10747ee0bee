package records

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/ledongthuc/pdf"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// pdfText extracts the text of every page.
func pdfText(t testing.TB, buf []byte) string {
	t.Helper()
	r, err := pdf.NewReader(bytes.NewReader(buf), int64(len(buf)))
	if err != nil {
		t.Fatalf("parse pdf: %v", err)
	}
	var out strings.Builder
	for i := 1; i <= r.NumPage(); i++ {
		rows, err := r.Page(i).GetTextByRow()
		if err != nil {
			t.Fatalf("pdf text: %v", err)
		}
		for _, row := range rows {
			for _, w := range row.Content {
				out.WriteString(w.S)
			}
			out.WriteString("\n")
		}
	}
	return out.String()
}

var imageObject = regexp.MustCompile(`(?s)/Subtype /Image\s*/Width (\d+)\s*/Height (\d+)\s*/ColorSpace /(\w+).*?/Length (\d+)\s*>>\s*stream\r?\n`)

// pdfImage is an image object of a PDF with its compressed data.
type pdfImage struct {
	w, h       int
	colorSpace string // DeviceRGB for the crest
	data       []byte
}

// pdfImages lists the image objects the PDF embeds.
func pdfImages(buf []byte) []pdfImage {
	var out []pdfImage
	for _, m := range imageObject.FindAllSubmatchIndex(buf, -1) {
		num := func(i int) int { n, _ := strconv.Atoi(string(buf[m[2*i]:m[2*i+1]])); return n }
		out = append(out, pdfImage{w: num(1), h: num(2), colorSpace: string(buf[m[6]:m[7]]), data: buf[m[1] : m[1]+num(4)]})
	}
	return out
}

// pdfQR decodes the QR code the PDF draws: the payload a phone would read from the printout.
func pdfQR(t testing.TB, buf []byte) string {
	t.Helper()
	text, err := pdfQRCode(buf)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// qrPixelsPerPoint is how finely pdfQRCode paints the QR code: about 8 pixels a module.
const qrPixelsPerPoint = 4

// pdfQRCode finds the filled rectangles a page of the PDF draws (the QR code's modules are
// the only ones), paints them black on white as a viewer would and decodes the QR code in
// that picture.
func pdfQRCode(buf []byte) (string, error) {
	r, err := pdf.NewReader(bytes.NewReader(buf), int64(len(buf)))
	if err != nil {
		return "", fmt.Errorf("parse pdf: %w", err)
	}
	for i := 1; i <= r.NumPage(); i++ {
		if rects := r.Page(i).Content().Rect; len(rects) > 0 {
			return decodeQR(paintRects(rects))
		}
	}
	return "", fmt.Errorf("no QR code drawn in the pdf")
}

// paintRects paints rects (PDF coordinates, y up) black on a white picture of their
// bounding box, with the standard's four-module quiet zone and more around it: gozxing's
// finder-pattern search sometimes looks past a tight edge.
func paintRects(rects []pdf.Rect) *image.Gray {
	for i, r := range rects { // a rectangle drawn with a negative height (fpdf's, y down)
		rects[i].Min.X, rects[i].Max.X = min(r.Min.X, r.Max.X), max(r.Min.X, r.Max.X)
		rects[i].Min.Y, rects[i].Max.Y = min(r.Min.Y, r.Max.Y), max(r.Min.Y, r.Max.Y)
	}
	box := rects[0]
	for _, r := range rects[1:] {
		box.Min.X, box.Min.Y = min(box.Min.X, r.Min.X), min(box.Min.Y, r.Min.Y)
		box.Max.X, box.Max.Y = max(box.Max.X, r.Max.X), max(box.Max.Y, r.Max.Y)
	}
	const pad = 32 // pixels
	px := func(v float64) int { return int(math.Round(v * qrPixelsPerPoint)) }
	img := image.NewGray(image.Rect(0, 0, px(box.Max.X-box.Min.X)+2*pad, px(box.Max.Y-box.Min.Y)+2*pad))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for _, r := range rects {
		for y := pad + px(box.Max.Y-r.Max.Y); y < pad+px(box.Max.Y-r.Min.Y); y++ {
			for x := pad + px(r.Min.X-box.Min.X); x < pad+px(r.Max.X-box.Min.X); x++ {
				img.SetGray(x, y, color.Gray{})
			}
		}
	}
	return img
}

// decodeQR reads the QR code in img. The picture holds the code alone on white, so the
// reader is told so first (PURE_BARCODE: the modules are read off the grid, no finder-pattern
// search); the search, trying hard as a scanner would, comes second. The search alone failed
// now and then on some codes (the verification token, so the code, changes every run).
func decodeQR(img image.Image) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", fmt.Errorf("qr bitmap: %w", err)
	}
	var errs []error
	for _, hint := range []gozxing.DecodeHintType{gozxing.DecodeHintType_PURE_BARCODE, gozxing.DecodeHintType_TRY_HARDER} {
		res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]interface{}{hint: true})
		if err == nil {
			return res.GetText(), nil
		}
		errs = append(errs, err)
	}
	return "", fmt.Errorf("decode qr: %w", errors.Join(errs...))
}

// pdfPictures describes what a PDF pictures besides its text: each image's colour space and
// size, then "QR" when a page draws a QR code that decodes.
func pdfPictures(buf []byte) string {
	var out []string
	for _, i := range pdfImages(buf) {
		out = append(out, i.colorSpace+" "+strconv.Itoa(i.w)+"x"+strconv.Itoa(i.h))
	}
	if _, err := pdfQRCode(buf); err == nil {
		out = append(out, "QR")
	}
	return strings.Join(out, ", ")
}

func TestPDFs(t *testing.T) {
	f := newFixture(t)
	t.Run("payslip", func(t *testing.T) {
		r := f.do(t, http.MethodGet, "kelantan", "aminah", "/api/v1/payslips/2026/10.pdf", "")
		if r.Status != 200 || r.Header.Get("Content-Type") != "application/pdf" || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("%d %v %s", r.Status, r.Header, r.Raw)
		}
		text := pdfText(t, []byte(r.Raw))
		for _, want := range []string{"Kerajaan Negeri Negeri kelantan", "PENYATA GAJI", "Oktober 2026", "Aminah binti Ahmad", "********5523",
			"4,521.30", "5,071.30", "1,807.84", "RM 3,263.46", "LPPSA Pembiayaan Perumahan", "RM 9,892.60", "23/10/2026"} {
			if !strings.Contains(text, want) {
				t.Errorf("payslip pdf lacks %q:\n%s", want, text)
			}
		}
		var js struct {
			VerifyURL  string `json:"verify_url"`
			VerifyCode string `json:"verify_code"`
		}
		f.do(t, http.MethodGet, "kelantan", "aminah", "/api/v1/payslips/2026/10", "").JSON(t, &js)
		if got := pdfQR(t, []byte(r.Raw)); got != js.VerifyURL {
			t.Errorf("qr payload %q, want %q", got, js.VerifyURL)
		}
		if !strings.Contains(text, js.VerifyURL) || !strings.Contains(text, js.VerifyCode) {
			t.Errorf("verify url or code not printed: %s", text)
		}
		if f.auditCount(t, "kelantan", 1, ActionPayslipPDF) != 1 {
			t.Errorf("download not audited")
		}
		en := pdfText(t, []byte(f.do(t, http.MethodGet, "kelantan", "aminah", "/api/v1/payslips/2026/10.pdf?lang=en", "").Raw))
		if !strings.Contains(en, "PAYSLIP") || !strings.Contains(en, "October 2026") || !strings.Contains(en, "Net pay") {
			t.Errorf("english pdf: %s", en)
		}
	})
	t.Run("statement", func(t *testing.T) {
		r := f.do(t, http.MethodGet, "kelantan", "aminah", "/api/v1/statements/2025.pdf", "")
		if r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Raw)
		}
		text := pdfText(t, []byte(r.Raw))
		for _, want := range []string{"BORANG EC", "E1234567", "SG10012345", "54,255.60", "57,855.60", "2,526.00", "5,968.08",
			"A. Butiran pekerja", "A1 Nama penuh pekerja", "A7 No. PERKESO", "********5523",
			"B. Pendapatan penggajian, manfaat dan tempat kediaman", "C. Pencen dan lain-lain", "D. Jumlah potongan",
			"E. Caruman yang dibayar oleh pekerja", "F. Jumlah elaun, perkuisit, pemberian dan manfaat yang dikecualikan cukai",
			"B1aGaji kasar", "B1bFi (termasuk fi pengarah), komisen atau bonus–", "B6Pampasan kerana kehilangan pekerjaan–",
			"C1Pencen–", "D2Arahan potongan CP38–", "D5Jumlah pelepasan bagi anak yang layak–", "E2PERKESO", "F1Elaun"} {
			if !strings.Contains(text, want) {
				t.Errorf("EC pdf lacks %q:\n%s", want, text)
			}
		}
		if strings.Contains(text, icAminah) {
			t.Error("the EC pdf prints the full IC number")
		}
		en := pdfText(t, []byte(f.do(t, http.MethodGet, "kelantan", "aminah", "/api/v1/statements/2025.pdf?lang=en", "").Raw))
		for _, want := range []string{"A. Particulars of the employee", "KWAP No.KW1001", "A8 Number of children",
			"B. Employment income, benefits and living accommodation", "C. Pension and others", "D. Total deductions",
			"E. Contributions paid by the employee", "F. Total tax-exempt allowances, perquisites, gifts and benefits",
			"B1dIncome tax borne by the employer on behalf of the employee–", "B1eGratuity–", "B2Arrears", "B3Benefits in kind–",
			"B4Value of living accommodation–", "D1Monthly tax deductions (PCB) remitted to LHDNM2,526.00", "D4aRelief claimed by the employee through Form TP1–",
			"E1EPF (KWSP) or KWAP: employee's compulsory contribution5,968.08"} {
			if !strings.Contains(en, want) {
				t.Errorf("English EC pdf lacks %q:\n%s", want, en)
			}
		}
		if !strings.Contains(pdfQR(t, []byte(r.Raw)), "http://kelantan.example.test/verify/") {
			t.Errorf("EC qr")
		}
		if r := f.do(t, http.MethodGet, "kelantan", "badrul", "/api/v1/statements/2025.pdf", ""); r.Status != 404 {
			t.Errorf("another person's EC: %d", r.Status)
		}
	})
	t.Run("payment advice", func(t *testing.T) {
		f.do(t, http.MethodPost, "kelantan", "contoh", "/api/v1/payments/PV-0001/verify", `{"account_no":"512345678901"}`)
		r := f.do(t, http.MethodGet, "kelantan", "contoh", "/api/v1/payments/PV-0001.pdf", "")
		if r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Raw)
		}
		text := pdfText(t, []byte(r.Raw))
		for _, want := range []string{"eMaklum", "PV-0001", "EFT0001", "INV-1", "1,000.00", "1,500.00", "Diterima oleh bank", "********8901", "05/10/2026"} {
			if !strings.Contains(text, want) {
				t.Errorf("advice lacks %q:\n%s", want, text)
			}
		}
		if !strings.Contains(pdfQR(t, []byte(r.Raw)), "/verify/") {
			t.Errorf("advice qr")
		}
	})
}

// TestRenderPDFConcurrently renders different payslips at once: the parsed fonts, the width
// tables, a prepared crest and the PNG encoder's buffers are shared between requests, so
// each PDF must still carry only its own holder and QR payload (and -race must stay quiet).
func TestRenderPDFConcurrently(t *testing.T) {
	const n = 8
	logo, err := prepareLogo(testLogo(t, 300, 200))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	out := make([][]byte, n)
	errs := make([]error, n)
	for i := range n {
		ps := benchPayslip()
		ps.Employee.Name = fmt.Sprintf("Pegawai Ujian %d", i)
		ps.Verification.VerifyURL = fmt.Sprintf("https://ispeks.kelantan.gov.my/verify/token-%d", i)
		d := payslipDoc(ps, "Kerajaan Negeri Kelantan", identity)
		if i%2 == 0 {
			d.Logo = logo // one prepared crest shared by concurrent PDFs, as the crest cache shares it
		}
		wg.Go(func() { out[i], errs[i] = renderPDF(d) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("pdf %d: %v", i, errs[i])
		}
		text := pdfText(t, out[i])
		if want := fmt.Sprintf("Pegawai Ujian %d", i); !strings.Contains(text, want) || strings.Count(text, "Pegawai Ujian") != 1 {
			t.Errorf("pdf %d: want only %q in:\n%s", i, want, text)
		}
		if got, want := pdfQR(t, out[i]), fmt.Sprintf("https://ispeks.kelantan.gov.my/verify/token-%d", i); got != want {
			t.Errorf("pdf %d: qr %q, want %q", i, got, want)
		}
	}
}
