package feed

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/speks-portal/speks/modules/foundation/money"
	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// BenchmarkFeeds is the feed benchmark (docs/BENCHMARKS.md, "Feeds and retention"):
// import staff × 12 months × 15 payslip lines and the payment lines into a fresh tenant
// through Import (CSV files on disk, streamed), then load the same rows with plain COPY into
// the same tables of a second fresh tenant, then purge the 12 months while a reader keeps
// reading payslips. Run it once:
//
//	go test ./modules/feed -run '^$' -bench '^BenchmarkFeeds$' -benchtime 1x -timeout 60m
//
// SPEKS_BENCH_STAFF (default 20000) and SPEKS_BENCH_PAYMENTS (payment lines, default 100000)
// scale it down for a quick run.
func BenchmarkFeeds(b *testing.B) {
	g := benchGenerator{staff: envInt("SPEKS_BENCH_STAFF", 20000), payments: envInt("SPEKS_BENCH_PAYMENTS", 100000)}
	dir := b.TempDir()
	files := g.writeFiles(b, dir)
	env := tenanttest.New(b, 4)
	feedScope, copyScope := benchScope(b, env, "benchfeed"), benchScope(b, env, "benchcopy")
	for _, s := range []*tenant.Scope{feedScope, copyScope} {
		benchImport(b, s, Employees, files[Employees])
		benchImport(b, s, Suppliers, files[Suppliers])
	}
	b.ResetTimer()
	for range b.N {
		copyTime := g.plainCopy(b, copyScope)
		resetPeakRSS(b)
		started := time.Now()
		benchImport(b, feedScope, Payslips, files[Payslips])
		payslipTime := time.Since(started)
		benchImport(b, feedScope, Payments, files[Payments])
		feedTime := time.Since(started)
		peak := peakRSS(b)
		started = time.Now()
		benchImport(b, feedScope, Payslips, files[Payslips]) // the same file again: a no-op
		resend := time.Since(started)
		resetPeakRSS(b)
		started = time.Now()
		benchImportBody(b, feedScope, Payslips, files[Payslips], true) // as an HTTP body: spooled, then answered
		resendStream, streamPeak := time.Since(started), peakRSS(b)
		purge, longestRead, reads := benchPurge(b, env, feedScope)

		lines := float64(g.payslipLines() + g.payments)
		b.ReportMetric(lines/feedTime.Seconds(), "lines/s")
		b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MB")
		b.ReportMetric(100*copyTime.Seconds()/feedTime.Seconds(), "%-of-COPY")
		b.ReportMetric(purge.Seconds(), "purge-s")
		b.ReportMetric(float64(longestRead.Microseconds())/1000, "longest-read-ms")
		fmt.Printf("\nfeeds: %d staff, %d payslip lines + %d payment lines = %.0f lines (files %s)\n",
			g.staff, g.payslipLines(), g.payments, lines, fileSizes(b, files))
		fmt.Printf("feed import:   %v (payslips %v, payments %v) = %.0f lines/s, peak RSS %.1f MiB\n",
			feedTime.Round(time.Millisecond), payslipTime.Round(time.Millisecond),
			(feedTime - payslipTime).Round(time.Millisecond), lines/feedTime.Seconds(), float64(peak)/(1<<20))
		fmt.Printf("plain COPY:    %v = %.0f lines/s; the feed runs at %.0f%% of plain COPY\n",
			copyTime.Round(time.Millisecond), lines/copyTime.Seconds(), 100*copyTime.Seconds()/feedTime.Seconds())
		fmt.Printf("re-sent payslips file: %v, nothing written\n", resend.Round(time.Millisecond))
		fmt.Printf("re-sent as a stream (an HTTP body, spooled to a temporary file): %v, peak RSS %.1f MiB, nothing written\n",
			resendStream.Round(time.Millisecond), float64(streamPeak)/(1<<20))
		fmt.Printf("purge 12 months: %v; %d concurrent payslip reads, the longest %v\n\n",
			purge.Round(time.Millisecond), reads, longestRead.Round(time.Microsecond))
	}
}

func benchScope(b *testing.B, env *tenanttest.Env, code string) *tenant.Scope {
	tn := env.Tenant(b, code, tenant.PayrollMatch)
	return &tenant.Scope{Tenant: tn, DB: env.DB(b, tn)}
}

func benchImport(b *testing.B, s *tenant.Scope, kind Kind, path string) {
	benchImportBody(b, s, kind, path, false)
}

