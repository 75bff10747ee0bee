package admin_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/speks-portal/speks/modules/account/identity"
	"github.com/speks-portal/speks/modules/account/lockout"
	"github.com/speks-portal/speks/modules/foundation/web/apitest"
)

// page requests a page on selangor as a browser does (a form, when given, with its CSRF token
// as a field) and returns the status, the body and the Location header.
func (h *harness) page(t *testing.T, method, path, cookie string, form url.Values) (int, string, string) {
	t.Helper()
	var body any
	if form != nil {
		body = form
	}
	r := h.client(t, "selangor", cookie).Do(method, path, body)
	return r.Status, r.Raw, r.Location()
}

// The users page lists masked IDs in Malay by default and English on request; its action
// forms work without JavaScript (CSRF token in the form) and come back with a confirmation.
func TestUsersPage(t *testing.T) {
	h := newHarness(t)
	_, it := h.officer(t, "selangor", "it-1", "it_officer")
	u := h.user(t, "selangor", identity.CategoryStaff, icA, "Aminah binti Yusof", "aminah@selangor.gov.my", "locked")

	code, html, _ := h.page(t, "GET", "/admin/users?q=aminah", it, nil)
	if code != http.StatusOK || !strings.Contains(html, "Pengguna") || !strings.Contains(html, "********5523") ||
		strings.Contains(html, icA) || !strings.Contains(html, "Buka kunci") {
		t.Fatalf("users page (ms): %d\n%s", code, html)
	}
	if _, html, _ := h.page(t, "GET", "/admin/users?lang=en", it, nil); !strings.Contains(html, "Unlock") {
		t.Errorf("users page (en) has no English: %s", html)
	}
	code, _, loc := h.page(t, "POST", fmt.Sprintf("/admin/users/%d/unlock", u), it, url.Values{"csrf_token": {"csrf"}, "q": {"aminah"}})
	if code != http.StatusSeeOther || !strings.Contains(loc, "done=unlock") || status(t, h, "selangor", u) != "active" {
		t.Fatalf("unlock form: %d %s, status %s", code, loc, status(t, h, "selangor", u))
	}
	if _, html, _ := h.page(t, "GET", loc, it, nil); !strings.Contains(html, "Akaun telah dibuka kunci.") {
		t.Errorf("no confirmation after the action")
	}
	code, _, loc = h.page(t, "POST", fmt.Sprintf("/admin/users/%d/activate", u), it, url.Values{"csrf_token": {"csrf"}})
	if code != http.StatusSeeOther || !strings.Contains(loc, "error=invalid_status") {
		t.Errorf("refused action: %d %s", code, loc)
	}
	if code, _, _ := h.page(t, "POST", fmt.Sprintf("/admin/users/%d/deactivate", u), it, url.Values{}); code != http.StatusForbidden {
		t.Errorf("a form without the CSRF token: %d, want 403", code)
	}
	if status(t, h, "selangor", u) != "active" {
		t.Error("a form without the CSRF token changed the account")
	}
}

// The audit page filters, links the CSV export with the same filters, and treasury reads it.
func TestAuditPage(t *testing.T) {
	h := newHarness(t)
	_, it := h.officer(t, "selangor", "it-1", "it_officer")
	_, treasury := h.officer(t, "selangor", "tr-1", "treasury")
	u := h.user(t, "selangor", identity.CategoryStaff, icA, "Aminah binti Yusof", "a@x.test", "active")
	apitest.Expect(t, h.do(t, "selangor", "POST", userPath(u, "deactivate"), it, nil), http.StatusOK, "")
	code, html, _ := h.page(t, "GET", "/admin/audit?action=account.deactivate", treasury, nil)
	if code != http.StatusOK || !strings.Contains(html, "account.deactivate") || !strings.Contains(html, "format=csv") ||
		!strings.Contains(html, "Jejak audit") {
		t.Fatalf("audit page: %d\n%s", code, html)
	}
	if code, _, _ := h.page(t, "GET", "/admin/users", treasury, nil); code != http.StatusForbidden {
		t.Errorf("treasury on the users page: %d, want 403", code)
	}
}

