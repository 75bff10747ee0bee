package records

import (
	"bytes"
	"fmt"
	"strings"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/text/encoding/charmap"
)

// Labeller translates a message ID into the reader's language (web.T bound to a request).
type Labeller func(id string) string

// pdfDoc is the printable form every record kind is laid out into: A4 pages with the
// state's crest (when it uploaded one) and name, a title, the holder's particulars, amount
// tables, a summary and the verification block (QR code, URL and short code).
type pdfDoc struct {
	Issuer string
	Logo   *pdfLogo // the state's crest; nil prints a text-only header
	Title  string
	Period string
	Fields [][2]string
	// FieldsTitle and MoreFields: a titled second block of particulars (form EC's part A).
	FieldsTitle string
	MoreFields  [][2]string
	Tables      []pdfTable
	Summary     [][2]string
	VerifyURL   string
	VerifyCode  string
	Note        string
	PageOf      [2]string // "Halaman", "daripada": numbers the pages of a longer document
}

type pdfTable struct {
	Title string
	Rows  [][3]string // code, description, amount
	Total [2]string   // label, amount
}

// A4 in points, the page's margins and the blocks' sizes.
const (
	pageW, pageH = 595.28, 841.89
	margin       = 40.0
	contentW     = pageW - 2*margin
	bottom       = pageH - margin // nothing is drawn below this
	flowBottom   = bottom - 14    // the flowing content ends here, above the page number
	qrSize       = 92.0
	pdfSizeHint  = 24 << 10 // bytes: a one-page payslip (about 17 KB) and some room
	crestSize    = 56.0

	// A line of text reaches ascent×size above its baseline and descent×size below (the
	// font box of Helvetica-Bold, the taller of the two faces, in thousandths of the size);
	// lines of a wrapped value are leading×size apart, so their boxes never touch.
	ascent  = 0.962
	descent = 0.228
	leading = 1.2

	// Particulars: two columns, each a label and its value.
	fieldColW   = contentW / 2
	fieldLabelW = 88.0 // the label's width; the value starts at fieldValueX
	fieldValueX = 95.0
	fieldGap    = 10.0 // between the left value and the right column's label
	fieldValueW = fieldColW - fieldValueX - fieldGap

	// Amount tables: code, description, amount aligned right at the margin.
	tableCodeW = 64.0
	tableDescX = margin + 70
	amountGap  = 12.0 // between a description and its amount
)

// The text is set in the PDF standard fonts Helvetica and Helvetica-Bold, which every PDF
// reader carries, so nothing is embedded: subsetting and deflating two embedded fonts was
// more than half of each PDF's time. Text is written in their WinAnsi (Windows-1252) code
// page, which holds every letter of Malay and of the romanised names the payrolls carry;
// any other character prints as "?".
const (
	fontFamily = "Helvetica"
	substitute = '?'
)

// fontStyle is the fpdf style of the layout's two faces, "regular" and "bold".
func fontStyle(face string) string {
	if face == "bold" {
		return "B"
	}
	return ""
}

// winAnsi is s in the standard fonts' code page, each character outside it a "?".
func winAnsi(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return s // most text: nothing to convert
	}
	out := make([]byte, 0, len(s))
	for _, r := range s {
		b, ok := charmap.Windows1252.EncodeRune(r)
		if !ok {
			b = substitute
		}
		out = append(out, b)
	}
	return string(out)
}

// renderPDF lays d out and returns the PDF.
func renderPDF(d *pdfDoc) ([]byte, error) {
	buf, _, err := layoutPDF(d)
	return buf, err
}

