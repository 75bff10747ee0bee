package records

import (
	"database/sql/driver"
	"fmt"
	"strconv"

	"github.com/speks-portal/speks/modules/feed"
)

// Money is an amount in sen, the feed's money type (feed.Sen) with what reading it back
// from numeric(14,2) and writing it as money in docs/API.md ("4521.30") need.
type Money feed.Sen

// String writes the amount with two decimals.
func (m Money) String() string { return feed.Sen(m).String() }

// Ringgit writes the amount the way a payslip prints it: thousands separated, "4,521.30".
func (m Money) Ringgit() string {
	s := m.String()
	sign := ""
	if s[0] == '-' {
		sign, s = "-", s[1:]
	}
	whole, frac := s[:len(s)-3], s[len(s)-3:]
	for i := len(whole) - 3; i > 0; i -= 3 {
		whole = whole[:i] + "," + whole[i:]
	}
	return sign + whole + frac
}

// MarshalJSON writes the amount as a decimal string.
func (m Money) MarshalJSON() ([]byte, error) { return strconv.AppendQuote(nil, m.String()), nil }

// Scan reads numeric(14,2), which lib/pq delivers as text.
func (m *Money) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case []byte:
		s = string(v)
	case string:
		s = v
	case int64:
		*m = Money(v * 100)
		return nil
	default:
		return fmt.Errorf("money: cannot scan %T", src)
	}
	sen, err := feed.ParseSen(s)
	if err != nil {
		return fmt.Errorf("money: %q: %w", s, err)
	}
	*m = Money(sen)
	return nil
}

// Value writes the amount as a decimal string PostgreSQL reads exactly.
func (m Money) Value() (driver.Value, error) { return m.String(), nil }
