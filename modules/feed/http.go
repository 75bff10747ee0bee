package feed

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

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

// Mount adds the feed route.
func (m *Module) Mount(app *fiber.App) {
	app.Post("/api/v1/feeds/:kind", m.handle)
}

// failure is the error shape of docs/API.md "Errors"; a refused file also carries the Result fields.
type failure struct {
	Error errorBody `json:"error"`
}

type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type refusal struct {
	*Result
	Error errorBody `json:"error"`
}

func (m *Module) handle(c *fiber.Ctx) error {
	ctx := c.UserContext()
	scope, ok := tenant.FromContext(ctx)
	if !ok {
		return fail(c, fiber.StatusNotFound, "not_found", "feeds are sent to a state's host")
	}
	kind, err := ParseKind(c.Params("kind"))
	if err != nil {
		return fail(c, fiber.StatusNotFound, "unknown_feed", "unknown feed; one of employees, suppliers, payslips, statements, payments")
	}
	key, err := m.authenticate(c, scope)
	if errors.Is(err, errAnswered) {
		return nil
	}
	if err != nil {
		return err
	}
	if mt, _, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType)); err != nil || mt != "text/csv" {
		return fail(c, fiber.StatusUnsupportedMediaType, "unsupported_media_type", "send the file as Content-Type: text/csv")
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

// answer maps Import's outcome to the API's statuses.
func (m *Module) answer(c *fiber.Ctx, res *Result, err error) error {
	switch {
	case err == nil:
		if res.Replayed {
			c.Set("Idempotent-Replayed", "true")
		}
		return c.JSON(res)
	case errors.Is(err, ErrInvalidFile):
		c.Context().SetConnectionClose() // the body may not have been read to its end
		return c.Status(fiber.StatusUnprocessableEntity).JSON(refusal{Result: res, Error: errorBody{
			Code: "invalid_file", Message: fmt.Sprintf("the file has %d error(s); nothing was written", len(res.Errors))}})
	case errors.Is(err, ErrTooLarge):
		return m.tooLarge(c)
	case errors.Is(err, ErrIdempotencyKey):
		return fail(c, fiber.StatusBadRequest, "invalid_idempotency_key", "Idempotency-Key is longer than 200 characters")
	}
	return err
}

// authenticate answers 401 itself and returns a non-nil error to stop the handler.
func (m *Module) authenticate(c *fiber.Ctx, scope *tenant.Scope) (*APIKey, error) {
	presented, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
	if ok {
		key, err := Authenticate(c.UserContext(), scope.DB, strings.TrimSpace(presented))
		if err == nil {
			return key, nil
		}
		if !errors.Is(err, ErrInvalidAPIKey) {
			return nil, err
		}
	}
	c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="speks-feeds"`)
	if err := fail(c, fiber.StatusUnauthorized, "invalid_api_key",
		"a valid API key of this state is required: Authorization: Bearer <key>"); err != nil {
		return nil, err
	}
	return nil, errAnswered
}

// errAnswered stops a handler whose response is already written; it is not an error to map.
var errAnswered = errors.New("answered")

func (m *Module) tooLarge(c *fiber.Ctx) error {
	return fail(c, fiber.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf(
		"the file is larger than the limit of %d bytes (feeds.max_body_bytes); split it into several files", m.maxBodyBytes))
}

// fail answers an error. The body of a refused request is left unread, so the connection is
// closed rather than reused: the client cannot be half-way through a file on a fresh one.
func fail(c *fiber.Ctx, status int, code, message string) error {
	c.Context().SetConnectionClose()
	return c.Status(status).JSON(failure{Error: errorBody{Code: code, Message: message}})
}

// requestBody streams the body: the server is configured to stream request bodies, so a
// large feed never sits whole in memory. Small bodies may already be read; then they are
// served from memory.
func requestBody(c *fiber.Ctx) io.Reader {
	if s := c.Context().RequestBodyStream(); s != nil {
		return s
	}
	return bytes.NewReader(c.Body())
}
