package admin_test

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/speks-portal/speks/config"
	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/admin"
	"github.com/speks-portal/speks/modules/foundation/authz"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

var testArgon = account.Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

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

func (h *harness) db(t *testing.T, code string) *sqlx.DB {
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
	id := h.user(t, code, account.CategoryOfficer, loginID, "Pegawai Ujian "+loginID, loginID+"@example.test", "active", roles...)
	return id, h.session(t, code, id)
}

type response struct {
	Status int
	Body   map[string]any
	Raw    string
	Header http.Header
}

func (r response) code() string {
	e, _ := r.Body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func (h *harness) do(t *testing.T, code, method, path, cookie string, body any) response {
	t.Helper()
	return h.send(t, code, method, path, cookie, body, true)
}

// doNoCSRF sends the session cookie without the CSRF token.
func (h *harness) doNoCSRF(t *testing.T, code, method, path, cookie string, body any) response {
	t.Helper()
	return h.send(t, code, method, path, cookie, body, false)
}

func (h *harness) send(t *testing.T, code, method, path, cookie string, body any, csrf bool) response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		buf, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = strings.NewReader(string(buf))
	}
	req := httptest.NewRequest(method, "http://"+code+".example.test"+path, rd)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: "speks_session", Value: cookie})
		if csrf {
			req.Header.Set("X-CSRF-Token", "csrf")
		}
	}
	res, err := h.app.Test(req, 30_000)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := response{Status: res.StatusCode, Raw: string(raw), Header: res.Header}
	_ = json.Unmarshal(raw, &out.Body)
	return out
}

func expect(t *testing.T, r response, status int, code string) {
	t.Helper()
	if r.Status != status || (code != "" && r.code() != code) {
		t.Fatalf("got %d %s, want %d %s", r.Status, r.Raw, status, code)
	}
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
