package platform_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/speks-portal/speks/modules/platform"
	"github.com/speks-portal/speks/tenant"
)

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// The console's pages in Malay (default) and English: log in with the form, onboard a state
// with the form, see it in the list, suspend it with its button.
func TestConsolePages(t *testing.T) {
	h := newHarness(t)
	c := h.client(t, h.env.PlatformHost)
	if r := c.Do("GET", "/platform", nil); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/platform/login" {
		t.Errorf("anonymous console: %d %s, want the login page", r.Status, r.Header.Get("Location"))
	}
	if r := c.Do("GET", "/platform/login", nil); r.Status != http.StatusOK || !strings.Contains(r.Raw, "Konsol Platform JANM") {
		t.Fatalf("login page (ms): %d", r.Status)
	}
	if r := c.Do("GET", "/platform/login?lang=en", nil); !strings.Contains(r.Raw, "JANM Platform Console") {
		t.Errorf("login page (en) lacks its heading")
	}
	created, err := h.svc.CreateAdmin(context.Background(), platform.NewAdmin{Email: adminEmail, Name: "Pentadbir Ujian", Password: adminPassword}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if r := c.Post("/platform/login", url.Values{"email": {adminEmail}, "password": {"salah-kata-laluan-1"}, "totp": {"123456"}}); r.Status != http.StatusUnauthorized || !strings.Contains(r.Raw, "tidak sah") {
		t.Errorf("wrong login: %d", r.Status)
	}
	code, _ := totp.GenerateCode(created.TOTPSecret, time.Now())
	if r := c.Post("/platform/login", url.Values{"email": {adminEmail}, "password": {adminPassword}, "totp": {code}}); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/platform" {
		t.Fatalf("login form: %d %s", r.Status, r.Header.Get("Location"))
	}
	console := c.Do("GET", "/platform?lang=ms", nil)
	m := csrfField.FindStringSubmatch(console.Raw)
	if console.Status != http.StatusOK || m == nil {
		t.Fatalf("console: %d (csrf field found: %v)", console.Status, m != nil)
	}
	csrf := m[1]
	r := c.Post("/platform/tenants", url.Values{"csrf_token": {csrf}, "code": {"terengganu"}, "name": {"Negeri Terengganu"},
		"hosts": {"espeks.terengganu.gov.my"}, "registration_mode": {"payroll_match"}, "email_domains": {"terengganu.gov.my"},
		"retention_months": {"24"}, "admin_ic_no": {"880808115566"}, "admin_name": {"Wan Aziz bin Wan Ismail"}, "admin_email": {"it@terengganu.gov.my"}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/platform?done=onboarded") {
		t.Fatalf("onboard form: %d %s", r.Status, r.Raw)
	}
	page := c.Get(r.Location()).Raw
	if !strings.Contains(page, `id="tenant-terengganu"`) || !strings.Contains(page, "telah didaftarkan") {
		t.Errorf("the console does not show the onboarded state")
	}
	if r := c.Post("/platform/tenants", url.Values{"csrf_token": {csrf}, "code": {"X"}}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Raw, "form-error") {
		t.Errorf("invalid onboarding form: %d", r.Status)
	}
	// In English too, the domain refusal names the field's problem and the state's domains.
	r = c.Post("/platform/tenants?lang=en", url.Values{"csrf_token": {csrf}, "code": {"perlis"}, "name": {"Perlis"},
		"registration_mode": {"payroll_match"}, "email_domains": {"Perlis.gov.my"}, "admin_ic_no": {"880808095566"},
		"admin_name": {"Ahmad bin Ali"}, "admin_email": {"ahmad@gmail.com"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Raw, `id="admin_email-error">The IT officer&#39;s e-mail must be at one of this state&#39;s official domains: perlis.gov.my.`) {
		t.Errorf("English domain refusal: %d\n%s", r.Status, r.Raw)
	}
	if r := c.Post("/platform/tenants/terengganu/status", url.Values{"csrf_token": {csrf}, "status": {"suspended"}}); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Raw, "Tandakan pengesahan untuk menggantung negeri terengganu") {
		t.Fatalf("suspend without the confirmation: %d %s", r.Status, r.Raw)
	}
	if got, _ := h.env.Registry.Get(context.Background(), "terengganu"); got == nil || got.Status != "active" {
		t.Fatalf("an unconfirmed suspension changed the state: %+v", got)
	}
	if r := c.Post("/platform/tenants/terengganu/status", url.Values{"csrf_token": {csrf}, "status": {"suspended"}, "confirm": {"yes"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("suspend button: %d %s", r.Status, r.Raw)
	}
	if got, _ := h.env.Registry.Get(context.Background(), "terengganu"); got == nil || got.Status != "suspended" {
		t.Errorf("terengganu not suspended: %+v", got)
	}
	if r := c.Post("/platform/tenants/terengganu/status", url.Values{"status": {"active"}}); r.Status != http.StatusForbidden {
		t.Errorf("form without the CSRF token: %d", r.Status)
	}
}

// Offboarding from the console takes the state's code typed in; a wrong code changes nothing,
// and the service's own rule (suspended, exported after suspension) still holds.
func TestOffboardPageNeedsTheTypedCode(t *testing.T) {
	h := newHarness(t)
	admin, _ := h.admin(t)
	csrf := admin.CSRF
	h.env.Tenant(t, "selangor", tenant.PayrollMatch)
	admin.Do("PATCH", "/api/v1/platform/tenants/selangor", map[string]any{"status": "suspended"})
	if r := admin.Post("/platform/tenants/selangor/offboard", url.Values{"csrf_token": {csrf}, "confirm_code": {"selangor"}}); r.Status != http.StatusConflict ||
		!strings.Contains(r.Raw, "dieksport") {
		t.Fatalf("offboard before the export: %d %s", r.Status, r.Raw)
	}
	if r := admin.Do("POST", "/api/v1/platform/tenants/selangor/export", nil); r.Status != http.StatusOK {
		t.Fatalf("export: %d", r.Status)
	}
	if r := admin.Post("/platform/tenants/selangor/offboard", url.Values{"csrf_token": {csrf}, "confirm_code": {"selangr"}}); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Raw, "Taip kod negeri selangor") {
		t.Fatalf("offboard with a mistyped code: %d %s", r.Status, r.Raw)
	}
	if _, err := h.env.Registry.Get(context.Background(), "selangor"); err != nil {
		t.Fatalf("a mistyped code offboarded the state: %v", err)
	}
	r := admin.Post("/platform/tenants/selangor/offboard", url.Values{"csrf_token": {csrf}, "confirm_code": {"selangor"}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/platform?done=offboarded&code=selangor" {
		t.Fatalf("offboard: %d %s", r.Status, r.Raw)
	}
	if _, err := h.env.Registry.Get(context.Background(), "selangor"); err == nil {
		t.Fatal("the state is still registered")
	}
}