// layoutPDF renders d and also returns every box it drew, for the layout tests.
func layoutPDF(d *pdfDoc) ([]byte, []drawnBox, error) {
	pdf := fpdf.New("P", "pt", "A4", "")
	// The page's content stream is left uncompressed: deflating it takes a fresh ~1 MB
	// compressor per PDF, a large share of its CPU time, to save a few KB the HTTP layer
	// compresses anyway.
	pdf.SetCompression(false)
	pdf.SetAutoPageBreak(false, 0) // the writer decides where pages break
	pdf.SetTitle(d.Title+" "+d.Period, true)
	pdf.SetAuthor(d.Issuer, true)
	pdf.SetCreator("SPEKS Portal", true)
	pdf.AddPage()
	w := &pdfWriter{pdf: pdf, doc: d, y: margin, page: 1, boxes: make([]drawnBox, 0, 96), lines: make([]textLine, 0, 16)}
	w.header(d)
	w.fields(d.Fields)
	if d.FieldsTitle != "" {
		w.heading(d.FieldsTitle)
		w.fields(d.MoreFields)
	}
	for _, t := range d.Tables {
		w.table(t)
	}
	w.fields(d.Summary)
	w.verification(d)
	w.pageNumbers(d)
	if w.err != nil {
		return nil, nil, fmt.Errorf("pdf layout: %w", w.err)
	}
	// Room for a one-page payslip up front spares the buffer's doublings and copies.
	buf := bytes.NewBuffer(make([]byte, 0, pdfSizeHint))
	if err := pdf.Output(buf); err != nil {
		return nil, nil, fmt.Errorf("pdf write: %w", err)
	}
	return buf.Bytes(), w.boxes, nil
}

// drawnBox is one thing the layout put on a page: a line of text, or an image or the QR
// code (Text "").
// X, Y is its upper-left corner in points from the page's top left, Page counts from 1.
// The writer keeps them all so a test can prove that nothing overlaps or crosses a margin.
type drawnBox struct {
	Page       int
	X, Y, W, H float64
	Text       string
}

// textLine is a line of text with its measured width.
type textLine struct {
	s string
	w float64
}

// pdfWriter moves down the pages: y is the baseline of the next line. The first error
// sticks and stops further drawing.
type pdfWriter struct {
	pdf    *fpdf.Fpdf
	doc    *pdfDoc
	y      float64
	page   int
	family string
	size   float64
	boxes  []drawnBox
	// lines holds the wrapped lines of the block being laid out (reset by fresh), so
	// wrapping a value that fits allocates nothing.
	lines []textLine
	err   error
}

// fresh starts a block: the wrapped lines of the previous one are no longer needed.
func (w *pdfWriter) fresh() { w.lines = w.lines[:0] }

// keep adds lines to the block's and returns them as their own slice.
func (w *pdfWriter) keep(lines ...textLine) []textLine {
	start := len(w.lines)
	w.lines = append(w.lines, lines...)
	return w.lines[start:len(w.lines):len(w.lines)]
}

func (w *pdfWriter) font(family string, size float64) {
	if w.err == nil && (family != w.family || size != w.size) {
		w.family, w.size = family, size
		w.pdf.SetFont(fontFamily, fontStyle(family), size)
		w.err = w.pdf.Error()
	}
}

// measure is the width of s in the current font, as it will be printed.
func (w *pdfWriter) measure(s string) float64 {
	if w.err != nil {
		return 0
	}
	return w.pdf.GetStringWidth(winAnsi(s))
}

// need starts a new page when h more points below the next baseline would run into the
// page number's space at the foot.
func (w *pdfWriter) need(h float64) {
	if w.err == nil && w.y+h > flowBottom {
		w.newPage()
	}
}

// newPage continues on a fresh page under a small line naming the state and the document,
// so a page that comes loose from the others still says whose and what it is.
func (w *pdfWriter) newPage() {
	w.pdf.AddPage()
	w.page++
	w.family, w.size = "", 0 // set the font again on the new page
	d := w.doc
	cont := w.wrapIn("regular", 8, d.Issuer+" · "+d.Title+" "+d.Period, contentW)
	w.draw("regular", 8, margin, margin+8, cont, false)
	w.y = margin + 8 + extra(len(cont), 8) + 6
	w.rule()
	w.y += 16
}

// pageNumbers prints "Halaman 2 daripada 3" at the foot of every page of a document longer
// than one page, once the number of pages is known.
func (w *pdfWriter) pageNumbers(d *pdfDoc) {
	pages := w.page
	if pages < 2 || w.err != nil {
		return
	}
	for p := 1; p <= pages && w.err == nil; p++ {
		w.pdf.SetPage(p)
		w.page, w.family, w.size = p, "", 0
		label := fmt.Sprintf("%s %d %s %d", d.PageOf[0], p, d.PageOf[1], pages)
		w.draw("regular", 8, pageW-margin, bottom-descent*8, w.wrapIn("regular", 8, label, contentW/2), true)
	}
}

