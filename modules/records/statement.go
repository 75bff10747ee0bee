package records

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/speks-portal/speks/modules/feed"
	"github.com/speks-portal/speks/modules/foundation/ids"
	"github.com/speks-portal/speks/modules/foundation/money"
)

// StatementYear is one entry of the eEC list.
type StatementYear struct {
	Year int `json:"year" db:"year"`
}

// Statement is the annual income statement in the structure of LHDN form EC: the employer's
// particulars, the employee's, and the items grouped into the sections the feed names.
type Statement struct {
	Year     int              `json:"year"`
	Employer StatementParty   `json:"employer"`
	Employee StatementPerson  `json:"employee"`
	Sections []StatementGroup `json:"sections"`
	// Form is the statement laid out as Borang EC: parts B to F with every item of the form
	// in its numbering, those the payroll sent no amount for left blank.
	Form []ECPart `json:"form"`
	Verification

	ic string
}

// StatementParty is the employer part of form EC: the state, its employer number (No.
// Majikan E) and the department the employee served in.
type StatementParty struct {
	Name       string `json:"name"`
	EmployerNo string `json:"employer_no"`
	Department string `json:"department"`
}

// StatementPerson is the employee part of form EC.
type StatementPerson struct {
	Name     string `json:"name"`
	ICMasked string `json:"ic_no_masked"`
	TaxNo    string `json:"tax_no"`
	KWSPNo   string `json:"kwsp_no"`
	KWAPNo   string `json:"kwap_no"`
	// PERKESONoMasked: PERKESO numbers a person by their IC number, so it is masked like one.
	PERKESONoMasked string `json:"perkeso_no_masked"`
	Children        *int   `json:"children"` // qualifying for tax relief; null when the payroll did not say
	SalaryNo        string `json:"salary_no"`
	Position        string `json:"position"`
}

// ECPart is one part of Borang EC with amounts (B to F) and its total.
type ECPart struct {
	Part  string    `json:"part"`
	Items []ECRow   `json:"items"`
	Total money.Sen `json:"total"`
}

// ECRow is one item of the form: its code (B1a …), the amount or null when blank, and, for
// an item the form does not number (sent before the feed checked codes), the feed's words.
type ECRow struct {
	Code        string     `json:"code"`
	Amount      *money.Sen `json:"amount"`
	Description string     `json:"description,omitempty"`
}

// Blank tells the page and the PDF to print "–".
func (r ECRow) Blank() bool { return r.Amount == nil }

// StatementGroup is one section of the form with its items and their total.
type StatementGroup struct {
	Section string    `json:"section"`
	Items   []Line    `json:"items"`
	Total   money.Sen `json:"total"`
}

// ListStatements returns the years with an EC statement, newest first.
func ListStatements(ctx context.Context, db sqlx.QueryerContext, ic string) ([]StatementYear, error) {
	out := []StatementYear{}
	if ic == "" {
		return out, nil
	}
	if err := sqlx.SelectContext(ctx, db, &out, `SELECT year FROM statements WHERE ic_no = $1 ORDER BY year DESC`, ic); err != nil {
		return nil, fmt.Errorf("list statements: %w", err)
	}
	return out, nil
}

// LoadStatement reads the person's EC statement of year, or ErrNotFound. employer is the
// state's name, printed as the employer.
func LoadStatement(ctx context.Context, db sqlx.QueryerContext, ic string, year int, employer string) (*Statement, error) {
	if ic == "" {
		return nil, ErrNotFound
	}
	var head struct {
		EmployerNo string `db:"employer_no"`
		TaxNo      string `db:"tax_no"`
		Name       string `db:"name"`
		KWSPNo     string `db:"kwsp_no"`
		KWAPNo     string `db:"kwap_no"`
		PERKESONo  string `db:"perkeso_no"`
		Children   *int   `db:"children"`
		SalaryNo   string `db:"salary_no"`
		Position   string `db:"position"`
		Department string `db:"department"`
	}
	err := sqlx.GetContext(ctx, db, &head, `
		SELECT s.employer_no, s.tax_no, e.name, e.kwsp_no, e.kwap_no, e.perkeso_no, e.children, e.salary_no, e.position,
			coalesce(d.name, e.department_code) AS department
		FROM statements s JOIN employees e ON e.ic_no = s.ic_no
		LEFT JOIN departments d ON d.code = e.department_code
		WHERE s.ic_no = $1 AND s.year = $2`, ic, year)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load statement: %w", err)
	}
	st := &Statement{Year: year, ic: ic,
		Employer: StatementParty{Name: employer, EmployerNo: head.EmployerNo, Department: head.Department},
		Employee: StatementPerson{Name: head.Name, ICMasked: ids.Mask(ic), TaxNo: head.TaxNo, KWSPNo: head.KWSPNo,
			KWAPNo: head.KWAPNo, Children: head.Children, SalaryNo: head.SalaryNo, Position: head.Position}}
	if head.PERKESONo != "" {
		st.Employee.PERKESONoMasked = ids.Mask(head.PERKESONo)
	}
	if err := loadStatementItems(ctx, db, st); err != nil {
		return nil, err
	}
	return st, nil
}

