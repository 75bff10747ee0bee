package web

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/modules/foundation/fault"
	"github.com/speks-portal/speks/tenant"
)

func TestMatchAcceptLanguage(t *testing.T) {
	cases := map[string]string{
		"":                          "",
		"ms":                        "ms",
		"ms-MY,ms;q=0.9,en;q=0.8":   "ms",
		"en-US,en;q=0.9":            "en",
		"en-GB;q=0.5, ms-MY;q=0.9":  "ms",
		"zh-CN,zh;q=0.9":            "",
		"*":                         "",
		"not a language header ;;;": "",
	}
	for header, want := range cases {
		if got := matchAcceptLanguage(header); got != want {
			t.Errorf("matchAcceptLanguage(%q) = %q, want %q", header, got, want)
		}
	}
}

func TestReadableOnMeetsWCAGContrast(t *testing.T) {
	for _, bg := range []string{"#0b3b66", "#b01c2e", "#f5c400", "#ffffff", "#000", "#777777", "#1d1d1b", "#e8e8e8", "#00a651", "#767676", "#7a7a7a", "#808080", "#ff0000"} {
		text := readableOn(bg)
		if ratio := contrast(luminance(text), luminance(bg)); ratio < 4.5 {
			t.Errorf("text %s on %s has contrast %.2f, want at least 4.5 (WCAG AA)", text, bg, ratio)
		}
	}
	if got := readableOn("#ffffff"); got != "#000000" {
		t.Errorf("text on white = %s, want the dark colour", got)
	}
}

func TestThemeRejectsInjection(t *testing.T) {
	th := themeOf(tenant.Branding{PrimaryColour: "#fff;}body{display:none", AccentColour: " #ABC "})
	if th.Brand != defaultBrand || th.Accent != "#abc" {
		t.Errorf("theme = %+v", th)
	}
}

