package demo

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/feed"
	"github.com/speks-portal/speks/tenant"
)

// Records: the demo's payslips, EC statements and payments, fed through feed.Import — the
// code path of the HTTP feed and `speks import` — from CSV generated on the fly, so the demo
// exercises the real import, its checks and its upserts.
//
//   - Periods follow ReferenceDate, not the clock, so every run generates the same files:
//     24 months of payslips up to the month before it (January 2024 – December 2025), the EC
//     statements of the two years before it (2024, 2025), the payments of the last year
//     (2025).
//   - Who is paid is what the payroll and supplier masters hold (the demo's own people, and
//     anyone a feed added), read a page at a time; one payslip file per month, one EC file
//     per year and one payments file per page, as Modul PY and the accounting system send a
//     month's payroll and a period's payments. Memory is bounded by the page, never by the
//     number of lines: each file is written into an io.Pipe while the import reads it.
//   - A re-run writes nothing and is quick: each file is generated once more into SHA-256
//     (the content hash the feed keeps) and sent with that hash as its Idempotency-Key, so
//     the feed answers from its batch record before reading the body. A changed generator
//     makes other files, which the feed imports as updates.
//   - No "payslip ready" mail: the files go in without feed.Options.Publish. The months are
//     history being filled in, not news, and a re-run after the demo accounts exist would
//     otherwise mail every demo user about two years of payslips. (The step also runs before
//     the account step, but that alone would not cover a re-run.)

// rosterPage is how many people one set of files covers.
const rosterPage = 5000

// RecordsStep is the TenantStep that fills a demo state's payslips, EC statements and
// payments through the feed import.
func RecordsStep() TenantStep {
	return func(ctx context.Context, t *tenant.Tenant, db *sqlx.DB, _ *TenantEntry) error {
		state, ok := stateOf(t.Code)
		if !ok {
			return nil // not one of the demo states
		}
		f := newRecordsFeeder(&tenant.Scope{Tenant: t, DB: db}, state, ReferenceDate)
		if err := f.run(ctx); err != nil {
			return fmt.Errorf("demo records of %s: %w", t.Code, err)
		}
		slog.InfoContext(ctx, "demo records", "tenant", t.Code, "files", f.files, "replayed", f.replayed,
			"inserted", f.inserted, "updated", f.updated, "unchanged", f.unchanged)
		return nil
	}
}

func stateOf(code string) (*State, bool) {
	for _, s := range States() {
		if s.Spec.Code == code {
			return &s, true
		}
	}
	return nil, false
}

// recordsFeeder generates and imports one tenant's records.
type recordsFeeder struct {
	scope *tenant.Scope
	state *State
	// months are the first days of the payslip months; years the EC years.
	months []time.Time
	years  []int
	pay    paymentYear
	// page is how many people or suppliers one set of files covers (rosterPage).
	page int
	// What the imports answered, for the log line.
	files, replayed, inserted, updated, unchanged int64
}

