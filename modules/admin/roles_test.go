package admin_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/lib/pq"

	"github.com/speks-portal/speks/modules/account/identity"
	"github.com/speks-portal/speks/modules/foundation/web/apitest"
)

func roles(t *testing.T, h *harness, code string, id int64) []string {
	t.Helper()
	var r pq.StringArray
	if err := h.db(t, code).Get(&r, `SELECT roles FROM users WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	return []string(r)
}

func sessionCount(t *testing.T, h *harness, code string, id int64) int {
	t.Helper()
	var n int
	if err := h.db(t, code).Get(&n, `SELECT count(*) FROM sessions WHERE user_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	return n
}

// An IT officer sets a person's roles: the roles are sorted and deduplicated, the person's
// sessions end (the next login asks for TOTP enrolment), and the trail holds before and after.
func TestRolesChangedByITOfficer(t *testing.T) {
	h := newHarness(t)
	_, it := h.officer(t, "selangor", "it-1", "it_officer")
	target := h.user(t, "selangor", identity.CategoryStaff, icA, "Aminah binti Yusof", "a@x.test", "active")
	h.session(t, "selangor", target)

	r := h.do(t, "selangor", "POST", userPath(target, "roles"), it, map[string]any{"roles": []string{"treasury", "ptj_admin", "treasury"}})
	apitest.Expect(t, r, http.StatusOK, "")
	if got := roles(t, h, "selangor", target); !slices.Equal(got, []string{"ptj_admin", "treasury"}) {
		t.Fatalf("roles after the change: %v", got)
	}
	if n := sessionCount(t, h, "selangor", target); n != 0 {
		t.Errorf("the person still has %d sessions after a roles change", n)
	}
	var detail string
	if err := h.db(t, "selangor").Get(&detail, `SELECT detail::text FROM audit_log WHERE action = 'account.roles' AND user_id = $1`, target); err != nil {
		t.Fatalf("no audit entry: %v", err)
	}
	if !strings.Contains(detail, `"before": []`) || !strings.Contains(detail, `"after": ["ptj_admin", "treasury"]`) {
		t.Errorf("audit detail: %s", detail)
	}
	if strings.Contains(h.auditText(t, "selangor"), icA) {
		t.Error("the audit trail holds the full IC number")
	}

	apitest.Expect(t, h.do(t, "selangor", "POST", userPath(target, "roles"), it, map[string]any{"roles": []string{}}), http.StatusOK, "")
	if got := roles(t, h, "selangor", target); len(got) != 0 {
		t.Errorf("roles after clearing: %v", got)
	}
}

// Refused: the officer's own roles, an unknown or platform role, a staff member, another
// tenant's officer; none of them changes anything.
func TestRolesRefusals(t *testing.T) {
	h := newHarness(t)
	itID, it := h.officer(t, "selangor", "it-1", "it_officer")
	_, itKedah := h.officer(t, "kedah", "it-2", "it_officer")
	target := h.user(t, "selangor", identity.CategoryStaff, icA, "Aminah binti Yusof", "a@x.test", "active")
	staff := h.session(t, "selangor", h.user(t, "selangor", identity.CategoryStaff, icB, "Rosli bin Ahmad", "b@x.test", "active"))
	body := map[string]any{"roles": []string{"treasury"}}

	apitest.Expect(t, h.do(t, "selangor", "POST", userPath(itID, "roles"), it, body), http.StatusForbidden, "self_action")
	for _, bad := range []string{"platform_admin", "superuser", "staff"} {
		apitest.Expect(t, h.do(t, "selangor", "POST", userPath(target, "roles"), it, map[string]any{"roles": []string{"ptj_admin", bad}}),
			http.StatusUnprocessableEntity, "invalid_input")
	}
	apitest.Expect(t, h.do(t, "selangor", "POST", userPath(target, "roles"), staff, body), http.StatusForbidden, "forbidden")
	apitest.Expect(t, h.do(t, "selangor", "POST", userPath(target, "roles"), itKedah, body), http.StatusUnauthorized, "")
	if r := h.do(t, "selangor", "POST", userPath(target, "roles"), it, body, apitest.NoCSRF); r.Status != http.StatusForbidden {
		t.Errorf("without the CSRF token: %d, want 403", r.Status)
	}
	if got := roles(t, h, "selangor", target); len(got) != 0 {
		t.Errorf("a refused request gave roles: %v", got)
	}
	if got := roles(t, h, "selangor", itID); !slices.Equal(got, []string{"it_officer"}) {
		t.Errorf("the officer's own roles changed: %v", got)
	}
	if n := h.auditCount(t, "selangor", "account.roles", target); n != 0 {
		t.Errorf("%d audit entries for refused requests", n)
	}
}

// The users page has a roles form per account (checkboxes, CSRF token in the form).
func TestRolesForm(t *testing.T) {
	h := newHarness(t)
	itID, it := h.officer(t, "selangor", "it-1", "it_officer")
	target := h.user(t, "selangor", identity.CategoryStaff, icA, "Aminah binti Yusof", "a@x.test", "active", "ptj_admin")

	code, html, _ := h.page(t, "GET", "/admin/users?q=aminah", it, nil)
	if code != http.StatusOK || !strings.Contains(html, fmt.Sprintf(`action="/admin/users/%d/roles"`, target)) ||
		!strings.Contains(html, `value="ptj_admin" checked`) || !strings.Contains(html, "Simpan peranan") {
		t.Fatalf("users page has no roles form: %d\n%s", code, html)
	}
	form := url.Values{"csrf_token": {"csrf"}, "q": {"aminah"}, "roles": {"head_of_department", "it_officer"}}
	code, _, loc := h.page(t, "POST", fmt.Sprintf("/admin/users/%d/roles", target), it, form)
	if code != http.StatusSeeOther || !strings.Contains(loc, "done=roles") {
		t.Fatalf("roles form: %d %s", code, loc)
	}
	if got := roles(t, h, "selangor", target); !slices.Equal(got, []string{"head_of_department", "it_officer"}) {
		t.Fatalf("roles after the form: %v", got)
	}
	if _, html, _ := h.page(t, "GET", loc+"&lang=en", it, nil); !strings.Contains(html, "The roles were updated.") {
		t.Errorf("no English confirmation after the form")
	}
	form.Set("roles", "platform_admin")
	if _, _, loc := h.page(t, "POST", fmt.Sprintf("/admin/users/%d/roles", target), it, form); !strings.Contains(loc, "error=invalid_input") {
		t.Errorf("platform role through the form: %s", loc)
	}
	if _, _, loc := h.page(t, "POST", fmt.Sprintf("/admin/users/%d/roles", itID), it, url.Values{"csrf_token": {"csrf"}}); !strings.Contains(loc, "error=self_action") {
		t.Errorf("own roles through the form: %s", loc)
	}
	if code, _, _ := h.page(t, "POST", fmt.Sprintf("/admin/users/%d/roles", target), it, url.Values{"roles": {"treasury"}}); code != http.StatusForbidden {
		t.Errorf("a form without the CSRF token: %d, want 403", code)
	}
	if got := roles(t, h, "selangor", target); !slices.Equal(got, []string{"head_of_department", "it_officer"}) {
		t.Errorf("refused forms changed the roles: %v", got)
	}
}
