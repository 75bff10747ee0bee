package platform_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/speks-portal/speks/modules/demo"
	"github.com/speks-portal/speks/tenant"
)

const officerIC = "880808-11-5566"

var codePattern = regexp.MustCompile(`[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}`)

func onboarding(code string) map[string]any {
	return map[string]any{
		"code": code, "name": "Negeri " + code, "hosts": []string{"espeks." + code + ".gov.my"},
		"registration_mode": "payroll_match", "email_domains": []string{code + ".gov.my"}, "retention_months": 36,
		"admin": map[string]any{"ic_no": officerIC, "name": "Wan Aziz bin Wan Ismail", "email": "it@" + code + ".gov.my"},
	}
}

// Onboarding "terengganu" through the API provisions it in one call (201 when ready), its
// first IT officer's one-time code arrives over SMTP and opens the officer's first login on
// the new host; the list shows its health; the audit holds the action and no IC number.
func TestOnboardTerengganuThenTheOfficersCodeArrives(t *testing.T) {
	h := newHarness(t)
	admin, _ := h.admin(t)

	started := time.Now()
	r := admin.Do("POST", "/api/v1/platform/tenants", onboarding("terengganu"))
	if r.Status != http.StatusCreated {
		t.Fatalf("onboard: %d %s", r.Status, r.Raw)
	}
	if took := time.Since(started); took > 30*time.Second {
		t.Errorf("onboarding took %s, want well under a minute", took)
	}
	if r.Body["status"] != "active" || r.Body["retention_months"] != float64(36) {
		t.Errorf("onboarded tenant: %s", r.Raw)
	}
	if health, _ := r.Body["health"].(map[string]any); health["users"] != float64(1) || health["storage_bytes"].(float64) <= 0 {
		t.Errorf("health of the new tenant: %v", r.Body["health"])
	}

	mails := sendMail(t, h.env, 1)
	if !strings.Contains(mails[0], "it@terengganu.gov.my") {
		t.Fatalf("the mail is not to the IT officer:\n%s", mails[0])
	}
	code := codePattern.FindString(mails[0])
	if code == "" {
		t.Fatalf("no one-time code in the mail:\n%s", mails[0])
	}
	officer := h.client(t, "terengganu.localhost")
	login := officer.Do("POST", "/api/v1/auth/login", map[string]string{"id": officerIC, "password": code})
	if login.Status != http.StatusOK || login.Body["next"] != "change_password" {
		t.Fatalf("officer's first login with the mailed code: %d %s", login.Status, login.Raw)
	}
	user, _ := login.Body["user"].(map[string]any)
	if roles, _ := user["roles"].([]any); len(roles) != 1 || roles[0] != "it_officer" {
		t.Errorf("officer roles: %v", user["roles"])
	}

	list := admin.Do("GET", "/api/v1/platform/tenants", nil)
	if list.Status != http.StatusOK || len(list.List) != 1 || list.List[0]["code"] != "terengganu" {
		t.Fatalf("list: %d %s", list.Status, list.Raw)
	}
	if dup := admin.Do("POST", "/api/v1/platform/tenants", onboarding("terengganu")); dup.Status != http.StatusConflict {
		t.Errorf("onboarding the same code again: %d %s", dup.Status, dup.Raw)
	}
	bad := onboarding("perlis")
	bad["admin"] = map[string]any{"ic_no": "12", "name": "", "email": "nope"}
	if r := admin.Do("POST", "/api/v1/platform/tenants", bad); r.Status != http.StatusUnprocessableEntity || r.Code() != "invalid_tenant" {
		t.Errorf("invalid officer: %d %s", r.Status, r.Raw)
	}
	if _, err := h.env.Registry.Get(context.Background(), "perlis"); err == nil {
		t.Error("a refused onboarding left a tenant behind")
	}
	expectAudit(t, h, "tenant.create", "terengganu")
	expectAudit(t, h, "tenant.onboard", "terengganu")
	expectNoICInAudit(t, h)
}

