// Package ids normalises the two identifiers people log in with and feeds are keyed on: the
// MyKad number (No. KP) of staff and the SSM company registration number of suppliers.
//
// Both arrive written many ways (Pahang's FAQ: a supplier whose number is stored in
// another format never sees its payments), so every way in — feeds, login, registration —
// goes through these functions and compares normalised values only. Mask is the one way an
// identifier is shown or logged: the last four characters visible.
package ids

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/speks-portal/speks/modules/foundation/web/myt"
)

// Errors callers branch on.
var (
	ErrInvalidIC    = errors.New("invalid IC number")
	ErrInvalidRegNo = errors.New("invalid company registration number")
)

// NormaliseIC returns the 12 digits of a MyKad number (YYMMDDPBNNNG) written with or without
// dashes and spaces, after checking the birth date and the place-of-birth code.
func NormaliseIC(raw string) (string, error) {
	return normaliseIC(raw, time.Now().In(myt.Zone))
}

func normaliseIC(raw string, now time.Time) (string, error) {
	ic := stripSeparators(raw)
	if len(ic) != 12 || !allDigits(ic) {
		return "", fmt.Errorf("%w: must be 12 digits (YYMMDD-PB-NNNG)", ErrInvalidIC)
	}
	if _, err := birthDate(ic, now); err != nil {
		return "", err
	}
	if !validBirthPlace(atoi(ic[6:8])) {
		return "", fmt.Errorf("%w: %s is not a place-of-birth code", ErrInvalidIC, ic[6:8])
	}
	return ic, nil
}

// birthDate reads YYMMDD; the century is the one that puts the date in the past.
func birthDate(ic string, now time.Time) (time.Time, error) {
	yy, mm, dd := atoi(ic[0:2]), atoi(ic[2:4]), atoi(ic[4:6])
	year := 2000 + yy
	if year > now.Year() {
		year -= 100
	}
	d := time.Date(year, time.Month(mm), dd, 0, 0, 0, 0, myt.Zone)
	if mm < 1 || mm > 12 || d.Day() != dd || d.Month() != time.Month(mm) {
		return time.Time{}, fmt.Errorf("%w: %s is not a valid birth date (YYMMDD)", ErrInvalidIC, ic[0:6])
	}
	if d.After(now) {
		// Born later this year than today: the previous century (e.g. 2025-12 seen in 2025-06).
		d = d.AddDate(-100, 0, 0)
	}
	return d, nil
}

// validBirthPlace reports whether pb is a place-of-birth code the National Registration
// Department issues: states (01–16, 21–59), abroad by region (60–68, 71–72, 74–79, 82–93)
// and the stateless / unknown codes 98 and 99.
func validBirthPlace(pb int) bool {
	switch {
	case pb >= 1 && pb <= 16, pb >= 21 && pb <= 59, pb >= 60 && pb <= 68,
		pb == 71, pb == 72, pb >= 74 && pb <= 79, pb >= 82 && pb <= 93, pb == 98, pb == 99:
		return true
	}
	return false
}

// CompanyNo is a company registration number in its normalised forms: New is the 12-digit
// SSM number (YYYYTTNNNNNN, since 2019), Old the pre-2019 number as digits without leading
// zeros followed by its check letter (1312525-A → "1312525A"). Either may be empty, not both.
type CompanyNo struct {
	New string
	Old string
}

// String writes the number the way SSM prints it: "201901000005 (1312525-A)".
func (c CompanyNo) String() string {
	old := ""
	if c.Old != "" {
		old = c.Old[:len(c.Old)-1] + "-" + c.Old[len(c.Old)-1:]
	}
	switch {
	case c.New != "" && old != "":
		return c.New + " (" + old + ")"
	case c.New != "":
		return c.New
	}
	return old
}

// ParseCompanyNo accepts the new form (201901000005), the old one (1312525-A, 1312525A,
// 0001312525-A) or both together, either first, the second in brackets:
// "201901000005 (1312525-A)".
func ParseCompanyNo(raw string) (CompanyNo, error) {
	return parseCompanyNo(raw, time.Now().In(myt.Zone).Year())
}

func parseCompanyNo(raw string, thisYear int) (CompanyNo, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return CompanyNo{}, fmt.Errorf("%w: empty", ErrInvalidRegNo)
	}
	parts := []string{s}
	if open := strings.IndexByte(s, '('); open >= 0 {
		if !strings.HasSuffix(s, ")") {
			return CompanyNo{}, fmt.Errorf("%w: unbalanced brackets", ErrInvalidRegNo)
		}
		parts = []string{s[:open], s[open+1 : len(s)-1]}
	}
	var c CompanyNo
	for _, part := range parts {
		if err := c.add(part, thisYear); err != nil {
			return CompanyNo{}, err
		}
	}
	return c, nil
}

// add reads one form into c; two forms must be one new and one old.
func (c *CompanyNo) add(part string, thisYear int) error {
	p := strings.ToUpper(stripSeparators(part))
	if p == "" {
		return fmt.Errorf("%w: empty part", ErrInvalidRegNo)
	}
	if allDigits(p) {
		if c.New != "" {
			return fmt.Errorf("%w: two new-style numbers", ErrInvalidRegNo)
		}
		if err := checkNewForm(p, thisYear); err != nil {
			return err
		}
		c.New = p
		return nil
	}
	if c.Old != "" {
		return fmt.Errorf("%w: two old-style numbers", ErrInvalidRegNo)
	}
	old, err := normaliseOldForm(p)
	if err != nil {
		return err
	}
	c.Old = old
	return nil
}

// checkNewForm validates YYYY (year of incorporation) TT (entity type 01–06) NNNNNN.
func checkNewForm(p string, thisYear int) error {
	if len(p) != 12 {
		return fmt.Errorf("%w: a new-style number has 12 digits (e.g. 201901000005)", ErrInvalidRegNo)
	}
	year, entity := atoi(p[0:4]), atoi(p[4:6])
	if year < 1800 || year > thisYear {
		return fmt.Errorf("%w: %s is not a registration year", ErrInvalidRegNo, p[0:4])
	}
	if entity < 1 || entity > 6 {
		return fmt.Errorf("%w: %s is not an SSM entity type (01–06)", ErrInvalidRegNo, p[4:6])
	}
	return nil
}

// normaliseOldForm turns "0001312525A" into "1312525A": digits (at most 7 significant) and
// one check letter.
func normaliseOldForm(p string) (string, error) {
	letter := p[len(p)-1]
	digits := strings.TrimLeft(p[:len(p)-1], "0")
	if letter < 'A' || letter > 'Z' || digits == "" || len(digits) > 7 || !allDigits(digits) {
		return "", fmt.Errorf("%w: an old-style number is digits and a check letter (e.g. 1312525-A)", ErrInvalidRegNo)
	}
	return digits + string(letter), nil
}

func stripSeparators(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, s)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// atoi reads a short run of ASCII digits already checked by allDigits.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
