package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/speks-portal/speks/tenant/tenanttest"
)

// runCLI runs `speks <args>` in-process and returns stdout, stderr and the error.
func runCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	root := newRootCommand()
	root.SetArgs(args)
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	err := root.ExecuteContext(context.Background())
	return stdout.String(), stderr.String(), err
}

func TestBadConfigurationExitsTwoWithOneLinePerProblem(t *testing.T) {
	t.Setenv("SPEKS_MODE", "production")
	t.Setenv("SPEKS_HTTP_LISTEN", "nonsense")
	t.Setenv("SPEKS_HTTP_TRUSTED_PROXIES", "10.0.0.0/8,not-an-ip")
	_, stderr, err := runCLI(t, "migrate")
	var exit *exitError
	if !errors.As(err, &exit) || exit.code != 2 {
		t.Fatalf("err = %v, want exit status 2", err)
	}
	for _, want := range []string{
		`http.listen: "nonsense" is not host:port`,
		`http.trusted_proxies: "not-an-ip"`,
		"smtp.url: required in production",
		"secrets.session: required in production",
		"secrets.decoy: required in production",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

func TestDatabaseDownAtStartIsAClearError(t *testing.T) {
	_, _, err := runCLI(t, "migrate", "--database-url", "postgres://speks:topsecret@127.0.0.1:1/speks?sslmode=disable")
	if err == nil {
		t.Fatal("migrate succeeded without a database")
	}
	msg := err.Error()
	if !strings.Contains(msg, "cannot reach PostgreSQL at") || !strings.Contains(msg, "database.url") {
		t.Fatalf("unclear error: %s", msg)
	}
	if strings.Contains(msg, "topsecret") {
		t.Fatalf("the error leaks the database password: %s", msg)
	}
}

// Two `speks migrate` at once both succeed (advisory lock per schema); a second pass is a no-op;
// a tenant created afterwards is current.
func TestMigrateIsConcurrentAndIdempotent(t *testing.T) {
	dbURL := tenanttest.NewDatabase(t)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, errs[i] = runCLI(t, "migrate", "--database-url", dbURL)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent migrate: %v", err)
	}
	if _, _, err := runCLI(t, "tenant", "create", "--database-url", dbURL, "--code", "terengganu",
		"--name", "Terengganu", "--host", "espeks.terengganu.gov.my", "--registration-mode", "payroll_match",
		"--email-domain", "terengganu.gov.my"); err != nil {
		t.Fatalf("tenant create: %v", err)
	}
	stdout, _, err := runCLI(t, "migrate", "--database-url", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stdout, "applied") || !strings.Contains(stdout, "tenant_terengganu: up to date") {
		t.Fatalf("second migrate changed something or skipped the new tenant:\n%s", stdout)
	}
}

func TestTenantCommands(t *testing.T) {
	dbURL := tenanttest.NewDatabase(t)
	if _, _, err := runCLI(t, "migrate", "--database-url", dbURL); err != nil {
		t.Fatal(err)
	}
	create := []string{"tenant", "create", "--database-url", dbURL, "--code", "perlis", "--name", "Perlis",
		"--host", "ispeks.perlis.gov.my", "--registration-mode", "admin_only"}
	if _, _, err := runCLI(t, create...); err != nil {
		t.Fatal(err)
	}
	_, _, err := runCLI(t, create...)
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("duplicate create: %v", err)
	}
	_, _, err = runCLI(t, "tenant", "create", "--database-url", dbURL, "--code", "9x", "--name", "X", "--registration-mode", "open")
	if err == nil || !strings.Contains(err.Error(), "code: must match") || !strings.Contains(err.Error(), "registration_mode") {
		t.Fatalf("invalid create: %v", err)
	}
	if _, _, err := runCLI(t, "tenant", "suspend", "--database-url", dbURL, "perlis"); err != nil {
		t.Fatal(err)
	}
	stdout, _, err := runCLI(t, "tenant", "list", "--database-url", dbURL)
	if err != nil || !strings.Contains(stdout, "perlis") || !strings.Contains(stdout, "suspended") {
		t.Fatalf("list = %q, %v", stdout, err)
	}
	if _, _, err := runCLI(t, "tenant", "suspend", "--database-url", dbURL, "nowhere"); err == nil {
		t.Fatal("suspending an unknown tenant succeeded")
	}
}

func TestCommandsBeforeMigrateSayWhatToDo(t *testing.T) {
	dbURL := tenanttest.NewDatabase(t)
	_, _, err := runCLI(t, "tenant", "list", "--database-url", dbURL)
	if err == nil || !strings.Contains(err.Error(), "speks migrate") {
		t.Fatalf("tenant list on an empty database: %v", err)
	}
}

// The profiler is served only on the private metrics listener: without one, serve --pprof
// refuses to start rather than put it on the public port.
func TestPprofNeedsTheMetricsListener(t *testing.T) {
	t.Setenv("SPEKS_METRICS_LISTEN", "")
	_, _, err := runCLI(t, "serve", "--pprof", "--database-url", "postgres://speks@127.0.0.1:1/speks?sslmode=disable")
	if err == nil || !strings.Contains(err.Error(), "--pprof needs metrics.listen") {
		t.Fatalf("err = %v, want the refusal", err)
	}
}
