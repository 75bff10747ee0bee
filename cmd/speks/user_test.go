package main

import (
	"strings"
	"testing"

	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// `speks user create` makes an active account that must set its password through a mailed
// one-time code; `speks user activate` completes a verified self-registration the same way.
func TestUserCommands(t *testing.T) {
	dbURL := tenanttest.NewDatabase(t)
	if _, _, err := runCLI(t, "migrate", "--database-url", dbURL); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCLI(t, "tenant", "create", "--database-url", dbURL, "--code", "melaka", "--name", "Melaka",
		"--host", "p.ispeks.melaka.gov.my", "--registration-mode", "admin_only"); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCLI(t, "user", "create", "--database-url", dbURL, "--tenant", "melaka", "--category", "officer",
		"--role", "it_officer", "--name", "Nurul Huda binti Kamal", "--email", "it@melaka.gov.my", "880808-04-5566")
	if err != nil || !strings.Contains(out, "created in melaka") {
		t.Fatalf("user create: %q, %v", out, err)
	}
	dbs, err := tenant.OpenDatabases(dbURL, tenant.PoolConfig{MaxConns: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer dbs.Close()
	db, err := dbs.Schema(tenant.SchemaName("melaka"))
	if err != nil {
		t.Fatal(err)
	}
	var u struct {
		Status string `db:"status"`
		Must   bool   `db:"must_change_password"`
		Roles  string `db:"roles"`
	}
	if err := db.Get(&u, `SELECT status, must_change_password, roles::text AS roles FROM users WHERE login_id = '880808045566'`); err != nil {
		t.Fatal(err)
	}
	if u.Status != "active" || !u.Must || u.Roles != "{it_officer}" {
		t.Fatalf("created account = %+v", u)
	}
	var codes int
	db.Get(&codes, `SELECT count(*) FROM outbox WHERE template = 'one_time_code' AND recipient = 'it@melaka.gov.my'`)
	if codes != 1 {
		t.Fatalf("%d code mails, want 1", codes)
	}
	if _, _, err := runCLI(t, "user", "activate", "--database-url", dbURL, "--tenant", "melaka", "880808045566"); err == nil ||
		!strings.Contains(err.Error(), "not pending_activation") {
		t.Fatalf("activating an active account: %v", err)
	}
	if _, _, err := runCLI(t, "user", "activate", "--database-url", dbURL, "--tenant", "melaka", "990909045566"); err == nil ||
		!strings.Contains(err.Error(), "no account") || strings.Contains(err.Error(), "990909045566") {
		t.Fatalf("activating an unknown ID (the error must mask it): %v", err)
	}
}
