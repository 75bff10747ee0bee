package retention

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/speks-portal/speks/modules/feed"
	"github.com/speks-portal/speks/modules/foundation/jobs"
	"github.com/speks-portal/speks/modules/foundation/web/myt"
	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// now is a fixed day: the 24-month cut-off is 2024-11-01, the 12-month one 2025-11-01,
// import batches go before 2025-10-01.
var now = time.Date(2026, 11, 21, 3, 0, 0, 0, myt.Zone)

func TestCutoffs(t *testing.T) {
	cases := []struct {
		now        time.Time
		months     int
		cutoff     string
		statements int
		batches    string
	}{
		{now, 24, "2024-11-01", 2024, "2025-10-01"},
		{now, 12, "2025-11-01", 2025, "2025-10-01"},
		{time.Date(2026, 1, 5, 0, 0, 0, 0, myt.Zone), 24, "2024-01-01", 2024, "2024-12-01"},
		// 20:00 UTC on 31 December is already 1 January in Malaysia.
		{time.Date(2025, 12, 31, 20, 0, 0, 0, time.UTC), 1, "2025-12-01", 2025, "2024-12-01"},
	}
	for _, c := range cases {
		cutoff, statements, batches := Cutoffs(c.now, c.months)
		if cutoff.Format(time.DateOnly) != c.cutoff || statements != c.statements || batches.Format(time.DateOnly) != c.batches {
			t.Errorf("Cutoffs(%v, %d) = %v, %d, %v; want %s, %d, %s", c.now, c.months, cutoff, statements, batches,
				c.cutoff, c.statements, c.batches)
		}
	}
}

const (
	icOne = "850314105523"
	icTwo = "900101086677"
)

// seed feeds a tenant through the real feed path: payslips of October and November 2024
// and of 2025, EC statements of 2023 and 2024, payments either side of the cut-offs.
func seed(t *testing.T, s *tenant.Scope) {
	t.Helper()
	imp := func(kind feed.Kind, lines ...string) {
		t.Helper()
		res, err := feed.Import(tenant.NewContext(context.Background(), s), kind, strings.NewReader(strings.Join(lines, "\n")+"\n"),
			feed.Options{Actor: "test", Now: now})
		if err != nil {
			t.Fatalf("seed %s: %v %+v", kind, err, res)
		}
	}
	imp(feed.Employees, "ic_no,salary_no,name,email,phone,department_code,department_name,ptj_code,ptj_name,position,grade,bank_name,bank_account,kwsp_no,tax_no,status",
		icOne+",S1,Aminah binti Ahmad,,,JKR,Jabatan Kerja Raya,JKR01,JKR Ibu Pejabat,,,,,,,",
		icTwo+",S2,Badrul bin Hashim,,,JKR,Jabatan Kerja Raya,JKR01,JKR Ibu Pejabat,,,,,,,")
	var payslips []string
	for _, ym := range []string{"2024,10,2024-10-23", "2024,11,2024-11-22", "2025,10,2025-10-23", "2025,11,2025-11-21"} {
		for _, ic := range []string{icOne, icTwo} {
			payslips = append(payslips, ic+","+ym+",E,0001,Gaji Pokok,3000.00", ic+","+ym+",D,4001,PCB,100.00")
		}
	}
	imp(feed.Payslips, append([]string{"ic_no,year,month,pay_date,kind,code,description,amount"}, payslips...)...)
	imp(feed.Statements, "ic_no,year,employer_no,tax_no,section,code,description,amount",
		icOne+",2023,E1,,B,B1a,Gaji,36000.00", icOne+",2024,E1,,B,B1a,Gaji,36000.00", icTwo+",2024,E1,,B,B1a,Gaji,30000.00")
	pay := func(ref, date string) string {
		return "staff," + icOne + ",Aminah binti Ahmad," + ref + ",,," + date + ",10.00,issued,,,,,INV-" + ref + ",10.00"
	}
	imp(feed.Payments, "payee_type,payee_id,payee_name,ref,voucher_no,cheque_eft_no,payment_date,amount,status,ptj_code,ptj_name,description,bank_account,invoice_no,invoice_amount",
		pay("PV-1", "2024-10-31"), pay("PV-2", "2024-11-01"), pay("PV-3", "2025-10-31"), pay("PV-4", "2025-11-01"))
	// Date the four batches: two before 2025-10-01, two after.
	if _, err := s.DB.Exec(`UPDATE import_batches SET received_at = CASE WHEN id <= 2
		THEN '2025-09-30 12:00+08'::timestamptz ELSE '2025-10-02 12:00+08'::timestamptz END`); err != nil {
		t.Fatal(err)
	}
}

