package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/speks-portal/speks/config"
	"github.com/speks-portal/speks/modules/foundation/jobs"
	"github.com/speks-portal/speks/modules/retention"
	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// runFeedCommand runs `speks <args>` in-process against dbURL and returns standard output.
func runFeedCommand(t *testing.T, dbURL string, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	root := newRootCommand()
	root.SetArgs(append(args, "--database-url", dbURL))
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	err := root.ExecuteContext(context.Background())
	if err != nil {
		t.Logf("speks %s: stderr: %s", strings.Join(args, " "), stderr.String())
	}
	return stdout.String(), err
}

// TestFeedCommands: apikey create prints the key alone; import answers as the API does and
// exits 1 on a refused file; retention run reports its cut-off.
func TestFeedCommands(t *testing.T) {
	dbURL := tenanttest.NewDatabase(t)
	if _, err := runFeedCommand(t, dbURL, "migrate"); err != nil {
		t.Fatal(err)
	}
	if _, err := runFeedCommand(t, dbURL, "tenant", "create", "--code", "selangor", "--name", "Selangor",
		"--host", "p.ispeks.selangor.gov.my", "--registration-mode", "payroll_match"); err != nil {
		t.Fatal(err)
	}

	out, err := runFeedCommand(t, dbURL, "apikey", "create", "--tenant", "selangor", "--name", "modul-py")
	if err != nil || !regexp.MustCompile(`^speks_[a-z2-7]{10}_[a-z2-7]{52}\n$`).MatchString(out) {
		t.Fatalf("apikey create printed %q, %v", out, err)
	}

	dir := t.TempDir()
	employees := filepath.Join(dir, "employees.csv")
	writeFeedFile(t, employees, "ic_no,salary_no,name,email,phone,department_code,department_name,ptj_code,ptj_name,position,grade,bank_name,bank_account,kwsp_no,tax_no,status\n"+
		"850314-10-5523,S1001,Aminah binti Ahmad,,,JKR,Jabatan Kerja Raya,JKR01,JKR Ibu Pejabat,,,,,,,\n")
	for range 2 {
		out, err = runFeedCommand(t, dbURL, "import", "--tenant", "selangor", "employees", employees)
		var res struct {
			BatchID  int64 `json:"batch_id"`
			Inserted int64 `json:"inserted"`
		}
		if err != nil || json.Unmarshal([]byte(out), &res) != nil || res.BatchID != 1 || res.Inserted != 1 {
			t.Fatalf("import printed %q, %v", out, err)
		}
	}

	bad := filepath.Join(dir, "bad.csv")
	writeFeedFile(t, bad, "ic_no,year,month,pay_date,kind,code,description,amount\n850314105523,2026,10,2026-10-23,E,0001,Gaji,1.005\n")
	out, err = runFeedCommand(t, dbURL, "import", "--tenant", "selangor", "payslips", bad)
	var exit *exitError
	if !errors.As(err, &exit) || exit.code != 1 || !strings.Contains(out, `"too_many_decimals"`) {
		t.Errorf("bad file: %q, %v", out, err)
	}
	if _, err := runFeedCommand(t, dbURL, "import", "--tenant", "nowhere", "payslips", bad); err == nil {
		t.Error("import into an unknown tenant succeeded")
	}

	out, err = runFeedCommand(t, dbURL, "retention", "run", "--tenant", "selangor", "--dry-run")
	if err != nil || !strings.Contains(out, "retention 24 months") || !strings.Contains(out, "would be deleted (dry run)") {
		t.Errorf("retention run printed %q, %v", out, err)
	}
}

func writeFeedFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestPlatformTasksBypassTenantScope: the nightly fan-out names no tenant and must reach its
// handler; tenant tasks still go through the tenant middleware.
func TestPlatformTasksBypassTenantScope(t *testing.T) {
	env := tenanttest.New(t, 2)
	cfg, err := config.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	rt := &runtime{cfg: cfg, registry: env.Registry}
	tn := env.Tenant(t, "kedah", tenant.PayrollMatch)
	if err := env.Registry.SetStatus(context.Background(), tn.Code, tenant.StatusSuspended, "test"); err != nil {
		t.Fatal(err) // suspended: the fan-out queues nothing, so this test needs no Redis
	}

	var scoped []string
	mux := asynq.NewServeMux()
	mux.Use(jobs.TenantScope(env.Scoper))
	mux.HandleFunc("test:echo", func(ctx context.Context, _ *asynq.Task) error {
		s, _ := tenant.FromContext(ctx)
		scoped = append(scoped, s.Tenant.Code)
		return nil
	})
	handler, err := rt.withPlatformTasks(mux)
	if err != nil {
		t.Fatal(err)
	}
	if err := handler.ProcessTask(context.Background(), retention.NewFanOutTask()); err != nil {
		t.Errorf("fan-out: %v", err)
	}
	other := env.Tenant(t, "perlis", tenant.PayrollMatch)
	task, err := jobs.NewTask("test:echo", other.Code, struct{}{})
	if err != nil {
		t.Fatal(err)
	}
	if err := handler.ProcessTask(context.Background(), task); err != nil || len(scoped) != 1 || scoped[0] != "perlis" {
		t.Errorf("tenant task: %v, scoped %v", err, scoped)
	}
	if err := handler.ProcessTask(context.Background(), asynq.NewTask("test:echo", nil)); err == nil {
		t.Error("a tenant task without a tenant got past the middleware")
	}
}
