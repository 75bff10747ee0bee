package retention

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/speks-portal/speks/modules/admin"
	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// TestPurgeInAuditTrail: a run that deletes is in the officer's audit search, with its
// cut-offs and counts; a dry run is not.
func TestPurgeInAuditTrail(t *testing.T) {
	env := tenanttest.New(t, 2)
	tn := env.Tenant(t, "johor", tenant.PayrollMatch)
	s := &tenant.Scope{Tenant: tn, DB: env.DB(t, tn)}
	seed(t, s)
	ctx := context.Background()

	if _, err := Run(tenant.NewContext(ctx, s), Options{DryRun: true, Actor: "cli", Now: now}); err != nil {
		t.Fatal(err)
	}
	if got := searchPurges(t, s); len(got) != 0 {
		t.Fatalf("a dry run is in the trail: %+v", got)
	}
	rep, err := Run(tenant.NewContext(ctx, s), Options{Actor: "scheduler", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	got := searchPurges(t, s)
	if len(got) != 1 {
		t.Fatalf("entries = %+v, want one", got)
	}
	e := got[0]
	if e.Action != ActionPurge || e.Actor != "scheduler" || e.ActorUserID != nil || e.Subject != "retention_run:"+strconv.FormatInt(rep.RunID, 10) {
		t.Errorf("entry %+v (run %d)", e, rep.RunID)
	}
	var detail struct {
		RetentionMonths      int              `json:"retention_months"`
		Cutoff               string           `json:"cutoff"`
		StatementsBeforeYear int              `json:"statements_before_year"`
		BatchesBefore        string           `json:"batches_before"`
		Counts               map[string]int64 `json:"counts"`
	}
	if err := json.Unmarshal(e.Detail, &detail); err != nil {
		t.Fatal(err)
	}
	if detail.RetentionMonths != 24 || detail.Cutoff != "2024-11-01" || detail.StatementsBeforeYear != 2024 ||
		detail.BatchesBefore != "2025-10-01" {
		t.Errorf("detail %+v", detail)
	}
	assertCounts(t, "audited", detail.Counts, map[string]int64{"payslips": 2, "statements": 1, "payments": 1, "import_batches": 2})
}

func searchPurges(t *testing.T, s *tenant.Scope) []admin.AuditEntry {
	t.Helper()
	got, err := admin.SearchAudit(context.Background(), s.DB, admin.AuditQuery{Action: "retention."})
	if err != nil {
		t.Fatal(err)
	}
	return got
}
