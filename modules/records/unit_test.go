package records

import (
	"testing"
)

func TestMasking(t *testing.T) {
	cases := []struct{ in, ic, acct string }{
		{"850314035523", "850314-**-***3", "********5523"},
		{"1234", "****", "****"},
		{"", "", ""},
	}
	for _, c := range cases {
		if got := MaskIC(c.in); got != c.ic {
			t.Errorf("MaskIC(%q) = %q, want %q", c.in, got, c.ic)
		}
		if got := MaskAccount(c.in); got != c.acct {
			t.Errorf("MaskAccount(%q) = %q, want %q", c.in, got, c.acct)
		}
	}
	if normaliseAccount("5140-1234 5678") != "514012345678" || normaliseAccount("ab-12") != "AB12" {
		t.Errorf("normaliseAccount")
	}
}

func TestMoney(t *testing.T) {
	var m Money
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
	buf, _ := Money(452130).MarshalJSON()
	if string(buf) != `"4521.30"` {
		t.Errorf("json %s", buf)
	}
}

func TestCompare(t *testing.T) {
	prev := &Payslip{Earnings: []Line{{Code: "0001", Amount: 100}, {Code: "0002", Amount: 50}}, Deductions: []Line{{Code: "4001", Amount: 10}}}
	cur := &Payslip{Earnings: []Line{{Code: "0001", Amount: 120}, {Code: "0003", Amount: 5}}, Deductions: []Line{{Code: "4001", Amount: 10}}}
	got := map[string]string{}
	for _, c := range Compare(prev, cur) {
		got[c.Kind+c.Code] = c.Status
	}
	want := map[string]string{"E0001": "changed", "E0003": "added", "E0002": "removed"}
	if len(got) != len(want) {
		t.Fatalf("changes %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
}

func TestContentHashIgnoresLineOrder(t *testing.T) {
	a := benchPayslip()
	b := benchPayslip()
	b.Earnings[0], b.Earnings[1] = b.Earnings[1], b.Earnings[0]
	if a.contentHash() != b.contentHash() {
		t.Errorf("line order changed the hash")
	}
	b.Deductions[0].Amount++
	if a.contentHash() == b.contentHash() {
		t.Errorf("an amount change kept the hash")
	}
	if tok, err := newToken(); err != nil || !validTokenShape(tok) || len(tok) < 22 {
		t.Errorf("token %q %v", tok, err)
	}
}