// Suspending makes the tenant's hosts answer 503 and resuming brings them back; the hosts
// can be replaced, and a host of another tenant is refused.
func TestSuspendResumeAndHosts(t *testing.T) {
	h := newHarness(t)
	admin, _ := h.admin(t)
	h.env.Tenant(t, "selangor", tenant.PayrollMatch)
	h.env.Tenant(t, "kedah", tenant.PayrollMatch)
	visitor := h.client(t, "selangor.example.test")

	if r := admin.Do("PATCH", "/api/v1/platform/tenants/selangor", map[string]any{"status": "suspended"}); r.Status != http.StatusOK || r.Body["status"] != "suspended" {
		t.Fatalf("suspend: %d %s", r.Status, r.Raw)
	}
	if r := visitor.Do("GET", "/api/v1/tenant", nil); r.Status != http.StatusServiceUnavailable {
		t.Errorf("suspended tenant's host: %d", r.Status)
	}
	if r := admin.Do("PATCH", "/api/v1/platform/tenants/selangor", map[string]any{"status": "active"}); r.Status != http.StatusOK {
		t.Fatalf("resume: %d %s", r.Status, r.Raw)
	}
	if r := visitor.Do("GET", "/api/v1/tenant", nil); r.Status != http.StatusOK {
		t.Errorf("resumed tenant's host: %d %s", r.Status, r.Raw)
	}
	if r := admin.Do("PATCH", "/api/v1/platform/tenants/selangor", map[string]any{"status": "gone"}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("unknown status: %d %s", r.Status, r.Raw)
	}

	hosts := map[string]any{"hosts": []string{"p.ispeks.selangor.gov.my", "Selangor.Example.Test"}}
	if r := admin.Do("PATCH", "/api/v1/platform/tenants/selangor", hosts); r.Status != http.StatusOK {
		t.Fatalf("hosts: %d %s", r.Status, r.Raw)
	}
	if r := h.client(t, "p.ispeks.selangor.gov.my").Do("GET", "/api/v1/tenant", nil); r.Status != http.StatusOK || r.Body["code"] != "selangor" {
		t.Errorf("new host: %d %s", r.Status, r.Raw)
	}
	taken := map[string]any{"hosts": []string{"kedah.example.test"}}
	if r := admin.Do("PATCH", "/api/v1/platform/tenants/selangor", taken); r.Status != http.StatusConflict || r.Code() != "host_taken" {
		t.Errorf("another tenant's host: %d %s", r.Status, r.Raw)
	}
	if r := admin.Do("GET", "/api/v1/platform/tenants/nowhere", nil); r.Status != http.StatusNotFound {
		t.Errorf("unknown tenant: %d", r.Status)
	}
	expectAudit(t, h, "tenant.suspended", "selangor")
	expectAudit(t, h, "tenant.active", "selangor")
	expectAudit(t, h, "tenant.hosts", "selangor")
}

