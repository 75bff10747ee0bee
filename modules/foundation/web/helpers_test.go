package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/config"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// lockedBuffer is a log sink that the server's goroutines and the test can share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// harness is one app over a fresh database, with its log captured.
type harness struct {
	env *tenanttest.Env
	app *fiber.App
	cfg *config.Config
	log *lockedBuffer
}

type harnessOption func(*config.Config, *web.Options)

// newHarness builds the shell over a fresh platform database; tenants are added with
// h.tenant before or after, the resolver picks them up.
func newHarness(t *testing.T, options ...harnessOption) *harness {
	t.Helper()
	env := tenanttest.New(t, 2)
	cfg, err := config.Load(nil)
	if err != nil {
		t.Fatalf("load default config: %v", err)
	}
	cfg.Mode = config.ModeDev
	cfg.Platform.Host = env.PlatformHost
	cfg.HTTP.Listen = "127.0.0.1:18080"
	cfg.HTTP.TrustedProxies = nil
	cfg.Metrics.Listen = ""
	logs := &lockedBuffer{}
	opts := web.Options{
		Config:  cfg,
		Scoper:  env.Scoper,
		Tenants: env.Registry,
		Logger:  slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, o := range options {
		o(cfg, &opts)
	}
	app, err := web.New(opts)
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	return &harness{env: env, app: app, cfg: cfg, log: logs}
}

// tenant provisions code with mode and applies column=value updates to its row.
func (h *harness) tenant(t *testing.T, code string, mode tenant.RegistrationMode, set map[string]any) *tenant.Tenant {
	t.Helper()
	tn := h.env.Tenant(t, code, mode)
	for column, value := range set {
		if _, err := h.env.Databases.Public().Exec(`UPDATE tenants SET `+column+` = $2 WHERE code = $1`, code, value); err != nil {
			t.Fatalf("set %s of %s: %v", column, code, err)
		}
	}
	h.env.Resolver.Invalidate()
	return tn
}

func (h *harness) suspend(t *testing.T, code string) {
	t.Helper()
	if err := h.env.Registry.SetStatus(context.Background(), code, tenant.StatusSuspended, "test"); err != nil {
		t.Fatalf("suspend %s: %v", code, err)
	}
	h.env.Resolver.Invalidate()
}

// response is what a test reads back.
type response struct {
	*http.Response
	body string
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(r.body), &v); err != nil {
		t.Fatalf("body is not JSON (%v): %s", err, r.body)
	}
	return v
}

// errorCode is error.code of a JSON error body.
func (r response) errorCode(t *testing.T) string {
	t.Helper()
	e, _ := r.json(t)["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

// do sends one request through app.Test; header is name/value pairs.
func (h *harness) do(t *testing.T, method, host, target string, header ...string) response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	req.Host = host
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := h.app.Test(req, 10_000)
	if err != nil {
		t.Fatalf("%s %s%s: %v", method, host, target, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return response{Response: res, body: string(body)}
}

func (h *harness) get(t *testing.T, host, target string, header ...string) response {
	t.Helper()
	return h.do(t, http.MethodGet, host, target, header...)
}

func wantStatus(t *testing.T, r response, want int) {
	t.Helper()
	if r.StatusCode != want {
		t.Fatalf("status = %d, want %d; body: %s", r.StatusCode, want, r.body)
	}
}

func wantContains(t *testing.T, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("missing %q in:\n%s", w, text)
		}
	}
}

func wantNotContains(t *testing.T, text string, unwanted ...string) {
	t.Helper()
	for _, u := range unwanted {
		if strings.Contains(strings.ToLower(text), strings.ToLower(u)) {
			t.Errorf("unexpected %q in:\n%s", u, text)
		}
	}
}
