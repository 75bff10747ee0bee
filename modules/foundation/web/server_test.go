package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/config"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/tenant"
)

func TestUnknownHostGetsNotFoundWithoutTenantData(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.tenant(t, "selangor", tenant.PayrollMatch, map[string]any{"helpdesk_email": "helpdesk@selangor.gov.my"})

	t.Run("json", func(t *testing.T) {
		r := h.get(t, "evil.example.org", "/api/v1/tenant")
		wantStatus(t, r, http.StatusNotFound)
		if code := r.Code(); code != "unknown_host" {
			t.Errorf("code = %q, want unknown_host", code)
		}
		wantNotContains(t, r.Raw, "selangor", "helpdesk")
	})
	t.Run("html", func(t *testing.T) {
		r := h.get(t, "evil.example.org", "/", "Accept", "text/html")
		wantStatus(t, r, http.StatusNotFound)
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("content type = %q, want text/html", ct)
		}
		wantContains(t, r.Raw, "Tiada portal di alamat ini", `<html lang="ms">`)
		wantNotContains(t, r.Raw, "selangor", "helpdesk@", "/login", "theme.css")
	})
	t.Run("json preferred by the client", func(t *testing.T) {
		r := h.get(t, "evil.example.org", "/anything", "Accept", "application/json")
		wantStatus(t, r, http.StatusNotFound)
		if code := r.Code(); code != "unknown_host" {
			t.Errorf("code = %q, want unknown_host", code)
		}
	})
}

func TestSuspendedTenantGets503InItsLanguage(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.tenant(t, "melaka", tenant.AdminOnly, map[string]any{"default_language": "en"})
	h.tenant(t, "kelantan", tenant.PayrollMatch, nil)
	h.suspend(t, "melaka")
	h.suspend(t, "kelantan")

	english := h.get(t, "melaka.example.test", "/")
	wantStatus(t, english, http.StatusServiceUnavailable)
	wantContains(t, english.Raw, `<html lang="en">`, "This portal is temporarily unavailable", "Negeri melaka SPEKS Portal")
	wantNotContains(t, english.Raw, `href="/login"`)

	malay := h.get(t, "kelantan.example.test", "/")
	wantStatus(t, malay, http.StatusServiceUnavailable)
	wantContains(t, malay.Raw, `<html lang="ms">`, "Portal ini tidak tersedia buat sementara waktu")

	api := h.get(t, "melaka.example.test", "/api/v1/tenant")
	wantStatus(t, api, http.StatusServiceUnavailable)
	if code := api.Code(); code != "tenant_suspended" {
		t.Errorf("code = %q, want tenant_suspended", code)
	}
	wantContains(t, api.Raw, "temporarily unavailable")
}

// serveOnLoopback runs the app on a real 127.0.0.1 listener, so the peer address Fiber
// checks against http.trusted_proxies is the real one.
func serveOnLoopback(t *testing.T, app *fiber.App) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.ShutdownWithTimeout(5 * time.Second) })
	return "http://" + ln.Addr().String()
}

func tenantCodeVia(t *testing.T, base, host string, header map[string]string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+"/api/v1/tenant", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET /api/v1/tenant: %v", err)
	}
	defer res.Body.Close()
	var info web.TenantInfo
	if err := json.NewDecoder(res.Body).Decode(&info); err != nil {
		t.Fatalf("decode tenant info: %v", err)
	}
	return info.Code
}

func TestForwardedHostHonouredOnlyFromTrustedProxies(t *testing.T) {
	t.Parallel()
	forwarded := map[string]string{"X-Forwarded-Host": "pahang.example.test"}

	untrusted := newHarness(t)
	untrusted.tenant(t, "selangor", tenant.PayrollMatch, nil)
	untrusted.tenant(t, "pahang", tenant.SelfRegister, nil)
	base := serveOnLoopback(t, untrusted.app)
	if got := tenantCodeVia(t, base, "selangor.example.test", forwarded); got != "selangor" {
		t.Errorf("untrusted peer: served as %q, want selangor (X-Forwarded-Host must be ignored)", got)
	}

	trusted := newHarness(t, func(cfg *config.Config, _ *web.Options) {
		cfg.HTTP.TrustedProxies = []string{"127.0.0.1"}
	})
	trusted.tenant(t, "selangor", tenant.PayrollMatch, nil)
	trusted.tenant(t, "pahang", tenant.SelfRegister, nil)
	base = serveOnLoopback(t, trusted.app)
	if got := tenantCodeVia(t, base, "selangor.example.test", forwarded); got != "pahang" {
		t.Errorf("trusted proxy: served as %q, want pahang", got)
	}
	if got := tenantCodeVia(t, base, "selangor.example.test", nil); got != "selangor" {
		t.Errorf("trusted proxy without the header: served as %q, want selangor", got)
	}
}