// benchImportBody imports the file at path; streamed hands it over as a reader that cannot
// seek, the way an HTTP request's body arrives.
func benchImportBody(b *testing.B, s *tenant.Scope, kind Kind, path string, streamed bool) {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var body io.Reader = f
	if streamed {
		body = struct{ io.Reader }{f}
	}
	res, err := Import(tenant.NewContext(context.Background(), s), kind, body, Options{Actor: "bench", Now: testNow})
	if err != nil {
		b.Fatalf("import %s: %v (%d errors, first %+v)", kind, err, len(res.Errors), firstError(res))
	}
}

func firstError(res *Result) any {
	if res == nil || len(res.Errors) == 0 {
		return nil
	}
	return res.Errors[0]
}

// benchPurge purges the 12 imported months (all of 2023, well past the 24-month cut-off of
// testNow) while a reader fetches random people's payslip lists and one payslip's lines,
// as the portal does, and reports the purge's time and the slowest read.
func benchPurge(b *testing.B, env *tenanttest.Env, s *tenant.Scope) (time.Duration, time.Duration, int) {
	reader, err := env.Databases.Schema(s.Tenant.Schema)
	if err != nil {
		b.Fatal(err)
	}
	stop := make(chan struct{})
	var longest time.Duration
	var reads int
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			d, err := readPayslips(reader, benchIC(i*7919%20000))
			if err != nil {
				b.Errorf("read: %v", err)
				return
			}
			longest = max(longest, d)
			reads++
		}
	}()
	started := time.Now()
	payslips, err := purgeExpired(s)
	purge := time.Since(started)
	close(stop)
	wg.Wait()
	if err != nil {
		b.Fatal(err)
	}
	if payslips == 0 {
		b.Fatal("purge deleted no payslip")
	}
	return purge, longest, reads
}

// purgeExpired deletes what the nightly retention run deletes at testNow, in the same batches
// (modules/retention drives these Expiries; it cannot be imported from inside this package).
func purgeExpired(s *tenant.Scope) (payslips int64, err error) {
	const batch = 1000 // retention.DefaultBatchSize
	cutoff := time.Date(testNow.Year(), testNow.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -s.Tenant.RetentionMonths, 0)
	for _, e := range Expiries(cutoff, cutoff.Year(), cutoff.AddDate(0, -13, 0)) {
		for {
			n, err := e.DeleteBatch(context.Background(), s.DB, batch)
			if err != nil {
				return payslips, fmt.Errorf("purge %s: %w", e.Kind, err)
			}
			if e.Kind == "payslips" {
				payslips += n
			}
			if n < batch {
				break
			}
		}
	}
	return payslips, nil
}

func readPayslips(db *tenant.DB, ic string) (time.Duration, error) {
	started := time.Now()
	rows, err := db.Query(`SELECT year, month, net FROM payslips WHERE ic_no = $1 ORDER BY year DESC, month DESC`, ic)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
	}
	if err := rows.Close(); err != nil {
		return 0, err
	}
	var n int
	err = db.QueryRow(`SELECT count(*) FROM payslip_lines WHERE ic_no = $1 AND year = 2023 AND month = 6`, ic).Scan(&n)
	return time.Since(started), err
}

// benchGenerator makes the benchmark's synthetic data, the same rows for the CSV files and
// for the plain COPY. Names and numbers are made up.
type benchGenerator struct {
	staff    int
	payments int // payment lines (two invoice lines per payment)
}

const (
	benchMonths    = 12
	benchYear      = 2023
	benchLines     = 15
	benchSuppliers = 2000
)

var benchCodes = [benchLines]struct{ kind, code, desc string }{
	{"E", "0001", "Gaji Pokok"}, {"E", "0101", "Elaun Perumahan"}, {"E", "0102", "Bantuan Sara Hidup"},
	{"E", "0103", "Elaun Perkhidmatan Awam"}, {"E", "0104", "Elaun Pemangkuan"}, {"E", "0105", "Elaun Khas"},
	{"D", "4001", "Cukai Pendapatan (PCB)"}, {"D", "4002", "KWSP"}, {"D", "4003", "PERKESO"},
	{"D", "4004", "Pinjaman Perumahan"}, {"D", "4005", "Koperasi"}, {"D", "4006", "Zakat"},
	{"D", "4007", "Insurans"}, {"D", "4008", "Yuran Kesatuan"}, {"D", "4009", "Potongan Lain"},
}

func (g benchGenerator) payslipLines() int { return g.staff * benchMonths * benchLines }

// benchIC is staff member i's IC: a birth date from 1960 on, a Malaysian state code and a
// serial, unique for i < 224000.
func benchIC(i int) string {
	birth := time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%14000)
	return birth.Format("060102") + fmt.Sprintf("%02d%04d", 1+(i/14000)%16, i%10000)
}

