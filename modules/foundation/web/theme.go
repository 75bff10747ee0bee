package web

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/tenant"
)

// Default brand colours (app.css has the same); used when a tenant sets none or an invalid one.
const (
	defaultBrand  = "#0b3b66"
	defaultAccent = "#c8a415"
)

// hexColour accepts #rgb and #rrggbb only: the value is written into CSS, so anything else
// (a stray ';' or '}') could inject rules.
var hexColour = regexp.MustCompile(`^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

// theme is a tenant's colours with the text colour that reads best on each.
type theme struct {
	Brand, OnBrand, Accent string
}

func themeOf(b tenant.Branding) theme {
	brand := validColour(b.PrimaryColour, defaultBrand)
	return theme{Brand: brand, OnBrand: readableOn(brand), Accent: validColour(b.AccentColour, defaultAccent)}
}

func validColour(c, fallback string) string {
	c = strings.TrimSpace(c)
	if hexColour.MatchString(c) {
		return strings.ToLower(c)
	}
	return fallback
}

func (th theme) css() string {
	return fmt.Sprintf(":root{--brand:%s;--on-brand:%s;--accent:%s}\n", th.Brand, th.OnBrand, th.Accent)
}

// version changes whenever the colours do, so /theme.css?v=… can be cached for long.
func (th theme) version() string {
	sum := sha256.Sum256([]byte(th.css()))
	return hex.EncodeToString(sum[:])[:10]
}

func (s *shell) themeURL(t *tenant.Tenant) string {
	return "/theme.css?v=" + themeOf(t.Branding).version()
}

// themeCSS serves the tenant's colours as a stylesheet: a file rather than an inline
// style, so the Content-Security-Policy can stay at style-src 'self'.
func themeCSS(c *fiber.Ctx) error {
	t := currentTenant(c)
	if t == nil {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderContentType, "text/css; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "public, max-age=86400")
	return c.SendString(themeOf(t.Branding).css())
}

// readableOn picks white or black text for a background, whichever has the higher WCAG
// contrast ratio. With pure white and pure black the better one always reaches at least
// 4.58:1 (the worst case is a luminance of about 0.18), so any brand colour a state picks
// keeps its header text at WCAG AA.
func readableOn(background string) string {
	const white, dark = "#ffffff", "#000000"
	bg := luminance(background)
	if contrast(luminance(white), bg) >= contrast(luminance(dark), bg) {
		return white
	}
	return dark
}

// luminance is the WCAG 2 relative luminance of a #rgb or #rrggbb colour.
func luminance(colour string) float64 {
	h := strings.TrimPrefix(colour, "#")
	if len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	channel := func(i int) float64 {
		v, _ := strconv.ParseUint(h[i:i+2], 16, 8)
		c := float64(v) / 255
		if c <= 0.03928 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	return 0.2126*channel(0) + 0.7152*channel(2) + 0.0722*channel(4)
}

// contrast is the WCAG contrast ratio of two luminances (1 to 21).
func contrast(a, b float64) float64 {
	if a < b {
		a, b = b, a
	}
	return (a + 0.05) / (b + 0.05)
}
