package admin_test

import (
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/lib/pq"

	"github.com/speks-portal/speks/config"
	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/account/credentials"
	"github.com/speks-portal/speks/modules/account/identity"
	"github.com/speks-portal/speks/modules/admin"
	"github.com/speks-portal/speks/modules/foundation/authz"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/modules/foundation/web/apitest"
	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

var testArgon = credentials.Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// harness is the app as `speks serve` orders it (account, authz, admin) over a fresh
// database with two tenants whose default policies are seeded as in production.
type harness struct {
	env     *tenanttest.Env
	app     *fiber.App
	svc     *account.Service
	tenants map[string]*tenant.Tenant
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	env := tenanttest.New(t, 4)
	env.Provisioner.AfterMigrate = append(env.Provisioner.AfterMigrate, authz.SeedTenant)
	h := &harness{env: env, tenants: map[string]*tenant.Tenant{}}
	for code, mode := range map[string]tenant.RegistrationMode{"selangor": tenant.SelfRegister, "kedah": tenant.PayrollMatch} {
		h.tenants[code] = env.Tenant(t, code, mode)
	}
	env.Resolver.Invalidate()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h.svc = account.NewService("test-session-secret-0123456789abcdef", "test-decoy-secret-0123456789abcdef", log)
	h.svc.Argon = testArgon
	cfg, err := config.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Mode = config.ModeDev
	cfg.Platform.Host = env.PlatformHost
	cfg.Metrics.Listen = ""
	h.app, err = web.New(web.Options{Config: cfg, Scoper: env.Scoper, Tenants: env.Registry, Logger: log,
		Modules: []web.Module{account.NewModule(h.svc), authz.NewModule(authz.Options{DB: env.Databases.Public(), Logger: log}),
			admin.NewModule(h.svc, env.Registry)}})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) db(t *testing.T, code string) *tenant.DB {
	t.Helper()
	return h.env.DB(t, h.tenants[code])
}

// user inserts an account directly (logging in is the account module's business, tested
// there) and returns its ID.
func (h *harness) user(t *testing.T, code, category, loginID, name, email, status string, roles ...string) int64 {
	t.Helper()
	if roles == nil {
		roles = []string{}
	}
	var id int64
	if err := h.db(t, code).Get(&id, `INSERT INTO users (category, login_id, name, email, status, roles)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, category, loginID, name, email, status, pq.StringArray(roles)); err != nil {
		t.Fatalf("add user: %v", err)
	}
	return id
}

// session opens a full session for userID and returns its cookie value (CSRF token "csrf").
func (h *harness) session(t *testing.T, code string, userID int64) string {
	t.Helper()
	token := fmt.Sprintf("test-session-%s-%d", code, userID)
	sum := sha256.Sum256([]byte(token))
	if _, err := h.db(t, code).Exec(`INSERT INTO sessions (id_hash, user_id, csrf_token, purpose, created_at, last_seen_at)
		VALUES ($1, $2, 'csrf', '', now(), now())`, sum[:], userID); err != nil {
		t.Fatalf("add session: %v", err)
	}
	return token
}

// officer makes an account with roles and a session; it returns the ID and cookie.
func (h *harness) officer(t *testing.T, code, loginID string, roles ...string) (int64, string) {
	t.Helper()
	id := h.user(t, code, identity.CategoryOfficer, loginID, "Pegawai Ujian "+loginID, loginID+"@example.test", "active", roles...)
	return id, h.session(t, code, id)
}

// client is a caller on tenant code with the session cookie ("" = anonymous) and that
// session's CSRF token, "csrf".
func (h *harness) client(t *testing.T, code, cookie string) *apitest.Client {
	c := apitest.New(t, h.app, code+".example.test")
	c.Cookie = cookie
	if cookie != "" {
		c.CSRF = "csrf"
	}
	return c
}

// do sends a JSON request to tenant code as the session of cookie.
func (h *harness) do(t *testing.T, code, method, path, cookie string, body any, opts ...apitest.Option) apitest.Response {
	t.Helper()
	c := h.client(t, code, cookie)
	c.Header.Set("Accept", "application/json")
	c.Header.Set("Content-Type", "application/json")
	return c.Do(method, path, body, opts...)
}

// auditText is the whole audit trail of a tenant as text, for checks on what it must not hold.
func (h *harness) auditText(t *testing.T, code string) string {
	t.Helper()
	var rows []string
	if err := h.db(t, code).Select(&rows, `SELECT concat_ws('|', actor, action, subject, detail::text) FROM audit_log`); err != nil {
		t.Fatal(err)
	}
	return strings.Join(rows, "\n")
}

func (h *harness) auditCount(t *testing.T, code, action string, userID int64) int {
	t.Helper()
	var n int
	if err := h.db(t, code).Get(&n, `SELECT count(*) FROM audit_log WHERE action = $1 AND user_id = $2`, action, userID); err != nil {
		t.Fatal(err)
	}
	return n
}
