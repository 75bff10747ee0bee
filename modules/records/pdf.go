package records

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"sync"

	"github.com/signintech/gopdf"
	"github.com/skip2/go-qrcode"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
)

// Labeller translates a message ID into the reader's language (web.T bound to a request).
type Labeller func(id string) string

// pdfDoc is the printable form every record kind is laid out into: one A4 page with the
// state's name and crest, a title, the holder's particulars, amount tables, a summary and
// the verification block (QR code, URL and short code).
type pdfDoc struct {
	Issuer     string
	Title      string
	Period     string
	Fields     [][2]string
	Tables     []pdfTable
	Summary    [][2]string
	VerifyURL  string
	VerifyCode string
	Note       string
}

type pdfTable struct {
	Title string
	Rows  [][3]string // code, description, amount
	Total [2]string   // label, amount
}

// A4 in points and the page's margins.
const (
	pageW, pageH = 595.28, 841.89
	margin       = 40.0
	contentW     = pageW - 2*margin
	qrSize       = 92.0
	qrScale      = 4 // image pixels per QR module
)

// pdfFonts parses the embedded fonts once per process: parsing the two TrueType files was
// about a tenth of each PDF's time. gopdf copies the parsed font into each document and only
// reads the shared tables while subsetting, so one container serves concurrent requests.
var pdfFonts = sync.OnceValues(func() (*gopdf.FontContainer, error) {
	fc := &gopdf.FontContainer{}
	if err := fc.AddTTFFontData("regular", goregular.TTF); err != nil {
		return nil, fmt.Errorf("pdf font regular: %w", err)
	}
	if err := fc.AddTTFFontData("bold", gobold.TTF); err != nil {
		return nil, fmt.Errorf("pdf font bold: %w", err)
	}
	return fc, nil
})

// renderPDF lays d out and returns the PDF. The fonts are the Go fonts (BSD licence),
// embedded in the binary and subset into each file, so Malay text and "RM" amounts print
// the same everywhere.
func renderPDF(d *pdfDoc) ([]byte, error) {
	fonts, err := pdfFonts()
	if err != nil {
		return nil, err
	}
	pdf := &gopdf.GoPdf{}
	pdf.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4, Unit: gopdf.UnitPT})
	// The page's content stream is left uncompressed: deflating it took a fresh ~1 MB
	// compressor per PDF and about 15 % of its CPU time, to save some 6 KB of a 34 KB file.
	// (gopdf always deflates the font subsets; the QR image arrives deflated as PNG.)
	pdf.SetNoCompression()
	pdf.SetInfo(gopdf.PdfInfo{Title: d.Title + " " + d.Period, Author: d.Issuer, Creator: "SPEKS Portal"})
	for _, family := range []string{"regular", "bold"} {
		if err := pdf.AddTTFFontFromFontContainer(family, fonts); err != nil {
			return nil, fmt.Errorf("pdf font %s: %w", family, err)
		}
	}
	pdf.AddPage()
	w := &pdfWriter{pdf: pdf, y: margin}
	w.header(d)
	w.fields(d.Fields)
	for _, t := range d.Tables {
		w.table(t)
	}
	w.fields(d.Summary)
	if err := w.verification(d); err != nil {
		return nil, err
	}
	if w.err != nil {
		return nil, fmt.Errorf("pdf layout: %w", w.err)
	}
	var buf bytes.Buffer
	if _, err := pdf.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("pdf write: %w", err)
	}
	return buf.Bytes(), nil
}

// pdfWriter moves down the page; the first error sticks and stops further drawing.
type pdfWriter struct {
	pdf *gopdf.GoPdf
	y   float64
	err error
}

func (w *pdfWriter) font(name string, size float64) {
	if w.err == nil {
		w.err = w.pdf.SetFont(name, "", size)
	}
}

// text writes s at x on the current line; align right puts its end at x.
func (w *pdfWriter) text(x float64, s string, right bool) {
	if w.err != nil || s == "" {
		return
	}
	if right {
		width, err := w.pdf.MeasureTextWidth(s)
		if err != nil {
			w.err = err
			return
		}
		x -= width
	}
	w.pdf.SetXY(x, w.y)
	w.err = w.pdf.Text(s)
}

func (w *pdfWriter) rule() {
	w.pdf.SetLineWidth(0.6)
	w.pdf.Line(margin, w.y, pageW-margin, w.y)
}

