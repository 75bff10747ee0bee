package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func TestDefaultsRunLocallyWithNoFile(t *testing.T) {
	cfg, err := Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	if cfg.HTTP.Listen != ":8080" || cfg.Platform.Host != "platform.localhost" || cfg.Port() != "8080" ||
		cfg.Database.URL != "postgres://postgres@127.0.0.1:5432/speks?sslmode=disable" || !cfg.IsDev() {
		t.Fatalf("unexpected defaults: %+v", cfg)
	}
}

func TestPrecedenceFileThenEnvThenFlags(t *testing.T) {
	file := filepath.Join(t.TempDir(), "speks.yaml")
	if err := os.WriteFile(file, []byte("http:\n  listen: \":7000\"\n  trusted_proxies: [\"10.0.0.1\"]\nplatform:\n  host: Portal.Example.MY\nlog:\n  level: debug\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SPEKS_CONFIG", file)
	t.Setenv("SPEKS_LOG_LEVEL", "warn")
	t.Setenv("SPEKS_HTTP_TRUSTED_PROXIES", "10.0.0.2, 192.168.0.0/16")
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	BindFlags(fs)
	if err := fs.Parse([]string{"--listen", ":9000"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(fs)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP.Listen != ":9000" {
		t.Errorf("flag did not win: listen = %q", cfg.HTTP.Listen)
	}
	if cfg.Log.Level != "warn" {
		t.Errorf("env did not win over the file: level = %q", cfg.Log.Level)
	}
	if cfg.Platform.Host != "portal.example.my" {
		t.Errorf("file value not read/normalised: host = %q", cfg.Platform.Host)
	}
	if strings.Join(cfg.HTTP.TrustedProxies, "|") != "10.0.0.2|192.168.0.0/16" {
		t.Errorf("trusted proxies from env = %q", cfg.HTTP.TrustedProxies)
	}
}

func TestMissingConfigFileIsAnError(t *testing.T) {
	t.Setenv("SPEKS_CONFIG", filepath.Join(t.TempDir(), "absent.yaml"))
	if _, err := Load(nil); err == nil {
		t.Fatal("a named but missing file was ignored")
	}
}

func TestProductionNeedsRealSecretsAndSMTP(t *testing.T) {
	t.Setenv("SPEKS_MODE", "production")
	t.Setenv("SPEKS_SECRETS_SESSION", "short")
	cfg, err := Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	err = cfg.Validate()
	if err == nil {
		t.Fatal("production without secrets validated")
	}
	lines := strings.Split(err.Error(), "\n")
	want := []string{"smtp.url: required in production", "secrets.session: must be at least 32 characters", "secrets.decoy: required in production"}
	if len(lines) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%s", len(lines), len(want), err)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d = %q, want prefix %q", i, lines[i], w)
		}
	}
	t.Setenv("SPEKS_SECRETS_SESSION", strings.Repeat("s", 40))
	t.Setenv("SPEKS_SECRETS_DECOY", strings.Repeat("d", 40))
	t.Setenv("SPEKS_SMTP_URL", "smtp://mailer:pw@smtp.example.my:587")
	cfg, _ = Load(nil)
	if err := cfg.Validate(); err != nil {
		t.Fatalf("a complete production configuration failed: %v", err)
	}
	// serve needs a metrics listener of its own in production: one line, naming the key.
	err = cfg.ValidateServe()
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "metrics.listen: required by serve in production") {
		t.Fatalf("serve without metrics.listen: %v", err)
	}
	t.Setenv("SPEKS_METRICS_LISTEN", ":9090")
	cfg, _ = Load(nil)
	if err := cfg.ValidateServe(); err != nil {
		t.Fatalf("a complete production configuration for serve failed: %v", err)
	}
	t.Setenv("SPEKS_MODE", "dev")
	t.Setenv("SPEKS_METRICS_LISTEN", "")
	cfg, _ = Load(nil)
	if err := cfg.ValidateServe(); err != nil {
		t.Fatalf("dev serve without metrics.listen (served on the web port): %v", err)
	}
}

