package records

import (
	"context"
	"encoding/base64"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/speks-portal/speks/modules/admin"
	"github.com/speks-portal/speks/modules/foundation/web/webtest"
	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// fetchPDF downloads url from the page, with its session, as the PDF link would.
func fetchPDF(t *testing.T, tab *webtest.Tab, url string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab.Context(), webtest.ActionTimeout)
	defer cancel()
	b64, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch(`+jsString(url)+`).then(r => {
		if (r.headers.get("content-type") !== "application/pdf") throw new Error("not a PDF: " + r.status);
		return r.arrayBuffer();
	}).then(b => {
		const u = new Uint8Array(b); let s = "";
		for (let i = 0; i < u.length; i += 8192) s += String.fromCharCode.apply(null, u.subarray(i, i + 8192));
		return btoa(s);
	})`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("download %s: %v", url, err)
	}
	buf, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatalf("pdf from %s: %v", url, err)
	}
	return buf
}

// pdfScreenshotIfAsked renders the PDF's pages as PNG into $SPEKS_SCREENSHOTS (with
// pdftoppm), for a person to look at what prints.
func pdfScreenshotIfAsked(t *testing.T, name string, buf []byte) {
	t.Helper()
	dir := os.Getenv("SPEKS_SCREENSHOTS")
	if dir == "" {
		return
	}
	savePDFIfAsked(t, name, buf)
	if out, err := exec.Command("pdftoppm", "-png", "-r", "80", filepath.Join(dir, name+".pdf"), filepath.Join(dir, name)).CombinedOutput(); err != nil {
		t.Logf("pdftoppm (poppler-utils) for %s: %v %s", name, err, out)
	}
}

// TestBrowserPDFs: people download their documents from the pages. Kelantan has uploaded
// no logo, so its PDFs have a text-only header; Pahang has, so its PDFs carry it. Every
// date printed is dd/mm/yyyy.
func TestBrowserPDFs(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	logo := func(ctx context.Context, env *tenanttest.Env, tn *tenant.Tenant, db *tenant.DB) error {
		if tn.Code != "pahang" {
			return nil
		}
		return putLogo(ctx, db, env, tn.Code, testLogo(t, 300, 300))
	}
	// The admin module serves the logo the pages show at /branding/logo.
	srv, accounts, browser := startRecordsServer(t, logo,
		&Module{Now: func() time.Time { return testNow }, Logos: admin.Logos{}}, admin.NewModule(nil, nil))

	t.Run("kelantan staff downloads a payslip with a text-only header", func(t *testing.T) {
		tab := browser.NewTab(t)
		login(t, srv, tab, "kelantan", accounts["kelantan"].Staff, "/payslips/2026/10?lang=ms")
		buf := fetchPDF(t, tab, tab.Attr("#pdf-link", "href"))
		pdfScreenshotIfAsked(t, "pdf-payslip-kelantan", buf)
		text := pdfText(t, buf)
		for _, want := range []string{"Kerajaan Negeri Kelantan", "PENYATA GAJI", "Oktober 2026", "Aminah binti Ahmad", "23/10/2026", "RM 3,263.46"} {
			if !strings.Contains(text, want) {
				t.Errorf("payslip lacks %q:\n%s", want, text)
			}
		}
		if strings.Contains(text, "JATA") || isoDate.MatchString(text) {
			t.Errorf("placeholder or ISO date printed:\n%s", text)
		}
		if got := pdfPictures(buf); got != "QR" {
			t.Errorf("images %s, want the QR code only", got)
		}
		tab.ExpectNoConsoleErrors()
	})

	t.Run("pahang staff downloads an EC with the state's logo", func(t *testing.T) {
		tab := browser.NewTab(t)
		login(t, srv, tab, "pahang", accounts["pahang"].Staff, "/statements?lang=en")
		tab.Click(`#statement-list a`)
		buf := fetchPDF(t, tab, tab.Attr("#pdf-link", "href"))
		pdfScreenshotIfAsked(t, "pdf-ec-pahang", buf)
		if text := pdfText(t, buf); !strings.Contains(text, "Pahang") || !strings.Contains(text, "54,255.60") || strings.Contains(text, "JATA") {
			t.Errorf("EC:\n%s", text)
		}
		if got := pdfPictures(buf); got != "DeviceRGB 240x240, QR" {
			t.Errorf("images %s, want the logo and the QR code", got)
		}
		tab.ExpectNoConsoleErrors()
	})

	t.Run("pahang supplier prints a payment advice with the logo and dd/mm/yyyy dates", func(t *testing.T) {
		tab := browser.NewTab(t)
		login(t, srv, tab, "pahang", accounts["pahang"].Supplier, "/payments/PV-0001?lang=ms")
		tab.Fill(map[string]string{"#account_no": "512345678901"})
		if status := tab.Click("#check"); status != http.StatusOK {
			t.Fatalf("account check: %d", status)
		}
		buf := fetchPDF(t, tab, tab.Attr("#pdf-link", "href"))
		pdfScreenshotIfAsked(t, "pdf-advice-pahang", buf)
		text := pdfText(t, buf)
		if !strings.Contains(text, "05/10/2026") || isoDate.MatchString(text) || !strings.Contains(text, "PV-0001") {
			t.Errorf("payment advice dates:\n%s", text)
		}
		if got := pdfPictures(buf); got != "DeviceRGB 240x240, QR" {
			t.Errorf("images %s, want the logo and the QR code", got)
		}
	})
}
