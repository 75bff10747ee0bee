package records

import (
	"strconv"
	"strings"
)

// normaliseAccount keeps the digits and letters of an account number, upper-cased, so that
// "5140-1234 5678" matches "514012345678".
func normaliseAccount(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '0' && r <= '9', r >= 'A' && r <= 'Z':
			return r
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return -1
	}, s)
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