// The export holds every table of the tenant with its rows, nothing of another tenant and no
// session tokens, and marks the tenant exported.
func TestExportHoldsTheTenantsRowsOnly(t *testing.T) {
	h := newHarness(t)
	admin, _ := h.admin(t)
	sel := h.env.Tenant(t, "selangor", tenant.PayrollMatch)
	ked := h.env.Tenant(t, "kedah", tenant.PayrollMatch)
	h.env.DB(t, sel).MustExec(`INSERT INTO departments (code, name) VALUES ('SEL01', 'Jabatan Kewangan Selangor')`)
	h.env.DB(t, ked).MustExec(`INSERT INTO departments (code, name) VALUES ('KED01', 'Jabatan Kewangan Kedah')`)

	r := admin.Do("POST", "/api/v1/platform/tenants/selangor/export", nil)
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("export: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	files := unzip(t, []byte(r.Raw))
	if !strings.Contains(files["departments.jsonl"], `"Jabatan Kewangan Selangor"`) {
		t.Errorf("departments.jsonl lacks the tenant's row: %q", files["departments.jsonl"])
	}
	for name, content := range files {
		if strings.Contains(content, "Kedah") || strings.Contains(content, "KED01") {
			t.Errorf("%s holds another tenant's data", name)
		}
	}
	for _, want := range []string{"users.jsonl", "employees.jsonl", "outbox.jsonl", "manifest.json"} {
		if _, ok := files[want]; !ok {
			t.Errorf("archive lacks %s (has %d files)", want, len(files))
		}
	}
	if _, ok := files["sessions.jsonl"]; ok {
		t.Error("the archive holds session tokens")
	}
	got, err := h.env.Registry.Get(context.Background(), "selangor")
	if err != nil || got.ExportedAt == nil {
		t.Fatalf("exported_at not set: %v %v", got, err)
	}
	expectAudit(t, h, "tenant.export", "selangor")
}

// Offboarding is refused unless the tenant is suspended and exported after the suspension;
// then the schema, the registry row, the hosts and the policies are gone, and it is audited.
func TestOffboardOnlySuspendedAndExported(t *testing.T) {
	h := newHarness(t)
	admin, _ := h.admin(t)
	h.env.Tenant(t, "selangor", tenant.PayrollMatch)
	refused := func(when string) {
		t.Helper()
		if r := admin.Do("DELETE", "/api/v1/platform/tenants/selangor", nil); r.Status != http.StatusConflict || r.Code() != "not_offboardable" {
			t.Fatalf("offboard %s: %d %s", when, r.Status, r.Raw)
		}
	}
	refused("while active")
	if r := admin.Do("POST", "/api/v1/platform/tenants/selangor/export", nil); r.Status != http.StatusOK {
		t.Fatalf("export: %d", r.Status)
	}
	refused("while active though exported")
	admin.Do("PATCH", "/api/v1/platform/tenants/selangor", map[string]any{"status": "suspended"})
	refused("when the export predates the suspension")
	if r := admin.Do("POST", "/api/v1/platform/tenants/selangor/export", nil); r.Status != http.StatusOK {
		t.Fatalf("export after suspension: %d", r.Status)
	}
	if r := admin.Do("DELETE", "/api/v1/platform/tenants/selangor", nil); r.Status != http.StatusNoContent {
		t.Fatalf("offboard: %d %s", r.Status, r.Raw)
	}
	db := h.env.Databases.Public()
	var schemas, rows, rules int
	db.Get(&schemas, `SELECT count(*) FROM pg_namespace WHERE nspname = 'tenant_selangor'`)
	db.Get(&rows, `SELECT (SELECT count(*) FROM tenants WHERE code = 'selangor') + (SELECT count(*) FROM tenant_hosts WHERE tenant_code = 'selangor')`)
	db.Get(&rules, `SELECT count(*) FROM casbin_rule WHERE v1 = 'selangor' OR v2 = 'selangor'`)
	if schemas != 0 || rows != 0 || rules != 0 {
		t.Errorf("after offboarding: %d schemas, %d registry rows, %d policies left", schemas, rows, rules)
	}
	if r := h.client(t, "selangor.example.test").Do("GET", "/api/v1/tenant", nil); r.Status != http.StatusNotFound {
		t.Errorf("the offboarded host answers %d", r.Status)
	}
	expectAudit(t, h, "tenant.offboard", "selangor")
}

// The platform API takes only a platform session: anonymous callers get 401, a tenant's
// session (its cookie sent to the platform host) is nobody there, a wrong or replayed TOTP
// is refused, and a state-changing request without the CSRF token is refused.
func TestOnlyAPlatformSessionReachesTheConsole(t *testing.T) {
	h := newHarness(t)
	sel := h.env.Tenant(t, "selangor", tenant.PayrollMatch)
	anon := h.client(t, h.env.PlatformHost)
	if r := anon.Do("GET", "/api/v1/platform/tenants", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("anonymous: %d", r.Status)
	}

	// An IT officer of selangor with a live session.
	db := h.env.DB(t, sel)
	var uid int64
	db.Get(&uid, `INSERT INTO users (category, login_id, name, email, status, roles)
		VALUES ('officer', '880808115566', 'Pegawai IT', '', 'active', '{it_officer}') RETURNING id`)
	token := "tenant-session-token-for-platform-test"
	sum := sha256.Sum256([]byte(token))
	db.MustExec(`INSERT INTO sessions (id_hash, user_id, csrf_token, purpose, created_at, last_seen_at)
		VALUES ($1, $2, 'csrf', '', now(), now())`, sum[:], uid)
	for _, name := range []string{"speks_session", "speks_platform"} {
		c := h.client(t, h.env.PlatformHost)
		c.CookieName, c.Cookie, c.CSRF = name, token, "csrf"
		if r := c.Do("GET", "/api/v1/platform/tenants", nil); r.Status != http.StatusUnauthorized {
			t.Errorf("tenant session as %s on the platform: %d %s", name, r.Status, r.Raw)
		}
		if r := c.Do("POST", "/api/v1/platform/tenants", onboarding("perlis")); r.Status != http.StatusUnauthorized {
			t.Errorf("tenant session as %s onboarding: %d", name, r.Status)
		}
	}

	admin, _ := h.admin(t)
	// The code just used cannot log in again (replay), nor can a wrong one.
	used := h.adminCode
	for _, code := range []string{used, "000000"} {
		r := h.client(t, h.env.PlatformHost).Do("POST", "/api/v1/platform/auth/login", map[string]string{"id": adminEmail, "password": adminPassword, "totp": code})
		if r.Status != http.StatusUnauthorized || r.Code() != "invalid_credentials" {
			t.Errorf("login with totp %q: %d %s", code, r.Status, r.Raw)
		}
	}
	if r := h.client(t, h.env.PlatformHost).Do("POST", "/api/v1/platform/auth/login", map[string]string{"id": "nobody@anm.gov.my", "password": adminPassword, "totp": used}); r.Status != http.StatusUnauthorized {
		t.Errorf("unknown admin: %d", r.Status)
	}
	noCSRF := *admin
	noCSRF.CSRF = ""
	if r := noCSRF.Do("PATCH", "/api/v1/platform/tenants/selangor", map[string]any{"status": "suspended"}); r.Status != http.StatusForbidden || r.Code() != "csrf_failed" {
		t.Errorf("without CSRF: %d %s", r.Status, r.Raw)
	}
	if r := admin.Do("GET", "/api/v1/platform/session", nil); r.Status != http.StatusOK {
		t.Errorf("session: %d", r.Status)
	}
	// The platform session means nothing on a tenant host, and the console is not there.
	onTenant := *admin
	onTenant.Host = "selangor.example.test"
	if r := onTenant.Do("GET", "/api/v1/platform/tenants", nil); r.Status != http.StatusUnauthorized && r.Status != http.StatusNotFound {
		t.Errorf("platform session on a tenant host: %d", r.Status)
	}
	if r := admin.Do("POST", "/api/v1/platform/auth/logout", nil); r.Status != http.StatusNoContent {
		t.Errorf("logout: %d", r.Status)
	}
	if r := admin.Do("GET", "/api/v1/platform/tenants", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("after logout: %d", r.Status)
	}
	expectAudit(t, h, "platform.login_failed", "")
}

// The demo platform admin is created once; a second run prints the same TOTP secret, which
// logs in.
func TestDemoPlatformAdmin(t *testing.T) {
	h := newHarness(t)
	var first, second demo.Output
	if err := demo.PlatformAdminStep(h.svc)(context.Background(), &first); err != nil {
		t.Fatal(err)
	}
	if err := demo.PlatformAdminStep(h.svc)(context.Background(), &second); err != nil {
		t.Fatal(err)
	}
	if first.PlatformAdmin == nil || first.PlatformAdmin.TOTPSecret == "" || *first.PlatformAdmin != *second.PlatformAdmin {
		t.Fatalf("demo admin: %+v then %+v", first.PlatformAdmin, second.PlatformAdmin)
	}
	code, _ := totp.GenerateCode(first.PlatformAdmin.TOTPSecret, time.Now())
	r := h.client(t, h.env.PlatformHost).Do("POST", "/api/v1/platform/auth/login",
		map[string]string{"id": demo.PlatformAdminEmail, "password": demo.PlatformAdminPassword, "totp": code})
	if r.Status != http.StatusOK {
		t.Fatalf("demo admin login: %d %s", r.Status, r.Raw)
	}
}

func unzip(t *testing.T, raw []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	out := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		out[f.Name] = string(b)
	}
	return out
}

