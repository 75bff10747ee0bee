package replicas_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/speks-portal/speks/modules/foundation/web/apitest"
	"github.com/speks-portal/speks/tenant"
)

const (
	platformHost      = "platform.localhost"
	onboardAdminEmail = "pentadbir@anm.gov.my"
	onboardAdminPass  = "Janm-Rahsia-Kukuh-8842!"
	onboardOfficerIC  = "880808-11-5566"
	onboardOfficerPwd = "Kunci-Pantai-Batu-5731!"
)

var totpSecretLine = regexp.MustCompile(`TOTP secret[^:]*: ([A-Z2-7]+)`)

// What must hold: a state onboarded through the platform API on one `speks serve`
// process is served, with its policies, by another process that was already running and is
// not restarted: its host answers, anonymous routes are open and protected ones refused, and
// the first IT officer reaches the admin console there.
func TestOnboardingOnOneReplicaIsSeenOnAnother(t *testing.T) {
	p := newPlatform(t)
	one, two := p.serve(t, "serve-1"), p.serve(t, "serve-2")
	const host = "terengganu.localhost"

	// Replica 2 has already answered for the host: its snapshot must refresh, not be built late.
	if r := two.call(t, "GET", host, "/api/v1/tenant", nil, nil, ""); r.Status != http.StatusNotFound {
		t.Fatalf("%s before onboarding: %d %s, want 404", two.name, r.Status, r.Raw)
	}

	admin := platformLogin(t, p, one)
	created := one.call(t, "POST", platformHost, "/api/v1/platform/tenants", map[string]any{
		"code": "terengganu", "name": "Terengganu", "hosts": []string{"espeks.terengganu.example.test"},
		"registration_mode": "payroll_match", "email_domains": []string{"terengganu.gov.my"}, "retention_months": 36,
		"admin": map[string]any{"ic_no": onboardOfficerIC, "name": "Wan Aziz bin Wan Ismail", "email": "it@terengganu.gov.my"},
	}, admin.Cookies, csrfOf(t, admin))
	if created.Status != http.StatusCreated {
		t.Fatalf("onboard terengganu on %s: %d %s, want 201", one.name, created.Status, created.Raw)
	}

	waited := apitest.WaitWithin(t, propagation, two.name+" serves terengganu", func() bool {
		return tenantInfo(t, two, host).Code == "terengganu"
	})
	t.Logf("%s served the onboarded tenant after %s", two.name, waited)

	// The default policies of the new tenant hold on replica 2.
	if r := two.call(t, "GET", host, "/login", nil, nil, ""); r.Status != http.StatusOK {
		t.Errorf("anonymous GET /login on %s: %d, want 200", two.name, r.Status)
	}
	if r := two.call(t, "GET", host, "/api/v1/payslips", nil, nil, ""); r.Status != http.StatusUnauthorized {
		t.Errorf("anonymous GET /api/v1/payslips on %s: %d %s, want 401", two.name, r.Status, r.Raw)
	}

	officer := officerFirstLogin(t, p, two, host)
	if r := two.call(t, "GET", host, "/api/v1/admin/users", nil, officer.Cookies, ""); r.Status != http.StatusOK {
		t.Fatalf("IT officer GET /api/v1/admin/users on %s: %d %s, want 200", two.name, r.Status, r.Raw)
	}
	// The console is the officer's only: the same session is refused on the platform API.
	if r := two.call(t, "GET", platformHost, "/api/v1/platform/tenants", nil, officer.Cookies, ""); r.Status == http.StatusOK {
		t.Errorf("IT officer's session on the platform host of %s: 200, want refused", two.name)
	}
}

// platformLogin creates a platform admin with the CLI (password on stdin, TOTP secret read
// from its output) and logs in on s.
func platformLogin(t *testing.T, p *platform, s *server) apitest.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "user", "create-platform-admin", "--email", onboardAdminEmail, "--name", "Pentadbir Platform")
	cmd.Env = p.env
	cmd.Stdin = strings.NewReader(onboardAdminPass + "\n")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("speks user create-platform-admin: %v\n%s", err, stderr.String())
	}
	m := totpSecretLine.FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("no TOTP secret in the output of create-platform-admin")
	}
	code, err := totp.GenerateCode(m[1], time.Now())
	if err != nil {
		t.Fatalf("TOTP code: %v", err)
	}
	r := s.call(t, "POST", platformHost, "/api/v1/platform/auth/login",
		map[string]string{"id": onboardAdminEmail, "password": onboardAdminPass, "totp": code}, nil, "")
	if r.Status != http.StatusOK || len(r.Cookies) == 0 {
		t.Fatalf("platform login on %s: %d %s, want 200 with a session cookie", s.name, r.Status, r.Raw)
	}
	return r
}

