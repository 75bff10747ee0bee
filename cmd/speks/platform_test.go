package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// `speks user create-platform-admin` reads the password from standard input, stores an
// argon2id hash and a sealed TOTP secret, prints the secret once, and refuses a second admin
// with the same e-mail and a weak password.
func TestCreatePlatformAdminCommand(t *testing.T) {
	dbURL := tenanttest.NewDatabase(t)
	if _, _, err := runCLI(t, "migrate", "--database-url", dbURL); err != nil {
		t.Fatal(err)
	}
	run := func(password string) (string, error) {
		var stdout, stderr bytes.Buffer
		root := newRootCommand()
		root.SetArgs([]string{"user", "create-platform-admin", "--database-url", dbURL,
			"--email", "Pentadbir@ANM.gov.my", "--name", "Pentadbir Platform"})
		root.SetIn(strings.NewReader(password + "\n"))
		root.SetOut(&stdout)
		root.SetErr(&stderr)
		err := root.ExecuteContext(context.Background())
		return stdout.String(), err
	}
	if _, err := run("pendek"); err == nil || !strings.Contains(err.Error(), "weak password") {
		t.Fatalf("weak password accepted: %v", err)
	}
	out, err := run("Teratai-Biru-Rahsia-2026")
	if err != nil {
		t.Fatalf("create-platform-admin: %v", err)
	}
	secret := regexp.MustCompile(`TOTP secret[^:]*: ([A-Z2-7]+)`).FindStringSubmatch(out)
	if secret == nil || strings.Contains(out, "Teratai") {
		t.Fatalf("output: %q", out)
	}
	dbs, err := tenant.OpenDatabases(dbURL, tenant.PoolConfig{MaxConns: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer dbs.Close()
	var row struct {
		Hash   string `db:"password_hash"`
		Sealed string `db:"totp_secret"`
	}
	if err := dbs.Public().Get(&row, `SELECT password_hash, totp_secret FROM platform_users WHERE email = 'pentadbir@anm.gov.my'`); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(row.Hash, "$argon2id$") || !strings.HasPrefix(row.Sealed, "v2:") || strings.Contains(row.Sealed, secret[1]) {
		t.Errorf("stored admin: hash %.12s…, secret sealed: %v", row.Hash, strings.HasPrefix(row.Sealed, "v2:"))
	}
	if _, err := run("Teratai-Biru-Rahsia-2026"); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("a second admin with the same e-mail: %v", err)
	}
}
