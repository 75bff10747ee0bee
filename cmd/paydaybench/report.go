package main

import (
	"fmt"
	"io"
	"sort"
	"time"
)

// report is what the benchmark prints.
type report struct {
	Tenants, Accounts, Cores, NAT, DBConns int
	Steps                                  []row
	Argon2                                 float64 // argon2id verifications/s over every core
	PGBench                                float64 // payslip SQL transactions/s; 0 when pgbench did not run
	PGBenchNote                            string
	PeakConns                              int
	PeakRSS                                int64
}

// rate prints a rate with a decimal when it is small (logins on a busy machine).
func rate(r float64) string {
	if r < 10 {
		return fmt.Sprintf("%.1f", r)
	}
	return fmt.Sprintf("%.0f", r)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)) }

// share is a as a percentage of b, "–" when b is unknown.
func share(a, b float64) string {
	if b <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f %%", 100*a/b)
}

func (r *report) step(name string) *row {
	for i := range r.Steps {
		if r.Steps[i].Step == name {
			return &r.Steps[i]
		}
	}
	return nil
}

// write prints the table and the yardsticks, as docs/BENCHMARKS.md "Payday" shows them.
func (r *report) write(w io.Writer) {
	fmt.Fprintf(w, "\nPayday mix: %d tenants, %d staff accounts, %d cores, %d NAT addresses, a budget of %d database connections\n\n",
		r.Tenants, r.Accounts, r.Cores, r.NAT, r.DBConns)
	fmt.Fprintf(w, "| step | saturation req/s | run req/s | achieved | p50 ms | p95 ms | p99 ms | max ms | errors |\n")
	fmt.Fprintf(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n")
	for _, s := range r.Steps {
		sat := "–"
		if s.Saturation > 0 {
			sat = rate(s.Saturation)
		}
		if s.SatNote != "" {
			sat += " (" + s.SatNote + ")"
		}
		errs := fmt.Sprintf("%d of %d", s.Errors, s.Requests)
		if s.ErrorCodes != "" {
			errs += " (" + s.ErrorCodes + ")"
		}
		fmt.Fprintf(w, "| %s | %s | %.1f | %.1f | %s | %s | %s | %s | %s |\n",
			s.Step, sat, s.Rate, s.Throughput, ms(s.P50), ms(s.P95), ms(s.P99), ms(s.Max), errs)
	}
	fmt.Fprintln(w)
	login, payslip := r.step("login"), r.step("payslip JSON")
	fmt.Fprintf(w, "argon2id ceiling (verify on every core): %.1f /s", r.Argon2)
	if login != nil {
		fmt.Fprintf(w, "; login saturation %s /s = %s of it", rate(login.Saturation), share(login.Saturation, r.Argon2))
	}
	fmt.Fprintln(w)
	if r.PGBench > 0 {
		fmt.Fprintf(w, "pgbench, payslip SQL (%d clients): %.0f /s", r.DBConns, r.PGBench)
		if payslip != nil {
			fmt.Fprintf(w, "; payslip JSON saturation %s /s = %s of it", rate(payslip.Saturation), share(payslip.Saturation, r.PGBench))
		}
		fmt.Fprintln(w)
	} else {
		fmt.Fprintf(w, "pgbench: not run (%s)\n", r.PGBenchNote)
	}
	if page := r.step("payslip page"); page != nil && payslip != nil {
		fmt.Fprintf(w, "payslip page saturation = %s of the JSON's\n", share(page.Saturation, payslip.Saturation))
	}
	fmt.Fprintf(w, "peak PostgreSQL connections (pg_stat_activity): %d\n", r.PeakConns)
	fmt.Fprintf(w, "peak RSS of speks serve (VmHWM): %.1f MiB\n", float64(r.PeakRSS)/(1<<20))
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
