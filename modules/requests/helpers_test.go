package requests_test

import (
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/lib/pq"
	"github.com/pquerna/otp/totp"

	"github.com/speks-portal/speks/config"
	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/account/credentials"
	"github.com/speks-portal/speks/modules/foundation/authz"
	"github.com/speks-portal/speks/modules/foundation/notify/notifytest"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/modules/foundation/web/apitest"
	"github.com/speks-portal/speks/modules/requests"
	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// harness is the app as `speks serve` orders it (account, authz, requests) over a fresh
// database with two tenants whose default policies are seeded.
type harness struct {
	env     *tenanttest.Env
	app     *fiber.App
	tenants map[string]*tenant.Tenant
	mail    *notifytest.Pipeline
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	env := tenanttest.New(t, 4)
	env.Provisioner.AfterMigrate = append(env.Provisioner.AfterMigrate, account.SeedSecurityQuestions, authz.SeedTenant)
	h := &harness{env: env, tenants: map[string]*tenant.Tenant{}}
	h.tenants["melaka"] = env.Tenant(t, "melaka", tenant.AdminOnly)
	h.tenants["selangor"] = env.Tenant(t, "selangor", tenant.PayrollMatch)
	svc := account.NewService("test-session-secret-0123456789abcdef", "test-decoy-secret-0123456789abcdef", quiet)
	svc.Argon = credentials.Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	cfg, err := config.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Mode = config.ModeDev
	cfg.Platform.Host = env.PlatformHost
	cfg.HTTP.TrustedProxies = nil
	cfg.Metrics.Listen = ""
	authzModule := authz.NewModule(authz.Options{DB: env.Databases.Public(), Logger: quiet})
	t.Cleanup(authzModule.Close)
	reqs := requests.NewModule(&requests.Service{Accounts: svc.Registration,
		LoginURL: func(tn *tenant.Tenant) string { return "http://" + tn.Code + ".example.test/login" },
		BaseURL:  func(tn *tenant.Tenant) string { return "http://" + tn.Code + ".example.test" }})
	h.app, err = web.New(web.Options{Config: cfg, Scoper: env.Scoper, Tenants: env.Registry, Logger: quiet,
		Modules: []web.Module{account.NewModule(svc), authzModule, reqs}})
	if err != nil {
		t.Fatal(err)
	}
	h.mail = notifytest.StartPipeline(t, env)
	return h
}

func (h *harness) db(t *testing.T, code string) *tenant.DB {
	t.Helper()
	return h.env.DB(t, h.tenants[code])
}

// org puts Melaka's organisation in a tenant: two departments, three PTJs.
func (h *harness) org(t *testing.T, code string) {
	db := h.db(t, code)
	db.MustExec(`INSERT INTO departments (code, name) VALUES ('D01', 'Jabatan Ketua Menteri'), ('D02', 'Perbendaharaan Negeri')`)
	db.MustExec(`INSERT INTO ptjs (code, department_code, name) VALUES ('P0101', 'D01', 'Bahagian Khidmat Pengurusan'),
		('P0102', 'D01', 'Unit Perancang Ekonomi'), ('P0201', 'D02', 'Bahagian Gaji')`)
}

// person is someone of the payroll master, with an account when password is set.
type person struct {
	IC, Name, Email, Dept, PTJ, Password string
	Roles                                []string
}

const officerPass = "Kelip-kelip Sungai Melaka 2026!"

func (h *harness) addPerson(t *testing.T, code string, p person) int64 {
	t.Helper()
	db := h.db(t, code)
	db.MustExec(`INSERT INTO employees (ic_no, salary_no, name, email, department_code, ptj_code)
		VALUES ($1, 'G' || right($1, 5), $2, $3, $4, $5)`, p.IC, p.Name, p.Email, p.Dept, p.PTJ)
	if p.Password == "" {
		return 0
	}
	hash, err := credentials.HashPassword(p.Password, credentials.Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})
	if err != nil {
		t.Fatal(err)
	}
	roles := p.Roles
	if roles == nil {
		roles = []string{}
	}
	var id int64
	if err := db.Get(&id, `INSERT INTO users (category, login_id, name, email, status, password_hash, secret_phrase, roles,
		employee_ic, department_code, ptj_code, activated_at) VALUES ('staff', $1, $2, $3, 'active', $4, 'pintu gerbang santiago', $5, $1, $6, $7, now())
		RETURNING id`, p.IC, p.Name, p.Email, hash, pq.StringArray(roles), p.Dept, p.PTJ); err != nil {
		t.Fatalf("add account: %v", err)
	}
	return id
}

// client is a caller on one tenant host; it keeps the session cookie and CSRF token.
type client struct{ *apitest.Client }

func (h *harness) client(t *testing.T, code string) *client {
	c := apitest.New(t, h.app, code+".example.test")
	c.Header.Set("Content-Type", "application/json")
	return &client{c}
}

// loginOfficer logs an officer in the way the account module requires of any role: password,
// then TOTP enrolment confirmed with a code from the new secret.
func (c *client) loginOfficer(id string) {
	c.T.Helper()
	r := c.Post("/api/v1/auth/login", map[string]string{"id": id, "password": officerPass})
	if r.Status != http.StatusOK || r.Body["next"] != "enrol_totp" {
		c.T.Fatalf("officer login = %d %s, want next enrol_totp", r.Status, r.Raw)
	}
	c.CSRF = r.String("csrf_token")
	e := c.Post("/api/v1/account/totp/enrol", nil)
	secret, _ := e.Body["secret"].(string)
	if e.Status != http.StatusOK || secret == "" {
		c.T.Fatalf("enrol TOTP = %s", e.Raw)
	}
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		c.T.Fatal(err)
	}
	apitest.Expect(c.T, c.Post("/api/v1/account/totp/confirm", map[string]string{"code": code}), http.StatusNoContent, "")
}

// codeMailTo waits for the one-time code mail (in Malay, the tenants' default) to addr over
// SMTP; it returns it decoded.
func codeMailTo(t *testing.T, p *notifytest.Pipeline, addr string) string {
	t.Helper()
	return p.WaitFor(t, addr, "Kod sekali guna anda")
}

var codePattern = notifytest.CodePattern
