package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/demo"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// runDemoCommand runs `speks <args>` in-process and returns standard output.
func runDemoCommand(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	root := newRootCommand()
	root.SetArgs(args)
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	err := root.ExecuteContext(context.Background())
	if err != nil {
		t.Logf("stderr: %s", stderr.String())
	}
	return stdout.String(), err
}

// The --json document is what acceptance tests read: docs/API.md "Demo", with the keys that exist.
func TestDemoJSONHasTheDocumentedShape(t *testing.T) {
	dbURL := tenanttest.NewDatabase(t)
	stdout, err := runDemoCommand(t, "demo", "--json", "--staff", "40", "--suppliers", "8",
		"--database-url", dbURL, "--listen", ":18099")
	if err != nil {
		t.Fatalf("speks demo --json: %v", err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("output is not one JSON document: %v\n%s", err, stdout)
	}
	var port int
	if err := json.Unmarshal(doc["port"], &port); err != nil || port != 18099 {
		t.Errorf("port = %s, want the number 18099", doc["port"])
	}
	var platformHost string
	if err := json.Unmarshal(doc["platform_host"], &platformHost); err != nil || platformHost != "platform.localhost" {
		t.Errorf("platform_host = %s, want \"platform.localhost\"", doc["platform_host"])
	}
	for key, raw := range doc {
		switch key {
		case "port", "platform_host", "tenants":
		case "platform_admin":
			checkDemoAccount(t, key, raw)
		default:
			t.Errorf("top-level key %q is not in docs/API.md \"Demo\"", key)
		}
	}
	var tenants map[string]map[string]json.RawMessage
	if err := json.Unmarshal(doc["tenants"], &tenants); err != nil {
		t.Fatalf("tenants: %v", err)
	}
	modes := map[string]string{"pahang": "self_register", "kelantan": "payroll_match", "melaka": "admin_only", "selangor": "payroll_match"}
	if len(tenants) != len(modes) {
		t.Errorf("tenants %v, want %v", keys(tenants), keys(modes))
	}
	ic := regexp.MustCompile(`^[0-9]{12}$`)
	for code, mode := range modes {
		entry := tenants[code]
		var host, gotMode string
		var staff struct{ ID, Email string }
		_ = json.Unmarshal(entry["host"], &host)
		_ = json.Unmarshal(entry["registration_mode"], &gotMode)
		if err := json.Unmarshal(entry["unregistered_staff"], &staff); err != nil {
			t.Errorf("%s: unregistered_staff: %v", code, err)
		}
		wantSuffix := ""
		if code == "selangor" { // first login there only accepts the state's official mail
			wantSuffix = "@selangor.gov.my"
		}
		if host != code+".localhost" || gotMode != mode || !ic.MatchString(staff.ID) ||
			!strings.Contains(staff.Email, "@") || !strings.HasSuffix(staff.Email, wantSuffix) {
			t.Errorf("%s: host %q mode %q unregistered_staff %+v", code, host, gotMode, staff)
		}
		for key, raw := range entry {
			switch key {
			case "host", "registration_mode", "unregistered_staff":
			case "staff", "supplier", "it_officer", "treasury", "head_of_department", "ptj_admin":
				checkDemoAccount(t, code+"."+key, raw)
			default:
				t.Errorf("%s: key %q is not in docs/API.md \"Demo\"", code, key)
			}
		}
	}
}

// checkDemoAccount: a login key, where a module has built it, is an object with an id and a
// password (whether the login works is the owning module's test).
func checkDemoAccount(t *testing.T, key string, raw json.RawMessage) {
	t.Helper()
	var account struct {
		ID       string `json:"id"`
		Password string `json:"password"`
	}
	if err := json.Unmarshal(raw, &account); err != nil || account.ID == "" || account.Password == "" {
		t.Errorf("%s = %s: want {id, password, …} (%v)", key, raw, err)
	}
}

func keys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// In production the demo is refused before any connection: the database it names is not
// even created.
func TestDemoIsRefusedInProduction(t *testing.T) {
	u, err := url.Parse(tenanttest.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/speks_demo_refused_" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "_"))
	t.Setenv("SPEKS_MODE", "production")
	t.Setenv("SPEKS_SMTP_URL", "smtp://mailer:secret@smtp.example.test:587")
	t.Setenv("SPEKS_SECRETS_SESSION", strings.Repeat("s", 40))
	t.Setenv("SPEKS_SECRETS_DECOY", strings.Repeat("d", 40))
	_, err = runDemoCommand(t, "demo", "--database-url", u.String())
	if !errors.Is(err, demo.ErrProduction) {
		t.Fatalf("got %v, want the production refusal", err)
	}
	admin, err := sqlx.Open("postgres", tenanttest.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var exists bool
	if err := admin.Get(&exists, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, strings.TrimPrefix(u.Path, "/")); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Errorf("database %s was created although the demo was refused", u.Path)
	}
}