// header: crest placeholder, the state, the document title and period.
func (w *pdfWriter) header(d *pdfDoc) {
	w.pdf.SetLineWidth(1)
	w.pdf.SetStrokeColor(120, 120, 120)
	w.pdf.RectFromUpperLeftWithStyle(margin, w.y, 48, 48, "D")
	w.font("bold", 7)
	w.y += 27
	w.text(margin+9, "JATA", false)
	w.y -= 27
	w.font("bold", 14)
	w.y += 14
	w.text(margin+62, d.Issuer, false)
	w.font("bold", 12)
	w.y += 18
	w.text(margin+62, d.Title, false)
	w.font("regular", 10)
	w.y += 15
	w.text(margin+62, d.Period, false)
	w.y += 14
	w.pdf.SetStrokeColor(0, 0, 0)
	w.rule()
	w.y += 16
}

// fields prints label: value pairs in two columns.
func (w *pdfWriter) fields(pairs [][2]string) {
	for i, p := range pairs {
		x := margin
		if i%2 == 1 {
			x = margin + contentW/2
		}
		w.font("regular", 8)
		w.text(x, p[0], false)
		w.font("bold", 9)
		w.text(x+95, p[1], false)
		if i%2 == 1 || i == len(pairs)-1 {
			w.y += 14
		}
	}
	w.y += 6
}

func (w *pdfWriter) table(t pdfTable) {
	w.font("bold", 10)
	w.text(margin, t.Title, false)
	w.y += 5
	w.rule()
	w.y += 12
	w.font("regular", 9)
	for _, r := range t.Rows {
		w.text(margin, r[0], false)
		w.text(margin+70, r[1], false)
		w.text(pageW-margin, r[2], true)
		w.y += 13
	}
	w.y -= 8
	w.rule()
	w.y += 12
	w.font("bold", 9)
	w.text(margin+70, t.Total[0], false)
	w.text(pageW-margin, t.Total[1], true)
	w.y += 20
}

// verification draws the QR code of the verify URL with the URL and the short code beside.
func (w *pdfWriter) verification(d *pdfDoc) error {
	if d.VerifyURL == "" {
		return nil
	}
	img, err := qrPNG(d.VerifyURL)
	if err != nil {
		return err
	}
	top := pageH - margin - qrSize - 10
	if w.y > top {
		top = w.y
	}
	if err := w.pdf.ImageByHolder(img, margin, top, &gopdf.Rect{W: qrSize, H: qrSize}); err != nil {
		return fmt.Errorf("pdf qr image: %w", err)
	}
	w.y = top + 18
	x := margin + qrSize + 12
	w.font("bold", 9)
	w.text(x, d.Note, false)
	w.y += 14
	w.font("regular", 8)
	w.text(x, d.VerifyURL, false)
	w.y += 14
	w.font("bold", 11)
	w.text(x, d.VerifyCode, false)
	return nil
}

// qrEncoder writes the QR image as PNG, whose compressed rows gopdf embeds as they are
// (FlateDecode with the PNG predictor). Encoding it here rather than through ImageFrom
// (a goroutine and a pipe per image, and a fresh default-level zlib compressor of about
// 1 MB) reuses the compressor between documents; the fastest level costs a few bytes on an
// image of two colours.
var qrEncoder = png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: &pngBuffers{}}

// pngBuffers lends the PNG encoder's buffers (and zlib writer) to one PDF at a time.
type pngBuffers struct{ pool sync.Pool }

func (p *pngBuffers) Get() *png.EncoderBuffer {
	b, _ := p.pool.Get().(*png.EncoderBuffer)
	return b // nil: the encoder makes new ones
}

func (p *pngBuffers) Put(b *png.EncoderBuffer) { p.pool.Put(b) }

// qrPNG is the QR code of url as a PNG image ready for the page.
func qrPNG(url string) (gopdf.ImageHolder, error) {
	img, err := qrImage(url)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := qrEncoder.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("qr png: %w", err)
	}
	holder, err := gopdf.ImageHolderByBytes(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("qr image: %w", err)
	}
	return holder, nil
}

// qrImage encodes url as a QR code (medium error correction: survives a creased printout).
func qrImage(url string) (image.Image, error) {
	q, err := qrcode.New(url, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("qr code: %w", err)
	}
	// Drawn from the module bitmap at qrScale pixels a module, in 8-bit grey: a small plain
	// DeviceGray image that every viewer and printer scales crisply (and cheap to encode).
	bits := q.Bitmap()
	n := len(bits) * qrScale
	grey := image.NewGray(image.Rect(0, 0, n, n))
	for y := 0; y < n; y++ {
		row := bits[y/qrScale]
		for x := 0; x < n; x++ {
			if !row[x/qrScale] {
				grey.Pix[y*n+x] = 0xff
			}
		}
	}
	return grey, nil
}