type checker struct {
	name string
	err  error
}

func (c checker) Name() string                { return c.name }
func (c checker) Check(context.Context) error { return c.err }

// optionalChecker is a dependency the process works without for a while (serve and Redis).
type optionalChecker struct{ checker }

func (optionalChecker) Optional() bool { return true }

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	healthy := newHarness(t, func(_ *config.Config, o *web.Options) {
		o.Checks = []web.Checker{checker{name: "postgres"}, checker{name: "redis"}}
	})
	r := healthy.get(t, "no-such-host.example", "/healthz")
	wantStatus(t, r, http.StatusOK)
	r = healthy.get(t, "no-such-host.example", "/readyz")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r.Raw, `"postgres":"ok"`, `"redis":"ok"`)

	failing := newHarness(t, func(_ *config.Config, o *web.Options) {
		o.Checks = []web.Checker{checker{name: "postgres"}, checker{name: "redis", err: errors.New("dial tcp 127.0.0.1:6379: connection refused")}}
	})
	r = failing.get(t, "platform.localhost", "/readyz")
	wantStatus(t, r, http.StatusServiceUnavailable)
	wantContains(t, r.Raw, `"redis":"unavailable"`, `"postgres":"ok"`)
	wantNotContains(t, r.Raw, "connection refused")

	// serve's own set: PostgreSQL required, Redis only reported. Without Redis it stays ready
	// (mail waits in the outbox); without PostgreSQL it is not.
	redisDown := checker{name: "redis", err: errors.New("dial tcp 127.0.0.1:6379: connection refused")}
	withoutRedis := newHarness(t, func(_ *config.Config, o *web.Options) {
		o.Checks = []web.Checker{checker{name: "postgres"}, optionalChecker{redisDown}}
	})
	r = withoutRedis.get(t, "platform.localhost", "/readyz")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r.Raw, `"redis":"unavailable"`, `"postgres":"ok"`)
	withoutPostgres := newHarness(t, func(_ *config.Config, o *web.Options) {
		o.Checks = []web.Checker{checker{name: "postgres", err: errors.New("connection refused")}, optionalChecker{checker{name: "redis"}}}
	})
	wantStatus(t, withoutPostgres.get(t, "platform.localhost", "/readyz"), http.StatusServiceUnavailable)
	// Liveness never depends on a dependency.
	wantStatus(t, withoutPostgres.get(t, "platform.localhost", "/healthz"), http.StatusOK)
}

func TestMetricsArePerTenant(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.tenant(t, "selangor", tenant.PayrollMatch, nil)
	h.tenant(t, "pahang", tenant.SelfRegister, nil)
	wantStatus(t, h.get(t, "selangor.example.test", "/api/v1/tenant"), http.StatusOK)
	wantStatus(t, h.get(t, "selangor.example.test", "/api/v1/tenant"), http.StatusOK)
	wantStatus(t, h.get(t, "pahang.example.test", "/"), http.StatusOK)
	wantStatus(t, h.get(t, "pahang.example.test", "/no/such/page/880101-14-5555"), http.StatusNotFound)
	wantStatus(t, h.get(t, "random-123.example", "/"), http.StatusNotFound)

	r := h.get(t, "anything.example", "/metrics")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r.Raw,
		`speks_http_requests_total{method="GET",route="/api/v1/tenant",status="200",tenant="selangor"} 2`,
		`speks_http_requests_total{method="GET",route="/",status="200",tenant="pahang"} 1`,
		`speks_http_requests_total{method="GET",route="_unmatched",status="404",tenant="pahang"} 1`,
		`speks_http_requests_total{method="GET",route="_unmatched",status="404",tenant="_none"} 1`,
		`speks_http_request_duration_seconds_count{method="GET",route="/api/v1/tenant",status="200",tenant="selangor"} 2`,
	)
	// Labels carry patterns and codes only: never a raw path or a Host header.
	wantNotContains(t, r.Raw, "random-123", "880101", "/no/such/page")
}

