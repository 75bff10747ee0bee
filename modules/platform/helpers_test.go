package platform_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/pquerna/otp/totp"

	"github.com/speks-portal/speks/config"
	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/foundation/authz"
	"github.com/speks-portal/speks/modules/foundation/notify/notifytest"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/modules/foundation/web/apitest"
	"github.com/speks-portal/speks/modules/platform"
	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// harness is the app as `speks serve` mounts it (account, platform sessions, authz, console)
// over a fresh database.
type harness struct {
	env *tenanttest.Env
	svc *platform.Service
	app *fiber.App
	// adminCode is the TOTP code admin logged in with: a test of replay must send that code,
	// not one generated again, which is another code once the 30-second step has turned.
	adminCode string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	env := tenanttest.New(t, 4)
	env.Provisioner.AfterMigrate = append(env.Provisioner.AfterMigrate, account.SeedSecurityQuestions, authz.SeedTenant)
	env.Provisioner.OnRemove = append(env.Provisioner.OnRemove, authz.DropDomainIn)
	cfg, err := config.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Database.URL = env.URL
	accounts := account.NewService("platform-test-session-secret-0123456789", "platform-test-decoy", quiet)
	svc := &platform.Service{DBs: env.Databases, Registry: env.Registry, Resolver: env.Resolver,
		Provisioner: env.Provisioner, Accounts: accounts, PlatformHost: env.PlatformHost, Log: quiet,
		LoginURL: func(tn *tenant.Tenant) string { return "http://" + tn.Code + ".localhost:8080/login" }}
	az := authz.NewModule(authz.Options{DB: env.Databases.Public(), DSN: env.URL, Logger: quiet})
	t.Cleanup(az.Close)
	app, err := web.New(web.Options{Config: cfg, Scoper: env.Scoper, Tenants: env.Registry, Logger: quiet,
		Modules: []web.Module{account.NewModule(accounts), platform.NewSessions(svc), az, platform.NewModule(svc)}})
	if err != nil {
		t.Fatal(err)
	}
	return &harness{env: env, svc: svc, app: app}
}

// client is a browser-like caller on host: it keeps the platform or the tenant session cookie,
// whichever the app sets.
func (h *harness) client(t *testing.T, host string) *apitest.Client { return newClient(t, h.app, host) }

func newClient(t *testing.T, app apitest.Target, host string) *apitest.Client {
	c := apitest.New(t, app, host)
	c.CookieNames = []string{"speks_platform", apitest.SessionCookie}
	return c
}

const (
	adminEmail    = "pentadbir@anm.gov.my"
	adminPassword = "Kunci-Rahsia-Konsol-2026"
)

// admin creates a platform administrator and returns a logged-in client with its secret.
func (h *harness) admin(t *testing.T) (*apitest.Client, string) {
	t.Helper()
	created, err := h.svc.CreateAdmin(context.Background(), platform.NewAdmin{Email: adminEmail, Name: "Pentadbir Ujian", Password: adminPassword}, "test")
	if err != nil {
		t.Fatalf("create platform admin: %v", err)
	}
	c := h.client(t, h.env.PlatformHost)
	code, err := totp.GenerateCode(created.TOTPSecret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r := c.Post("/api/v1/platform/auth/login", map[string]string{"id": adminEmail, "password": adminPassword, "totp": code})
	if r.Status != http.StatusOK {
		t.Fatalf("platform login: %d %s", r.Status, r.Raw)
	}
	c.CSRF = r.String("csrf_token")
	h.adminCode = code
	return c, created.TOTPSecret
}

// sendMail takes the outbox the real way — relay → Asynq (Redis) → worker → SMTP — and
// waits for n mails at the sink; it returns them decoded.
func sendMail(t *testing.T, env *tenanttest.Env, n int) []string {
	t.Helper()
	p := notifytest.StartPipeline(t, env)
	p.Next(t, n)
	var out []string
	for _, m := range p.Sink.Messages() {
		out = append(out, notifytest.DecodeQP(m))
	}
	return out
}
