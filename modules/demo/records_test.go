package demo_test

import (
	"context"
	"testing"
	"time"

	"github.com/speks-portal/speks/modules/demo"
	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// TestRecordsStepFillsEveryStateThroughTheFeed runs the demo with the records step on a real
// database, checks what a person's portal would show, then runs it again: nothing is written.
// The clock is fixed in January 2026 (any day of it gives the same records).
func TestRecordsStepFillsEveryStateThroughTheFeed(t *testing.T) {
	t.Parallel()
	env := tenanttest.New(t, 2)
	ctx := context.Background()
	opts := options(40, 12)
	opts.TenantSteps = []demo.TenantStep{demo.RecordsStep(time.Date(2026, time.January, 20, 15, 4, 5, 0, time.UTC))}
	if _, err := demo.Run(ctx, deps(env), opts); err != nil {
		t.Fatalf("demo: %v", err)
	}
	type snapshot struct{ batches, maxUpdate string }
	before := map[string]snapshot{}
	for _, state := range demo.States() {
		code := state.Spec.Code
		db := tenantDB(t, env, code)
		t.Run(code, func(t *testing.T) {
			checkPayslips(t, db, code)
			checkStatements(t, db)
			checkPayments(t, db)
		})
		before[code] = snapshot{batchState(t, db), lastUpdate(t, db)}
	}

	started := time.Now()
	opts.TenantSteps = []demo.TenantStep{demo.RecordsStep(time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC))}
	if _, err := demo.Run(ctx, deps(env), opts); err != nil {
		t.Fatalf("second demo: %v", err)
	}
	t.Logf("second run: %s", time.Since(started))
	for _, state := range demo.States() {
		db := tenantDB(t, env, state.Spec.Code)
		if got := (snapshot{batchState(t, db), lastUpdate(t, db)}); got != before[state.Spec.Code] {
			t.Errorf("%s: the second run wrote: before %+v, after %+v", state.Spec.Code, before[state.Spec.Code], got)
		}
	}
}

// checkPayslips: every active staff member has the 24 months January 2024 – December 2025,
// paid by the rule (the 25th or the working day before), with consistent totals, and the
// basic salary moves only in January and with the SSPA rise of December 2024.
func checkPayslips(t *testing.T, db *tenant.DB, code string) {
	t.Helper()
	staff := count(t, db, `SELECT count(*) FROM employees WHERE status = 'active'`)
	if n := count(t, db, `SELECT count(*) FROM (SELECT ic_no FROM payslips GROUP BY ic_no
		HAVING count(*) = 24 AND min(make_date(year, month, 1)) = '2024-01-01'
		   AND max(make_date(year, month, 1)) = '2025-12-01') p`); n != staff || staff == 0 {
		t.Errorf("%d of %d staff have the 24 months", n, staff)
	}
	if n := count(t, db, `SELECT count(*) FROM payslips p WHERE net <> gross - total_deductions OR net <= 0
		OR gross <> (SELECT sum(amount) FROM payslip_lines l WHERE (l.ic_no, l.year, l.month) = (p.ic_no, p.year, p.month) AND kind = 'E')
		OR total_deductions <> (SELECT sum(amount) FROM payslip_lines l WHERE (l.ic_no, l.year, l.month) = (p.ic_no, p.year, p.month) AND kind = 'D')`); n != 0 {
		t.Errorf("%d payslips whose totals disagree with their lines", n)
	}
	// Kelantan's weekend is Friday and Saturday (ISO days 5, 6); elsewhere 6 and 7.
	weekend := "(6, 7)"
	if code == "kelantan" {
		weekend = "(5, 6)"
	}
	if n := count(t, db, `SELECT count(*) FROM payslips WHERE extract(day FROM pay_date) NOT BETWEEN 23 AND 25
		OR extract(isodow FROM pay_date) IN `+weekend+` OR extract(month FROM pay_date) <> month`); n != 0 {
		t.Errorf("%d payslips paid off the pay-date rule", n)
	}
	if n := count(t, db, `SELECT count(*) FROM (
		SELECT year, month, amount <> lag(amount) OVER (PARTITION BY ic_no ORDER BY year, month) AS changed
		FROM payslip_lines WHERE code = 'GAJI') g
		WHERE changed AND month <> 1 AND (year, month) <> (2024, 12)`); n != 0 {
		t.Errorf("%d basic salaries changed outside January and the SSPA rise", n)
	}
	if n := count(t, db, `SELECT count(*) FROM payslip_lines a JOIN payslip_lines b USING (ic_no, code)
		WHERE code = 'GAJI' AND (a.year, a.month, b.year, b.month) = (2025, 1, 2024, 11) AND a.amount <= b.amount`); n != 0 {
		t.Errorf("%d people earn no more in January 2025 than in November 2024", n)
	}
	for _, c := range []string{"PCB", "ITP", "BSH", "KWSP", "LPPSA", "ZAKAT"} {
		if count(t, db, `SELECT count(*) FROM payslip_lines WHERE code = $1`, c) == 0 {
			t.Errorf("no payslip line %s", c)
		}
	}
}