// A secret is a key ring, newest first: one string, a comma list (the environment's form) or
// a YAML list; every key is checked, and a key given twice is refused.
func TestSecretsAreKeyRings(t *testing.T) {
	newKey, oldKey := strings.Repeat("n", 40), strings.Repeat("o", 40)
	t.Setenv("SPEKS_MODE", "production")
	t.Setenv("SPEKS_SMTP_URL", "smtp://mailer:pw@smtp.example.my:587")
	t.Setenv("SPEKS_SECRETS_SESSION", newKey+" , "+oldKey)
	t.Setenv("SPEKS_SECRETS_DECOY", oldKey)
	cfg, err := Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("a ring from the environment failed: %v", err)
	}
	if strings.Join(cfg.Secrets.Session, "|") != newKey+"|"+oldKey || strings.Join(cfg.Secrets.Decoy, "|") != oldKey {
		t.Fatalf("rings from the environment: %q, %q", cfg.Secrets.Session, cfg.Secrets.Decoy)
	}

	t.Setenv("SPEKS_SECRETS_SESSION", "")
	t.Setenv("SPEKS_SECRETS_DECOY", "")
	file := filepath.Join(t.TempDir(), "speks.yaml")
	if err := os.WriteFile(file, []byte("secrets:\n  session: [\""+newKey+"\", \"short\"]\n  decoy: \""+newKey+","+newKey+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SPEKS_CONFIG", file)
	cfg, err = Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Secrets.Session) != 2 || cfg.Secrets.Session[1] != "short" {
		t.Fatalf("ring from a YAML list: %q", cfg.Secrets.Session)
	}
	err = cfg.Validate()
	want := "secrets.session key 2 of 2: must be at least 32 characters\nsecrets.decoy key 2 of 2: repeats key 1"
	if err == nil || err.Error() != want {
		t.Fatalf("Validate = %v, want\n%s", err, want)
	}
}

func TestEveryKeyIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/CONFIGURATION.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range Keys() {
		if !strings.Contains(string(doc), "| `"+key+"` |") {
			t.Errorf("docs/CONFIGURATION.md does not document %s", key)
		}
	}
}

func TestRedisAddr(t *testing.T) {
	for in, want := range map[string]string{"127.0.0.1:6379": "redis://127.0.0.1:6379", "rediss://r.example:6380/2": "rediss://r.example:6380/2"} {
		if got, err := RedisAddr(in); err != nil || got != want {
			t.Errorf("RedisAddr(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "http://x", "redis://"} {
		if _, err := RedisAddr(bad); err == nil {
			t.Errorf("RedisAddr(%q) accepted", bad)
		}
	}
}

// The per-tenant pool sizes are gone: a deployment still setting them is told what replaced
// them, and the budget that did is validated and read from the environment.
func TestPerTenantPoolKeysPointToTheBudget(t *testing.T) {
	t.Setenv("SPEKS_DATABASE_MAX_OPEN_CONNS", "10")
	t.Setenv("SPEKS_DATABASE_MAX_CONNS", "0")
	t.Setenv("SPEKS_DATABASE_ACQUIRE_TIMEOUT", "3s")
	t.Setenv("SPEKS_DATABASE_DIRECT_URL", "mysql://elsewhere")
	cfg, err := Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Database.AcquireTimeout != 3*time.Second {
		t.Errorf("acquire_timeout = %v, want 3s", cfg.Database.AcquireTimeout)
	}
	msg := fmt.Sprint(cfg.Validate())
	for _, want := range []string{
		"database.max_open_conns: no longer used: replaced by database.max_conns",
		"database.max_conns: must be at least 1",
		"database.direct_url: must be a postgres:// URL",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("Validate() = %q, want a line %q", msg, want)
		}
	}
	if strings.Contains(msg, "max_idle_conns") {
		t.Errorf("Validate() complains of max_idle_conns, which is not set: %q", msg)
	}
	t.Setenv("SPEKS_DATABASE_MAX_OPEN_CONNS", "")
	t.Setenv("SPEKS_DATABASE_MAX_CONNS", "")
	t.Setenv("SPEKS_DATABASE_DIRECT_URL", "")
	cfg, err = Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil || cfg.Database.MaxConns != 16 || cfg.Database.DirectURL != "" {
		t.Errorf("defaults: max_conns %d, direct_url %q, Validate %v", cfg.Database.MaxConns, cfg.Database.DirectURL, err)
	}
}
