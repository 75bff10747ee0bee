// Package money is the one home of amounts: integer sen in Go (sums stay exact, never a
// float), numeric(14,2) in SQL, a decimal string with two places in JSON, CSV and feeds
// ("4521.30"), and thousands separated where a person reads it ("4,521.30").
package money

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
)

// Sen is an amount of money in sen (1/100 ringgit). The database holds numeric(14,2), so
// |amount| < 10^12 ringgit.
type Sen int64

const maxSen = Sen(99_999_999_999_999) // numeric(14,2): 12 digits before the point, 2 after

// Errors of Parse; feeds name them as row errors.
var (
	ErrFormat   = errors.New("not a decimal amount")
	ErrDecimals = errors.New("more than two decimals")
	ErrRange    = errors.New("out of range")
)

// Parse reads a decimal amount as feeds and PostgreSQL write it: an optional sign, digits,
// and at most two decimals ("4521.30", "-12.5", "100"). Thousands separators, currency
// symbols and exponents are refused: a feed that sends them is misconfigured, and guessing
// would put wrong money on a payslip.
func Parse(s string) (Sen, error) {
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
		return 0, ErrFormat
	}
	if len(frac) > 2 {
		return 0, ErrDecimals
	}
	if len(whole) > 12 {
		return 0, ErrRange
	}
	for len(frac) < 2 {
		frac += "0"
	}
	v, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil || Sen(v) > maxSen {
		return 0, ErrRange
	}
	if neg {
		v = -v
	}
	return Sen(v), nil
}

// String writes the amount as docs/API.md "Conventions" wants money: a decimal string with
// two places, no separators.
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

// Ringgit writes the amount the way a payslip prints it: thousands separated, "4,521.30".
func (s Sen) Ringgit() string {
	out := s.String()
	sign := ""
	if out[0] == '-' {
		sign, out = "-", out[1:]
	}
	whole, frac := out[:len(out)-3], out[len(out)-3:]
	for i := len(whole) - 3; i > 0; i -= 3 {
		whole = whole[:i] + "," + whole[i:]
	}
	return sign + whole + frac
}

// MarshalJSON writes the amount as a decimal string.
func (s Sen) MarshalJSON() ([]byte, error) { return strconv.AppendQuote(nil, s.String()), nil }

// Scan reads numeric(14,2), which lib/pq delivers as text.
func (s *Sen) Scan(src any) error {
	var text string
	switch v := src.(type) {
	case []byte:
		text = string(v)
	case string:
		text = v
	case int64:
		*s = Sen(v * 100)
		return nil
	default:
		return fmt.Errorf("money: cannot scan %T", src)
	}
	sen, err := Parse(text)
	if err != nil {
		return fmt.Errorf("money: %q: %w", text, err)
	}
	*s = sen
	return nil
}

// Value writes the amount as a decimal string PostgreSQL reads exactly.
func (s Sen) Value() (driver.Value, error) { return s.String(), nil }

func digitsOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
