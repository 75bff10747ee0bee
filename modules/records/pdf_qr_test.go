package records

import (
	"fmt"
	"testing"
)

// TestQRRectsCoverTheDarkModules: the rectangles drawn for a QR code cover every dark
// module once and no light one, for URLs long and short (different versions and masks).
func TestQRRectsCoverTheDarkModules(t *testing.T) {
	for i, url := range []string{
		"https://ispeks.kelantan.gov.my/verify/Rfz-bK9JH5VYlaREhwyPF2JHF0A7",
		"http://kelantan.example.test/verify/x",
		"https://ispeks.pahang.gov.my/verify/" + fmt.Sprintf("%0120d", 7),
	} {
		rows, err := qrModules(url)
		if err != nil {
			t.Fatal(err)
		}
		n := len(rows)
		covered := make([][]int, n)
		for y := range covered {
			covered[y] = make([]int, n)
		}
		rects := qrRects(rows)
		for _, r := range rects {
			for y := r.y; y < r.y+r.h; y++ {
				for x := r.x; x < r.x+r.w; x++ {
					covered[y][x]++
				}
			}
		}
		runs := 0
		for y, row := range rows {
			for x, dark := range row {
				if want := int(dark); covered[y][x] != want {
					t.Fatalf("url %d: module (%d,%d) dark=%d covered %d times", i, x, y, dark, covered[y][x])
				}
				if dark != 0 && (x == 0 || row[x-1] == 0) {
					runs++
				}
			}
		}
		if len(rects) >= runs {
			t.Errorf("url %d: %d rectangles for %d runs: nothing merged", i, len(rects), runs)
		}
	}
}
