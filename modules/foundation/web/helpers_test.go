package web_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/config"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/modules/foundation/web/apitest"
	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// harness is one app over a fresh database, with its log captured.
type harness struct {
	env *tenanttest.Env
	app *fiber.App
	cfg *config.Config
	log *apitest.Buffer
}

type harnessOption func(*config.Config, *web.Options)

// newHarness builds the shell over a fresh platform database; tenants are added with
// h.tenant before or after, the resolver picks them up.
func newHarness(t *testing.T, options ...harnessOption) *harness {
	t.Helper()
	return newHarnessOn(t, tenanttest.New(t, 2), options...)
}

// newHarnessOn builds the shell over env (e.g. one with a small connection budget).
func newHarnessOn(t *testing.T, env *tenanttest.Env, options ...harnessOption) *harness {
	t.Helper()
	cfg, err := config.Load(nil)
	if err != nil {
		t.Fatalf("load default config: %v", err)
	}
	cfg.Mode = config.ModeDev
	cfg.Platform.Host = env.PlatformHost
	cfg.HTTP.Listen = "127.0.0.1:18080"
	cfg.HTTP.TrustedProxies = nil
	cfg.Metrics.Listen = ""
	logs := &apitest.Buffer{}
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

// get sends a GET to host through app.Test; header is name/value pairs.
func (h *harness) get(t *testing.T, host, target string, header ...string) apitest.Response {
	t.Helper()
	var opts []apitest.Option
	for i := 0; i+1 < len(header); i += 2 {
		opts = append(opts, apitest.WithHeader(header[i], header[i+1]))
	}
	return apitest.New(t, h.app, host).Get(target, opts...)
}

func wantStatus(t *testing.T, r apitest.Response, want int) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status = %d, want %d; body: %s", r.Status, want, r.Raw)
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
