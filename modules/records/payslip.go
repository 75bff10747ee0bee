package records

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"

	"github.com/jmoiron/sqlx"
	"github.com/speks-portal/speks/modules/foundation/ids"
	"github.com/speks-portal/speks/modules/foundation/money"
)

// PayslipSummary is one line of the ePayslip list.
type PayslipSummary struct {
	Year            int       `json:"year" db:"year"`
	Month           int       `json:"month" db:"month"`
	PayDate         string    `json:"pay_date" db:"pay_date"`
	Gross           money.Sen `json:"gross" db:"gross"`
	TotalDeductions money.Sen `json:"total_deductions" db:"total_deductions"`
	Net             money.Sen `json:"net" db:"net"`
}

// Employee is the payslip header: who is paid, where, and into which account (masked).
type Employee struct {
	Name          string `json:"name" db:"name"`
	ICMasked      string `json:"ic_no_masked" db:"-"`
	SalaryNo      string `json:"salary_no" db:"salary_no"`
	Position      string `json:"position" db:"position"`
	Grade         string `json:"grade" db:"grade"`
	Department    string `json:"department" db:"department"`
	PTJ           string `json:"ptj" db:"ptj"`
	Bank          string `json:"bank" db:"bank_name"`
	AccountMasked string `json:"account_masked" db:"-"`

	ic      string
	account string
}

// Line is one earning or deduction of a payslip.
type Line struct {
	Code        string    `json:"code" db:"code"`
	Description string    `json:"description" db:"description"`
	Amount      money.Sen `json:"amount" db:"amount"`
}

// YTD are the year-to-date totals up to and including the payslip's month.
type YTD struct {
	Gross      money.Sen `json:"gross"`
	Deductions money.Sen `json:"deductions"`
	Net        money.Sen `json:"net"`
}

// Payslip is the whole monthly payslip (docs/API.md "Records").
type Payslip struct {
	PayslipSummary
	Employee   Employee `json:"employee"`
	Earnings   []Line   `json:"earnings"`
	Deductions []Line   `json:"deductions"`
	YTD        YTD      `json:"ytd"`
	Verification
}

// Verification is what a printed document carries to be checked at /verify.
type Verification struct {
	VerifyURL  string `json:"verify_url"`
	VerifyCode string `json:"verify_code"`
	token      string
}

// ErrNotFound is a record that does not exist for this person (someone else's included).
var ErrNotFound = errors.New("record not found")

// ListPayslips returns the person's payslips of year, newest first; none is an empty list.
func ListPayslips(ctx context.Context, db sqlx.QueryerContext, ic string, year int) ([]PayslipSummary, error) {
	out := []PayslipSummary{}
	if ic == "" {
		return out, nil
	}
	err := sqlx.SelectContext(ctx, db, &out, `
		SELECT year, month, to_char(pay_date, 'YYYY-MM-DD') AS pay_date, gross, total_deductions, net
		FROM payslips WHERE ic_no = $1 AND year = $2 ORDER BY month DESC`, ic, year)
	if err != nil {
		return nil, fmt.Errorf("list payslips: %w", err)
	}
	return out, nil
}

// PayslipYears are the years the person has payslips in, newest first.
func PayslipYears(ctx context.Context, db sqlx.QueryerContext, ic string) ([]int, error) {
	out := []int{}
	if ic == "" {
		return out, nil
	}
	if err := sqlx.SelectContext(ctx, db, &out, `SELECT DISTINCT year FROM payslips WHERE ic_no = $1 ORDER BY year DESC`, ic); err != nil {
		return nil, fmt.Errorf("payslip years: %w", err)
	}
	return out, nil
}

// payslipRow is the payslip, its header and its year-to-date totals in one round trip.
type payslipRow struct {
	PayslipSummary
	Employee
	IC       string    `db:"ic_no"`
	Account  string    `db:"bank_account"`
	YTDGross money.Sen `db:"ytd_gross"`
	YTDDed   money.Sen `db:"ytd_deductions"`
	YTDNet   money.Sen `db:"ytd_net"`
}