// The console shows the activation queue and the open cancellations with the overdue one
// flagged; its "complete" button deactivates the account.
func TestConsolePage(t *testing.T) {
	h := newHarness(t)
	_, it := h.officer(t, "selangor", "it-1", "it_officer")
	h.user(t, "selangor", identity.CategoryStaff, icB, "Rosli bin Ahmad", "r@x.test", identity.StatusPendingActivation)
	u := h.user(t, "selangor", identity.CategoryStaff, icA, "Aminah binti Yusof", "a@x.test", "active")
	var id int64
	if err := h.db(t, "selangor").Get(&id, `INSERT INTO cancellation_requests (user_id, reason, requested_at, due_on)
		VALUES ($1, 'Bersara', now() - interval '9 days', current_date - 4) RETURNING id`, u); err != nil {
		t.Fatal(err)
	}
	code, html, _ := h.page(t, "GET", "/admin", it, nil)
	if code != http.StatusOK || !strings.Contains(html, "Rosli bin Ahmad") || !strings.Contains(html, "overdue-flag") ||
		!strings.Contains(html, "Bersara") || strings.Contains(html, icA) {
		t.Fatalf("console: %d\n%s", code, html)
	}
	code, _, loc := h.page(t, "POST", fmt.Sprintf("/admin/cancellations/%d/complete", id), it, url.Values{"csrf_token": {"csrf"}})
	if code != http.StatusSeeOther || loc != "/admin?done=complete" || status(t, h, "selangor", u) != "deactivated" {
		t.Fatalf("complete: %d %s, status %s", code, loc, status(t, h, "selangor", u))
	}
	if _, html, _ := h.page(t, "GET", "/admin?lang=en", it, nil); !strings.Contains(html, "Administrator console") ||
		strings.Contains(html, "Bersara") {
		t.Errorf("console after completion (en): %s", html)
	}
}

// The settings form saves valid values and sends invalid ones back with their problems.
func TestSettingsPage(t *testing.T) {
	h := newHarness(t)
	_, it := h.officer(t, "selangor", "it-1", "it_officer")
	code, html, _ := h.page(t, "GET", "/admin/settings", it, nil)
	if code != http.StatusOK || !strings.Contains(html, "Tetapan portal") || !strings.Contains(html, `value="self_register" selected`) {
		t.Fatalf("settings page: %d\n%s", code, html)
	}
	form := url.Values{"csrf_token": {"csrf"}, "registration_mode": {"admin_only"}, "email_domains": {"selangor.gov.my, mbsa.gov.my"},
		"lockout_max_failures": {"6"}, "lockout_minutes": {"30"}, "session_idle_minutes": {"20"}, "retention_months": {"36"},
		"primary_colour": {"#123456"}, "require_security_answer": {"on"}, "login_window_minutes": {"15"},
		"login_failures_per_address": {"500"}, "login_accounts_per_address": {"80"}, "login_failures_per_account": {"30"},
		"identify_per_address": {"300"}}
	code, _, loc := h.page(t, "POST", "/admin/settings", it, form)
	if code != http.StatusSeeOther || loc != "/admin/settings?saved=1" {
		t.Fatalf("save: %d %s", code, loc)
	}
	tn, err := h.env.Registry.Get(t.Context(), "selangor")
	if err != nil || tn.RegistrationMode != "admin_only" || len(tn.EmailDomains) != 2 || tn.RetentionMonths != 36 || tn.Branding.PrimaryColour != "#123456" {
		t.Fatalf("saved tenant: %+v %v", tn, err)
	}
	if l, err := lockout.ReadLoginLimits(t.Context(), h.db(t, "selangor")); err != nil || l.FailuresPerAddress != 500 || l.AccountsPerAddress != 80 {
		t.Fatalf("saved login limits: %+v %v", l, err)
	}
	form.Set("session_idle_minutes", "abc")
	form.Set("primary_colour", "blue")
	form.Set("login_accounts_per_address", "1")
	code, html, _ = h.page(t, "POST", "/admin/settings?lang=en", it, form)
	if code != http.StatusUnprocessableEntity || !strings.Contains(html, `data-field="session_idle_minutes"`) ||
		!strings.Contains(html, `data-field="primary_colour"`) || !strings.Contains(html, `value="blue"`) ||
		!strings.Contains(html, `data-field="login_accounts_per_address"`) ||
		!strings.Contains(html, "Different IDs with a wrong attempt from one network address per window (5–10000)") {
		t.Fatalf("refused form: %d\n%s", code, html)
	}
	if l, _ := lockout.ReadLoginLimits(t.Context(), h.db(t, "selangor")); l.AccountsPerAddress != 80 {
		t.Error("a refused form changed the login limits")
	}
	if tn, _ := h.env.Registry.Get(t.Context(), "selangor"); tn.SessionIdleMinutes != 20 {
		t.Error("a refused form changed the settings")
	}
}
