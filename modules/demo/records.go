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

	"github.com/speks-portal/speks/modules/feed"
	"github.com/speks-portal/speks/tenant"
)

// Records: the demo's payslips, EC statements and payments, fed through feed.Import — the
// code path of the HTTP feed and `speks import` — from CSV generated on the fly, so the demo
// exercises the real import, its checks and its upserts.
//
//   - The records follow the clock, a month at a time: their reference is the first day of
//     the current month (UTC, RecordsReference), so the demo looks like payday this month and
//     every run within a month generates the same files. Below a reference of 1 November
//     2026: 24 months of payslips up to the month before it (November 2024 – October 2026),
//     the EC statements of the two years before it (2024, 2025: a year's EC exists once the
//     year is over), and the payments of the 12 months before it (November 2025 – 31 October
//     2026), so eMaklum's default range of the last three months finds payments.
//   - The people do not follow the clock: ages, IC numbers, the payroll master and years of
//     service stay anchored to ReferenceDate, so the master does not change month to month.
//   - Each file is a pure function of (state, the page of people, its month or year): a
//     payslip month, an EC year, a month of claims or of supplier payments. Next month's run
//     therefore generates the old files byte for byte, which the feed replays, and imports
//     only the new month (and, once a year, the new EC year). The one exception is by
//     design: payments of the last days before the reference are still "sent_to_bank"; the
//     month after, that month's file carries their outcome (received, failed), which the
//     feed imports as status changes, as the accounting system would report them. Months
//     that leave the window are not deleted here: the nightly retention does that.
//   - Who is paid is what the payroll and supplier masters hold (the demo's own people, and
//     anyone a feed added), read a page at a time; one payslip file per month, one EC file
//     per year and one claims and one supplier-payments file per month and page, as Modul
//     PY and the accounting system send them. Memory is bounded by the page, never by the
//     number of lines: each file is written into an io.Pipe while the import reads it.
//   - A re-run writes nothing and is quick: each file is generated once more into SHA-256
//     (the content hash the feed keeps) and sent with that hash as its Idempotency-Key, so
//     the feed answers from its batch record before reading the body. A file without rows (a
//     month in which nobody of the page claimed) is not sent. A changed generator makes
//     other files, which the feed imports as updates.
//   - No "payslip ready" mail: the files go in without feed.Options.Publish. The months are
//     history being filled in, not news, and a re-run after the demo accounts exist would
//     otherwise mail every demo user about two years of payslips. (The step also runs before
//     the account step, but that alone would not cover a re-run.)

// rosterPage is how many people one set of files covers.
const rosterPage = 5000

// Window of the records below their reference.
const (
	payslipMonths = 24
	paymentMonths = 12
	ecYears       = 2
)