// payslipQuery reads a payslip, its header and its year-to-date totals ($1 IC, $2 year,
// $3 month). The load benchmark runs it through pgbench too, so it is a constant.
const payslipQuery = `
		SELECT p.year, p.month, to_char(p.pay_date, 'YYYY-MM-DD') AS pay_date, p.gross, p.total_deductions, p.net,
			e.ic_no, e.name, e.salary_no, e.position, e.grade, e.bank_name, e.bank_account,
			coalesce(d.name, e.department_code) AS department, coalesce(t.name, e.ptj_code) AS ptj,
			y.gross AS ytd_gross, y.deductions AS ytd_deductions, y.net AS ytd_net
		FROM payslips p
		JOIN employees e ON e.ic_no = p.ic_no
		LEFT JOIN departments d ON d.code = e.department_code
		LEFT JOIN ptjs t ON t.code = e.ptj_code
		CROSS JOIN LATERAL (
			SELECT sum(gross) AS gross, sum(total_deductions) AS deductions, sum(net) AS net
			FROM payslips WHERE ic_no = p.ic_no AND year = p.year AND month <= p.month) y
		WHERE p.ic_no = $1 AND p.year = $2 AND p.month = $3`

// payslipLinesQuery reads a payslip's lines in the feed's order.
const payslipLinesQuery = `
		SELECT kind, code, description, amount FROM payslip_lines
		WHERE ic_no = $1 AND year = $2 AND month = $3 ORDER BY seq`

// LoadPayslip reads the person's payslip of year/month with its lines, or ErrNotFound.
// It does not issue the verification token: see Service.Payslip.
func LoadPayslip(ctx context.Context, db sqlx.QueryerContext, ic string, year, month int) (*Payslip, error) {
	if ic == "" {
		return nil, ErrNotFound
	}
	var r payslipRow
	err := sqlx.GetContext(ctx, db, &r, payslipQuery, ic, year, month)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load payslip: %w", err)
	}
	ps := &Payslip{PayslipSummary: r.PayslipSummary, Employee: r.Employee,
		YTD: YTD{Gross: r.YTDGross, Deductions: r.YTDDed, Net: r.YTDNet}}
	ps.Employee.ic, ps.Employee.account = r.IC, r.Account
	ps.Employee.ICMasked, ps.Employee.AccountMasked = ids.Mask(r.IC), ids.Mask(r.Account)
	if err := loadLines(ctx, db, ps, ic); err != nil {
		return nil, err
	}
	return ps, nil
}

func loadLines(ctx context.Context, db sqlx.QueryerContext, ps *Payslip, ic string) error {
	var lines []struct {
		Kind string `db:"kind"`
		Line
	}
	if err := sqlx.SelectContext(ctx, db, &lines, payslipLinesQuery, ic, ps.Year, ps.Month); err != nil {
		return fmt.Errorf("payslip lines: %w", err)
	}
	ps.Earnings, ps.Deductions = []Line{}, []Line{}
	for _, l := range lines {
		ps.addLine(l.Kind, l.Line)
	}
	return nil
}

// addLine files a line of kind E under the earnings, any other under the deductions.
func (ps *Payslip) addLine(kind string, l Line) {
	if kind == "E" {
		ps.Earnings = append(ps.Earnings, l)
	} else {
		ps.Deductions = append(ps.Deductions, l)
	}
}

// previousLinesQuery reads the lines of a payslip for "what changed" ($1 IC, $2 year, $3
// month): one row per line, or one row of NULLs for a payslip without lines, so that an
// existing payslip is told from a missing one (no rows) in the same round trip.
const previousLinesQuery = `
		SELECT l.kind, l.code, l.description, l.amount FROM payslips p
		LEFT JOIN payslip_lines l ON l.ic_no = p.ic_no AND l.year = p.year AND l.month = p.month
		WHERE p.ic_no = $1 AND p.year = $2 AND p.month = $3 ORDER BY l.seq`

