package feed

import (
	"context"
	"errors"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/foundation/ids"
	"github.com/speks-portal/speks/modules/foundation/money"
)

// Kind names a feed (docs/API.md "Feeds").
type Kind string

const (
	Employees  Kind = "employees"
	Suppliers  Kind = "suppliers"
	Payslips   Kind = "payslips"
	Statements Kind = "statements"
	Payments   Kind = "payments"
)

// Kinds lists every feed, in the order a new tenant is best fed (masters first).
var Kinds = []Kind{Employees, Suppliers, Payslips, Statements, Payments}

// ParseKind returns the kind named s, or ErrUnknownKind.
func ParseKind(s string) (Kind, error) {
	if _, ok := specs[Kind(s)]; ok {
		return Kind(s), nil
	}
	return "", ErrUnknownKind
}

// column is one CSV column of a feed.
type column struct {
	name     string
	required bool
	max      int // characters
}

// Column describes one CSV column of a feed as a sender sees it: the published format
// (docs/API.md "Feeds") and the test that keeps that document in step read it from here.
type Column struct {
	Name     string
	Required bool // a row must give a value
	MaxChars int  // longest value accepted, in characters
	// Omittable: the header may leave the column out (it was added after the format was
	// agreed); it is then read as empty.
	Omittable bool
}

// Columns lists kind's columns in their documented order; nil for an unknown kind.
func Columns(k Kind) []Column {
	s, ok := specs[k]
	if !ok {
		return nil
	}
	out := make([]Column, len(s.columns))
	for i, c := range s.columns {
		out[i] = Column{Name: c.name, Required: c.required, MaxChars: c.max, Omittable: s.omittable(i)}
	}
	return out
}

// counts is what a feed's upsert reports; rows is counted by the stream.
type counts struct {
	inserted, updated, unchanged int64
}

// kindSpec is everything that differs between feeds. The import (import.go) runs the same
// steps for each: stream rows through convert into the staging table, run check, then apply.
type kindSpec struct {
	kind    Kind
	columns []column
	// omit names the columns a header may leave out, read as empty: columns added after
	// the format was agreed, so that files made before them stay valid.
	omit []string
	// stageDDL lists the staging table's columns after "line integer"; stageColumns names
	// them in the order convert fills its values.
	stageDDL     string
	stageColumns []string
	// convert validates one row (r.vals in column order) and fills out (after the line) with
	// the staging values; false when the row has errors (already reported on r).
	convert func(r *row, out []any) bool
	// check runs the set-based rules (duplicates, consistency, references) on the staging
	// table and returns what it finds.
	check func(ctx context.Context, tx *sqlx.Tx) ([]RowError, error)
	// apply upserts the staged rows; it may still find row errors the database caught.
	apply func(ctx context.Context, tx *sqlx.Tx, batch int64) (counts, []RowError, error)
	// direct, when set, first tries to import the file without staging its rows
	// (payslips_direct.go). It answers false, having written what the caller's savepoint
	// will undo, when the file is not for it or anything is wrong with the file: the staged
	// path (convert, check, apply above) then reads it again, writes it or lists every error.
	direct func(ctx context.Context, imp *importer, tx *sqlx.Tx, mark *time.Time) (*Result, bool, error)
}

var specs = map[Kind]*kindSpec{}

func register(s *kindSpec) { specs[s.kind] = s }

func (s *kindSpec) columnIndex(name string) int {
	for i, c := range s.columns {
		if c.name == name {
			return i
		}
	}
	return -1
}

func (s *kindSpec) omittable(col int) bool {
	return slices.Contains(s.omit, s.columns[col].name)
}

func (s *kindSpec) columnList() string {
	names := make([]string, len(s.columns))
	for i, c := range s.columns {
		names[i] = c.name
	}
	return strings.Join(names, ", ")
}

// row is one record being converted: its cleaned values, the line of each, and where its
// errors go.
type row struct {
	spec  *kindSpec
	vals  []string
	lines []int
	errs  *errorList
	now   time.Time
	bad   bool
}