// checkStatements: two EC years per person, Part B equal to the year's gross pay, PCB and
// KWSP equal to the year's deductions.
func checkStatements(t *testing.T, db *tenant.DB) {
	t.Helper()
	if n := count(t, db, `SELECT count(*) FROM employees e WHERE status = 'active'
		AND (SELECT array_agg(year ORDER BY year) FROM statements s WHERE s.ic_no = e.ic_no) IS DISTINCT FROM '{2024,2025}'`); n != 0 {
		t.Errorf("%d staff without exactly the EC years 2024 and 2025", n)
	}
	sums := `WITH ec AS (
			SELECT ic_no, year, sum(amount) FILTER (WHERE section LIKE 'B%') AS income,
				coalesce(sum(amount) FILTER (WHERE code = 'D1'), 0) AS pcb,
				coalesce(sum(amount) FILTER (WHERE code = 'E1'), 0) AS kwsp
			FROM statement_items GROUP BY ic_no, year),
		slips AS (
			SELECT p.ic_no, p.year, sum(p.gross) AS gross,
				sum((SELECT coalesce(sum(amount), 0) FROM payslip_lines l WHERE (l.ic_no, l.year, l.month) = (p.ic_no, p.year, p.month) AND code = 'PCB')) AS pcb,
				sum((SELECT coalesce(sum(amount), 0) FROM payslip_lines l WHERE (l.ic_no, l.year, l.month) = (p.ic_no, p.year, p.month) AND code = 'KWSP')) AS kwsp
			FROM payslips p GROUP BY p.ic_no, p.year)
		SELECT count(*) FROM ec JOIN slips USING (ic_no, year)
		WHERE ec.income <> slips.gross OR ec.pcb <> slips.pcb OR ec.kwsp <> slips.kwsp`
	if n := count(t, db, sums); n != 0 {
		t.Errorf("%d EC statements disagree with their year's payslips", n)
	}
}

// checkPayments: the 12 months before the reference (2025) of payments to suppliers, all
// matched to the master, with invoices adding up, staff claims, and the statuses of their
// age: only the last days' are still with the bank.
func checkPayments(t *testing.T, db *tenant.DB) {
	t.Helper()
	if n := count(t, db, `SELECT count(*) FROM payments WHERE payment_date NOT BETWEEN '2025-01-01' AND '2025-12-31'`); n != 0 {
		t.Errorf("%d payments outside 2025", n)
	}
	if n := count(t, db, `SELECT count(*) FROM payments WHERE payee_type = 'supplier'`); n < 12 {
		t.Errorf("%d supplier payments for 12 suppliers", n)
	}
	if n := count(t, db, `SELECT count(*) FROM payments WHERE payee_type = 'supplier' AND (supplier_id IS NULL
		OR amount <> (SELECT sum(amount) FROM payment_invoices i WHERE i.payment_id = payments.id))`); n != 0 {
		t.Errorf("%d supplier payments unmatched or not adding up to their invoices", n)
	}
	if n := count(t, db, `SELECT count(*) FROM payments WHERE payee_type = 'staff' AND employee_ic IS NOT NULL
		AND (description LIKE '%(OT)%' OR description LIKE '%(TNT)%')`); n == 0 {
		t.Error("no staff claims")
	}
	if n := count(t, db, `SELECT count(*) FROM payments WHERE status = 'sent_to_bank' AND payment_date < '2025-12-22'`); n != 0 {
		t.Errorf("%d payments older than 10 days still sent to the bank", n)
	}
	if n := count(t, db, `SELECT count(DISTINCT status) FROM payments`); n < 3 {
		t.Errorf("only %d payment statuses", n)
	}
}

// batchState and lastUpdate change whenever an import writes anything.
func batchState(t *testing.T, db *tenant.DB) string {
	t.Helper()
	var s string
	if err := db.Get(&s, `SELECT count(*) || '/' || coalesce(max(id), 0) FROM import_batches`); err != nil {
		t.Fatal(err)
	}
	return s
}

func lastUpdate(t *testing.T, db *tenant.DB) string {
	t.Helper()
	var s string
	if err := db.Get(&s, `SELECT coalesce(greatest((SELECT max(updated_at) FROM payslips), (SELECT max(updated_at) FROM statements),
		(SELECT max(updated_at) FROM payments))::text, '')`); err != nil {
		t.Fatal(err)
	}
	return s
}