func newRecordsFeeder(scope *tenant.Scope, state *State, ref time.Time) *recordsFeeder {
	last := time.Date(ref.Year(), ref.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
	f := &recordsFeeder{scope: scope, state: state, page: rosterPage,
		years: []int{ref.Year() - 2, ref.Year() - 1},
		pay:   paymentYear{state: state, year: ref.Year() - 1}}
	for i := 23; i >= 0; i-- {
		f.months = append(f.months, last.AddDate(0, -i, 0))
	}
	return f
}

func (f *recordsFeeder) run(ctx context.Context) error {
	if err := f.scope.DB.SelectContext(ctx, &f.pay.ptjs, `SELECT code, name FROM ptjs ORDER BY code`); err != nil {
		return fmt.Errorf("read PTJs: %w", err)
	}
	if len(f.pay.ptjs) == 0 {
		return errors.New("no PTJs: the payroll master must be seeded first")
	}
	ptjNames := make(map[string]string, len(f.pay.ptjs))
	for _, p := range f.pay.ptjs {
		ptjNames[p.Code] = p.Name
	}
	for after := ""; ; {
		var page []roster
		if err := f.scope.DB.SelectContext(ctx, &page, `SELECT ic_no, salary_no, name, ptj_code, grade,
				bank_account, kwsp_no, tax_no
			FROM employees WHERE status = 'active' AND ic_no > $1 ORDER BY ic_no LIMIT $2`, after, f.page); err != nil {
			return fmt.Errorf("read the payroll master: %w", err)
		}
		if len(page) == 0 {
			break
		}
		if err := f.staffFiles(ctx, page, ptjNames); err != nil {
			return err
		}
		after = page[len(page)-1].IC
	}
	return f.supplierFiles(ctx)
}

// staffFiles imports the payslips, statements and claims of one page of staff.
func (f *recordsFeeder) staffFiles(ctx context.Context, page []roster, ptjNames map[string]string) error {
	first := f.months[0]
	people := make([]*payee, len(page))
	for i, e := range page {
		people[i] = newPayee(f.state, e, first)
	}
	for _, month := range f.months {
		if err := f.importCSV(ctx, feed.Payslips, payslipHeader, func(w *csv.Writer) error {
			return writePayslips(w, f.state, people, month, first)
		}); err != nil {
			return fmt.Errorf("payslips %s: %w", month.Format("2006-01"), err)
		}
	}
	employer := employerNo(f.state)
	for _, year := range f.years {
		if err := f.importCSV(ctx, feed.Statements, statementHeader, func(w *csv.Writer) error {
			return writeStatements(w, people, employer, year, first)
		}); err != nil {
			return fmt.Errorf("statements %d: %w", year, err)
		}
	}
	err := f.importCSV(ctx, feed.Payments, paymentHeader, func(w *csv.Writer) error {
		for _, p := range people {
			for _, c := range f.pay.claims(p, ptjNames[p.PTJCode]) {
				if err := c.write(w); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("staff claims %d: %w", f.pay.year, err)
	}
	return nil
}

// supplierFiles imports the payments to the supplier master's companies, a page at a time.
func (f *recordsFeeder) supplierFiles(ctx context.Context) error {
	for after := int64(0); ; {
		var page []struct {
			ID int64 `db:"id"`
			supplierRow
		}
		if err := f.scope.DB.SelectContext(ctx, &page, `SELECT id, reg_no_new, reg_no_old, name, bank_account
			FROM suppliers WHERE status = 'active' AND id > $1 ORDER BY id LIMIT $2`, after, f.page); err != nil {
			return fmt.Errorf("read the supplier master: %w", err)
		}
		if len(page) == 0 {
			return nil
		}
		err := f.importCSV(ctx, feed.Payments, paymentHeader, func(w *csv.Writer) error {
			for _, s := range page {
				for _, p := range f.pay.supplierPayments(s.supplierRow) {
					if err := p.write(w); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("supplier payments %d: %w", f.pay.year, err)
		}
		after = page[len(page)-1].ID
	}
}

var (
	payslipHeader   = []string{"ic_no", "year", "month", "pay_date", "kind", "code", "description", "amount"}
	statementHeader = []string{"ic_no", "year", "employer_no", "tax_no", "section", "code", "description", "amount"}
)

func writePayslips(w *csv.Writer, state *State, people []*payee, month, first time.Time) error {
	year, mon, paid := strconv.Itoa(month.Year()), strconv.Itoa(int(month.Month())), payDate(state, month).Format(time.DateOnly)
	for _, p := range people {
		for _, l := range p.slip(month, first) {
			if err := w.Write([]string{p.IC, year, mon, paid, l.Kind, l.Code, l.Description, formatSen(l.Amount)}); err != nil {
				return err
			}
		}
	}
	return nil
}

func writeStatements(w *csv.Writer, people []*payee, employer string, year int, first time.Time) error {
	y := strconv.Itoa(year)
	for _, p := range people {
		for _, it := range p.statement(year, first) {
			if err := w.Write([]string{p.IC, y, employer, p.TaxNo, it.Section, it.Code, it.Description, formatSen(it.Amount)}); err != nil {
				return err
			}
		}
	}
	return nil
}

// importCSV generates a file twice: once into SHA-256 for its Idempotency-Key, then through
// a pipe into feed.Import. A file imported before is answered from its batch without the
// second generation being read.
func (f *recordsFeeder) importCSV(ctx context.Context, kind feed.Kind, header []string, rows func(w *csv.Writer) error) error {
	h := sha256.New()
	if err := writeCSV(h, header, rows); err != nil {
		return fmt.Errorf("generate %s: %w", kind, err)
	}
	key := "demo-" + hex.EncodeToString(h.Sum(nil))
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := writeCSV(pw, header, rows)
		pw.CloseWithError(err) // nil closes with EOF
		done <- err
	}()
	res, err := feed.Import(ctx, f.scope, kind, pr, feed.Options{Actor: "demo", IdempotencyKey: key, Now: ReferenceDate})
	// An import that stopped reading (a replay, a refusal) must not leave the writer blocked.
	pr.CloseWithError(errImportDone)
	genErr := <-done
	if err != nil {
		if res != nil && len(res.Errors) > 0 {
			return fmt.Errorf("%w: first of %d errors: line %d, %s: %s", err, len(res.Errors),
				res.Errors[0].Line, res.Errors[0].Column, res.Errors[0].Message)
		}
		return err
	}
	if genErr != nil && !errors.Is(genErr, errImportDone) {
		return fmt.Errorf("generate %s: %w", kind, genErr)
	}
	f.files++
	if res.Replayed {
		f.replayed++
		return nil
	}
	f.inserted += res.Inserted
	f.updated += res.Updated
	f.unchanged += res.Unchanged
	return nil
}

var errImportDone = errors.New("import finished")

// writeCSV writes the header and the rows to w through encoding/csv's buffer.
func writeCSV(w io.Writer, header []string, rows func(w *csv.Writer) error) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	if err := rows(cw); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}