// loadStatementItems groups the items by section, sections in the order the feed first
// listed them (form EC's own order when the feed follows it).
func loadStatementItems(ctx context.Context, db sqlx.QueryerContext, st *Statement) error {
	var items []struct {
		Section string `db:"section"`
		Line
	}
	if err := sqlx.SelectContext(ctx, db, &items, `
		SELECT section, code, description, amount FROM statement_items
		WHERE ic_no = $1 AND year = $2 ORDER BY seq`, st.ic, st.Year); err != nil {
		return fmt.Errorf("statement items: %w", err)
	}
	st.Sections = []StatementGroup{}
	index := map[string]int{}
	for _, it := range items {
		i, ok := index[it.Section]
		if !ok {
			i = len(st.Sections)
			index[it.Section] = i
			st.Sections = append(st.Sections, StatementGroup{Section: it.Section})
		}
		g := &st.Sections[i]
		g.Items = append(g.Items, it.Line)
		g.Total += it.Amount
	}
	st.Form = ecForm(st.Sections)
	return nil
}

// ecForm lays the items out as Borang EC: every part B to F with every item of the form in
// order, blank where the payroll sent none; an item the form does not number (data sent
// before the feed checked codes) follows the numbered ones of the part its section names.
func ecForm(groups []StatementGroup) []ECPart {
	parts := make([]ECPart, len(feed.ECParts))
	index := map[string]*ECPart{}
	for i, letter := range feed.ECParts {
		parts[i].Part = letter
		index[letter] = &parts[i]
	}
	for _, code := range feed.ECItems {
		index[code[:1]].Items = append(index[code[:1]].Items, ECRow{Code: code})
	}
	for _, g := range groups {
		for _, it := range g.Items {
			amount := it.Amount
			code, letter, known := feed.ECItem(it.Code)
			if !known && len(g.Section) > 0 {
				letter = strings.ToUpper(g.Section[:1])
			}
			p := index[letter]
			if p == nil {
				continue
			}
			p.Total += amount
			if known {
				for j := range p.Items {
					if p.Items[j].Code == code {
						p.Items[j].Amount = &amount
					}
				}
				continue
			}
			p.Items = append(p.Items, ECRow{Code: it.Code, Amount: &amount, Description: it.Description})
		}
	}
	return parts
}

// Income is the total of the employment-income sections, the amount the verification page
// shows for a statement: every section whose name starts with "B" (form EC Part B,
// employment income) when the feed uses the form's letters, else the first section.
func (st *Statement) Income() money.Sen {
	var total money.Sen
	found := false
	for _, g := range st.Sections {
		if len(g.Section) > 0 && (g.Section[0] == 'B' || g.Section[0] == 'b') {
			total += g.Total
			found = true
		}
	}
	if !found && len(st.Sections) > 0 {
		return st.Sections[0].Total
	}
	return total
}

func (st *Statement) docKey() string { return st.ic + "/" + strconv.Itoa(st.Year) }

func (st *Statement) contentHash() string {
	h := newContentHasher("statement")
	h.add(st.ic, st.Employee.Name, strconv.Itoa(st.Year), st.Employer.EmployerNo, st.Employee.TaxNo)
	var rows [][]string
	for _, g := range st.Sections {
		for _, it := range g.Items {
			rows = append(rows, []string{g.Section, it.Code, it.Description, it.Amount.String()})
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i][0] != rows[j][0] {
			return rows[i][0] < rows[j][0]
		}
		return rows[i][1] < rows[j][1]
	})
	for _, r := range rows {
		h.add(r...)
	}
	return h.sum()
}
