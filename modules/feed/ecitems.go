package feed

import "strings"

// ECItems are the items of LHDN's Borang EC (the statement of remuneration of a public-sector
// employee) that the statements feed accepts, by code, in the form's order and numbering:
// Part B employment income, benefits and living accommodation; C pension and others; D total
// deductions; E contributions paid by the employee; F tax-exempt allowances, perquisites,
// gifts and benefits. Part A (the employee's particulars) comes from the employees feed.
// docs/API.md lists them with their names; records prints every one, blank ones as "–".
var ECItems = []string{
	"B1a", "B1b", "B1c", "B1d", "B1e", "B2", "B3", "B4", "B5", "B6",
	"C1", "C2",
	"D1", "D2", "D3", "D4a", "D4b", "D5",
	"E1", "E2",
	"F1",
}

// ECParts are the letters of the form's parts with amounts, in order.
var ECParts = []string{"B", "C", "D", "E", "F"}

// ECItem returns the form's spelling of code (any case) and its part's letter, or ok false
// for a code the form does not have.
func ECItem(code string) (canonical, part string, ok bool) {
	for _, c := range ECItems {
		if strings.EqualFold(c, strings.TrimSpace(code)) {
			return c, c[:1], true
		}
	}
	return "", "", false
}