// RecordsReference is the records' reference for the clock reading now: the first day of its
// month, in UTC, the same all month long.
func RecordsReference(now time.Time) time.Time {
	now = now.UTC()
	return time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// RecordsStep is the TenantStep that fills a demo state's payslips, EC statements and
// payments through the feed import, for the month of now (see RecordsReference): the command
// passes the clock, tests a fixed date.
func RecordsStep(now time.Time) TenantStep {
	ref := RecordsReference(now)
	return func(ctx context.Context, t *tenant.Tenant, db *tenant.DB, _ *TenantEntry) error {
		state, ok := stateOf(t.Code)
		if !ok {
			return nil // not one of the demo states
		}
		f := newRecordsFeeder(&tenant.Scope{Tenant: t, DB: db}, state, ref)
		if err := f.run(ctx); err != nil {
			return fmt.Errorf("demo records of %s: %w", t.Code, err)
		}
		slog.InfoContext(ctx, "demo records", "tenant", t.Code, "reference", ref.Format(time.DateOnly),
			"files", f.files, "replayed", f.replayed, "inserted", f.inserted, "updated", f.updated, "unchanged", f.unchanged)
		return nil
	}
}

func stateOf(code string) (*State, bool) {
	for _, s := range StatesUpTo(MaxStates) {
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
	// ref is the records' reference (a first of the month); months are the first days of
	// the payslip months, payMonths of the payment months, years the EC years.
	ref       time.Time
	months    []time.Time
	payMonths []time.Time
	years     []int
	pay       paymentBook
	// page is how many people or suppliers one set of files covers (rosterPage).
	page int
	// What the imports answered, for the log line; imported names the files the feed did
	// not replay (a few dozen a page: the tests read it).
	files, replayed, inserted, updated, unchanged int64
	imported                                      []string
}

func newRecordsFeeder(scope *tenant.Scope, state *State, ref time.Time) *recordsFeeder {
	ref = RecordsReference(ref)
	f := &recordsFeeder{scope: scope, state: state, ref: ref, page: rosterPage,
		pay: paymentBook{state: state, ref: ref}}
	for i := payslipMonths; i >= 1; i-- {
		f.months = append(f.months, ref.AddDate(0, -i, 0))
	}
	f.payMonths = f.months[payslipMonths-paymentMonths:]
	for i := ecYears; i >= 1; i-- {
		f.years = append(f.years, ref.Year()-i)
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
				bank_account, kwsp_no, tax_no, children
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
	people := make([]*payee, len(page))
	for i, e := range page {
		people[i] = newPayee(f.state, e)
	}
	for _, month := range f.months {
		name := "payslips " + month.Format("2006-01")
		if err := f.importCSV(ctx, name, feed.Payslips, payslipHeader, func(w *csv.Writer) error {
			return writePayslips(w, f.state, people, month)
		}); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	employer := employerNo(f.state)
	for _, year := range f.years {
		name := "statements " + strconv.Itoa(year)
		if err := f.importCSV(ctx, name, feed.Statements, statementHeader, func(w *csv.Writer) error {
			return writeStatements(w, people, employer, year)
		}); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	for _, month := range f.payMonths {
		name := "claims " + month.Format("2006-01")
		if err := f.importCSV(ctx, name, feed.Payments, paymentHeader, func(w *csv.Writer) error {
			for _, p := range people {
				if err := writePayments(w, f.pay.claims(p, ptjNames[p.PTJCode], month)); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return fmt.Errorf("staff %s: %w", name, err)
		}
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
		for _, month := range f.payMonths {
			name := "supplier payments " + month.Format("2006-01")
			if err := f.importCSV(ctx, name, feed.Payments, paymentHeader, func(w *csv.Writer) error {
				for _, s := range page {
					if err := writePayments(w, f.pay.supplierPayments(s.supplierRow, month)); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
		after = page[len(page)-1].ID
	}
}

var (
	payslipHeader   = []string{"ic_no", "year", "month", "pay_date", "kind", "code", "description", "amount"}
	statementHeader = []string{"ic_no", "year", "employer_no", "tax_no", "section", "code", "description", "amount"}
)

func writePayslips(w *csv.Writer, state *State, people []*payee, month time.Time) error {
	year, mon, paid := strconv.Itoa(month.Year()), strconv.Itoa(int(month.Month())), payDate(state, month).Format(time.DateOnly)
	for _, p := range people {
		for _, l := range p.slip(month) {
			if err := w.Write([]string{p.IC, year, mon, paid, l.Kind, l.Code, l.Description, formatSen(l.Amount)}); err != nil {
				return err
			}
		}
	}
	return nil
}

func writeStatements(w *csv.Writer, people []*payee, employer string, year int) error {
	y := strconv.Itoa(year)
	for _, p := range people {
		for _, it := range p.statement(year) {
			if err := w.Write([]string{p.IC, y, employer, p.TaxNo, it.Section, it.Code, it.Description, formatSen(it.Amount)}); err != nil {
				return err
			}
		}
	}
	return nil
}

// importCSV generates a file twice: once into SHA-256 for its Idempotency-Key, then through
// a pipe into feed.Import. A file imported before is answered from its batch without the
// second generation being read; a file without rows is not sent. name labels the file.
func (f *recordsFeeder) importCSV(ctx context.Context, name string, kind feed.Kind, header []string,
	rows func(w *csv.Writer) error) error {
	h := sha256.New()
	size := &countingWriter{}
	if err := writeCSV(io.MultiWriter(h, size), header, rows); err != nil {
		return fmt.Errorf("generate %s: %w", kind, err)
	}
	if size.n <= headerSize(header) {
		return nil
	}
	key := "demo-" + hex.EncodeToString(h.Sum(nil))
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := writeCSV(pw, header, rows)
		pw.CloseWithError(err) // nil closes with EOF
		done <- err
	}()
	// The feed's clock is the reference too, so its checks (no EC of a year not over) see
	// the month the records are generated for.
	res, err := feed.Import(tenant.NewContext(ctx, f.scope), kind, pr, feed.Options{Actor: "demo", IdempotencyKey: key, Now: f.ref})
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
	f.count(name, res)
	return nil
}

// count adds an import's answer to the totals.
func (f *recordsFeeder) count(name string, res *feed.Result) {
	f.files++
	if res.Replayed {
		f.replayed++
		return
	}
	f.imported = append(f.imported, name)
	f.inserted += res.Inserted
	f.updated += res.Updated
	f.unchanged += res.Unchanged
}

// countingWriter counts the bytes written through it.
type countingWriter struct{ n int }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += len(p)
	return len(p), nil
}

// headerSize is the length of a file holding only the header.
func headerSize(header []string) int {
	size := &countingWriter{}
	_ = writeCSV(size, header, func(*csv.Writer) error { return nil }) // a countingWriter never fails
	return size.n
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
