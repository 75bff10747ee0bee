package records

import (
	"testing"
)

func TestNormaliseAccount(t *testing.T) {
	if normaliseAccount("5140-1234 5678") != "514012345678" || normaliseAccount("ab-12") != "AB12" {
		t.Errorf("normaliseAccount")
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