func (r *row) fail(col int, code, format string, args ...any) {
	r.bad = true
	r.errs.add(r.lines[col], r.spec.columns[col].name, code, format, args...)
}

// text returns the cleaned value as it is.
func (r *row) text(col int) string { return r.vals[col] }

func (r *row) ic(col int) string {
	ic, err := ids.NormaliseIC(r.vals[col])
	if err != nil {
		r.fail(col, CodeInvalidIC, "%s", strings.TrimPrefix(err.Error(), ids.ErrInvalidIC.Error()+": "))
		return ""
	}
	return ic
}

func (r *row) companyNo(col int) ids.CompanyNo {
	c, err := ids.ParseCompanyNo(r.vals[col])
	if err != nil {
		r.fail(col, CodeInvalidRegNo, "%s", strings.TrimPrefix(err.Error(), ids.ErrInvalidRegNo.Error()+": "))
	}
	return c
}

func (r *row) intIn(col int, lo, hi int64, code string) int64 {
	n, err := strconv.ParseInt(r.vals[col], 10, 64)
	if err != nil || n < lo || n > hi {
		r.fail(col, code, "must be a whole number from %d to %d", lo, hi)
		return 0
	}
	return n
}

// date reads YYYY-MM-DD (docs/API.md "Feeds"); empty optional dates stay empty.
func (r *row) date(col int) string {
	v := r.vals[col]
	d, err := time.Parse(time.DateOnly, v)
	if err != nil || d.Year() < 1990 || d.Year() > 2200 {
		r.fail(col, CodeInvalidDate, "must be a date written YYYY-MM-DD")
		return ""
	}
	return v
}

// sign rules for amounts, per feed and column.
type sign int

const (
	nonNegative sign = iota // ≥ 0: payslip lines and EC items, whose kind or section gives the direction
	positive                // > 0: a payment
	nonZero                 // ≠ 0: an invoice line (a credit note is negative)
)

func (r *row) amount(col int, rule sign) (money.Sen, bool) {
	v, err := money.Parse(r.vals[col])
	switch {
	case errors.Is(err, money.ErrDecimals):
		r.fail(col, CodeTooManyDecimals, "at most two decimals (sen)")
		return 0, false
	case err != nil:
		r.fail(col, CodeInvalidAmount, "must be an amount like 4521.30 (no thousands separators or currency)")
		return 0, false
	case rule == nonNegative && v < 0:
		r.fail(col, CodeAmountSign, "must not be negative")
	case rule == positive && v <= 0:
		r.fail(col, CodeAmountSign, "must be more than zero")
	case rule == nonZero && v == 0:
		r.fail(col, CodeAmountSign, "must not be zero")
	default:
		return v, true
	}
	return 0, false
}

// oneOf accepts one of allowed (case-insensitive); empty becomes def when def is set.
func (r *row) oneOf(col int, code, def string, allowed ...string) string {
	v := strings.ToLower(r.vals[col])
	if v == "" && def != "" {
		return def
	}
	for _, a := range allowed {
		if v == a {
			return a
		}
	}
	r.fail(col, code, "must be one of: %s", strings.Join(allowed, ", "))
	return ""
}

func (r *row) email(col int) string {
	v := r.vals[col]
	if v == "" {
		return ""
	}
	a, err := mail.ParseAddress(v)
	if err != nil || a.Address != v || a.Name != "" {
		r.fail(col, CodeInvalidEmail, "not an email address")
		return ""
	}
	return v
}

func (r *row) phone(col int) string {
	v := r.vals[col]
	digits := 0
	for _, c := range v {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '+' || c == '-' || c == ' ' || c == '(' || c == ')':
		default:
			r.fail(col, CodeInvalidPhone, "a phone number has digits, spaces, +, - and brackets only")
			return ""
		}
	}
	if v != "" && (digits < 7 || digits > 15) {
		r.fail(col, CodeInvalidPhone, "a phone number has 7 to 15 digits")
		return ""
	}
	return v
}

// nullable maps "" to NULL for optional staging columns.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