func TestRedactPath(t *testing.T) {
	cases := map[string]string{
		"/api/v1/payslips/2025/3":        "/api/v1/payslips/2025/3",
		"/verify/880101-14-5555":         "/verify/[redacted]",
		"/admin/users/880101145555/edit": "/admin/users/[redacted]/edit",
	}
	for in, want := range cases {
		if got := redactPath(in); got != want {
			t.Errorf("redactPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestClassify(t *testing.T) {
	suspended := &tenant.Tenant{Code: "perlis"}
	cases := []struct {
		err        error
		status     int
		code       string
		wantTenant bool
	}{
		{fmt.Errorf("resolve: %w", tenant.ErrUnknownHost), http.StatusNotFound, "unknown_host", false},
		{&tenant.SuspendedError{Tenant: suspended}, http.StatusServiceUnavailable, "tenant_suspended", true},
		{fault.New(fault.NotFound, "not_found", tenant.ErrNotFound), http.StatusNotFound, "not_found", false},
		{fmt.Errorf("list: %w", tenant.ErrNotFound), http.StatusNotFound, "not_found", false},
		{fault.Unauth(), http.StatusUnauthorized, "unauthenticated", false},
		{fiber.ErrUnauthorized, http.StatusUnauthorized, "unauthenticated", false},
		{fault.New(fault.Conflict, "host_taken", nil), http.StatusConflict, "host_taken", false},
		{fault.New(fault.Invalid, "weak_password", nil), http.StatusUnprocessableEntity, "weak_password", false},
		{fault.New(fault.Locked, "locked", nil), http.StatusLocked, "locked", false},
		{fault.New(fault.Throttled, "too_many_requests", nil), http.StatusTooManyRequests, "too_many_requests", false},
		{&tenant.ValidationError{Problems: []tenant.FieldError{{Field: "code"}}}, http.StatusUnprocessableEntity, "invalid_tenant", false},
		{fault.New(fault.Internal, "x", nil), http.StatusInternalServerError, "x", false},
		{fiber.ErrMethodNotAllowed, http.StatusMethodNotAllowed, "method_not_allowed", false},
		{fiber.ErrRequestEntityTooLarge, http.StatusRequestEntityTooLarge, "payload_too_large", false},
		{fiber.NewError(http.StatusTeapot, "short and stout"), http.StatusTeapot, "http_error", false},
		{fiber.ErrBadGateway, http.StatusInternalServerError, "internal_error", false},
		{errors.New("boom"), http.StatusInternalServerError, "internal_error", false},
	}
	for _, tc := range cases {
		f := classify(tc.err)
		if f.status != tc.status || f.code != tc.code || (f.suspended != nil) != tc.wantTenant {
			t.Errorf("classify(%v) = %d %s (tenant %v), want %d %s", tc.err, f.status, f.code, f.suspended != nil, tc.status, tc.code)
		}
	}
}

func TestShellMessagesAreComplete(t *testing.T) {
	own, err := newShell(Options{})
	if err == nil || own != nil {
		t.Fatal("newShell accepted options without config")
	}
	locales, err := fs.Sub(localeFiles, "locales")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewTranslator(locales)
	if err != nil {
		t.Fatalf("the shell's own message files: %v", err)
	}
	for code := range map[string]bool{"unknown_host": true, "tenant_suspended": true, "internal_error": true, "http_error": true} {
		if !tr.Has("error_" + code) {
			t.Errorf("no message for error code %s", code)
		}
	}
	for _, code := range fiberCodes {
		if !tr.Has("error_" + code) {
			t.Errorf("no message for fiber error code %s", code)
		}
	}
	if got := tr.T("en", "site_name_tenant", map[string]any{"Name": "Pahang"}); got != "Pahang SPEKS Portal" {
		t.Errorf("T = %q", got)
	}
}

// TestKindStatusCoversEveryKind: every kind of fault has its status in the one table.
func TestKindStatusCoversEveryKind(t *testing.T) {
	for k := fault.Internal; k <= fault.Unavailable; k++ {
		if _, ok := kindStatus[k]; !ok {
			t.Errorf("kind %d has no status", k)
		}
	}
}

// The navigation shows each person the entries their roles open; an entry for every signed-in
// person (the account pages) belongs to a state's portal and is not offered on the platform
// host, whose administrators are no state's users.
func TestNavForRolesAndHosts(t *testing.T) {
	tr, err := NewTranslator(localeFiles)
	if err != nil {
		t.Fatal(err)
	}
	items := []NavItem{
		{Label: "nav_home", Path: "/home", Roles: []string{"staff"}},
		{Label: "nav_home", Path: "/admin", Roles: []string{"it_officer"}},
		{Label: "nav_home", Path: "/account"},
		{Label: "nav_home", Path: "/platform", Roles: []string{"platform_admin"}},
	}
	paths := func(links []NavLink) (out []string) {
		for _, l := range links {
			out = append(out, l.URL)
		}
		return out
	}
	state := &Page{Lang: "ms", tr: tr, Tenant: &tenant.Tenant{Code: "kelantan"}}
	staff := state.navFor(items, &Viewer{Roles: []string{"staff"}}, "/payslips")
	if got := fmt.Sprint(paths(staff)); got != "[/home /account]" {
		t.Errorf("staff in a state see %s", got)
	}
	officer := state.navFor(items, &Viewer{Roles: []string{"staff", "it_officer"}}, "/admin/users")
	if got := fmt.Sprint(paths(officer)); got != "[/home /admin /account]" || !officer[1].Current {
		t.Errorf("an IT officer on /admin/users sees %s (current %+v)", got, officer)
	}
	platform := &Page{Lang: "ms", tr: tr, Platform: true}
	if got := fmt.Sprint(paths(platform.navFor(items, &Viewer{Roles: []string{"platform_admin"}}, "/platform"))); got != "[/platform]" {
		t.Errorf("the platform admin sees %s", got)
	}
	if links := state.navFor(items, &Viewer{Roles: []string{"staff"}, Restricted: true}, "/account/password"); links != nil {
		t.Errorf("a restricted session sees %v", links)
	}
}
