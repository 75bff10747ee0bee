package feed

import (
	"errors"
	"strconv"
)

// Sen is an amount of money in sen (1/100 ringgit). Integers keep sums exact; the database
// holds numeric(14,2), so |amount| < 10^12 ringgit.
type Sen int64

const maxSen = Sen(99_999_999_999_999) // numeric(14,2): 12 digits before the point, 2 after

var (
	errAmountFormat   = errors.New("not a decimal amount")
	errAmountDecimals = errors.New("more than two decimals")
	errAmountRange    = errors.New("out of range")
)

// ParseSen reads a decimal amount as the feeds write it: an optional sign, digits, and at
// most two decimals ("4521.30", "-12.5", "100"). Thousands separators, currency symbols
// and exponents are refused: a feed that sends them is misconfigured, and guessing would
// put wrong money on a payslip.
func ParseSen(s string) (Sen, error) {
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	whole, frac := s, ""
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			whole, frac = s[:i], s[i+1:]
			break
		}
	}
	if whole == "" || !digitsOnly(whole) || (len(s) > len(whole) && (frac == "" || !digitsOnly(frac))) {
		return 0, errAmountFormat
	}
	if len(frac) > 2 {
		return 0, errAmountDecimals
	}
	if len(whole) > 12 {
		return 0, errAmountRange
	}
	for len(frac) < 2 {
		frac += "0"
	}
	v, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil || Sen(v) > maxSen {
		return 0, errAmountRange
	}
	if neg {
		v = -v
	}
	return Sen(v), nil
}

// String writes the amount as docs/API.md "Conventions" wants money: a decimal string with two places.
func (s Sen) String() string {
	v := int64(s)
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	frac := v % 100
	out := sign + strconv.FormatInt(v/100, 10) + "."
	if frac < 10 {
		out += "0"
	}
	return out + strconv.FormatInt(frac, 10)
}

func digitsOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
