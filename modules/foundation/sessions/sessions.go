// Package sessions is what every kind of browser session on the platform shares: the state
// staff's and suppliers' sessions on a tenant host (modules/account) and JANM's on the
// platform host (modules/platform). Each keeps its rows in its own table; the rules for the
// cookie, the token, the CSRF check and the lifetimes are written once, here.
package sessions

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// AbsoluteLifetime ends every session 12 hours after login, however active (ASVS 3.3.4).
const AbsoluteLifetime = 12 * time.Hour

// NewToken returns n random bytes, base64url without padding: session IDs and CSRF tokens
// (32 bytes = 256 bits), one-time link tokens.
func NewToken(n int) (string, error) {
	buf := make([]byte, n)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(buf), nil
}

// Hash is what is stored of a token: its SHA-256, so a copy of a sessions table opens no
// session.
func Hash(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// Expired reports whether a session created at created and last seen at lastSeen has passed
// its idle limit or the absolute lifetime at now.
func Expired(created, lastSeen, now time.Time, idle time.Duration) bool {
	return now.Sub(lastSeen) > idle || now.Sub(created) > AbsoluteLifetime
}

// secureKey marks a request whose cookies are Secure whatever scheme it appears to have.
type secureKey struct{}

// SecureOnly marks the request so that every cookie it sets is Secure and, where the cookie
// allows it, __Host- prefixed. The web shell marks every request in production: TLS ends at
// the ingress there, so the scheme the server sees (c.Protocol(), which trusts
// X-Forwarded-Proto only from http.trusted_proxies) says nothing about what the browser used,
// and a misconfigured proxy list must not downgrade the cookies.
func SecureOnly(c *fiber.Ctx) { c.Locals(secureKey{}, true) }

// Secure reports whether the request's cookies are Secure: always when SecureOnly marked it
// (production), otherwise only over TLS. Dev over plain http on *.localhost therefore keeps
// cookies without Secure, which every browser accepts there.
func Secure(c *fiber.Ctx) bool {
	marked, _ := c.Locals(secureKey{}).(bool)
	return marked || c.Protocol() == "https"
}

// CookieName is the name a cookie with Path "/" and no Domain is set and read under on this
// request: "__Host-" + name when Secure, so the browser refuses one that is not Secure, has
// a Domain or another Path, and a sibling subdomain cannot plant or overwrite it.
func CookieName(c *fiber.Ctx, name string) string {
	if Secure(c) {
		return "__Host-" + name
	}
	return name
}

// Cookie is a session cookie, named by CookieName (session fixation across subdomains of a
// state's domain is what the __Host- prefix prevents).
type Cookie struct {
	Name string // e.g. "speks_session"; "__Host-" + Name when Secure
}

// name is the cookie's name for this request.
func (k Cookie) name(c *fiber.Ctx) string { return CookieName(c, k.Name) }

// Token is the session token the request carries, "" when none.
func (k Cookie) Token(c *fiber.Ctx) string { return c.Cookies(k.name(c)) }

// Set gives the browser the session token. HttpOnly (no script reads it), SameSite=Lax (no
// cross-site form posts carry it) and a session cookie: the server decides when the session
// ends, the browser forgets it when it closes.
func (k Cookie) Set(c *fiber.Ctx, token string) {
	c.Cookie(&fiber.Cookie{
		Name: k.name(c), Value: token, Path: "/", HTTPOnly: true,
		Secure: Secure(c), SameSite: fiber.CookieSameSiteLaxMode, SessionOnly: true,
	})
}

// Clear tells the browser to forget the session token.
func (k Cookie) Clear(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{
		Name: k.name(c), Value: "", Path: "/", HTTPOnly: true, MaxAge: -1,
		Secure: Secure(c), SameSite: fiber.CookieSameSiteLaxMode,
	})
}

// SafeMethod reports whether a request method changes nothing (no CSRF check needed).
func SafeMethod(method string) bool {
	return method == fiber.MethodGet || method == fiber.MethodHead || method == fiber.MethodOptions
}

// ValidCSRF compares the request's CSRF token with the session's in constant time: the
// X-CSRF-Token header (JSON clients) or the csrf_token form field (pages, including
// multipart uploads such as the logo).
func ValidCSRF(c *fiber.Ctx, want string) bool {
	got := c.Get("X-CSRF-Token")
	if ct := c.Get(fiber.HeaderContentType); got == "" &&
		(strings.HasPrefix(ct, fiber.MIMEApplicationForm) || strings.HasPrefix(ct, fiber.MIMEMultipartForm)) {
		got = c.FormValue("csrf_token")
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
