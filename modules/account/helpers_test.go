package account_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/lib/pq"

	"github.com/speks-portal/speks/config"
	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/account/credentials"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/modules/foundation/web/apitest"
	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// testArgon keeps tests fast; the timing test uses the production parameters.
var testArgon = credentials.Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// clock is the injectable time of the service.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// harness is the web app with the account module over a fresh database.
type harness struct {
	env     *tenanttest.Env
	app     *fiber.App
	svc     *account.Service
	module  *account.Module
	clock   *clock
	tenants map[string]*tenant.Tenant
}

// newHarness builds it; each option may change the configuration (trusted proxies, …).
func newHarness(t testing.TB, options ...func(*config.Config)) *harness {
	t.Helper()
	env := tenanttest.New(t, 4)
	env.Provisioner.AfterMigrate = append(env.Provisioner.AfterMigrate, account.SeedSecurityQuestions)
	h := &harness{env: env, clock: &clock{now: time.Now()}, tenants: map[string]*tenant.Tenant{}}
	for _, spec := range []tenant.Spec{
		{Code: "selangor", Name: "Selangor", Hosts: []string{"selangor.example.test"}, RegistrationMode: tenant.PayrollMatch,
			EmailDomains: []string{"selangor.gov.my"}},
		{Code: "pahang", Name: "Pahang", Hosts: []string{"pahang.example.test"}, RegistrationMode: tenant.SelfRegister},
	} {
		tn, err := env.Provisioner.Create(context.Background(), spec, "test")
		if err != nil {
			t.Fatalf("provision %s: %v", spec.Code, err)
		}
		h.tenants[tn.Code] = tn
	}
	env.Resolver.Invalidate()
	h.svc = account.NewService("test-session-secret-0123456789abcdef", "test-decoy-secret-0123456789abcdef", slog.New(slog.NewTextHandler(io.Discard, nil)))
	h.svc.Argon = testArgon
	h.svc.Now = h.clock.Now
	cfg, err := config.Load(nil)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	cfg.Mode = config.ModeDev
	cfg.Platform.Host = env.PlatformHost
	cfg.HTTP.TrustedProxies = nil
	cfg.Metrics.Listen = ""
	for _, o := range options {
		o(cfg)
	}
	h.module = account.NewModule(h.svc)
	h.module.AnswerFloor = time.Millisecond // the timing test sets the real floor
	h.app, err = web.New(web.Options{Config: cfg, Scoper: env.Scoper, Tenants: env.Registry,
		Modules: []web.Module{h.module},
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	return h
}

func (h *harness) db(t testing.TB, code string) *tenant.DB {
	t.Helper()
	return h.env.DB(t, h.tenants[code])
}

// addUser creates an active account with password and phrase; it returns the user's ID.
func (h *harness) addUser(t *testing.T, code, category, loginID, name, email, password, phrase string, roles ...string) int64 {
	t.Helper()
	hash, err := credentials.HashPassword(password, testArgon)
	if err != nil {
		t.Fatal(err)
	}
	if roles == nil {
		roles = []string{}
	}
	var id int64
	if err := h.db(t, code).Get(&id, `INSERT INTO users (category, login_id, name, email, status, password_hash, secret_phrase, roles)
		VALUES ($1, $2, $3, $4, 'active', $5, $6, $7) RETURNING id`, category, loginID, name, email, hash, phrase, pq.StringArray(roles)); err != nil {
		t.Fatalf("add user: %v", err)
	}
	return id
}

// addEmployee puts a person in the payroll master (with its department and PTJ).
func (h *harness) addEmployee(t *testing.T, code, ic, name, email string) {
	t.Helper()
	db := h.db(t, code)
	db.MustExec(`INSERT INTO departments (code, name) VALUES ('D01', 'Jabatan Kewangan') ON CONFLICT DO NOTHING`)
	db.MustExec(`INSERT INTO ptjs (code, department_code, name) VALUES ('P0101', 'D01', 'Bahagian Gaji') ON CONFLICT DO NOTHING`)
	db.MustExec(`INSERT INTO employees (ic_no, salary_no, name, email, department_code, ptj_code) VALUES ($1, 'S1', $2, $3, 'D01', 'P0101')`, ic, name, email)
}

// client is a browser-like caller on one tenant host; it keeps the session cookie and, once
// logged in, the CSRF token.
type client struct{ *apitest.Client }

func (h *harness) client(t testing.TB, code string) client {
	c := apitest.New(t, h.app, code+".example.test")
	c.Header.Set("Content-Type", "application/json")
	c.Header.Set("X-Forwarded-For", "192.0.2.10") // ignored: no trusted proxies; kept to show it
	return client{c}
}

// login logs in and keeps the CSRF token.
func (c client) login(id, password string) apitest.Response {
	c.T.Helper()
	r := c.Post("/api/v1/auth/login", map[string]string{"id": id, "password": password})
	if r.Status == http.StatusOK {
		c.CSRF = r.String("csrf_token")
	}
	return r
}

// lastCode reads the one-time code of the newest mail to addr from the outbox (the code is in
// the row until the mail is sent).
func (h *harness) lastCode(t *testing.T, code, addr string) string {
	t.Helper()
	var c string
	if err := h.db(t, code).Get(&c, `SELECT data->>'code' FROM outbox WHERE recipient = $1 AND template = 'one_time_code'
		ORDER BY id DESC LIMIT 1`, addr); err != nil {
		t.Fatalf("no code mailed to %s: %v", addr, err)
	}
	return c
}

func (h *harness) mailCount(t *testing.T, code, addr string) int {
	t.Helper()
	var n int
	if err := h.db(t, code).Get(&n, `SELECT count(*) FROM outbox WHERE recipient = $1`, addr); err != nil {
		t.Fatal(err)
	}
	return n
}
