package sessions_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/modules/foundation/sessions"
)

// The CSRF token is accepted from the header, an urlencoded form and a multipart form (the
// logo upload) alike, and refused when missing or wrong, on every kind of session.
func TestValidCSRF(t *testing.T) {
	app := fiber.New()
	app.Post("/", func(c *fiber.Ctx) error {
		if sessions.ValidCSRF(c, "right-token") {
			return c.SendStatus(http.StatusNoContent)
		}
		return c.SendStatus(http.StatusForbidden)
	})
	var multi bytes.Buffer
	w := multipart.NewWriter(&multi)
	_ = w.WriteField("csrf_token", "right-token")
	_ = w.Close()
	for _, tc := range []struct {
		name, contentType, header string
		body                      string
		want                      int
	}{
		{"header", "application/json", "right-token", "{}", http.StatusNoContent},
		{"wrong header", "application/json", "wrong-token", "{}", http.StatusForbidden},
		{"form", fiber.MIMEApplicationForm, "", url.Values{"csrf_token": {"right-token"}}.Encode(), http.StatusNoContent},
		{"wrong form", fiber.MIMEApplicationForm, "", url.Values{"csrf_token": {"nope"}}.Encode(), http.StatusForbidden},
		{"multipart", w.FormDataContentType(), "", multi.String(), http.StatusNoContent},
		{"none", "application/json", "", "{}", http.StatusForbidden},
	} {
		req := httptest.NewRequest("POST", "/", strings.NewReader(tc.body))
		req.Header.Set("Content-Type", tc.contentType)
		if tc.header != "" {
			req.Header.Set("X-CSRF-Token", tc.header)
		}
		res, err := app.Test(req)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, res.StatusCode, tc.want)
		}
	}
}

func TestExpired(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	idle := 15 * time.Minute
	for _, tc := range []struct {
		created, seen time.Duration // before now
		want          bool
	}{
		{time.Hour, time.Minute, false},
		{time.Hour, 16 * time.Minute, true},
		{13 * time.Hour, time.Minute, true},
	} {
		if got := sessions.Expired(now.Add(-tc.created), now.Add(-tc.seen), now, idle); got != tc.want {
			t.Errorf("created %s ago, seen %s ago: expired %v, want %v", tc.created, tc.seen, got, tc.want)
		}
	}
}

// Behind TLS the cookie is __Host-prefixed and Secure; on plain HTTP (development) neither.
func TestCookieNames(t *testing.T) {
	k := sessions.Cookie{Name: "speks_session"}
	app := fiber.New(fiber.Config{ProxyHeader: fiber.HeaderXForwardedProto, EnableTrustedProxyCheck: true,
		TrustedProxies: []string{"0.0.0.0/0"}})
	app.Get("/", func(c *fiber.Ctx) error { k.Set(c, "tok"); return nil })
	for proto, want := range map[string]string{"http": "speks_session=tok", "https": "__Host-speks_session=tok"} {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("X-Forwarded-Proto", proto)
		res, err := app.Test(req)
		if err != nil {
			t.Fatal(err)
		}
		got := res.Header.Get("Set-Cookie")
		if !strings.HasPrefix(got, want) || strings.Contains(got, "secure") != (proto == "https") || !strings.Contains(got, "HttpOnly") {
			t.Errorf("%s: Set-Cookie %q", proto, got)
		}
	}
}