func benchRegNo(i int) string { return fmt.Sprintf("2019%02d%06d", 1+i%3, i+1) }

// amount is line l of staff i's month m, in sen: earnings in the thousands, deductions less.
func (g benchGenerator) amount(i, m, l int) money.Sen {
	base := money.Sen(100_00 + (i*37+m*11+l*101)%90_00)
	if l == 0 {
		return base * 30
	}
	return base
}

func (g benchGenerator) writeFiles(b *testing.B, dir string) map[Kind]string {
	files := map[Kind]string{}
	write := func(kind Kind, fill func(w *bufio.Writer)) {
		path := filepath.Join(dir, string(kind)+".csv")
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		w := bufio.NewWriterSize(f, 1<<20)
		fill(w)
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
		files[kind] = path
	}
	write(Employees, func(w *bufio.Writer) {
		w.WriteString(employeesHeader + "\n")
		for i := range g.staff {
			fmt.Fprintf(w, "%s,G%06d,Pegawai %d,pegawai%d@negeri.example,,D%02d,Jabatan %d,P%03d,PTJ %d,Pegawai Tadbir,N41,Bank Rakyat,%012d,,,active\n",
				benchIC(i), i, i, i, i%20, i%20, i%200, i%200, i)
		}
	})
	write(Suppliers, func(w *bufio.Writer) {
		w.WriteString(suppliersHeader + "\n")
		for i := range benchSuppliers {
			fmt.Fprintf(w, "%s,Syarikat Contoh %d Sdn Bhd,,,Maybank,5%011d,active\n", benchRegNo(i), i, i)
		}
	})
	write(Payslips, func(w *bufio.Writer) {
		w.WriteString(payslipsHeader + "\n")
		buf := make([]byte, 0, 128)
		for i := range g.staff {
			ic := benchIC(i)
			for m := 1; m <= benchMonths; m++ {
				for l, c := range benchCodes {
					buf = append(buf[:0], ic...)
					buf = fmt.Appendf(buf, ",%d,%d,%d-%02d-23,%s,%s,%s,%s\n", benchYear, m, benchYear, m, c.kind, c.code, c.desc, g.amount(i, m, l))
					w.Write(buf)
				}
			}
		}
	})
	write(Payments, func(w *bufio.Writer) {
		w.WriteString(paymentsHeader + "\n")
		for _, p := range g.paymentRows() {
			fmt.Fprintf(w, "%s,%s,%s,%s,V%07d,EFT%07d,%s,%s,%s,P001,PTJ 1,Bayaran bekalan,%s,%s,%s\n",
				p.payeeType, p.payeeID, p.payeeName, p.ref, p.n, p.n, p.date, p.amount, p.status, p.account, p.invoice, p.invoiceAmount)
		}
	})
	return files
}

type benchPayment struct {
	n                                  int
	payeeType, payeeID, payeeName, ref string
	date, status, account, invoice     string
	amount, invoiceAmount              money.Sen
	supplierID                         int // 1-based id in a fresh tenant fed the suppliers file
	line                               int // 0 or 1: the invoice line of its payment
}

// paymentRows lists the payment lines: two invoices per payment, one payment in ten to staff.
func (g benchGenerator) paymentRows() []benchPayment {
	statuses := []string{"sent_to_bank", "received_by_bank", "issued", "failed", "cancelled"}
	rows := make([]benchPayment, 0, g.payments)
	for k := 0; len(rows) < g.payments; k++ {
		p := benchPayment{n: k, ref: fmt.Sprintf("PV%08d", k), status: statuses[k%len(statuses)],
			date:   time.Date(benchYear, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, k%365).Format(time.DateOnly),
			amount: money.Sen(2 * (1000_00 + k%50000))}
		if k%10 == 0 {
			i := k % g.staff
			p.payeeType, p.payeeID, p.payeeName, p.account = "staff", benchIC(i), fmt.Sprintf("Pegawai %d", i), fmt.Sprintf("%012d", i)
		} else {
			s := k % benchSuppliers
			p.payeeType, p.payeeID, p.payeeName, p.account = "supplier", benchRegNo(s), fmt.Sprintf("Syarikat Contoh %d Sdn Bhd", s), fmt.Sprintf("5%011d", s)
			p.supplierID = s + 1
		}
		for l := 0; l < 2 && len(rows) < g.payments; l++ {
			q := p
			q.line, q.invoice, q.invoiceAmount = l, fmt.Sprintf("INV%08d-%d", k, l), p.amount/2
			rows = append(rows, q)
		}
	}
	return rows
}

