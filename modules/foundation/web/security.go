package web

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/helmet"
)

// contentSecurityPolicy allows this origin only. Pages carry no script at all and no inline
// style (tenant colours come from /theme.css), so nothing needs 'unsafe-inline'.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders is helmet configured for a portal that shows payroll data. HSTS is sent
// only over TLS (helmet checks the scheme, which honours X-Forwarded-Proto from trusted
// proxies only), because over plain HTTP the header is meaningless.
func securityHeaders() fiber.Handler {
	return helmet.New(helmet.Config{
		ContentSecurityPolicy: contentSecurityPolicy,
		XFrameOptions:         "DENY",
		ReferrerPolicy:        "same-origin",
		PermissionPolicy:      "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
		HSTSMaxAge:            365 * 24 * 3600,
		HSTSExcludeSubdomains: true, // a state's other subdomains are not ours to pin
	})
}

// noStore is the default for every dynamic answer: pages show payslips and personal data
// that must not stay in shared or browser caches. Static assets and /theme.css override it.
func noStore(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Next()
}
