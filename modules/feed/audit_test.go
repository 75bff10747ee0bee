package feed_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/speks-portal/speks/config"
	"github.com/speks-portal/speks/modules/admin"
	"github.com/speks-portal/speks/modules/feed"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/modules/foundation/web/apitest"
	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// A synthetic person: the IC number is made up (valid shape, no real person).
const auditIC = "850314105523"

var (
	auditNow       = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	auditEmployees = "ic_no,salary_no,name,email,phone,department_code,department_name,ptj_code,ptj_name,position,grade,bank_name,bank_account,kwsp_no,tax_no,status\n" +
		auditIC + ",S1001,Aminah binti Ahmad,,,JKR,Jabatan Kerja Raya,JKR01,JKR Ibu Pejabat,,,,,,,active\n"
	auditPayslips = "ic_no,year,month,pay_date,kind,code,description,amount\n" +
		auditIC + ",2026,10,2026-10-23,E,0001,Gaji Pokok,5120.00\n"
)

// TestImportInAuditTrail: a committed feed is one feed.import entry in the officer's audit
// search, with counts and no row contents; a replay adds none; a refused file adds one
// feed.rejected entry and nothing else.
func TestImportInAuditTrail(t *testing.T) {
	env := tenanttest.New(t, 2)
	tn := env.Tenant(t, "kedah", tenant.PayrollMatch)
	s := &tenant.Scope{Tenant: tn, DB: env.DB(t, tn)}
	ctx := context.Background()
	imp := func(kind feed.Kind, body string) (*feed.Result, error) {
		return feed.Import(tenant.NewContext(ctx, s), kind, strings.NewReader(body), feed.Options{Actor: "cli", Now: auditNow})
	}

	res, err := imp(feed.Employees, auditEmployees)
	if err != nil {
		t.Fatal(err)
	}
	got := searchAudit(t, s, "feed.")
	if len(got) != 1 {
		t.Fatalf("entries after one import: %+v", got)
	}
	e := got[0]
	if e.Action != feed.ActionImport || e.Actor != "cli" || e.Subject != "batch:"+strconv.FormatInt(res.BatchID, 10) {
		t.Errorf("entry %+v", e)
	}
	var detail map[string]any
	if err := json.Unmarshal(e.Detail, &detail); err != nil {
		t.Fatal(err)
	}
	var hash string
	if err := s.DB.Get(&hash, `SELECT content_hash FROM import_batches WHERE id = $1`, res.BatchID); err != nil {
		t.Fatal(err)
	}
	if detail["kind"] != "employees" || detail["rows"] != 1.0 || detail["inserted"] != 1.0 || detail["updated"] != 0.0 ||
		detail["unchanged"] != 0.0 || !strings.HasPrefix(hash, detail["hash"].(string)) || len(detail["hash"].(string)) != 12 {
		t.Errorf("detail %v (hash %s)", detail, hash)
	}
	if strings.Contains(string(e.Detail), auditIC) || strings.Contains(string(e.Detail), "Aminah") {
		t.Errorf("detail holds row contents: %s", e.Detail)
	}

	// The same file again is answered from its batch and leaves the trail as it was.
	again, err := imp(feed.Employees, auditEmployees)
	if err != nil || !again.Replayed {
		t.Fatalf("replay: %+v, %v", again, err)
	}
	if n := len(searchAudit(t, s, "feed.")); n != 1 {
		t.Errorf("entries after a replay = %d, want 1", n)
	}

	// A refused file: one feed.rejected entry, no batch, no feed.import.
	bad := "ic_no,year,month,pay_date,kind,code,description,amount\n" +
		"800202101234,2026,10,2026-10-23,E,0001,Gaji Pokok,100.00\n" +
		auditIC + ",2026,13,2026-10-23,E,0001,Gaji Pokok,100.00\n"
	refused, err := imp(feed.Payslips, bad)
	if !errors.Is(err, feed.ErrInvalidFile) {
		t.Fatalf("refused: %v", err)
	}
	got = searchAudit(t, s, "feed.")
	if len(got) != 2 || got[0].Action != feed.ActionRejected || got[0].Actor != "cli" || got[0].Subject != "feed:payslips" {
		t.Fatalf("entries after a refusal: %+v", got)
	}
	detail = nil
	if err := json.Unmarshal(got[0].Detail, &detail); err != nil {
		t.Fatal(err)
	}
	if detail["kind"] != "payslips" || detail["errors"] != float64(len(refused.Errors)) || len(refused.Errors) == 0 {
		t.Errorf("rejected detail %v, errors %+v", detail, refused.Errors)
	}
	if strings.Contains(string(got[0].Detail), "800202") {
		t.Errorf("rejected detail holds row contents: %s", got[0].Detail)
	}
	var batches int
	if err := s.DB.Get(&batches, `SELECT count(*) FROM import_batches`); err != nil || batches != 1 {
		t.Errorf("batches = %d, %v; want 1", batches, err)
	}
}

// TestHTTPImportInAuditTrail: a feed over HTTP is audited under its API key's name.
func TestHTTPImportInAuditTrail(t *testing.T) {
	env := tenanttest.New(t, 2)
	tn := env.Tenant(t, "perlis", tenant.PayrollMatch)
	s := &tenant.Scope{Tenant: tn, DB: env.DB(t, tn)}
	ctx := context.Background()
	if _, err := feed.Import(tenant.NewContext(ctx, s), feed.Employees, strings.NewReader(auditEmployees), feed.Options{Actor: "cli"}); err != nil {
		t.Fatal(err)
	}
	key, _, err := feed.CreateAPIKey(ctx, s.DB, "sistem-gaji", "test")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	app, err := web.New(web.Options{Config: cfg, Scoper: env.Scoper, Tenants: env.Registry, Logger: slog.Default(),
		Modules: []web.Module{feed.KeyCheck{}, feed.NewModule(1 << 20)}})
	if err != nil {
		t.Fatal(err)
	}
	c := apitest.New(t, app, "perlis.example.test")
	c.Header.Set("Authorization", "Bearer "+key)
	if r := c.Post("/api/v1/feeds/payslips", apitest.Raw{ContentType: "text/csv", Data: []byte(auditPayslips)}); r.Status != 200 {
		t.Fatalf("status %d", r.Status)
	}
	got := searchAudit(t, s, feed.ActionImport)
	if len(got) != 2 {
		t.Fatalf("entries %+v", got)
	}
	var detail struct {
		Kind     string `json:"kind"`
		Inserted int    `json:"inserted"`
	}
	if err := json.Unmarshal(got[0].Detail, &detail); err != nil {
		t.Fatal(err)
	}
	if got[0].Actor != "apikey:sistem-gaji" || detail.Kind != "payslips" || detail.Inserted != 1 {
		t.Errorf("entry %+v, detail %s", got[0], got[0].Detail)
	}
}

func searchAudit(t *testing.T, s *tenant.Scope, action string) []admin.AuditEntry {
	t.Helper()
	got, err := admin.SearchAudit(context.Background(), s.DB, admin.AuditQuery{Action: action})
	if err != nil {
		t.Fatal(err)
	}
	return got
}