// officerFirstLogin takes the first IT officer's one-time code from the tenant's outbox (no
// worker runs here, so the row still holds it), logs in with it on s, sets a password, logs
// in again with it and enrols TOTP (required of admin roles), returning that full session.
func officerFirstLogin(t *testing.T, p *platform, s *server, host string) apitest.Response {
	t.Helper()
	dbs := openDatabases(t, p)
	tn, err := tenant.NewRegistry(dbs.Public()).Get(context.Background(), "terengganu")
	if err != nil {
		t.Fatalf("read terengganu: %v", err)
	}
	db, err := dbs.Schema(tn.Schema)
	if err != nil {
		t.Fatalf("schema of terengganu: %v", err)
	}
	var code string
	if err := db.Get(&code, `SELECT data->>'code' FROM outbox WHERE template = 'one_time_code'
		ORDER BY id DESC LIMIT 1`); err != nil || code == "" {
		t.Fatalf("the officer's one-time code in the outbox: %q, %v", code, err)
	}
	first := s.call(t, "POST", host, "/api/v1/auth/login", map[string]string{"id": onboardOfficerIC, "password": code}, nil, "")
	var next struct {
		Next string `json:"next"`
	}
	_ = json.Unmarshal([]byte(first.Raw), &next)
	if first.Status != http.StatusOK || next.Next != "change_password" {
		t.Fatalf("officer's first login on %s: %d %s, want 200 next=change_password", s.name, first.Status, first.Raw)
	}
	changed := s.call(t, "POST", host, "/api/v1/account/password",
		map[string]string{"current_password": code, "new_password": onboardOfficerPwd, "secret_phrase": "Penyu di Rantau Abang"}, first.Cookies, csrfOf(t, first))
	if changed.Status != http.StatusNoContent {
		t.Fatalf("officer sets a password on %s: %d %s, want 204", s.name, changed.Status, changed.Raw)
	}
	login := s.call(t, "POST", host, "/api/v1/auth/login", map[string]string{"id": onboardOfficerIC, "password": onboardOfficerPwd}, nil, "")
	if login.Status != http.StatusOK || len(login.Cookies) == 0 {
		t.Fatalf("officer's login with the new password on %s: %d %s", s.name, login.Status, login.Raw)
	}
	enrolTOTP(t, s, host, login)
	return login
}

// enrolTOTP takes an admin role's session through the required TOTP enrolment, which lifts
// the session's restriction.
func enrolTOTP(t *testing.T, s *server, host string, login apitest.Response) {
	t.Helper()
	csrf := csrfOf(t, login)
	enrol := s.call(t, "POST", host, "/api/v1/account/totp/enrol", nil, login.Cookies, csrf)
	var e struct {
		Secret string `json:"secret"`
	}
	if err := json.Unmarshal([]byte(enrol.Raw), &e); enrol.Status != http.StatusOK || err != nil || e.Secret == "" {
		t.Fatalf("officer's TOTP enrolment on %s: %d %s", s.name, enrol.Status, enrol.Raw)
	}
	code, err := totp.GenerateCode(e.Secret, time.Now())
	if err != nil {
		t.Fatalf("TOTP code: %v", err)
	}
	if r := s.call(t, "POST", host, "/api/v1/account/totp/confirm", map[string]string{"code": code}, login.Cookies, csrf); r.Status != http.StatusNoContent {
		t.Fatalf("officer's TOTP confirmation on %s: %d %s, want 204", s.name, r.Status, r.Raw)
	}
}

// csrfOf is the csrf_token of a login answer (platform admins have numeric IDs, so the
// shared session decoder does not fit).
func csrfOf(t *testing.T, r apitest.Response) string {
	t.Helper()
	var s struct {
		CSRFToken string `json:"csrf_token"`
	}
	if err := json.Unmarshal([]byte(r.Raw), &s); err != nil || s.CSRFToken == "" {
		t.Fatalf("no csrf_token in %s: %v", r.Raw, err)
	}
	return s.CSRFToken
}
