package records

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/speks-portal/speks/modules/admin"
	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// TestPDFCrestHeader: with an uploaded logo the header carries it as an image beside the
// state's name; without one the header is text only, from the margin, with no placeholder.
func TestPDFCrestHeader(t *testing.T) {
	logo, err := prepareLogo(testLogo(t, 600, 400))
	if err != nil {
		t.Fatal(err)
	}
	doc := payslipDoc(benchPayslip(), "Kerajaan Negeri Kelantan", localeLabels(t, "ms"))
	doc.Logo = logo
	buf, boxes, err := layoutPDF(doc)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := pdfPictures(buf), fmt.Sprintf("DeviceRGB %dx%d, QR", crestPixels, crestPixels*2/3); got != want {
		t.Fatalf("pictures with a crest: %s, want %s", got, want)
	}
	crest := boxes[0]
	if crest.Text != "" || crest.X != margin || crest.W != crestSize || crest.Y+crest.H > margin+crestSize {
		t.Errorf("first box is not the crest in the header's corner: %+v", crest)
	}
	if issuer := boxes[1]; issuer.Text != "Kerajaan Negeri Kelantan" || issuer.X < margin+crestSize {
		t.Errorf("state name beside the crest: %+v", issuer)
	}
	if text := pdfText(t, buf); strings.Contains(text, "JATA") {
		t.Errorf("placeholder printed:\n%s", text)
	}

	doc.Logo = nil
	buf, boxes, err = layoutPDF(doc)
	if err != nil {
		t.Fatal(err)
	}
	if got := pdfPictures(buf); got != "QR" {
		t.Errorf("pictures without a crest: %s, want the QR code only", got)
	}
	if issuer := boxes[0]; issuer.Text != "Kerajaan Negeri Kelantan" || issuer.X != margin {
		t.Errorf("text-only header does not start at the margin: %+v", issuer)
	}
	for _, b := range boxes {
		if b.Text == "" && b.Y < margin+crestSize {
			t.Errorf("an image in the text-only header: %+v", b)
		}
	}
	text := pdfText(t, buf)
	if strings.Contains(text, "JATA") || !strings.Contains(text, "PENYATA GAJI") {
		t.Errorf("text-only header:\n%s", text)
	}
}

// TestPrepareLogo: a large upload is scaled down to crestPixels on its longer side, a small
// one kept, JPEG read as well as PNG, and anything else refused.
func TestPrepareLogo(t *testing.T) {
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, image.NewRGBA(image.Rect(0, 0, 300, 1024)), nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		data []byte
		w, h int
	}{
		{"large png", testLogo(t, 1024, 1024), crestPixels, crestPixels},
		{"small png", testLogo(t, 100, 50), 100, 50},
		{"tall jpeg", jpg.Bytes(), 300 * crestPixels / 1024, crestPixels},
	} {
		l, err := prepareLogo(c.data)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if l.w != c.w || l.h != c.h {
			t.Errorf("%s: %dx%d, want %dx%d", c.name, l.w, l.h, c.w, c.h)
		}
		if cfg, format, err := image.DecodeConfig(bytes.NewReader(l.png)); err != nil || format != "png" || cfg.Width != c.w {
			t.Errorf("%s: prepared crest %v %s %v", c.name, cfg, format, err)
		}
	}
	if _, err := prepareLogo([]byte("<svg/>")); err == nil {
		t.Errorf("an SVG was prepared")
	}
}

// putLogo puts a logo in place as the admin module's upload does: the image in the tenant's
// schema, then the tenant's branding URL with its hash.
func putLogo(ctx context.Context, db *tenant.DB, env *tenanttest.Env, code string, data []byte) error {
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	if _, err := db.ExecContext(ctx, `INSERT INTO branding_logo (id, content, content_type, sha256) VALUES (true, $1, 'image/png', $2)
		ON CONFLICT (id) DO UPDATE SET content = EXCLUDED.content, sha256 = EXCLUDED.sha256`, data, hash); err != nil {
		return fmt.Errorf("logo of %s: %w", code, err)
	}
	return env.Registry.SetLogoURL(ctx, code, "/branding/logo?v="+hash[:12], "test")
}

func (f *fixture) storeLogo(t *testing.T, code string, data []byte) {
	t.Helper()
	if err := putLogo(context.Background(), f.scopes[code].DB, f.env, code, data); err != nil {
		t.Fatal(err)
	}
	f.env.Resolver.Invalidate()
}

// TestPDFsPrintTheUploadedLogo: every PDF the portal makes (payslip, EC, payment advice and
// the export's) carries the logo the state uploaded, read through admin.Logos; a replaced
// logo replaces the crest, and a state without one gets a text-only header.
func TestPDFsPrintTheUploadedLogo(t *testing.T) {
	f := newFixture(t)
	f.module.Logos = admin.Logos{}
	f.do(t, http.MethodPost, "kelantan", "contoh", "/api/v1/payments/PV-0001/verify", `{"account_no":"512345678901"}`)
	pdfs := map[string]struct{ user, path string }{
		"payslip": {"aminah", "/api/v1/payslips/2026/10.pdf"}, "EC": {"aminah", "/api/v1/statements/2025.pdf"},
		"payment advice": {"contoh", "/api/v1/payments/PV-0001.pdf"},
	}
	crestOf := func(t *testing.T, name string) string {
		t.Helper()
		r := f.do(t, http.MethodGet, "kelantan", pdfs[name].user, pdfs[name].path, "")
		if r.Status != 200 {
			t.Fatalf("%s: %d %s", name, r.Status, r.Raw)
		}
		if strings.Contains(pdfText(t, []byte(r.Raw)), "JATA") {
			t.Errorf("%s prints the placeholder", name)
		}
		return pdfPictures([]byte(r.Raw))
	}
	for name := range pdfs {
		if got := crestOf(t, name); got != "QR" {
			t.Errorf("%s before any upload: images %s, want the QR code only", name, got)
		}
	}
	f.storeLogo(t, "kelantan", testLogo(t, 600, 400))
	for name := range pdfs {
		if got := crestOf(t, name); got != "DeviceRGB 240x160, QR" {
			t.Errorf("%s with the uploaded logo: images %s", name, got)
		}
	}
	f.storeLogo(t, "kelantan", testLogo(t, 90, 120))
	if got := crestOf(t, "payslip"); got != "DeviceRGB 90x120, QR" {
		t.Errorf("payslip after the logo was replaced: images %s", got)
	}
	if got := exportedCrest(t, []byte(f.do(t, http.MethodGet, "kelantan", "aminah", "/api/v1/account/export", "").Raw)); got != "DeviceRGB 90x120, QR" {
		t.Errorf("exported payslip: images %s", got)
	}
	// A stored logo that no longer decodes leaves the crest off; the download still works.
	f.storeLogo(t, "kelantan", []byte("\x89PNG\r\n\x1a\nbroken"))
	if got := crestOf(t, "payslip"); got != "QR" {
		t.Errorf("payslip with an undecodable logo: images %s", got)
	}
}

// exportedCrest lists the images of the first PDF in an export ZIP.
func exportedCrest(t *testing.T, body []byte) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("export zip: %v", err)
	}
	for _, file := range zr.File {
		if !strings.HasSuffix(file.Name, ".pdf") {
			continue
		}
		rc, err := file.Open()
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		buf, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		return pdfPictures(buf)
	}
	t.Fatal("no PDF in the export")
	return ""
}
