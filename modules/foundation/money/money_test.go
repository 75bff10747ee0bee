package money

import (
	"errors"
	"testing"
)

func TestParseAndWrite(t *testing.T) {
	for in, want := range map[string]Sen{"4521.30": 452130, "-12.5": -1250, "+100": 10000, "0.07": 7, "999999999999.99": maxSen} {
		got, err := Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for in, want := range map[string]error{"1,000.00": ErrFormat, "RM5": ErrFormat, "1e3": ErrFormat, "": ErrFormat,
		"5.": ErrFormat, "1.234": ErrDecimals, "1000000000000": ErrRange} {
		if _, err := Parse(in); !errors.Is(err, want) {
			t.Errorf("Parse(%q) error = %v, want %v", in, err, want)
		}
	}
	if got := Sen(-5).String(); got != "-0.05" {
		t.Errorf("String = %q", got)
	}
}

func TestRinggitScanJSON(t *testing.T) {
	var m Sen
	for in, want := range map[string]string{"4521.30": "4,521.30", "-1234567.5": "-1,234,567.50", "0.07": "0.07", "999": "999.00"} {
		if err := m.Scan([]byte(in)); err != nil {
			t.Fatalf("scan %q: %v", in, err)
		}
		if got := m.Ringgit(); got != want {
			t.Errorf("Ringgit(%s) = %q, want %q", in, got, want)
		}
	}
	if err := m.Scan("1.234"); err == nil {
		t.Errorf("three decimals accepted")
	}
	buf, _ := Sen(452130).MarshalJSON()
	if string(buf) != `"4521.30"` {
		t.Errorf("json %s", buf)
	}
	if v, _ := Sen(452130).Value(); v != "4521.30" {
		t.Errorf("value %v", v)
	}
}
