package feed

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/modules/foundation/fault"
	"github.com/speks-portal/speks/tenant"
)

// bodyReadTimeout is how long an authenticated feed may take to send its body: 512 MiB at
// 5 Mbit/s, with room to spare.
const bodyReadTimeout = 30 * time.Minute

// Module serves POST /api/v1/feeds/{kind} on tenant hosts. The tenant comes from the host
// (the tenant middleware put its scope on the context); the Bearer key must belong to that
// tenant, so a key of one state is unknown on every other state's host. No cookie, no CSRF:
// the key is the only credential.
type Module struct {
	maxBodyBytes int64
}

// NewModule limits bodies to maxBodyBytes (feeds.max_body_bytes).
func NewModule(maxBodyBytes int64) *Module { return &Module{maxBodyBytes: maxBodyBytes} }

//go:embed locales/*.yaml
var localeFiles embed.FS

// Locales are the feed API's messages.
func (m *Module) Locales() fs.FS { sub, _ := fs.Sub(localeFiles, "locales"); return sub }

// Mount adds the feed route.
func (m *Module) Mount(app *fiber.App) {
	app.Post("/api/v1/feeds/:kind", m.handle)
}

// keyLocal holds the API key CheckKey accepted.
type keyLocal struct{}

// CheckKey is the one check of a feed API key per request, made by the authorisation
// middleware's credential (which makes the caller the subject "feed"): true for a valid key
// of the host's tenant, which it keeps for the handler. A key that is presented but not valid
// is refused here (invalid_api_key with a Bearer challenge); no key at all is false, left to
// authz (unauthenticated).
func CheckKey(c *fiber.Ctx) (bool, error) {
	presented, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
	if !ok {
		return false, nil
	}
	scope, ok := tenant.FromContext(c.UserContext())
	if !ok {
		return false, nil // the platform host takes no feeds
	}
	key, err := Authenticate(c.UserContext(), scope.DB, strings.TrimSpace(presented))
	if errors.Is(err, ErrInvalidAPIKey) {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="speks-feeds"`)
		return false, refused(c, fault.New(fault.Unauthenticated, "invalid_api_key", err).Message("feed_error_invalid_api_key", nil))
	}
	if err != nil {
		return false, fmt.Errorf("feed: check the API key: %w", err)
	}
	c.Locals(keyLocal{}, key)
	return true, nil
}

func (m *Module) handle(c *fiber.Ctx) error {
	ctx := c.UserContext()
	_, ok := tenant.FromContext(ctx)
	if !ok {
		return refused(c, fault.New(fault.NotFound, "not_found", nil).Message("feed_error_not_found", nil))
	}
	kind, err := ParseKind(c.Params("kind"))
	if err != nil {
		return refused(c, fault.New(fault.NotFound, "unknown_feed", err).Message("feed_error_unknown_feed", nil))
	}
	key, ok := c.Locals(keyLocal{}).(*APIKey)
	if !ok { // authz lets only the "feed" subject through; this is the handler's own belt
		return refused(c, fault.Unauth())
	}
	if mt, _, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType)); err != nil || mt != "text/csv" {
		return refused(c, fault.New(fault.UnsupportedType, "unsupported_media_type", err).Message("feed_error_unsupported_media_type", nil))
	}
	if n := c.Request().Header.ContentLength(); n > 0 && int64(n) > m.maxBodyBytes {
		return m.tooLarge(c)
	}
	// The server's read timeout (a minute, against slow clients) would cut a large upload;
	// a feed whose key checked out gets bodyReadTimeout to send its body.
	if err := c.Context().Conn().SetReadDeadline(time.Now().Add(bodyReadTimeout)); err != nil {
		return fmt.Errorf("feed: extend the read deadline: %w", err)
	}
	res, err := Import(ctx, kind, requestBody(c), Options{
		Actor:          "apikey:" + key.Name,
		APIKeyID:       key.ID,
		IdempotencyKey: strings.TrimSpace(c.Get("Idempotency-Key")),
		MaxBytes:       m.maxBodyBytes,
		// Links in "ready" mails go to the host the feed came in on: one of the tenant's own.
		Publish: &Publishing{BaseURL: c.Protocol() + "://" + c.Hostname()},
	})
	return m.answer(c, res, err)
}

// answer maps Import's outcome to the API's answers; refusals go to the web edge.
func (m *Module) answer(c *fiber.Ctx, res *Result, err error) error {
	switch {
	case err == nil:
		if res.Replayed {
			c.Set("Idempotent-Replayed", "true")
		}
		return c.JSON(res)
	case errors.Is(err, ErrInvalidFile):
		// The refusal carries the whole feed answer beside "error", the errors listed in it.
		e := fault.New(fault.Invalid, "invalid_file", err).Message("feed_error_invalid_file", map[string]any{"Count": len(res.Errors)})
		e.Body = res
		return refused(c, e)
	case errors.Is(err, ErrTooLarge):
		drainRefusedBody(c)
		return m.tooLarge(c)
	case errors.Is(err, ErrIdempotencyKey):
		return refused(c, fault.New(fault.BadRequest, "invalid_idempotency_key", err).Message("feed_error_invalid_idempotency_key", nil))
	}
	return err
}

// A stream that crossed the limit is refused while its client is still sending. Closing the
// connection at once, with the rest unread, makes the kernel reset it, and a reset discards
// the 413 before the client reads it: the sender would see "connection reset" instead of the
// reason. So the rest is read and dropped first, within bounds, so that a huge upload cannot
// hold the connection: past them the connection is closed all the same.
const (
	refusedDrainBytes = 16 << 20
	refusedDrainTime  = 2 * time.Second
)

func drainRefusedBody(c *fiber.Ctx) {
	s := c.Context().RequestBodyStream()
	if s == nil {
		return
	}
	if err := c.Context().Conn().SetReadDeadline(time.Now().Add(refusedDrainTime)); err != nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(s, refusedDrainBytes))
}

func (m *Module) tooLarge(c *fiber.Ctx) error {
	return refused(c, fault.New(fault.TooLarge, "body_too_large", ErrTooLarge).
		Message("feed_error_body_too_large", map[string]any{"Limit": m.maxBodyBytes}))
}

// refused hands a refusal to the edge. The body of a refused request may be left unread, so
// the connection is closed rather than reused: the client cannot be half-way through a file
// on a fresh one.
func refused(c *fiber.Ctx, err error) error {
	c.Context().SetConnectionClose()
	return err
}

// requestBody streams the body: the server is configured to stream request bodies, so a
// large feed never sits whole in memory. Import copies such a stream to a temporary file
// while hashing it, so that a file sent again is answered before it is parsed. A body the
// server has already read whole is served from memory (seekable: hashed in place).
func requestBody(c *fiber.Ctx) io.Reader {
	if s := c.Context().RequestBodyStream(); s != nil {
		return s
	}
	return bytes.NewReader(c.Body())
}