func counts(t *testing.T, s *tenant.Scope) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, table := range []string{"payslips", "payslip_lines", "statements", "statement_items", "payments",
		"payment_invoices", "payment_status_history", "import_batches"} {
		var n int64
		if err := s.DB.Get(&n, "SELECT count(*) FROM "+table); err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

func TestRunPurgesOlderThanCutoff(t *testing.T) {
	env := tenanttest.New(t, 2)
	tn := env.Tenant(t, "selangor", tenant.PayrollMatch)
	s := &tenant.Scope{Tenant: tn, DB: env.DB(t, tn)}
	seed(t, s)
	before := counts(t, s)

	dry, err := Run(tenant.NewContext(context.Background(), s), Options{DryRun: true, Actor: "test", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"payslips": 2, "statements": 1, "payments": 1, "import_batches": 2}
	assertCounts(t, "dry run", dry.Counts, want)
	if after := counts(t, s); !equal(after, before) {
		t.Errorf("dry run deleted: before %v, after %v", before, after)
	}

	rep, err := Run(tenant.NewContext(context.Background(), s), Options{Actor: "test", Now: now, BatchSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	assertCounts(t, "run", rep.Counts, want)
	if rep.Cutoff != "2024-11-01" || rep.StatementsBeforeYear != 2024 || rep.RetentionMonths != 24 {
		t.Errorf("report %+v", rep)
	}
	after := counts(t, s)
	wantLeft := map[string]int64{"payslips": 6, "payslip_lines": 12, "statements": 2, "statement_items": 2,
		"payments": 3, "payment_invoices": 3, "payment_status_history": 3, "import_batches": 2}
	assertCounts(t, "left", after, wantLeft)
	var oldest struct {
		Year  int `db:"year"`
		Month int `db:"month"`
	}
	if err := s.DB.Get(&oldest, `SELECT year, month FROM payslips ORDER BY year, month LIMIT 1`); err != nil || oldest.Year != 2024 || oldest.Month != 11 {
		t.Errorf("oldest payslip left %+v %v", oldest, err)
	}
	var firstPayment string
	if err := s.DB.Get(&firstPayment, `SELECT min(payment_date)::text FROM payments`); err != nil || firstPayment != "2024-11-01" {
		t.Errorf("oldest payment left %s %v", firstPayment, err)
	}

	// Both runs are in the audit record, with the cut-off and the counts.
	var runs []struct {
		Actor  string `db:"actor"`
		DryRun bool   `db:"dry_run"`
		Cutoff string `db:"cutoff"`
		Counts []byte `db:"counts"`
		Error  string `db:"error"`
	}
	if err := s.DB.Select(&runs, `SELECT actor, dry_run, cutoff::text AS cutoff, counts, error FROM retention_runs ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || !runs[0].DryRun || runs[1].DryRun || runs[1].Cutoff != "2024-11-01" || runs[1].Error != "" {
		t.Fatalf("runs %+v", runs)
	}
	var logged map[string]int64
	if err := json.Unmarshal(runs[1].Counts, &logged); err != nil {
		t.Fatal(err)
	}
	assertCounts(t, "logged", logged, want)

	// A second run finds nothing more.
	again, err := Run(tenant.NewContext(context.Background(), s), Options{Actor: "test", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	assertCounts(t, "second run", again.Counts, map[string]int64{"payslips": 0, "statements": 0, "payments": 0, "import_batches": 0})
}

// TestRunFollowsTenantPolicy: a tenant keeping 12 months loses a year more than one keeping
// 24, and neither touches the other.
func TestRunFollowsTenantPolicy(t *testing.T) {
	env := tenanttest.New(t, 2)
	long, short := env.Tenant(t, "pahang", tenant.SelfRegister), env.Tenant(t, "melaka", tenant.AdminOnly)
	short.RetentionMonths = 12
	sl := &tenant.Scope{Tenant: long, DB: env.DB(t, long)}
	ss := &tenant.Scope{Tenant: short, DB: env.DB(t, short)}
	seed(t, sl)
	seed(t, ss)
	rep, err := Run(tenant.NewContext(context.Background(), ss), Options{Actor: "test", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	assertCounts(t, "12 months", rep.Counts, map[string]int64{"payslips": 6, "statements": 3, "payments": 3, "import_batches": 2})
	if n := counts(t, sl)["payslips"]; n != 8 {
		t.Errorf("the other tenant lost payslips: %d left", n)
	}
}

func assertCounts(t *testing.T, what string, got, want map[string]int64) {
	t.Helper()
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %s = %d, want %d", what, k, got[k], w)
		}
	}
}

func equal(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestFanOutQueuesOneRunPerActiveTenant uses the real Redis: one task per active tenant, in
// the tenant's envelope, once a day however often the fan-out runs.
func TestFanOutQueuesOneRunPerActiveTenant(t *testing.T) {
	env := tenanttest.New(t, 2)
	env.Tenant(t, "johor", tenant.PayrollMatch)
	env.Tenant(t, "kedah", tenant.PayrollMatch)
	env.Tenant(t, "perak", tenant.PayrollMatch)
	if err := env.Registry.SetStatus(context.Background(), "perak", tenant.StatusSuspended, "test"); err != nil {
		t.Fatal(err)
	}
	redisOpt, err := asynq.ParseRedisURI(testRedisURL())
	if err != nil {
		t.Fatal(err)
	}
	client := asynq.NewClient(redisOpt)
	defer client.Close()
	inspector := asynq.NewInspector(redisOpt)
	defer inspector.Close()
	queue := "retention-test-" + randomHex()
	t.Cleanup(func() { _ = inspector.DeleteQueue(queue, true) })

	fan := &FanOut{Tenants: env.Registry, Enqueuer: client, Queue: queue, Now: func() time.Time { return now }}
	for range 2 {
		if err := fan.ProcessTask(context.Background(), NewFanOutTask()); err != nil {
			t.Fatalf("fan-out: %v", err)
		}
	}
	tasks, err := inspector.ListPendingTasks(queue)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, task := range tasks {
		var envelope jobs.Envelope
		if err := json.Unmarshal(task.Payload, &envelope); err != nil || task.Type != TaskRun {
			t.Fatalf("task %+v: %v", task, err)
		}
		got = append(got, envelope.Tenant)
	}
	if len(got) != 2 || !(contains(got, "johor") && contains(got, "kedah")) {
		t.Errorf("queued for %v, want johor and kedah once each", got)
	}
}

// TestRunHandler runs the job the way the worker does: scope from the tenant middleware.
func TestRunHandler(t *testing.T) {
	env := tenanttest.New(t, 2)
	tn := env.Tenant(t, "terengganu", tenant.PayrollMatch)
	task, err := jobs.NewTask(TaskRun, tn.Code, struct{}{})
	if err != nil {
		t.Fatal(err)
	}
	handler := jobs.TenantScope(env.Scoper)(RunHandler())
	if err := handler.ProcessTask(context.Background(), task); err != nil {
		t.Fatal(err)
	}
	var actor string
	if err := env.DB(t, tn).Get(&actor, `SELECT actor FROM retention_runs`); err != nil || actor != "scheduler" {
		t.Errorf("run recorded by %q, %v", actor, err)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func testRedisURL() string {
	if u := os.Getenv("SPEKS_TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

func randomHex() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
