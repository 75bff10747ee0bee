package ids

import (
	"errors"
	"testing"
	"time"

	"github.com/speks-portal/speks/modules/foundation/web/myt"
)

func TestNormaliseIC(t *testing.T) {
	now := time.Date(2026, 6, 15, 12, 0, 0, 0, myt.Zone)
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"850314-10-5523", "850314105523", true},
		{"850314 10 5523", "850314105523", true},
		{" 850314105523 ", "850314105523", true},
		{"000229-01-0001", "000229010001", true}, // 2000 was a leap year
		{"010229-01-0001", "", false},            // 2001 was not
		{"851314-10-5523", "", false},            // month 13
		{"850431-10-5523", "", false},            // 31 April
		{"850314-00-5523", "", false},            // no place-of-birth 00
		{"850314-17-5523", "", false},            // nor 17
		{"850314-98-5523", "850314985523", true}, // stateless
		{"85031410552", "", false},               // 11 digits
		{"85031410552X", "", false},              // not digits
		{"260720-10-0001", "260720100001", true}, // 1926: 2026-07-20 is still ahead
		{"260610-10-0001", "260610100001", true}, // 2026-06-10, a baby already born
		{"", "", false},
	}
	for _, c := range cases {
		got, err := normaliseIC(c.in, now)
		if c.ok && (err != nil || got != c.want) {
			t.Errorf("normaliseIC(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
		if !c.ok && !errors.Is(err, ErrInvalidIC) {
			t.Errorf("normaliseIC(%q) = %q, %v; want ErrInvalidIC", c.in, got, err)
		}
	}
}

func TestParseCompanyNo(t *testing.T) {
	cases := []struct {
		in       string
		new, old string
		ok       bool
	}{
		{"201901000005", "201901000005", "", true},
		{"1312525-A", "", "1312525A", true},
		{"1312525A", "", "1312525A", true},
		{"1312525-a", "", "1312525A", true},
		{"0001312525-A", "", "1312525A", true},
		{"201901000005 (1312525-A)", "201901000005", "1312525A", true},
		{"201901000005(1312525A)", "201901000005", "1312525A", true},
		{"1312525-A (201901000005)", "201901000005", "1312525A", true},
		{"2019-01-000005", "201901000005", "", true},
		{"201907000005", "", "", false}, // entity type 07
		{"209901000005", "", "", false}, // future year
		{"20190100000", "", "", false},  // 11 digits
		{"12345678-A", "", "", false},   // 8 significant digits
		{"1312525-AB", "", "", false},   // two letters
		{"201901000005 (201901000006)", "", "", false},
		{"201901000005 (1312525-A", "", "", false},
		{"", "", "", false},
		{"-", "", "", false},
	}
	for _, c := range cases {
		got, err := parseCompanyNo(c.in, 2026)
		if c.ok && (err != nil || got.New != c.new || got.Old != c.old) {
			t.Errorf("parseCompanyNo(%q) = %+v, %v; want new %q old %q", c.in, got, err, c.new, c.old)
		}
		if !c.ok && !errors.Is(err, ErrInvalidRegNo) {
			t.Errorf("parseCompanyNo(%q) = %+v, %v; want ErrInvalidRegNo", c.in, got, err)
		}
	}
}

func TestCompanyNoString(t *testing.T) {
	for _, c := range []struct {
		in   CompanyNo
		want string
	}{
		{CompanyNo{New: "201901000005", Old: "1312525A"}, "201901000005 (1312525-A)"},
		{CompanyNo{Old: "1312525A"}, "1312525-A"},
		{CompanyNo{New: "201901000005"}, "201901000005"},
	} {
		if got := c.in.String(); got != c.want {
			t.Errorf("%+v.String() = %q, want %q", c.in, got, c.want)
		}
	}
}
