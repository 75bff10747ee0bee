package requests_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/speks-portal/speks/modules/foundation/web/apitest"
)

// form posts a page form with the session's CSRF token as the hidden field; it returns the
// status, the Location header and the body.
func (c *client) form(path string, values url.Values) (int, string, string) {
	c.T.Helper()
	values.Set("csrf_token", c.CSRF)
	r := c.Post(path, values)
	return r.Status, r.Location(), r.Raw
}

func (c *client) page(path string) (int, string) {
	c.T.Helper()
	r := c.Get(path, apitest.WithHeader("Content-Type", ""))
	return r.Status, r.Raw
}

// The workflow through the pages: raise (Malay), approve as head, approve as treasury
// (English), with errors shown on the page and the PTJ admin's staff page.
func TestWorkflowPages(t *testing.T) {
	m := newMelaka(t)
	status, body := m.ptjAdmin.page("/admin/requests?lang=ms")
	if status != http.StatusOK || !strings.Contains(body, "Permohonan Pentadbiran Pengguna") || !strings.Contains(body, `id="raise"`) {
		t.Fatalf("requests page = %d\n%s", status, body)
	}
	status, _, body = m.ptjAdmin.form("/admin/requests", url.Values{"kind": {"deactivate"}, "ic_no": {ravi.IC}, "reason": {"x"}})
	if status != http.StatusNotFound || !strings.Contains(body, "tidak ditemui dalam skop anda") {
		t.Fatalf("out-of-scope form = %d\n%s", status, body)
	}
	status, loc, _ := m.ptjAdmin.form("/admin/requests", url.Values{"kind": {"new_user"}, "ic_no": {"900404-04-5048"}, "reason": {"Lantikan baharu"}})
	if status != http.StatusSeeOther || loc != "/admin/requests?done=raised" {
		t.Fatalf("raise form = %d %s", status, loc)
	}
	_, body = m.ptjAdmin.page("/admin/requests")
	if !strings.Contains(body, "Siti Aishah binti Kamal") || strings.Contains(body, siti.IC) || strings.Contains(body, `id="approve-`) {
		t.Fatalf("PTJ admin's list after raising:\n%s", body)
	}

	_, body = m.head.page("/admin/requests")
	reqID := regexp.MustCompile(`id="approve-(\d+)"`).FindStringSubmatch(body)
	if reqID == nil {
		t.Fatalf("the head sees no approve button:\n%s", body)
	}
	status, loc, _ = m.head.form("/admin/requests/"+reqID[1]+"/approve", url.Values{"note": {"Disokong"}})
	if status != http.StatusSeeOther || loc != "/admin/requests?done=pending_treasury" {
		t.Fatalf("head's approval = %d %s", status, loc)
	}
	status, loc, _ = m.treas.form("/admin/requests/"+reqID[1]+"/approve", url.Values{"note": {"Lulus"}})
	if status != http.StatusSeeOther || loc != "/admin/requests?done=completed" {
		t.Fatalf("treasury's approval = %d %s", status, loc)
	}
	_, body = m.treas.page("/admin/requests?done=completed&lang=en")
	if !strings.Contains(body, "has been carried out") || !strings.Contains(body, `data-status="completed"`) {
		t.Fatalf("treasury's page after approval:\n%s", body)
	}
	if code := codePattern.FindString(codeMailTo(t, m.mail, siti.Email)); code == "" {
		t.Fatal("the new user received no code")
	}

	status, body = m.ptjAdmin.page("/admin/ptj/staff?lang=en")
	if status != http.StatusOK || !strings.Contains(body, "Kamal bin Yusof") || strings.Contains(body, "Lim Mei Ling") {
		t.Fatalf("staff page = %d\n%s", status, body)
	}
	status, loc, _ = m.ptjAdmin.form("/admin/ptj/staff/"+itoa(m.ids[kamal.IC])+"/email", url.Values{"email": {"kamal.y@melaka.gov.my"}})
	if status != http.StatusSeeOther || loc != "/admin/ptj/staff?done=email" {
		t.Fatalf("email form = %d %s", status, loc)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// The server refuses a rejection form without its ticked confirmation, whatever the browser
// did, and says why on the page; nothing changes.
func TestRejectFormNeedsTheConfirmation(t *testing.T) {
	m := newMelaka(t)
	r := m.ptjAdmin.Post("/api/v1/admin/requests", map[string]any{"kind": "deactivate", "ic_no": kamal.IC, "reason": "Bersara"})
	apitest.Expect(t, r, http.StatusCreated, "")
	status, _, body := m.head.form("/admin/requests/"+id(r)+"/reject?lang=ms", url.Values{"note": {"Tidak perlu"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "Sila tandakan pengesahan") || !strings.Contains(body, `data-status="pending_head"`) {
		t.Fatalf("unconfirmed rejection = %d\n%s", status, body)
	}
	status, loc, _ := m.head.form("/admin/requests/"+id(r)+"/reject", url.Values{"note": {"Tidak perlu"}, "confirm": {"yes"}})
	if status != http.StatusSeeOther || loc != "/admin/requests?done=rejected" {
		t.Fatalf("confirmed rejection = %d %s", status, loc)
	}
}
