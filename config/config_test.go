package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

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
