package web

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/helmet"
	"github.com/valyala/fasthttp"

	"github.com/speks-portal/speks/modules/foundation/sessions"
)

// contentSecurityPolicy allows this origin only. Pages carry no script at all and no inline
// style (tenant colours come from /theme.css), so nothing needs 'unsafe-inline'.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// hstsMaxAge is one year. includeSubDomains pins only the names below a portal's own host
// (below espeks.pahang.gov.my, not its siblings under pahang.gov.my). No preload: the preload
// list takes registrable domains (pahang.gov.my), which belong to the states, not to the
// platform, and leaving it takes months (docs/SECURITY.md "Transport").
const (
	hstsMaxAge = 365 * 24 * 3600
	hstsValue  = "max-age=31536000; includeSubDomains"
)

// securityHeaders is helmet configured for a portal that shows payroll data. Here helmet
// sends HSTS only over TLS (it checks the scheme, which honours X-Forwarded-Proto from
// trusted proxies only): that is dev behind a TLS proxy. Production sends it on every answer
// whatever the scheme looks like (secureTransport).
func securityHeaders() fiber.Handler {
	return helmet.New(helmet.Config{
		ContentSecurityPolicy: contentSecurityPolicy,
		XFrameOptions:         "DENY",
		ReferrerPolicy:        "same-origin",
		PermissionPolicy:      "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
		HSTSMaxAge:            hstsMaxAge,
	})
}

// secureTransport is production's answer to a TLS-terminating ingress: the browser speaks
// HTTPS whatever scheme the request shows here, so every answer (error pages included)
// carries HSTS and every cookie it sets is Secure. The cookies the platform sets are already
// Secure and __Host- through sessions.SecureOnly; this also makes any cookie a later
// change forgets Secure. Dev is left alone: browsers refuse Secure cookies over plain
// http except on localhost, and HSTS would pin *.localhost.
func (s *shell) secureTransport(c *fiber.Ctx) {
	if s.cfg.IsDev() {
		return
	}
	c.Set(fiber.HeaderStrictTransportSecurity, hstsValue)
	forceSecureCookies(&c.Response().Header)
}

// forceSecureCookies sets the Secure attribute on every Set-Cookie of h that lacks it.
func forceSecureCookies(h *fasthttp.ResponseHeader) {
	var insecure []*fasthttp.Cookie
	h.VisitAllCookie(func(_, value []byte) {
		ck := fasthttp.AcquireCookie()
		if ck.ParseBytes(value) == nil && !ck.Secure() {
			insecure = append(insecure, ck)
			return
		}
		fasthttp.ReleaseCookie(ck)
	})
	for _, ck := range insecure {
		ck.SetSecure(true)
		h.SetCookie(ck)
		fasthttp.ReleaseCookie(ck)
	}
}

// markSecureCookies makes every cookie of a production request Secure and __Host- prefixed
// (sessions.SecureOnly); dev keeps them so only over TLS.
func (s *shell) markSecureCookies(c *fiber.Ctx) {
	if !s.cfg.IsDev() {
		sessions.SecureOnly(c)
	}
}

// noStore is the default for every dynamic answer: pages show payslips and personal data
// that must not stay in shared or browser caches. Static assets and /theme.css override it.
func noStore(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Next()
}
