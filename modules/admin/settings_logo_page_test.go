package admin_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/speks-portal/speks/modules/foundation/web/apitest"
)

// logoForm posts the settings page's upload form as a browser does: multipart, the CSRF
// token only as a form field (no header), no JSON.
func (h *harness) logoForm(t *testing.T, cookie string, data []byte, csrf bool) apitest.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if csrf {
		if err := mw.WriteField("csrf_token", "csrf"); err != nil {
			t.Fatal(err)
		}
	}
	part, err := mw.CreateFormFile("logo", "jata.png")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := part.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	c := h.client(t, "selangor", cookie)
	return c.Post("/admin/settings/logo", apitest.Raw{ContentType: mw.FormDataContentType(), Data: body.Bytes()})
}

// The settings page uploads a logo without JavaScript: the CSRF token of the multipart form
// is accepted, the page confirms, a refused file comes back with its reason in BM or EN, and
// a form without the token is refused.
func TestLogoFormOnSettingsPage(t *testing.T) {
	h := newHarness(t)
	_, it := h.officer(t, "selangor", "it-1", "it_officer")
	if code, html, _ := h.page(t, "GET", "/admin/settings", it, nil); code != http.StatusOK ||
		!strings.Contains(html, `enctype="multipart/form-data"`) || !strings.Contains(html, `action="/admin/settings/logo"`) {
		t.Fatalf("settings page has no logo form: %d\n%s", code, html)
	}
	png := encode(t, "png", testImage(32, 32))

	if r := h.logoForm(t, it, png, false); r.Status != http.StatusForbidden {
		t.Fatalf("a logo form without the CSRF token: %d, want 403", r.Status)
	}
	if r := h.getLogo(t, "selangor", nil); r.Status != http.StatusNotFound {
		t.Fatalf("a refused form stored a logo: %d", r.Status)
	}

	r := h.logoForm(t, it, png, true)
	if loc := r.Header.Get("Location"); r.Status != http.StatusSeeOther || loc != "/admin/settings?logo=saved" {
		t.Fatalf("logo form: %d %s %s", r.Status, loc, r.Raw)
	}
	if r := h.getLogo(t, "selangor", nil); r.Status != http.StatusOK || r.Raw != string(png) {
		t.Fatalf("the uploaded logo is not served: %d", r.Status)
	}
	if _, html, _ := h.page(t, "GET", "/admin/settings?logo=saved", it, nil); !strings.Contains(html, "Logo telah dikemas kini.") {
		t.Errorf("no confirmation after the upload")
	}

	r = h.logoForm(t, it, encode(t, "gif", testImage(8, 8)), true)
	loc := r.Header.Get("Location")
	if r.Status != http.StatusSeeOther || loc != "/admin/settings?logo_error=logo_unsupported_type" {
		t.Fatalf("refused file: %d %s", r.Status, loc)
	}
	if _, html, _ := h.page(t, "GET", loc, it, nil); !strings.Contains(html, "Hanya imej PNG dan JPEG diterima.") {
		t.Errorf("no Malay refusal on the page")
	}
	if _, html, _ := h.page(t, "GET", loc+"&lang=en", it, nil); !strings.Contains(html, "Only PNG and JPEG images are accepted.") {
		t.Errorf("no English refusal on the page")
	}
	if _, html, _ := h.page(t, "GET", "/admin/settings?logo_error=admin_settings_title", it, nil); strings.Contains(html, `id="logo-error"`) {
		t.Errorf("an arbitrary message ID from the query string reached the page")
	}
}
