package web_test

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/config"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/tenant"
)

// plainCookieModule sets a cookie the way a careless future change would: no Secure.
type plainCookieModule struct{}

func (plainCookieModule) Mount(app *fiber.App) {
	app.Get("/plain-cookie", func(c *fiber.Ctx) error {
		c.Cookie(&fiber.Cookie{Name: "careless", Value: "v", Path: "/"})
		return c.SendString("ok")
	})
}

func production(cfg *config.Config, o *web.Options) {
	cfg.Mode = config.ModeProduction
	cfg.Metrics.Listen = "" // web.New must not fall back to the public listener in production
	o.Modules = append(o.Modules, plainCookieModule{})
}

// In production the shell answers as if every request came over TLS, which the ingress
// ended: HSTS on every answer (even one Fiber makes before any middleware ran), every cookie
// Secure, the language cookie __Host-, and no /metrics on any host.
func TestProductionShellAssumesTLS(t *testing.T) {
	t.Parallel()
	h := newHarness(t, production)
	h.tenant(t, "melaka", tenant.AdminOnly, nil)
	const hsts = "max-age=31536000; includeSubDomains"

	for _, target := range []string{"/", "/no-such-page", "/api/v1/no-such-thing", "/metrics", "/healthz"} {
		r := h.get(t, "melaka.example.test", target)
		if got := r.Header.Get("Strict-Transport-Security"); got != hsts {
			t.Errorf("%s (%d): HSTS %q, want %q", target, r.Status, got, hsts)
		}
		if target == "/metrics" && r.Status != http.StatusNotFound {
			t.Errorf("/metrics on a tenant host in production: %d, want 404", r.Status)
		}
	}
	if r := h.get(t, h.env.PlatformHost, "/metrics"); r.Status != http.StatusNotFound {
		t.Errorf("/metrics on the platform host in production: %d, want 404", r.Status)
	}

	lang := h.get(t, "melaka.example.test", "/?lang=en")
	if got := lang.Header.Get("Set-Cookie"); !strings.HasPrefix(got, "__Host-lang=en;") || !strings.Contains(got, "; secure") {
		t.Errorf("language cookie %q, want __Host-lang, Secure", got)
	}
	if r := h.get(t, "melaka.example.test", "/", "Cookie", "__Host-lang=en"); r.Header.Get("Content-Language") != "en" {
		t.Errorf("__Host-lang=en not read back: %q", r.Header.Get("Content-Language"))
	}
	careless := h.get(t, "melaka.example.test", "/plain-cookie")
	if got := careless.Header.Get("Set-Cookie"); !strings.HasPrefix(got, "careless=v;") || !strings.Contains(got, "; secure") {
		t.Errorf("a cookie set without Secure went out as %q", got)
	}

	// A request Fiber refuses before any handler (a malformed Content-Length) is answered by
	// the error edge alone, and still with HSTS.
	base := serveOnLoopback(t, h.app)
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write([]byte("POST / HTTP/1.1\r\nHost: melaka.example.test\r\nContent-Length: nope\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read the answer to a malformed request: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest || res.Header.Get("Strict-Transport-Security") != hsts {
		t.Errorf("malformed request: %d, HSTS %q", res.StatusCode, res.Header.Get("Strict-Transport-Security"))
	}
}

// Dev keeps plain http working on *.localhost: no Secure, no __Host-, no HSTS, and /metrics
// on the public listener when metrics.listen is empty.
func TestDevShellKeepsPlainHTTP(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(_ *config.Config, o *web.Options) { o.Modules = append(o.Modules, plainCookieModule{}) })
	h.tenant(t, "melaka", tenant.AdminOnly, nil)
	lang := h.get(t, "melaka.example.test", "/?lang=en")
	if got := lang.Header.Get("Set-Cookie"); !strings.HasPrefix(got, "lang=en;") || strings.Contains(got, "secure") {
		t.Errorf("dev language cookie %q, want lang without Secure", got)
	}
	if got := lang.Header.Get("Strict-Transport-Security"); got != "" {
		t.Errorf("dev over http sends HSTS %q", got)
	}
	if got := h.get(t, "melaka.example.test", "/plain-cookie").Header.Get("Set-Cookie"); strings.Contains(got, "secure") {
		t.Errorf("dev made %q Secure", got)
	}
	wantStatus(t, h.get(t, "melaka.example.test", "/metrics"), http.StatusOK)
}