// previousLines reads only what Compare needs of a payslip, its lines, or ErrNotFound: the
// page's comparison with the previous month needs neither the header nor the totals.
func previousLines(ctx context.Context, db sqlx.QueryerContext, ic string, year, month int) (*Payslip, error) {
	var rows []struct {
		Kind        sql.NullString `db:"kind"`
		Code        sql.NullString `db:"code"`
		Description sql.NullString `db:"description"`
		Amount      *money.Sen     `db:"amount"`
	}
	if err := sqlx.SelectContext(ctx, db, &rows, previousLinesQuery, ic, year, month); err != nil {
		return nil, fmt.Errorf("previous payslip lines: %w", err)
	}
	if len(rows) == 0 {
		return nil, ErrNotFound
	}
	ps := &Payslip{PayslipSummary: PayslipSummary{Year: year, Month: month}, Earnings: []Line{}, Deductions: []Line{}}
	for _, r := range rows {
		if !r.Kind.Valid || r.Amount == nil {
			continue // the payslip has no lines
		}
		ps.addLine(r.Kind.String, Line{Code: r.Code.String, Description: r.Description.String, Amount: *r.Amount})
	}
	return ps, nil
}

// docKey names a payslip inside the tenant for its verification token.
func (ps *Payslip) docKey() string {
	return ps.Employee.ic + "/" + strconv.Itoa(ps.Year) + "/" + strconv.Itoa(ps.Month)
}

// contentHash binds a token to what the payslip says: the holder, the period and every line
// and total. Lines are sorted so the hash does not depend on the feed's line order.
func (ps *Payslip) contentHash() string {
	h := newContentHasher("payslip")
	h.add(ps.Employee.ic, ps.Employee.Name, strconv.Itoa(ps.Year), strconv.Itoa(ps.Month), ps.PayDate)
	for _, group := range []struct {
		kind  string
		lines []Line
	}{{"E", ps.Earnings}, {"D", ps.Deductions}} {
		sorted := append([]Line(nil), group.lines...)
		sort.Slice(sorted, func(i, j int) bool { return sorted[i].Code < sorted[j].Code })
		for _, l := range sorted {
			h.add(group.kind, l.Code, l.Description, l.Amount.String())
		}
	}
	h.add(ps.Gross.String(), ps.TotalDeductions.String(), ps.Net.String())
	return h.sum()
}

// Change is one difference between a payslip and the previous month's.
type Change struct {
	Kind        string // "E" or "D"
	Code        string
	Description string
	Before      money.Sen
	After       money.Sen
	Status      string // added, removed, changed
}

// Compare lists what changed from prev to ps: lines added, removed, or with a new amount.
func Compare(prev, ps *Payslip) []Change {
	var out []Change
	for _, kind := range []string{"E", "D"} {
		before, after := linesOf(prev, kind), linesOf(ps, kind)
		for _, l := range after {
			old, ok := findLine(before, l.Code)
			switch {
			case !ok:
				out = append(out, Change{Kind: kind, Code: l.Code, Description: l.Description, After: l.Amount, Status: "added"})
			case old.Amount != l.Amount:
				out = append(out, Change{Kind: kind, Code: l.Code, Description: l.Description, Before: old.Amount, After: l.Amount, Status: "changed"})
			}
		}
		for _, l := range before {
			if _, ok := findLine(after, l.Code); !ok {
				out = append(out, Change{Kind: kind, Code: l.Code, Description: l.Description, Before: l.Amount, Status: "removed"})
			}
		}
	}
	return out
}

func linesOf(ps *Payslip, kind string) []Line {
	if kind == "E" {
		return ps.Earnings
	}
	return ps.Deductions
}

func findLine(lines []Line, code string) (Line, bool) {
	for _, l := range lines {
		if l.Code == code {
			return l, true
		}
	}
	return Line{}, false
}

// previousMonth is the month before year/month.
func previousMonth(year, month int) (int, int) {
	if month == 1 {
		return year - 1, 12
	}
	return year, month - 1
}