func TestMetricsOnSeparateListenerAreOffThePublicOne(t *testing.T) {
	t.Parallel()
	metrics := web.NewMetrics()
	h := newHarness(t, func(cfg *config.Config, o *web.Options) {
		cfg.Metrics.Listen = "127.0.0.1:0"
		o.Metrics = metrics
	})
	h.tenant(t, "selangor", tenant.PayrollMatch, nil)
	wantStatus(t, h.get(t, "selangor.example.test", "/metrics"), http.StatusNotFound)
	wantStatus(t, h.get(t, "selangor.example.test", "/"), http.StatusOK)

	srv := httptestServer(t, metrics.Handler())
	res, err := http.Get(srv + "/metrics")
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	wantContains(t, string(body), `speks_http_requests_total{method="GET",route="/",status="200",tenant="selangor"} 1`)
}

func httptestServer(t *testing.T, handler http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String()
}

func TestLanguageSelectionOrder(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.tenant(t, "selangor", tenant.PayrollMatch, nil)
	h.tenant(t, "melaka", tenant.AdminOnly, map[string]any{"default_language": "en"})

	cases := []struct {
		name, host, target string
		header             []string
		want               string
	}{
		{"malay by default", "selangor.example.test", "/", nil, "ms"},
		{"tenant default", "melaka.example.test", "/", nil, "en"},
		{"english browser keeps the malay default", "selangor.example.test", "/", []string{"Accept-Language", "en-MY,en;q=0.9"}, "ms"},
		{"us browser keeps the malay default", "selangor.example.test", "/", []string{"Accept-Language", "en-US,en;q=0.9"}, "ms"},
		{"malay browser keeps an english default", "melaka.example.test", "/", []string{"Accept-Language", "ms-MY,ms;q=0.9"}, "en"},
		{"cookie over tenant default", "melaka.example.test", "/", []string{"Accept-Language", "en", "Cookie", "lang=ms"}, "ms"},
		{"api honours accept-language", "selangor.example.test", "/api/v1/tenant", []string{"Accept-Language", "en-GB,en;q=0.8"}, "en"},
		{"api unsupported accept-language falls to tenant", "melaka.example.test", "/api/v1/tenant", []string{"Accept-Language", "zh-CN"}, "en"},
		{"api cookie over accept-language", "selangor.example.test", "/api/v1/tenant", []string{"Accept-Language", "en", "Cookie", "lang=ms"}, "ms"},
		{"query over cookie", "selangor.example.test", "/?lang=en", []string{"Cookie", "lang=ms"}, "en"},
		{"bad query ignored", "selangor.example.test", "/?lang=fr", []string{"Cookie", "lang=en"}, "en"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.get(t, tc.host, tc.target, tc.header...)
			wantStatus(t, r, http.StatusOK)
			if got := r.Header.Get("Content-Language"); got != tc.want {
				t.Errorf("Content-Language = %q, want %q", got, tc.want)
			}
			if !strings.HasPrefix(tc.target, "/api/") {
				wantContains(t, r.Raw, fmt.Sprintf(`<html lang="%s">`, tc.want))
			}
		})
	}

	t.Run("query remembered in a cookie", func(t *testing.T) {
		r := h.get(t, "selangor.example.test", "/?lang=en")
		cookie := r.Header.Get("Set-Cookie")
		wantContains(t, cookie, "lang=en", "SameSite=Lax", "HttpOnly", "path=/")
		plain := h.get(t, "selangor.example.test", "/")
		if plain.Header.Get("Set-Cookie") != "" {
			t.Errorf("a page without ?lang set a cookie: %s", plain.Header.Get("Set-Cookie"))
		}
	})
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(cfg *config.Config, _ *web.Options) {
		cfg.HTTP.TrustedProxies = []string{"127.0.0.1"}
	})
	h.tenant(t, "selangor", tenant.PayrollMatch, nil)

	r := h.get(t, "selangor.example.test", "/")
	wantStatus(t, r, http.StatusOK)
	csp := r.Header.Get("Content-Security-Policy")
	wantContains(t, csp, "default-src 'self'", "frame-ancestors 'none'", "object-src 'none'")
	wantNotContains(t, csp, "unsafe-inline", "unsafe-eval")
	for header, want := range map[string]string{
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options":        "DENY",
		"Referrer-Policy":        "same-origin",
		"Cache-Control":          "no-store",
	} {
		if got := r.Header.Get(header); got != want {
			t.Errorf("%s = %q, want %q", header, got, want)
		}
	}
	if hsts := r.Header.Get("Strict-Transport-Security"); hsts != "" {
		t.Errorf("HSTS sent over plain HTTP: %q", hsts)
	}
	if r.Header.Get("X-Request-Id") == "" {
		t.Error("no X-Request-ID on the answer")
	}

	// Behind a trusted TLS-terminating proxy the scheme is https, and HSTS is sent.
	base := serveOnLoopback(t, h.app)
	req, _ := http.NewRequest(http.MethodGet, base+"/", nil)
	req.Host = "selangor.example.test"
	req.Header.Set("X-Forwarded-Proto", "https")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	wantContains(t, res.Header.Get("Strict-Transport-Security"), "max-age=31536000")
}