// plainCopy loads the same rows, as the tables hold them, with nothing but COPY: the
// yardstick of the feed's speed.
func (g benchGenerator) plainCopy(b *testing.B, s *tenant.Scope) time.Duration {
	started := time.Now()
	tx, err := s.DB.Begin()
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck
	copyRows(b, tx, `COPY payslips (ic_no, year, month, pay_date, gross, total_deductions, net, line_count, lines_digest, batch_id) FROM STDIN`,
		func(emit func(...any)) {
			for i := range g.staff {
				ic := benchIC(i)
				for m := 1; m <= benchMonths; m++ {
					var gross, ded money.Sen
					for l, c := range benchCodes {
						if c.kind == "E" {
							gross += g.amount(i, m, l)
						} else {
							ded += g.amount(i, m, l)
						}
					}
					emit(ic, int64(benchYear), int64(m), fmt.Sprintf("%d-%02d-23", benchYear, m), gross.String(), ded.String(), (gross - ded).String(), int64(benchLines), int64(0), int64(0))
				}
			}
		})
	copyRows(b, tx, `COPY payslip_lines (ic_no, year, month, seq, kind, code, description, amount) FROM STDIN`,
		func(emit func(...any)) {
			seq := int64(2)
			for i := range g.staff {
				ic := benchIC(i)
				for m := 1; m <= benchMonths; m++ {
					for l, c := range benchCodes {
						emit(ic, int64(benchYear), int64(m), seq, c.kind, c.code, c.desc, g.amount(i, m, l).String())
						seq++
					}
				}
			}
		})
	payments := g.paymentRows()
	copyRows(b, tx, `COPY payments (id, ref, payee_type, supplier_id, employee_ic, payee_id, payee_name, voucher_no, cheque_eft_no,
		payment_date, status_date, amount, status, ptj_code, ptj_name, description, bank_account, invoices_digest, batch_id) FROM STDIN`,
		func(emit func(...any)) {
			for _, p := range payments {
				if p.line != 0 {
					continue
				}
				var supplier, staff any
				if p.payeeType == "staff" {
					staff = p.payeeID
				} else {
					supplier = int64(p.supplierID)
				}
				emit(int64(p.n+1), p.ref, p.payeeType, supplier, staff, p.payeeID, p.payeeName, fmt.Sprintf("V%07d", p.n),
					fmt.Sprintf("EFT%07d", p.n), p.date, p.date, p.amount.String(), p.status, "P001", "PTJ 1", "Bayaran bekalan", p.account, int64(0), int64(0))
			}
		})
	copyRows(b, tx, `COPY payment_invoices (payment_id, seq, invoice_no, amount) FROM STDIN`, func(emit func(...any)) {
		for i, p := range payments {
			emit(int64(p.n+1), int64(i+2), p.invoice, p.invoiceAmount.String())
		}
	})
	copyRows(b, tx, `COPY payment_status_history (payment_id, status, status_date, batch_id) FROM STDIN`, func(emit func(...any)) {
		for _, p := range payments {
			if p.line == 0 {
				emit(int64(p.n+1), p.status, p.date, int64(0))
			}
		}
	})
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	return time.Since(started)
}

func copyRows(b *testing.B, tx *sql.Tx, query string, fill func(emit func(...any))) {
	stmt, err := tx.Prepare(query)
	if err != nil {
		b.Fatal(err)
	}
	defer stmt.Close()
	fill(func(vals ...any) {
		if _, err := stmt.Exec(vals...); err != nil {
			b.Fatal(err)
		}
	})
	if _, err := stmt.Exec(); err != nil {
		b.Fatal(err)
	}
}

// resetPeakRSS restarts the kernel's high-water mark of this process (Linux clear_refs 5)
// after handing the memory of the earlier steps back to the OS, so the peak read afterwards
// belongs to the import alone.
func resetPeakRSS(b *testing.B) {
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Logf("cannot reset the peak RSS (%v); it covers the whole run", err)
	}
}

// peakRSS reads VmHWM, the process's peak resident set, in bytes.
func peakRSS(b *testing.B) int64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb << 10
		}
	}
	b.Fatal("no VmHWM in /proc/self/status")
	return 0
}

func fileSizes(b *testing.B, files map[Kind]string) string {
	var parts []string
	for _, kind := range []Kind{Payslips, Payments} {
		st, err := os.Stat(files[kind])
		if err != nil {
			b.Fatal(err)
		}
		parts = append(parts, fmt.Sprintf("%s %.0f MB", kind, float64(st.Size())/1e6))
	}
	return strings.Join(parts, ", ")
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
