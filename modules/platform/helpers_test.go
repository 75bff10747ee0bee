package platform_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/speks-portal/speks/config"
	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/foundation/authz"
	"github.com/speks-portal/speks/modules/foundation/notify/notifytest"
	"github.com/speks-portal/speks/modules/foundation/web"
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
	app *webApp
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
	return &harness{env: env, svc: svc, app: &webApp{app: app}}
}

// webApp sends requests to the app in-process.
type webApp struct {
	app interface {
		Test(req *http.Request, msTimeout ...int) (*http.Response, error)
	}
}

// client is one browser-like caller: a host, a cookie and the CSRF token of its session.
type client struct {
	h      *harness
	host   string
	cookie *http.Cookie
	csrf   string
}

func (h *harness) client(host string) *client { return &client{h: h, host: host} }

type result struct {
	Status int
	Body   map[string]any
	List   []map[string]any
	Raw    []byte
	Header http.Header
}

func (c *client) do(t *testing.T, method, path string, body any) result {
	t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, rd)
	req.Host = c.host
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.cookie != nil {
		req.AddCookie(c.cookie)
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	res, err := c.h.app.app.Test(req, 60_000)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	for _, ck := range res.Cookies() {
		if ck.Name == "speks_platform" || ck.Name == "speks_session" {
			if ck.Value == "" {
				c.cookie = nil
			} else {
				c.cookie = &http.Cookie{Name: ck.Name, Value: ck.Value}
			}
		}
	}
	out := result{Status: res.StatusCode, Raw: raw, Header: res.Header}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("[")) {
			_ = json.Unmarshal(raw, &out.List)
		} else {
			_ = json.Unmarshal(raw, &out.Body)
		}
	}
	return out
}

func errorCode(r result) string {
	if e, ok := r.Body["error"].(map[string]any); ok {
		code, _ := e["code"].(string)
		return code
	}
	return ""
}

const (
	adminEmail    = "pentadbir@anm.gov.my"
	adminPassword = "Kunci-Rahsia-Konsol-2026"
)

// admin creates a platform administrator and returns a logged-in client with its secret.
func (h *harness) admin(t *testing.T) (*client, string) {
	t.Helper()
	created, err := h.svc.CreateAdmin(context.Background(), platform.NewAdmin{Email: adminEmail, Name: "Pentadbir Ujian", Password: adminPassword}, "test")
	if err != nil {
		t.Fatalf("create platform admin: %v", err)
	}
	c := h.client(h.env.PlatformHost)
	code, err := totp.GenerateCode(created.TOTPSecret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r := c.do(t, "POST", "/api/v1/platform/auth/login", map[string]string{"id": adminEmail, "password": adminPassword, "totp": code})
	if r.Status != http.StatusOK {
		t.Fatalf("platform login: %d %s", r.Status, r.Raw)
	}
	c.csrf, _ = r.Body["csrf_token"].(string)
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

// form posts an HTML form the way a browser does (the CSRF token as a field, no header).
func (c *client) form(t *testing.T, path string, values url.Values) result {
	t.Helper()
	req := httptest.NewRequest("POST", path, strings.NewReader(values.Encode()))
	req.Host = c.host
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if c.cookie != nil {
		req.AddCookie(c.cookie)
	}
	res, err := c.h.app.app.Test(req, 60_000)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	for _, ck := range res.Cookies() {
		if ck.Name == "speks_platform" && ck.Value != "" {
			c.cookie = &http.Cookie{Name: ck.Name, Value: ck.Value}
		}
	}
	return result{Status: res.StatusCode, Raw: raw, Header: res.Header}
}