var assetURL = regexp.MustCompile(`/static/[0-9a-f]{12}/app\.css`)

func TestStaticAssetsAreVersionedCachedAndCompressed(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.tenant(t, "selangor", tenant.PayrollMatch, nil)
	page := h.get(t, "selangor.example.test", "/")
	url := assetURL.FindString(page.Raw)
	if url == "" {
		t.Fatalf("no versioned stylesheet link in the page:\n%s", page.Raw)
	}
	// Assets answer on any host: the error page of an unknown host needs them too.
	css := h.get(t, "unknown.example", url, "Accept-Encoding", "gzip")
	wantStatus(t, css, http.StatusOK)
	wantContains(t, css.Header.Get("Cache-Control"), "max-age=31536000", "public")
	if enc := css.Header.Get("Content-Encoding"); enc != "gzip" {
		t.Errorf("Content-Encoding = %q, want gzip", enc)
	}
	stale := strings.Replace(url, url[8:20], "000000000000", 1)
	wantStatus(t, h.get(t, "selangor.example.test", stale), http.StatusNotFound)

	theme := h.get(t, "selangor.example.test", "/theme.css")
	wantStatus(t, theme, http.StatusOK)
	wantContains(t, theme.Raw, "--brand:#0b3b66", "--on-brand:#ffffff")
}

func TestAccessLogHasNoQueryStringOrICNumber(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.tenant(t, "selangor", tenant.PayrollMatch, nil)
	wantStatus(t, h.get(t, "selangor.example.test", "/api/v1/tenant?token=s3cr3t-value&ic=880101145555"), http.StatusOK)
	wantStatus(t, h.get(t, "selangor.example.test", "/verify/880101-14-5555"), http.StatusNotFound)

	var lines []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(h.log.String()), "\n") {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("log line is not JSON: %s", line)
		}
		if entry["msg"] == "request" {
			lines = append(lines, entry)
		}
	}
	if len(lines) != 2 {
		t.Fatalf("want 2 access log lines, got %d:\n%s", len(lines), h.log.String())
	}
	first := lines[0]
	for field, want := range map[string]any{"tenant": "selangor", "method": "GET", "path": "/api/v1/tenant", "route": "/api/v1/tenant", "status": float64(200)} {
		if first[field] != want {
			t.Errorf("%s = %v, want %v", field, first[field], want)
		}
	}
	if id, _ := first["request_id"].(string); id == "" {
		t.Error("access log line has no request_id")
	}
	if _, ok := first["duration_ms"].(float64); !ok {
		t.Error("access log line has no duration_ms")
	}
	wantNotContains(t, h.log.String(), "s3cr3t", "token=", "880101")
}

func TestLandingPagePerRegistrationMode(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.tenant(t, "pahang", tenant.SelfRegister, map[string]any{"helpdesk_email": "espeks@pahang.gov.my", "helpdesk_phone": "09-512 5000"})
	h.tenant(t, "selangor", tenant.PayrollMatch, map[string]any{"email_domains": "{selangor.gov.my}"})
	h.tenant(t, "melaka", tenant.AdminOnly, nil)

	pahang := h.get(t, "pahang.example.test", "/")
	wantStatus(t, pahang, http.StatusOK)
	wantContains(t, pahang.Raw, "Negeri pahang", `href="/register"`, ">Daftar<", `href="/login"`,
		"ePayslip", "eEC", "eMaklum", `href="mailto:espeks@pahang.gov.my"`, `href="tel:095125000"`)
	wantNotContains(t, pahang.Raw, "/first-login")

	selangor := h.get(t, "selangor.example.test", "/")
	wantContains(t, selangor.Raw, `href="/first-login"`, "Login Kali Pertama", "@selangor.gov.my")
	wantNotContains(t, selangor.Raw, `href="/register"`)

	melaka := h.get(t, "melaka.example.test", "/?lang=en")
	wantContains(t, melaka.Raw, "User Administration Form", "head of department", "Information Technology Unit")
	wantNotContains(t, melaka.Raw, `href="/register"`, `href="/first-login"`)
}

