package admin_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/speks-portal/speks/modules/account/identity"
	"github.com/speks-portal/speks/modules/foundation/web/apitest"
)

// testImage is a w×h picture with some content, so the encoders do real work.
func testImage(w, h int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := 0; x < w; x++ {
		for y := 0; y < h; y++ {
			img.Set(x, y, color.RGBA{R: uint8(x), G: uint8(y), B: 0x52, A: 0xff})
		}
	}
	return img
}

func encode(t *testing.T, format string, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&buf, img)
	case "jpeg":
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80})
	case "gif":
		err = gif.Encode(&buf, img, nil)
	}
	if err != nil {
		t.Fatalf("encode %s: %v", format, err)
	}
	return buf.Bytes()
}

// upload posts data as the multipart field "logo" named filename, with the declared type a
// browser would send for that name.
func (h *harness) upload(t *testing.T, code, path, cookie, filename string, data []byte) apitest.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, err := mw.CreateFormFile("logo", filename)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := part.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := mw.WriteField("csrf_token", "csrf"); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	c := h.client(t, code, cookie)
	c.Header.Set("Accept", "application/json")
	return c.Post(path, apitest.Raw{ContentType: mw.FormDataContentType(), Data: body.Bytes(), CSRFHeader: true})
}

// getLogo fetches GET /branding/logo anonymously on code's host.
func (h *harness) getLogo(t *testing.T, code string, header map[string]string) apitest.Response {
	t.Helper()
	var opts []apitest.Option
	for k, v := range header {
		opts = append(opts, apitest.WithHeader(k, v))
	}
	return h.client(t, code, "").Get("/branding/logo", opts...)
}

func TestLogoUploadAcceptsPNGAndJPEGAndServesThem(t *testing.T) {
	h := newHarness(t)
	_, it := h.officer(t, "selangor", "it-selangor", "it_officer")

	for _, tc := range []struct{ name, format, filename, contentType string }{
		{"png", "png", "jata.png", "image/png"},
		{"jpeg", "jpeg", "jata.jpg", "image/jpeg"},
		// The name is irrelevant: a real PNG named .jpg is a PNG.
		{"png named .jpg", "png", "jata.jpg", "image/png"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := encode(t, tc.format, testImage(120, 80))
			r := h.upload(t, "selangor", "/api/v1/admin/settings/logo", it, tc.filename, data)
			apitest.Expect(t, r, http.StatusOK, "")
			sum := sha256.Sum256(data)
			hash := hex.EncodeToString(sum[:])
			if r.Body["content_type"] != tc.contentType || r.Body["logo_url"] != "/branding/logo?v="+hash[:12] ||
				r.Body["width"] != float64(120) || r.Body["height"] != float64(80) {
				t.Fatalf("upload answer: %s", r.Raw)
			}

			got := h.getLogo(t, "selangor", nil)
			if got.Status != http.StatusOK || got.Raw != string(data) {
				t.Fatalf("GET /branding/logo: %d (%d bytes), want 200 with the uploaded %d bytes", got.Status, len(got.Raw), len(data))
			}
			for k, want := range map[string]string{"Content-Type": tc.contentType, "ETag": `"` + hash + `"`,
				"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"} {
				if v := got.Header.Get(k); v != want {
					t.Errorf("%s: %q, want %q", k, v, want)
				}
			}
			if again := h.getLogo(t, "selangor", map[string]string{"If-None-Match": `"` + hash + `"`}); again.Status != http.StatusNotModified {
				t.Errorf("conditional GET with the ETag: %d, want 304", again.Status)
			}
			tn, err := h.env.Registry.Get(context.Background(), "selangor")
			if err != nil {
				t.Fatal(err)
			}
			if tn.Branding.LogoURL != "/branding/logo?v="+hash[:12] {
				t.Errorf("tenants.branding.logo_url = %q", tn.Branding.LogoURL)
			}
		})
	}
	if n := strings.Count(h.auditText(t, "selangor"), "settings.logo"); n != 3 {
		t.Errorf("audit entries settings.logo: %d, want 3", n)
	}
}

func TestLogoUploadRefusals(t *testing.T) {
	h := newHarness(t)
	_, it := h.officer(t, "selangor", "it-selangor", "it_officer")
	big := encode(t, "png", testImage(1025, 10))
	oversized := append(encode(t, "png", testImage(8, 8)), bytes.Repeat([]byte{0}, 256<<10)...)
	truncated := encode(t, "png", testImage(64, 64))
	truncated = truncated[:len(truncated)/2]

	for _, tc := range []struct {
		name, filename string
		data           []byte
		code           string
	}{
		{"gif", "jata.gif", encode(t, "gif", testImage(16, 16)), "logo_unsupported_type"},
		{"html named .png", "jata.png", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"), "logo_unsupported_type"},
		{"svg", "jata.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "logo_unsupported_type"},
		{"over 256 KiB", "jata.png", oversized, "logo_too_large"},
		{"over 1024 px", "jata.png", big, "logo_dimensions"},
		{"truncated png", "jata.png", truncated, "logo_invalid"},
		{"empty", "jata.png", nil, "logo_missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			apitest.Expect(t, h.upload(t, "selangor", "/api/v1/admin/settings/logo", it, tc.filename, tc.data), http.StatusUnprocessableEntity, tc.code)
		})
	}
	if r := h.getLogo(t, "selangor", nil); r.Status != http.StatusNotFound {
		t.Errorf("GET /branding/logo after refusals only: %d, want 404", r.Status)
	}
}

func TestLogoUploadIsTheITOfficersAndStaysInItsTenant(t *testing.T) {
	h := newHarness(t)
	_, it := h.officer(t, "selangor", "it-selangor", "it_officer")
	staffID := h.user(t, "selangor", identity.CategoryStaff, "850101-10-5123", "Aminah binti Yusof", "aminah@selangor.gov.my", "active")
	staff := h.session(t, "selangor", staffID)
	data := encode(t, "png", testImage(32, 32))

	apitest.Expect(t, h.upload(t, "selangor", "/api/v1/admin/settings/logo", staff, "jata.png", data), http.StatusForbidden, "")
	// Selangor's officer session means nothing on kedah's host.
	if r := h.upload(t, "kedah", "/api/v1/admin/settings/logo", it, "jata.png", data); r.Status == http.StatusOK {
		t.Fatalf("selangor's officer uploaded on kedah: %s", r.Raw)
	}
	apitest.Expect(t, h.upload(t, "selangor", "/api/v1/admin/settings/logo", it, "jata.png", data), http.StatusOK, "")
	if r := h.getLogo(t, "kedah", nil); r.Status != http.StatusNotFound {
		t.Errorf("kedah serves a logo: %d, want 404 (selangor's must not leak)", r.Status)
	}
	if r := h.getLogo(t, "selangor", nil); r.Status != http.StatusOK || r.Raw != string(data) {
		t.Errorf("selangor's logo: %d", r.Status)
	}
}