func expectAudit(t *testing.T, h *harness, action, code string) {
	t.Helper()
	var n int
	if err := h.env.Databases.Public().Get(&n, `SELECT count(*) FROM platform_audit
		WHERE action = $1 AND coalesce(tenant_code, '') = $2`, action, code); err != nil || n == 0 {
		t.Errorf("no platform audit %s %s (%v)", action, code, err)
	}
}

func expectNoICInAudit(t *testing.T, h *harness) {
	t.Helper()
	var n int
	h.env.Databases.Public().Get(&n, `SELECT count(*) FROM platform_audit WHERE detail::text LIKE '%880808%'`)
	if n != 0 {
		t.Errorf("%d platform audit rows hold the IC number", n)
	}
}

// A state restricted to its official domains gets its first IT officer at one of them: the
// API refuses a gmail address with the field, a code and the domains, and provisions nothing.
// The helpdesk given at onboarding is the tenant's contact from the start.
func TestOnboardingAppliesTheStatesEmailDomainsAndKeepsTheHelpdesk(t *testing.T) {
	h := newHarness(t)
	admin, _ := h.admin(t)
	in := onboarding("terengganu")
	in["admin"] = map[string]any{"ic_no": officerIC, "name": "Wan Aziz bin Wan Ismail", "email": "wan.aziz@gmail.com"}
	r := admin.Do("POST", "/api/v1/platform/tenants", in)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Raw, `"field":"admin.email"`) ||
		!strings.Contains(r.Raw, `"code":"email_domain"`) || !strings.Contains(r.Raw, "terengganu.gov.my") {
		t.Fatalf("a gmail officer for a terengganu.gov.my state: %d %s", r.Status, r.Raw)
	}
	if _, err := h.env.Registry.Get(context.Background(), "terengganu"); err == nil {
		t.Fatal("a refused onboarding left a tenant behind")
	}
	// The domain is compared whole and without regard to case; a state without domains takes any.
	in["admin"] = map[string]any{"ic_no": officerIC, "name": "Wan Aziz bin Wan Ismail", "email": "IT@Terengganu.gov.my"}
	in["helpdesk_email"], in["helpdesk_phone"] = "helpdesk@espeks.terengganu.gov.my", "09-627 0000"
	if r := admin.Do("POST", "/api/v1/platform/tenants", in); r.Status != http.StatusCreated {
		t.Fatalf("onboarding with the official address: %d %s", r.Status, r.Raw)
	}
	got, err := h.env.Registry.Get(context.Background(), "terengganu")
	if err != nil || got.HelpdeskEmail != "helpdesk@espeks.terengganu.gov.my" || got.HelpdeskPhone != "09-627 0000" {
		t.Fatalf("helpdesk of the new state: %+v %v", got, err)
	}
	open := onboarding("perlis")
	open["email_domains"] = []string{}
	open["admin"] = map[string]any{"ic_no": "880808095566", "name": "Ahmad bin Ali", "email": "ahmad@gmail.com"}
	open["helpdesk_phone"] = "telefon"
	if r := admin.Do("POST", "/api/v1/platform/tenants", open); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Raw, `"field":"helpdesk_phone"`) || strings.Contains(r.Raw, "admin.email") {
		t.Fatalf("a state without domains and a bad helpdesk phone: %d %s", r.Status, r.Raw)
	}
}

