package webtest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/speks-portal/speks/modules/foundation/web/webtest"
)

// TestLandingPagesInBothLanguages opens the Selangor and Pahang landing pages in a real
// Chromium, switches between Malay and English with the header links, and checks the
// tenant's name, <html lang>, the registration link of its mode and the console.
func TestLandingPagesInBothLanguages(t *testing.T) {
	srv := webtest.Start(t, webtest.Options{})
	browser := webtest.NewBrowser(t)

	cases := []struct {
		code, name, registrationPath, registrationMS, registrationEN string
	}{
		{"selangor", "Selangor", "/first-login", "Login Kali Pertama", "First-time login"},
		{"pahang", "Pahang", "/register", "Daftar", "Register"},
	}
	for _, tc := range cases {
		t.Run(tc.code, func(t *testing.T) {
			tab := browser.NewTab(t)
			if status := tab.Open(srv.TenantURL(tc.code, "/?lang=ms")); status != http.StatusOK {
				t.Fatalf("landing page status %d", status)
			}
			expectPage(t, tab, "ms", "Portal SPEKS "+tc.name, "Selamat datang ke Portal SPEKS "+tc.name)
			expectRegistration(t, tab, tc.registrationPath, tc.registrationMS)
			expectSkipLinkFirst(t, tab)
			tab.ScreenshotIfAsked(tc.code + "-ms")

			if status := tab.Click(`.lang-switch a[data-lang="en"]`); status != http.StatusOK {
				t.Fatalf("English page status %d", status)
			}
			expectPage(t, tab, "en", tc.name+" SPEKS Portal", "Welcome to the "+tc.name+" SPEKS Portal")
			expectRegistration(t, tab, tc.registrationPath, tc.registrationEN)

			// The choice is remembered: the plain address stays in English.
			tab.Open(srv.TenantURL(tc.code, "/"))
			expectPage(t, tab, "en", tc.name+" SPEKS Portal", "Welcome to the "+tc.name+" SPEKS Portal")

			tab.Click(`.lang-switch a[data-lang="ms"]`)
			expectPage(t, tab, "ms", "Portal SPEKS "+tc.name, "Selamat datang ke Portal SPEKS "+tc.name)

			tab.Phone()
			tab.Open(srv.TenantURL(tc.code, "/"))
			if wide := webtest.Eval[bool](tab, "document.documentElement.scrollWidth > window.innerWidth"); wide {
				t.Error("the page scrolls sideways on a phone")
			}
			tab.ScreenshotIfAsked(tc.code + "-phone")
			tab.ExpectNoConsoleErrors()
		})
	}
}

// TestOtherPagesHaveNoConsoleErrors visits the platform landing and the error pages, which
// load the same stylesheet and icon from a different host or with an error status.
func TestOtherPagesHaveNoConsoleErrors(t *testing.T) {
	srv := webtest.Start(t, webtest.Options{})
	tab := webtest.NewBrowser(t).NewTab(t)

	if status := tab.Open(srv.PlatformURL("/?lang=ms")); status != http.StatusOK {
		t.Fatalf("platform page status %d", status)
	}
	if got := tab.Count(".state-list a"); got != 4 {
		t.Errorf("platform page lists %d states, want 4", got)
	}
	tab.ScreenshotIfAsked("platform-ms")
	if status := tab.Click(`.state-list a[data-code="melaka"]`); status != http.StatusOK {
		t.Fatalf("following the Melaka link: status %d", status)
	}
	if got := tab.Text("#account-section"); !strings.Contains(got, "Borang Pentadbiran Pengguna") {
		t.Errorf("Melaka (admin_only) does not explain the user-administration form: %q", got)
	}
	if tab.Count("#registration-link") != 0 {
		t.Error("an admin_only tenant shows a registration link")
	}
	tab.ScreenshotIfAsked("melaka-ms")
	tab.ExpectNoConsoleErrors() // before the 404, which Chromium itself logs as a failed load

	if status := tab.Open(srv.TenantURL("nosuchstate", "/?lang=ms")); status != http.StatusNotFound {
		t.Fatalf("unknown host status %d, want 404", status)
	}
	if body := tab.Text("main"); strings.Contains(strings.ToLower(body), "selangor") || !strings.Contains(body, "Tiada portal") {
		t.Errorf("unknown host page: %q", body)
	}
	tab.ScreenshotIfAsked("unknown-host")
	for _, e := range tab.ConsoleErrors() {
		if !strings.Contains(e, "404") {
			t.Errorf("console error other than the page's own 404: %s", e)
		}
	}
}

func expectPage(t *testing.T, tab *webtest.Tab, lang, siteName, heading string) {
	t.Helper()
	if got := tab.Attr("html", "lang"); got != lang {
		t.Errorf("<html lang> = %q, want %q", got, lang)
	}
	if got := tab.Text(".brand-name"); got != siteName {
		t.Errorf("site name = %q, want %q", got, siteName)
	}
	if got := tab.Text("h1"); got != heading {
		t.Errorf("heading = %q, want %q", got, heading)
	}
	if got := tab.Attr(`.lang-switch a[aria-current="true"]`, "data-lang"); got != lang {
		t.Errorf("language switch marks %q as current, want %q", got, lang)
	}
}

func expectRegistration(t *testing.T, tab *webtest.Tab, path, label string) {
	t.Helper()
	if got := tab.Attr("#registration-link", "href"); got != path {
		t.Errorf("registration link = %q, want %q", got, path)
	}
	if got := tab.Text("#registration-link"); got != label {
		t.Errorf("registration label = %q, want %q", got, label)
	}
}

// expectSkipLinkFirst checks that the first Tab lands on the skip link and shows it, so a
// keyboard user can jump past the header.
func expectSkipLinkFirst(t *testing.T, tab *webtest.Tab) {
	t.Helper()
	tab.PressTab()
	if cls := webtest.Eval[string](tab, "document.activeElement.className"); cls != "skip-link" {
		t.Errorf("first Tab focuses %q, want the skip link", cls)
	}
	if top := webtest.Eval[float64](tab, "document.activeElement.getBoundingClientRect().top"); top < 0 {
		t.Errorf("the focused skip link is off screen (top %.0f)", top)
	}
}

// axe-core finds no serious or critical violation on the landing pages, in both languages and
// at phone width.
func TestLandingPagesAreAccessible(t *testing.T) {
	srv := webtest.Start(t, webtest.Options{})
	b := webtest.NewBrowser(t)
	for _, phone := range []bool{false, true} {
		tab := b.NewTab(t)
		if phone {
			tab.Phone()
		}
		for _, path := range []string{"/?lang=ms", "/?lang=en"} {
			for _, code := range []string{"pahang", "kelantan", "melaka", "selangor"} {
				tab.Open(srv.TenantURL(code, path))
				tab.ExpectAccessible()
			}
		}
		tab.Open(srv.PlatformURL("/"))
		tab.ExpectAccessible()
	}
}
