package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/speks-portal/speks/modules/foundation/web/apitest"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// productionHSTS is what every production answer carries (docs/SECURITY.md "Transport").
const productionHSTS = "max-age=31536000; includeSubDomains"

// prodServer is a real `speks serve` in mode=production on loopback: plain HTTP, as the
// ingress forwards it after ending TLS.
type prodServer struct {
	web, metrics string // http://host:port of http.listen and metrics.listen
	platformHost string
	demo         demoDoc
}

type demoLogin struct {
	ID         string `json:"id"`
	Password   string `json:"password"`
	TOTPSecret string `json:"totp_secret"`
}

type demoDoc struct {
	PlatformAdmin demoLogin `json:"platform_admin"`
	Tenants       map[string]struct {
		Staff demoLogin `json:"staff"`
	} `json:"tenants"`
}

// productionEnv sets what production requires besides metrics.listen; the secrets are the
// ones the demo data was sealed with.
func productionEnv(t *testing.T, dbURL string) {
	t.Setenv("SPEKS_MODE", "production")
	t.Setenv("SPEKS_DATABASE_URL", dbURL)
	t.Setenv("SPEKS_REDIS_URL", "redis://127.0.0.1:6379/11")
	t.Setenv("SPEKS_SMTP_URL", "smtp://mailer:secret@127.0.0.1:1")
	t.Setenv("SPEKS_MAIL_FROM", "SPEKS Portal <no-reply@speks.example.test>")
	t.Setenv("SPEKS_PLATFORM_HOST", "platform.speks.example.test")
	t.Setenv("SPEKS_LOG_LEVEL", "warn")
}

