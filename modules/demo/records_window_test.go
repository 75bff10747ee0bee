package demo

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/speks-portal/speks/modules/foundation/web/myt"
	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

func TestRecordsReferenceIsTheFirstOfTheMonthInUTC(t *testing.T) {
	kl := myt.Zone
	for _, c := range []struct {
		now  time.Time
		want string
	}{
		{time.Date(2026, time.November, 21, 20, 55, 0, 0, time.UTC), "2026-11-01"},
		{time.Date(2026, time.November, 1, 0, 0, 0, 0, time.UTC), "2026-11-01"},
		{time.Date(2026, time.December, 1, 7, 0, 0, 0, kl), "2026-11-01"}, // still 30 November in UTC
		{time.Date(2027, time.January, 31, 23, 59, 59, 0, time.UTC), "2027-01-01"},
	} {
		if got := RecordsReference(c.now).Format(time.DateOnly); got != c.want {
			t.Errorf("RecordsReference(%s) = %s, want %s", c.now, got, c.want)
		}
	}
}

// TestRecordsFollowTheMonth: with the clock in November 2026 the demo is payday in
// November: payslips up to October, the EC years 2024 and 2025, payments in the three months
// eMaklum shows first and none after the reference. A re-run in the month writes nothing; a
// run in December adds December's files only, and settles the payments October left with
// the bank; a run in January adds the EC year 2026.
func TestRecordsFollowTheMonth(t *testing.T) {
	t.Parallel()
	env := tenanttest.New(t, 2)
	ctx := context.Background()
	state := &States()[1]
	tn := env.Tenant(t, state.Spec.Code, state.Spec.RegistrationMode)
	scope := &tenant.Scope{Tenant: tn, DB: env.DB(t, tn)}
	if _, err := seed(ctx, scope.DB, state, 40, 12); err != nil {
		t.Fatal(err)
	}
	november := time.Date(2026, time.November, 1, 0, 0, 0, 0, time.UTC)
	first := runRecords(ctx, t, scope, november)
	if first.replayed != 0 || first.updated != 0 {
		t.Errorf("first run: %d replayed, %d updated", first.replayed, first.updated)
	}
	checkNovemberWindow(t, scope.DB)

	again := runRecords(ctx, t, scope, time.Date(2026, time.November, 30, 23, 0, 0, 0, time.UTC))
	if again.files != first.files || again.replayed != again.files || len(again.imported) != 0 {
		t.Errorf("re-run in November: %d files, %d replayed, imported %v", again.files, again.replayed, again.imported)
	}

	pending := count(t, scope.DB, `SELECT count(*) FROM payments WHERE status = 'sent_to_bank'`)
	if pending == 0 {
		t.Error("no payment of October's last days is still with the bank")
	}
	slips := count(t, scope.DB, `SELECT count(*) FROM payslips`)
	december := runRecords(ctx, t, scope, november.AddDate(0, 1, 0))
	checkOnlyNewFiles(t, december, "2026-11", "2026-10")
	if december.updated != int64(pending) {
		t.Errorf("December run updated %d records; %d payments were pending", december.updated, pending)
	}
	if n := count(t, scope.DB, `SELECT count(*) FROM payments WHERE status = 'sent_to_bank' AND payment_date < '2026-11-21'`); n != 0 {
		t.Errorf("%d payments of October still with the bank in December", n)
	}
	if got := count(t, scope.DB, `SELECT count(*) FROM payslips`); got != slips+40 {
		t.Errorf("%d payslips after December's run, want %d + 40", got, slips)
	}
	if n := count(t, scope.DB, `SELECT count(*) FROM payments WHERE payment_date >= '2026-12-01'`); n != 0 {
		t.Errorf("%d payments dated after December's reference", n)
	}

	january := runRecords(ctx, t, scope, november.AddDate(0, 2, 0))
	checkOnlyNewFiles(t, january, "2026-12", "2026-11")
	if !slices.Contains(january.imported, "statements 2026") || slices.Contains(january.imported, "statements 2025") {
		t.Errorf("January imported %v: want the EC year 2026 and not 2025 again", january.imported)
	}
}

func runRecords(ctx context.Context, t *testing.T, scope *tenant.Scope, now time.Time) *recordsFeeder {
	t.Helper()
	f := newRecordsFeeder(scope, &States()[1], now)
	if err := f.run(ctx); err != nil {
		t.Fatalf("records at %s: %v", now.Format(time.DateOnly), err)
	}
	return f
}

// checkNovemberWindow checks the records of the reference 1 November 2026.
func checkNovemberWindow(t *testing.T, db *tenant.DB) {
	t.Helper()
	if n := count(t, db, `SELECT count(*) FROM (SELECT ic_no FROM payslips GROUP BY ic_no
		HAVING count(*) = 24 AND min(make_date(year, month, 1)) = '2024-11-01'
		   AND max(make_date(year, month, 1)) = '2026-10-01') p`); n != 40 {
		t.Errorf("%d of 40 staff have the 24 months November 2024 – October 2026", n)
	}
	if n := count(t, db, `SELECT count(*) FROM employees e
		WHERE (SELECT array_agg(year ORDER BY year) FROM statements s WHERE s.ic_no = e.ic_no) IS DISTINCT FROM '{2024,2025}'`); n != 0 {
		t.Errorf("%d staff without exactly the EC years 2024 and 2025", n)
	}
	if n := count(t, db, `SELECT count(*) FROM payments WHERE payment_date NOT BETWEEN '2025-11-01' AND '2026-10-31'`); n != 0 {
		t.Errorf("%d payments outside November 2025 – October 2026", n)
	}
	for _, who := range []string{"supplier", "staff"} {
		if n := count(t, db, `SELECT count(*) FROM payments WHERE payee_type = $1
			AND payment_date BETWEEN '2026-08-01' AND '2026-10-31'`, who); n == 0 {
			t.Errorf("no %s payments in August – October 2026", who)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM payments WHERE status = 'sent_to_bank' AND payment_date < '2026-10-22'`); n != 0 {
		t.Errorf("%d payments older than 10 days still with the bank", n)
	}
	if n := count(t, db, `SELECT count(DISTINCT status) FROM payments WHERE payment_date < '2026-10-22'`); n < 3 {
		t.Errorf("only %d statuses among the settled payments", n)
	}
}

// checkOnlyNewFiles: a run imported the files of month, in January the new EC year, and of
// the month before (settled) the payments files only; the rest was replayed.
func checkOnlyNewFiles(t *testing.T, f *recordsFeeder, month, settled string) {
	t.Helper()
	for _, want := range []string{"payslips " + month, "supplier payments " + month} {
		if !slices.Contains(f.imported, want) {
			t.Errorf("%s: %q not imported (imported %v)", f.ref.Format("2006-01"), want, f.imported)
		}
	}
	for _, name := range f.imported {
		newYear := strings.HasPrefix(name, "statements ") && f.ref.Month() == time.January
		if strings.HasSuffix(name, " "+month) || newYear ||
			strings.HasSuffix(name, " "+settled) && strings.Contains(name, "payments") || name == "claims "+settled {
			continue
		}
		t.Errorf("%s: the old file %q was imported again", f.ref.Format("2006-01"), name)
	}
	if f.files-f.replayed != int64(len(f.imported)) {
		t.Errorf("%d files, %d replayed, %d imported", f.files, f.replayed, len(f.imported))
	}
}

func count(t *testing.T, db interface {
	Get(any, string, ...any) error
}, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Get(&n, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
