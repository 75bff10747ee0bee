package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/speks-portal/speks/modules/feed"
	"github.com/speks-portal/speks/modules/foundation/jobs"
	"github.com/speks-portal/speks/modules/retention"
	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

const sweptIC = "850314105523"

// fixture gives a tenant mail outbox rows, verification tokens and payment unlocks on both
// sides of their limits: for each kind, exactly one row old enough to go.
func fixture(t *testing.T, s *tenant.Scope) {
	t.Helper()
	ctx := context.Background()
	imp := func(kind feed.Kind, lines ...string) {
		t.Helper()
		if res, err := feed.Import(tenant.NewContext(ctx, s), kind, strings.NewReader(strings.Join(lines, "\n")+"\n"),
			feed.Options{Actor: "test"}); err != nil {
			t.Fatalf("import %s: %v %+v", kind, err, res)
		}
	}
	imp(feed.Employees, "ic_no,salary_no,name,email,phone,department_code,department_name,ptj_code,ptj_name,position,grade,bank_name,bank_account,kwsp_no,tax_no,status",
		sweptIC+",S1,Aminah binti Ahmad,,,JKR,Jabatan Kerja Raya,JKR01,JKR Ibu Pejabat,,,,,,,")
	imp(feed.Payments, "payee_type,payee_id,payee_name,ref,voucher_no,cheque_eft_no,payment_date,amount,status,ptj_code,ptj_name,description,bank_account,invoice_no,invoice_amount",
		"staff,"+sweptIC+",Aminah binti Ahmad,PV-1,,,"+time.Now().Format(time.DateOnly)+",10.00,issued,,,,,,")
	execSQL(t, s, `INSERT INTO outbox (recipient, template, status, sent_at, failed_at, created_at) VALUES
		('old-sent@example.test', 'payslip_ready', 'sent', now() - interval '91 days', NULL, now() - interval '92 days'),
		('new-sent@example.test', 'payslip_ready', 'sent', now() - interval '89 days', NULL, now() - interval '89 days'),
		('new-failed@example.test', 'payslip_ready', 'failed', NULL, now() - interval '10 days', now() - interval '10 days'),
		('old-pending@example.test', 'payslip_ready', 'pending', NULL, NULL, now() - interval '200 days')`)
	execSQL(t, s, `INSERT INTO document_tokens (token, doc_type, doc_key, content_hash, holder_name, period, amount, created_at) VALUES
		('old-token-0123456789abcdef', 'payslip', 'k1', repeat('a', 64), 'Aminah binti Ahmad', '2023-01', 1.00, now() - interval '30 months'),
		('new-token-0123456789abcdef', 'payslip', 'k2', repeat('b', 64), 'Aminah binti Ahmad', '2026-01', 1.00, now() - interval '1 month')`)
	execSQL(t, s, `INSERT INTO payment_unlocks (user_id, payment_id, unlocked_at)
		SELECT u, id, now() - CASE u WHEN 1 THEN interval '2 hours' ELSE interval '1 minute' END
		FROM payments, (VALUES (1), (2)) v(u)`)
}

func execSQL(t *testing.T, s *tenant.Scope, q string) {
	t.Helper()
	if _, err := s.DB.Exec(q); err != nil {
		t.Fatal(err)
	}
}

func left(t *testing.T, s *tenant.Scope) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, table := range []string{"outbox", "document_tokens", "payment_unlocks"} {
		var n int64
		if err := s.DB.Get(&n, "SELECT count(*) FROM "+table); err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

func TestRetentionRunPurgesOutboxAndTokens(t *testing.T) {
	env := tenanttest.New(t, 2)
	tn := env.Tenant(t, "selangor", tenant.PayrollMatch)
	s := &tenant.Scope{Tenant: tn, DB: env.DB(t, tn)}
	fixture(t, s)
	ctx := context.Background()
	want := map[string]int64{sweptOutbox: 1, sweptDocumentTokens: 1, sweptPaymentUnlocks: 1}

	dry, err := retention.Run(tenant.NewContext(ctx, s), retention.Options{DryRun: true, Actor: "test", Sweeps: retentionSweeps()})
	if err != nil {
		t.Fatal(err)
	}
	assertCounts(t, "dry run", dry.Counts, want)
	assertCounts(t, "after the dry run", left(t, s), map[string]int64{"outbox": 4, "document_tokens": 2, "payment_unlocks": 2})

	rep, err := retention.Run(tenant.NewContext(ctx, s), retention.Options{Actor: "test", Sweeps: retentionSweeps()})
	if err != nil {
		t.Fatal(err)
	}
	assertCounts(t, "run", rep.Counts, want)
	assertCounts(t, "after the run", left(t, s), map[string]int64{"outbox": 3, "document_tokens": 1, "payment_unlocks": 1})
	var recipients, tokens string
	if err := s.DB.Get(&recipients, `SELECT string_agg(recipient, ' ' ORDER BY id) FROM outbox`); err != nil ||
		recipients != "new-sent@example.test new-failed@example.test old-pending@example.test" {
		t.Errorf("outbox left: %q %v", recipients, err)
	}
	if err := s.DB.Get(&tokens, `SELECT string_agg(token, ' ') FROM document_tokens`); err != nil ||
		tokens != "new-token-0123456789abcdef" {
		t.Errorf("tokens left: %q %v", tokens, err)
	}

	// The audit record carries the sweeps' counts beside the records'.
	var raw []byte
	if err := s.DB.Get(&raw, `SELECT counts FROM retention_runs WHERE id = $1`, rep.RunID); err != nil {
		t.Fatal(err)
	}
	var logged map[string]int64
	if err := json.Unmarshal(raw, &logged); err != nil {
		t.Fatal(err)
	}
	assertCounts(t, "logged", logged, want)
	if _, ok := logged["payslips"]; !ok {
		t.Errorf("the record lost the records' counts: %v", logged)
	}

	again, err := retention.Run(tenant.NewContext(ctx, s), retention.Options{Actor: "test", Sweeps: retentionSweeps()})
	if err != nil {
		t.Fatal(err)
	}
	assertCounts(t, "second run", again.Counts, map[string]int64{sweptOutbox: 0, sweptDocumentTokens: 0, sweptPaymentUnlocks: 0})
}

// TestRunHandlerSweeps: the nightly job, as the worker registers it, runs the sweeps.
func TestRunHandlerSweeps(t *testing.T) {
	env := tenanttest.New(t, 2)
	tn := env.Tenant(t, "pahang", tenant.SelfRegister)
	s := &tenant.Scope{Tenant: tn, DB: env.DB(t, tn)}
	fixture(t, s)
	task, err := jobs.NewTask(retention.TaskRun, tn.Code, struct{}{})
	if err != nil {
		t.Fatal(err)
	}
	handler := jobs.TenantScope(env.Scoper)(retention.RunHandler(retentionSweeps()...))
	if err := handler.ProcessTask(context.Background(), task); err != nil {
		t.Fatal(err)
	}
	assertCounts(t, "after the job", left(t, s), map[string]int64{"outbox": 3, "document_tokens": 1, "payment_unlocks": 1})
}

func assertCounts(t *testing.T, what string, got, want map[string]int64) {
	t.Helper()
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %s = %d, want %d", what, k, got[k], w)
		}
	}
}