// Onboarding is one undoable step: when the first IT officer cannot be created (here the new
// schema refuses the account), nothing of the tenant is left – no registry row, host, schema,
// policies or onboarding record – and the same code can be onboarded once the fault is gone.
func TestOnboardingWhoseOfficerFailsLeavesNothing(t *testing.T) {
	h := newHarness(t)
	admin, _ := h.admin(t)
	hooks := h.env.Provisioner.AfterMigrate
	h.env.Provisioner.AfterMigrate = append(slices.Clone(hooks), func(ctx context.Context, _ *tenant.Tenant, db *tenant.DB) error {
		_, err := db.ExecContext(ctx, `CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN RAISE EXCEPTION 'accounts refused for the test'; END $$;
			CREATE TRIGGER refuse BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION refuse()`)
		return err
	})
	r := admin.Do("POST", "/api/v1/platform/tenants", onboarding("terengganu"))
	if r.Status < 500 {
		t.Fatalf("onboarding with a failing officer: %d %s", r.Status, r.Raw)
	}
	if _, err := h.env.Registry.Get(context.Background(), "terengganu"); !errors.Is(err, tenant.ErrNotFound) {
		t.Errorf("the tenant row is left: %v", err)
	}
	pub := h.env.Databases.Public()
	var hosts, schemas, policies, onboarded int
	pub.Get(&hosts, `SELECT count(*) FROM tenant_hosts WHERE tenant_code = 'terengganu'`)
	pub.Get(&schemas, `SELECT count(*) FROM pg_namespace WHERE nspname = 'tenant_terengganu'`)
	pub.Get(&policies, `SELECT count(*) FROM casbin_rule WHERE v1 = 'terengganu' OR v2 = 'terengganu'`)
	pub.Get(&onboarded, `SELECT count(*) FROM platform_audit WHERE action = 'tenant.onboard'`)
	if hosts+schemas+policies+onboarded != 0 {
		t.Errorf("left behind: %d hosts, %d schemas, %d policies, %d onboarding records", hosts, schemas, policies, onboarded)
	}

	h.env.Provisioner.AfterMigrate = hooks
	if r := admin.Do("POST", "/api/v1/platform/tenants", onboarding("terengganu")); r.Status != http.StatusCreated {
		t.Fatalf("onboarding again once the fault is gone: %d %s", r.Status, r.Raw)
	}
}