// startProductionServe loads the demo states (dev mode, as `make run` does) into a fresh
// database and runs `speks serve` on it in production until the test ends.
func startProductionServe(t *testing.T) *prodServer {
	t.Helper()
	dbURL := tenanttest.NewDatabase(t)
	t.Setenv("SPEKS_SECRETS_SESSION", "production-test-session-secret-0123456789abcdef")
	t.Setenv("SPEKS_SECRETS_DECOY", "production-test-decoy-secret-0123456789abcdefgh")
	out, err := runDemoCommand(t, "demo", "--json", "--staff", "40", "--suppliers", "8", "--database-url", dbURL)
	if err != nil {
		t.Fatalf("speks demo: %v", err)
	}
	s := &prodServer{platformHost: "platform.speks.example.test"}
	if err := json.Unmarshal([]byte(out), &s.demo); err != nil {
		t.Fatalf("demo --json: %v\n%s", err, out)
	}
	productionEnv(t, dbURL)
	webAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	t.Setenv("SPEKS_HTTP_LISTEN", webAddr)
	t.Setenv("SPEKS_METRICS_LISTEN", metricsAddr)
	s.web, s.metrics = "http://"+webAddr, "http://"+metricsAddr

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var stderr strings.Builder
	go func() {
		root := newRootCommand()
		root.SetArgs([]string{"serve"})
		root.SetOut(io.Discard)
		root.SetErr(&stderr)
		done <- root.ExecuteContext(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve stopped with %v\n%s", err, stderr.String())
		}
	})
	apitest.WaitFor(t, "serve answers /healthz", func() bool {
		select {
		case err := <-done:
			done <- err
			t.Fatalf("serve exited: %v\n%s", err, stderr.String())
		default:
		}
		res, err := http.Get(s.web + "/healthz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
	return s
}

// send makes one plain-HTTP request to base with the given Host; the client follows no
// redirect and keeps no cookie jar, so every Set-Cookie is seen as the server sent it.
func send(t *testing.T, method, base, host, path, body string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := &http.Client{Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s%s (Host %s): %v", method, base, path, host, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res, string(raw)
}

// wantHSTS checks the answer carries production's Strict-Transport-Security.
func wantHSTS(t *testing.T, what string, res *http.Response) {
	t.Helper()
	if got := res.Header.Get("Strict-Transport-Security"); got != productionHSTS {
		t.Errorf("%s (%d): Strict-Transport-Security = %q, want %q", what, res.StatusCode, got, productionHSTS)
	}
}

// wantHostCookie checks that every Set-Cookie of res is Secure, __Host- prefixed, Path=/,
// without Domain, and that one is named "__Host-"+name; it returns that one's value.
func wantHostCookie(t *testing.T, what string, res *http.Response, name string) string {
	t.Helper()
	raw := res.Header.Values("Set-Cookie")
	if len(raw) == 0 {
		t.Fatalf("%s: no Set-Cookie", what)
	}
	value, found := "", false
	for _, line := range raw {
		lower := strings.ToLower(line)
		if !strings.HasPrefix(line, "__Host-") || !strings.Contains(lower, "; secure") ||
			!strings.Contains(lower, "; path=/") || strings.Contains(lower, "domain=") {
			t.Errorf("%s: cookie %q is not Secure, __Host-, Path=/ without Domain", what, line)
		}
		if strings.HasPrefix(line, "__Host-"+name+"=") {
			found = true
			value = strings.SplitN(strings.TrimPrefix(line, "__Host-"+name+"="), ";", 2)[0]
		}
	}
	if !found {
		t.Errorf("%s: no __Host-%s cookie among %q", what, name, raw)
	}
	return value
}

// Production behind a TLS-terminating ingress, over real HTTP to the real `speks serve`: the
// requests arrive as plain http from an untrusted peer (no X-Forwarded-Proto honoured), and
// still every cookie is Secure and __Host-, every answer carries HSTS, /metrics answers only
// on its own listener, the dev mail sink and *.localhost tenants do not exist.
func TestProductionServeIsSecureByDefault(t *testing.T) {
	s := startProductionServe(t)
	const melaka = "p.ispeks.melaka.gov.my"

	t.Run("HSTS on every answer, error pages included", func(t *testing.T) {
		for _, c := range []struct{ host, path string }{
			{melaka, "/"}, {melaka, "/login"}, {melaka, "/no-such-page"}, {melaka, "/api/v1/no-such-thing"},
			{melaka, "/api/v1/session"}, {melaka, "/healthz"},
			{s.platformHost, "/"}, {s.platformHost, "/no-such-page"}, {s.platformHost, "/api/v1/platform/session"},
			{"unknown.example.test", "/"},
		} {
			res, _ := send(t, http.MethodGet, s.web, c.host, c.path, "")
			wantHSTS(t, c.host+c.path, res)
		}
		res, _ := send(t, http.MethodPost, s.web, melaka, "/api/v1/auth/login", "{not json")
		if res.StatusCode < 400 {
			t.Errorf("malformed login: %d, want an error", res.StatusCode)
		}
		wantHSTS(t, "malformed login", res)
	})

	t.Run("the language cookie is Secure and __Host-", func(t *testing.T) {
		res, _ := send(t, http.MethodGet, s.web, melaka, "/?lang=en", "")
		wantHostCookie(t, "?lang=en", res, "lang")
		// and it is read back under that name: the next page is English without ?lang.
		res, body := send(t, http.MethodGet, s.web, melaka, "/", "", "Cookie", "__Host-lang=en")
		if got := res.Header.Get("Content-Language"); got != "en" {
			t.Errorf("with __Host-lang=en the page is in %q (%d): %.200s", got, res.StatusCode, body)
		}
	})

	t.Run("the tenant session cookie is Secure and __Host-", func(t *testing.T) {
		staff := s.demo.Tenants["melaka"].Staff
		login, _ := json.Marshal(map[string]string{"id": staff.ID, "password": staff.Password})
		res, body := send(t, http.MethodPost, s.web, melaka, "/api/v1/auth/login", string(login))
		if res.StatusCode != http.StatusOK {
			t.Fatalf("staff login: %d %s", res.StatusCode, body)
		}
		token := wantHostCookie(t, "login", res, "speks_session")
		res, body = send(t, http.MethodGet, s.web, melaka, "/api/v1/session", "", "Cookie", "__Host-speks_session="+token)
		if res.StatusCode != http.StatusOK {
			t.Errorf("the session under __Host-speks_session: %d %s", res.StatusCode, body)
		}
		// Without the prefix (a cookie a sibling subdomain could have planted) it is no session.
		res, _ = send(t, http.MethodGet, s.web, melaka, "/api/v1/session", "", "Cookie", "speks_session="+token)
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("the token under the unprefixed name: %d, want 401", res.StatusCode)
		}
		// Logging out clears it under the same name, Secure.
		var session struct {
			CSRF string `json:"csrf_token"`
		}
		if err := json.Unmarshal([]byte(body), &session); err != nil || session.CSRF == "" {
			t.Fatalf("no csrf_token in %s", body)
		}
		res, body = send(t, http.MethodPost, s.web, melaka, "/api/v1/auth/logout", "{}",
			"Cookie", "__Host-speks_session="+token, "X-CSRF-Token", session.CSRF)
		if res.StatusCode >= 300 {
			t.Fatalf("logout: %d %s", res.StatusCode, body)
		}
		if v := wantHostCookie(t, "logout", res, "speks_session"); v != "" {
			t.Errorf("logout sets the session cookie to %q, want it emptied", v)
		}
	})

	t.Run("the platform session cookie is Secure and __Host-", func(t *testing.T) {
		admin := s.demo.PlatformAdmin
		code, err := totp.GenerateCode(admin.TOTPSecret, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		login, _ := json.Marshal(map[string]string{"id": admin.ID, "password": admin.Password, "totp": code})
		res, body := send(t, http.MethodPost, s.web, s.platformHost, "/api/v1/platform/auth/login", string(login))
		if res.StatusCode != http.StatusOK {
			t.Fatalf("platform login: %d %s", res.StatusCode, body)
		}
		token := wantHostCookie(t, "platform login", res, "speks_platform")
		wantHSTS(t, "platform login", res)
		res, body = send(t, http.MethodGet, s.web, s.platformHost, "/api/v1/platform/session", "", "Cookie", "__Host-speks_platform="+token)
		if res.StatusCode != http.StatusOK {
			t.Errorf("the platform session under __Host-speks_platform: %d %s", res.StatusCode, body)
		}
	})

	t.Run("an ended session's cookie is cleared Secure and __Host-", func(t *testing.T) {
		res, _ := send(t, http.MethodGet, s.web, melaka, "/api/v1/session", "", "Cookie", "__Host-speks_session=not-a-session")
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("a made-up session: %d, want 401", res.StatusCode)
		}
		wantHostCookie(t, "clearing a made-up session", res, "speks_session")
	})

	t.Run("/metrics only on metrics.listen", func(t *testing.T) {
		for _, host := range []string{melaka, s.platformHost, "unknown.example.test"} {
			res, body := send(t, http.MethodGet, s.web, host, "/metrics", "")
			if res.StatusCode == http.StatusOK || strings.Contains(body, "speks_http_requests_total") {
				t.Errorf("/metrics on %s: %d %.200s", host, res.StatusCode, body)
			}
		}
		res, body := send(t, http.MethodGet, s.metrics, "anything", "/metrics", "")
		if res.StatusCode != http.StatusOK || !strings.Contains(body, `speks_http_requests_total{`) ||
			!strings.Contains(body, `tenant="melaka"`) {
			t.Errorf("metrics listener: %d %.300s", res.StatusCode, body)
		}
		for _, path := range []string{"/debug/pprof/", "/debug/vars"} {
			if res, _ := send(t, http.MethodGet, s.web, melaka, path, ""); res.StatusCode != http.StatusNotFound {
				t.Errorf("%s on a tenant host: %d, want 404", path, res.StatusCode)
			}
			if res, _ := send(t, http.MethodGet, s.metrics, "anything", path, ""); res.StatusCode != http.StatusNotFound {
				t.Errorf("%s on the metrics listener: %d, want 404", path, res.StatusCode)
			}
		}
	})

	t.Run("no dev mail sink", func(t *testing.T) {
		for _, path := range []string{"/dev/mail", "/dev/mail/"} {
			res, body := send(t, http.MethodGet, s.web, s.platformHost, path, "")
			if res.StatusCode != http.StatusNotFound {
				t.Errorf("%s on the platform host: %d %.200s, want 404", path, res.StatusCode, body)
			}
		}
	})

	t.Run("*.localhost names no tenant", func(t *testing.T) {
		for _, host := range []string{"melaka.localhost", "pahang.localhost", "platform.localhost"} {
			res, body := send(t, http.MethodGet, s.web, host, "/", "", "Accept", "application/json")
			if res.StatusCode != http.StatusNotFound || !strings.Contains(body, "unknown_host") {
				t.Errorf("%s: %d %.200s, want 404 unknown_host", host, res.StatusCode, body)
			}
			wantHSTS(t, host, res)
		}
		// while the tenant's own host answers
		if res, body := send(t, http.MethodGet, s.web, melaka, "/api/v1/tenant", ""); res.StatusCode != http.StatusOK {
			t.Errorf("%s /api/v1/tenant: %d %.200s", melaka, res.StatusCode, body)
		}
	})
}

// serve refuses to start in production without metrics.listen: one line naming the key, exit
// status 2, before it connects to anything. Other commands (migrate, the worker) do not need it.
func TestProductionServeRefusesWithoutMetricsListener(t *testing.T) {
	productionEnv(t, "postgres://nobody@127.0.0.1:1/none?sslmode=disable")
	t.Setenv("SPEKS_SECRETS_SESSION", strings.Repeat("s", 40))
	t.Setenv("SPEKS_SECRETS_DECOY", strings.Repeat("d", 40))
	t.Setenv("SPEKS_METRICS_LISTEN", "")
	_, stderr, err := runCLI(t, "serve")
	var exit *exitError
	if !errors.As(err, &exit) || exit.code != 2 {
		t.Fatalf("serve without metrics.listen: err = %v, want exit status 2\n%s", err, stderr)
	}
	var lines []string
	for _, line := range strings.Split(stderr, "\n") {
		if strings.Contains(line, "metrics.listen") {
			lines = append(lines, line)
		}
	}
	if len(lines) != 1 || !strings.Contains(lines[0], "required by serve in production") {
		t.Errorf("want one line about metrics.listen, got:\n%s", stderr)
	}
	// migrate gets past the configuration (and fails only at the missing database).
	_, stderr, err = runCLI(t, "migrate")
	if err == nil || strings.Contains(stderr, "metrics.listen") || !strings.Contains(err.Error(), "cannot reach PostgreSQL") {
		t.Errorf("migrate: err = %v, stderr:\n%s", err, stderr)
	}
}
