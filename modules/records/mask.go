package records

import (
	"strconv"
	"strings"
)

// MaskIC shows the birth date and the last digit of a MyKad number, the way bank and
// payroll letters do: 850314105523 → "850314-**-***3". Anything else is fully hidden.
func MaskIC(ic string) string {
	if len(ic) != 12 {
		return strings.Repeat("*", len(ic))
	}
	return ic[:6] + "-**-***" + ic[11:]
}

// MaskAccount keeps the last four characters of a bank account number.
func MaskAccount(acct string) string {
	acct = strings.TrimSpace(acct)
	if len(acct) <= 4 {
		return strings.Repeat("*", len(acct))
	}
	return strings.Repeat("*", len(acct)-4) + acct[len(acct)-4:]
}

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