// wrap breaks s into lines no wider than width in the current font: between words, and
// inside a word only when the word alone is wider (a long URL or reference). Most values fit
// on one line and cost one measurement.
func (w *pdfWriter) wrap(s string, width float64) []textLine {
	if s == "" || w.err != nil {
		return nil
	}
	if full := w.measure(s); full <= width {
		return w.keep(textLine{s, full})
	}
	var lines []string
	cur := ""
	for _, word := range strings.Fields(s) {
		switch {
		case cur != "" && w.measure(cur+" "+word) <= width:
			cur += " " + word
			continue
		case cur != "":
			lines = append(lines, cur)
		}
		cur = word
		if w.measure(word) > width {
			pieces := w.breakWord(word, width)
			lines = append(lines, pieces[:len(pieces)-1]...)
			cur = pieces[len(pieces)-1]
		}
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	out := make([]textLine, len(lines))
	for i, l := range lines {
		out[i] = textLine{l, w.measure(l)}
	}
	return w.keep(out...)
}

// breakWord cuts a word wider than width into pieces that fit, at least one letter each.
func (w *pdfWriter) breakWord(word string, width float64) []string {
	var pieces []string
	start, used := 0, 0.0
	for i, r := range word {
		rw := w.measure(string(r))
		if used+rw > width && i > start {
			pieces = append(pieces, word[start:i])
			start, used = i, 0
		}
		used += rw
	}
	return append(pieces, word[start:])
}

// wrapIn sets the font and wraps s in it.
func (w *pdfWriter) wrapIn(family string, size float64, s string, width float64) []textLine {
	w.font(family, size)
	return w.wrap(s, width)
}

// draw writes lines from the baseline y down, starting at x, or ending at x when right is
// set, and records each line's box.
func (w *pdfWriter) draw(family string, size, x, y float64, lines []textLine, right bool) {
	w.font(family, size)
	for _, l := range lines {
		if w.err != nil {
			return
		}
		lx := x
		if right {
			lx -= l.w
		}
		w.pdf.Text(lx, y, winAnsi(l.s))
		w.boxes = append(w.boxes, drawnBox{Page: w.page, X: lx, Y: y - ascent*size, W: l.w, H: (ascent + descent) * size, Text: l.s})
		y += leading * size
	}
}

// extra is how far below the first line's baseline the last line's baseline of n lines is.
func extra(n int, size float64) float64 {
	if n <= 1 {
		return 0
	}
	return float64(n-1) * leading * size
}

func (w *pdfWriter) image(name string, x, y, width, height float64) {
	if w.err != nil {
		return
	}
	w.pdf.ImageOptions(name, x, y, width, height, false, fpdf.ImageOptions{}, 0, "")
	if err := w.pdf.Error(); err != nil {
		w.err = fmt.Errorf("pdf image: %w", err)
		return
	}
	w.boxes = append(w.boxes, drawnBox{Page: w.page, X: x, Y: y, W: width, H: height})
}

func (w *pdfWriter) rule() {
	w.pdf.SetLineWidth(0.6)
	w.pdf.Line(margin, w.y, pageW-margin, w.y)
}

// header: the state's crest when it uploaded one, then the state, the document title and
// the period; without a crest the text starts at the margin.
func (w *pdfWriter) header(d *pdfDoc) {
	w.fresh()
	top, x := w.y, margin
	if d.Logo != nil {
		if w.err = d.Logo.register(w.pdf); w.err != nil {
			return
		}
		lw, lh := d.Logo.fit(crestSize)
		w.image(crestImage, margin+(crestSize-lw)/2, top+(crestSize-lh)/2, lw, lh)
		x = margin + crestSize + 14
	}
	width := pageW - margin - x
	issuer := w.wrapIn("bold", 14, d.Issuer, width)
	w.draw("bold", 14, x, top+14, issuer, false)
	y := top + 14 + extra(len(issuer), 14) + 18
	title := w.wrapIn("bold", 12, d.Title, width)
	w.draw("bold", 12, x, y, title, false)
	y += extra(len(title), 12) + 15
	period := w.wrapIn("regular", 10, d.Period, width)
	w.draw("regular", 10, x, y, period, false)
	y += extra(len(period), 10) + 14
	if d.Logo != nil {
		y = max(y, top+crestSize+8)
	}
	w.y = y
	w.rule()
	w.y += 16
}

// fields prints label: value pairs in two columns; a long label or value wraps inside its
// column and the row grows to the taller cell.
func (w *pdfWriter) fields(pairs [][2]string) {
	for i := 0; i < len(pairs); i += 2 {
		w.fresh()
		var labels, values [2][]textLine
		rowExtra := 0.0
		for j := 0; j < 2 && i+j < len(pairs); j++ {
			labels[j] = w.wrapIn("regular", 8, pairs[i+j][0], fieldLabelW)
			values[j] = w.wrapIn("bold", 9, pairs[i+j][1], fieldValueW)
			rowExtra = max(rowExtra, extra(len(labels[j]), 8), extra(len(values[j]), 9))
		}
		w.need(rowExtra + descent*9)
		for j := range 2 {
			x := margin + float64(j)*fieldColW
			w.draw("regular", 8, x, w.y, labels[j], false)
			w.draw("bold", 9, x+fieldValueX, w.y, values[j], false)
		}
		w.y += 14 + rowExtra
	}
	w.y += 6
}

// heading prints a block's bold title across the content width, kept with what follows.
func (w *pdfWriter) heading(text string) {
	w.fresh()
	title := w.wrapIn("bold", 10, text, contentW)
	w.need(extra(len(title), 10) + 5 + 14)
	w.draw("bold", 10, margin, w.y, title, false)
	w.y += extra(len(title), 10) + 14
}

// table prints a titled table of code, description and amount rows and its total. A long
// code or description wraps in its column, which ends before the row's amount.
func (w *pdfWriter) table(t pdfTable) {
	w.fresh()
	title := w.wrapIn("bold", 10, t.Title, contentW)
	w.need(extra(len(title), 10) + 5 + 12 + 13) // the title stays with its first row
	w.draw("bold", 10, margin, w.y, title, false)
	w.y += extra(len(title), 10) + 5
	w.rule()
	w.y += 12
	for _, r := range t.Rows {
		w.row("regular", r[0], r[1], r[2])
	}
	w.need(4 + 12 + descent*9) // the closing rule stays with the total
	w.y -= 8
	w.rule()
	w.y += 12
	w.row("bold", "", t.Total[0], t.Total[1])
	w.y += 7
}

// row prints one table row in family at 9 pt and moves below it.
func (w *pdfWriter) row(family, code, desc, amount string) {
	w.fresh()
	amt := w.wrapIn(family, 9, amount, contentW/3)
	amtW := 0.0
	for _, l := range amt {
		amtW = max(amtW, l.w)
	}
	codes := w.wrap(code, tableCodeW)
	descs := w.wrap(desc, pageW-margin-amtW-amountGap-tableDescX)
	rowExtra := max(extra(len(codes), 9), extra(len(descs), 9), extra(len(amt), 9))
	w.need(rowExtra + descent*9)
	w.draw(family, 9, margin, w.y, codes, false)
	w.draw(family, 9, tableDescX, w.y, descs, false)
	w.draw(family, 9, pageW-margin, w.y, amt, true)
	w.y += 13 + rowExtra
}

// verification draws the QR code of the verify URL at the foot of the page, with the note,
// the URL and the short code beside it; on a new page when the content reaches the foot.
func (w *pdfWriter) verification(d *pdfDoc) {
	if d.VerifyURL == "" || w.err != nil {
		return
	}
	code, err := qrModules(d.VerifyURL)
	if err != nil {
		w.err = err
		return
	}
	w.fresh()
	top := bottom - qrSize - 10
	if w.y-10 > top {
		w.newPage()
	}
	w.qrCode(code, margin, top, qrSize)
	x := margin + qrSize + 12
	width := pageW - margin - x
	y := top + 18
	note := w.wrapIn("bold", 9, d.Note, width)
	w.draw("bold", 9, x, y, note, false)
	y += extra(len(note), 9) + 14
	url := w.wrapIn("regular", 8, d.VerifyURL, width)
	w.draw("regular", 8, x, y, url, false)
	y += extra(len(url), 8) + 14
	w.draw("bold", 11, x, y, w.wrapIn("bold", 11, d.VerifyCode, width), false)
}
