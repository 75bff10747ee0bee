package web

import "strconv"

// HumanSize writes a byte count as people read it: "860 B", "12.5 MB", "3.2 GB" (units of
// 1024, one decimal from KB up, the next unit from 1000 on so no figure has four digits). It
// is the one size formatter of the interface; JSON keeps exact byte counts.
func HumanSize(n int64) string {
	if n < 1000 {
		return strconv.FormatInt(n, 10) + " B"
	}
	v, unit := float64(n)/1024, "KB"
	for _, next := range []string{"MB", "GB", "TB"} {
		if v < 1000 {
			break
		}
		v, unit = v/1024, next
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " " + unit
}