func TestTenantDocument(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.tenant(t, "selangor", tenant.PayrollMatch, map[string]any{
		"helpdesk_email": "ispeks@selangor.gov.my", "helpdesk_phone": "03-5544 7000",
		"branding": `{"primary_colour":"#B01C2E","accent_colour":"red;}body{display:none"}`,
	})
	r := h.get(t, "selangor.example.test", "/api/v1/tenant")
	wantStatus(t, r, http.StatusOK)
	var info web.TenantInfo
	if err := json.Unmarshal([]byte(r.Raw), &info); err != nil {
		t.Fatal(err)
	}
	if info.Code != "selangor" || info.Name != "Negeri selangor" || info.RegistrationMode != "payroll_match" {
		t.Errorf("identity = %+v", info)
	}
	if strings.Join(info.Languages, ",") != "ms,en" {
		t.Errorf("languages = %v, want [ms en]", info.Languages)
	}
	if info.Helpdesk != (web.Helpdesk{Email: "ispeks@selangor.gov.my", Phone: "03-5544 7000"}) {
		t.Errorf("helpdesk = %+v", info.Helpdesk)
	}
	// A colour that could inject CSS is replaced by the default, here and in /theme.css.
	if info.Branding.PrimaryColour != "#b01c2e" || info.Branding.AccentColour != "#c8a415" {
		t.Errorf("branding = %+v", info.Branding)
	}
	theme := h.get(t, "selangor.example.test", "/theme.css")
	wantNotContains(t, theme.Raw, "display:none")

	platform := h.get(t, "platform.localhost", "/api/v1/tenant")
	wantStatus(t, platform, http.StatusNotFound)
	if code := platform.Code(); code != "not_found" {
		t.Errorf("platform host code = %q, want not_found", code)
	}
}

func TestPlatformLandingListsActiveStates(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.tenant(t, "selangor", tenant.PayrollMatch, nil)
	h.tenant(t, "pahang", tenant.SelfRegister, nil)
	h.tenant(t, "perlis", tenant.AdminOnly, nil)
	h.suspend(t, "perlis")

	r := h.get(t, "platform.localhost:18080", "/")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r.Raw, "Platform SPEKS Portal", "Jabatan Akauntan Negara Malaysia",
		`href="http://selangor.localhost:18080/?lang=ms"`, `href="http://pahang.localhost:18080/?lang=ms"`, "Negeri selangor")
	wantNotContains(t, r.Raw, "perlis")
}

// A state's error pages name its helpdesk, so someone stuck (or facing a suspended portal)
// knows whom to call; a state without one, and an unknown host, show no contact block.
func TestErrorPagesShowTheStatesHelpdesk(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.tenant(t, "pahang", tenant.SelfRegister, map[string]any{"helpdesk_email": "espeks@pahang.gov.my", "helpdesk_phone": "09-512 5000"})
	h.tenant(t, "terengganu", tenant.PayrollMatch, map[string]any{"helpdesk_email": "helpdesk@espeks.terengganu.gov.my"})
	h.tenant(t, "melaka", tenant.AdminOnly, nil)
	h.suspend(t, "terengganu")

	missing := h.get(t, "pahang.example.test", "/no-such-page")
	wantStatus(t, missing, http.StatusNotFound)
	wantContains(t, missing.Raw, "Meja bantuan", "hubungi meja bantuan negeri", `href="mailto:espeks@pahang.gov.my"`,
		`href="tel:095125000"`, "09-512 5000")

	suspended := h.get(t, "terengganu.example.test", "/")
	wantStatus(t, suspended, http.StatusServiceUnavailable)
	wantContains(t, suspended.Raw, `href="mailto:helpdesk@espeks.terengganu.gov.my"`)

	wantNotContains(t, h.get(t, "melaka.example.test", "/no-such-page").Raw, `id="helpdesk-contact"`)
	wantNotContains(t, h.get(t, "unknown.example.test", "/").Raw, `id="helpdesk-contact"`)
}
