package main

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/foundation/keyring"
	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// `speks secrets reseal` after a new secrets.session key was added in front: every TOTP
// secret of every tenant (a suspended one included) and of the platform admins ends up under
// the new key, a second run changes nothing, both runs are audited, and once the old key is
// removed every secret still opens.
func TestSecretsResealCommand(t *testing.T) {
	const oldKey, newKey = "cli-old-session-secret-0123456789abcdef", "cli-new-session-secret-0123456789abcdef"
	t.Setenv("SPEKS_SECRETS_SESSION", oldKey)
	dbURL := tenanttest.NewDatabase(t)
	if _, _, err := runCLI(t, "migrate", "--database-url", dbURL); err != nil {
		t.Fatal(err)
	}
	dbs, err := tenant.OpenDatabases(dbURL, tenant.PoolConfig{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer dbs.Close()
	before := account.NewService(oldKey, "cli-decoy-secret-0123456789abcdef", nil)
	const totpSecret = "JBSWY3DPEHPK3PXP"
	for i, code := range []string{"melaka", "johor"} {
		if _, _, err := runCLI(t, "tenant", "create", "--database-url", dbURL, "--code", code, "--name", code,
			"--host", code+".example.test", "--registration-mode", "admin_only"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := runCLI(t, "user", "create", "--database-url", dbURL, "--tenant", code, "--category", "officer",
			"--role", "it_officer", "--name", "Pegawai IT", "--email", "it@"+code+".gov.my", []string{"880808-04-5566", "770707-01-4455"}[i]); err != nil {
			t.Fatal(err)
		}
		sealed, err := before.SealTOTPSecret(totpSecret)
		if err != nil {
			t.Fatal(err)
		}
		db, err := dbs.Schema(tenant.SchemaName(code))
		if err != nil {
			t.Fatal(err)
		}
		db.MustExec(`UPDATE users SET totp_secret = $1, totp_enabled = true`, sealed)
	}
	if _, _, err := runCLI(t, "tenant", "suspend", "--database-url", dbURL, "johor"); err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	root := newRootCommand()
	root.SetArgs([]string{"user", "create-platform-admin", "--database-url", dbURL, "--email", "pentadbir@anm.gov.my", "--name", "Pentadbir"})
	root.SetIn(strings.NewReader("Teratai-Biru-Rahsia-2026\n"))
	root.SetOut(&stdout)
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	adminSecret := regexp.MustCompile(`TOTP secret[^:]*: ([A-Z2-7]+)`).FindStringSubmatch(stdout.String())[1]

	t.Setenv("SPEKS_SECRETS_SESSION", newKey+","+oldKey)
	reseal := func() resealReport {
		t.Helper()
		out, _, err := runCLI(t, "secrets", "reseal", "--json", "--database-url", dbURL)
		if err != nil {
			t.Fatalf("secrets reseal: %v", err)
		}
		var rep resealReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("report %q: %v", out, err)
		}
		return rep
	}
	rep := reseal()
	if rep.KeyID != keyring.ID([]byte(newKey)) || len(rep.Tenants) != 2 || rep.Tenants["melaka"].Resealed != 1 ||
		rep.Tenants["johor"].Resealed != 1 || rep.Platform.Resealed != 1 {
		t.Fatalf("first run = %+v", rep)
	}
	rep = reseal()
	if rep.Tenants["melaka"].Current != 1 || rep.Tenants["melaka"].Resealed != 0 || rep.Tenants["johor"].Current != 1 ||
		rep.Platform.Current != 1 || rep.Platform.Resealed != 0 {
		t.Fatalf("second run = %+v", rep)
	}
	out, _, err := runCLI(t, "secrets", "reseal", "--database-url", dbURL)
	if err != nil || !strings.Contains(out, "tenant melaka") || !strings.Contains(out, "platform admins") {
		t.Fatalf("table output %q, %v", out, err)
	}

	after := account.NewService(newKey, "cli-decoy-secret-0123456789abcdef", nil)
	for _, code := range []string{"melaka", "johor"} {
		db, _ := dbs.Schema(tenant.SchemaName(code))
		var sealed string
		var audits int
		db.Get(&sealed, `SELECT totp_secret FROM users WHERE totp_enabled`)
		if got, err := after.OpenTOTPSecret(sealed); err != nil || got != totpSecret {
			t.Fatalf("%s: with only the new key: %q, %v", code, got, err)
		}
		db.Get(&audits, `SELECT count(*) FROM audit_log WHERE action = 'secrets.reseal'`)
		if audits != 3 {
			t.Fatalf("%s: %d audit entries, want 3", code, audits)
		}
	}
	var sealed string
	var audits int
	dbs.Public().Get(&sealed, `SELECT totp_secret FROM platform_users`)
	if got, err := after.OpenTOTPSecret(sealed); err != nil || got != adminSecret {
		t.Fatalf("platform admin with only the new key: %v", err)
	}
	dbs.Public().Get(&audits, `SELECT count(*) FROM platform_audit WHERE action = 'secrets.reseal'`)
	if audits != 3 {
		t.Fatalf("%d platform audit entries, want 3", audits)
	}
}
