package records

import (
	"fmt"
	"math"

	"github.com/makiuchi-d/gozxing"
	qrdecoder "github.com/makiuchi-d/gozxing/qrcode/decoder"
	qrencoder "github.com/makiuchi-d/gozxing/qrcode/encoder"
)

// qrQuiet is the white margin the standard asks for around a QR code, in modules.
const qrQuiet = 4

// qrHints fix the mask pattern every QR code is drawn with. The encoder would otherwise
// build the code eight times to score each mask, which was most of its time (about 7 times
// slower). Measured on 300 verify URLs with random tokens: the automatic choice picks mask 4
// most often (42 %), and mask 4 scores on average 3 % (at worst 17 %) more penalty than the
// best mask, the least of the eight; any mask decodes, the score only ranks how clean the
// pattern looks to a scanner.
var qrHints = map[gozxing.EncodeHintType]interface{}{gozxing.EncodeHintType_QR_MASK_PATTERN: 4}

// qrModules encodes url as a QR code (medium error correction: survives a creased
// printout) and returns its rows of modules, 1 for dark, without the quiet zone.
func qrModules(url string) ([][]int8, error) {
	code, err := qrencoder.Encoder_encode(url, qrdecoder.ErrorCorrectionLevel_M, qrHints)
	if err != nil {
		return nil, fmt.Errorf("qr code: %w", err)
	}
	return code.GetMatrix().GetArray(), nil
}

// moduleRect is a rectangle of dark modules: column, row, width and height in modules.
type moduleRect struct{ x, y, w, h int }

// qrRects covers the dark modules of a QR code with non-overlapping rectangles: a run of
// dark modules along a row, extended down over the rows where the same columns are dark
// too (the finder patterns' sides, vertical strokes). For the verify URLs that is a sixth
// to a quarter fewer rectangles than one per run (295 instead of 356), so a smaller page.
func qrRects(rows [][]int8) []moduleRect {
	n := len(rows)
	taken := make([]bool, n*n)
	free := func(x, y int) bool { return rows[y][x] != 0 && !taken[y*n+x] }
	rects := make([]moduleRect, 0, n*n/5)
	for y := range n {
		for x := 0; x < n; x++ {
			if !free(x, y) {
				continue
			}
			end := x + 1
			for end < n && free(end, y) {
				end++
			}
			h := 1
			for y+h < n && allFree(free, x, end, y+h) {
				h++
			}
			for dy := range h {
				for k := x; k < end; k++ {
					taken[(y+dy)*n+k] = true
				}
			}
			rects = append(rects, moduleRect{x, y, end - x, h})
			x = end - 1
		}
	}
	return rects
}

// allFree reports whether the modules from column x to end (excluded) of row y are dark and
// not yet covered.
func allFree(free func(x, y int) bool, x, end, y int) bool {
	for ; x < end; x++ {
		if !free(x, y) {
			return false
		}
	}
	return true
}

// qrCode draws the QR code rows as filled rectangles in the page's content, inside a
// square of side size (quiet zone included) with its upper-left corner at x, y. Vectors
// stay sharp at any zoom and on any printer, and there is no image to encode or embed.
func (w *pdfWriter) qrCode(rows [][]int8, x, y, size float64) {
	if w.err != nil {
		return
	}
	module := size / float64(len(rows)+2*qrQuiet)
	// Module edges are put on the 0.01 pt grid fpdf prints, so neighbouring rectangles
	// share their edges exactly and no hairline shows between them.
	edge := func(origin float64, k int) float64 {
		return math.Round((origin+float64(k+qrQuiet)*module)*100) / 100
	}
	for _, r := range qrRects(rows) {
		left, top := edge(x, r.x), edge(y, r.y)
		w.pdf.Rect(left, top, edge(x, r.x+r.w)-left, edge(y, r.y+r.h)-top, "F")
	}
	if err := w.pdf.Error(); err != nil {
		w.err = fmt.Errorf("qr code: %w", err)
		return
	}
	w.boxes = append(w.boxes, drawnBox{Page: w.page, X: x, Y: y, W: size, H: size})
}
