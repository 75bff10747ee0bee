package web

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/modules/foundation/fault"
	"github.com/speks-portal/speks/tenant"
)

// failure is how one error is answered: the one place errors become statuses and codes.
type failure struct {
	status    int
	code      string
	messageID string
	params    map[string]any
	fields    map[string]any // extra members of the JSON error object
	body      any            // a JSON object whose members stand beside "error"
	suspended *tenant.Tenant // set for a suspended tenant, to answer in its language
	// retryAfter, when set, is sent as Retry-After (seconds): the answer of a passing outage.
	retryAfter int
}

// unavailableRetryAfter is how long a client is asked to wait while PostgreSQL is away; a
// restart takes a few seconds, and pools reconnect by themselves.
const unavailableRetryAfter = 5

// fiberCodes names the statuses Fiber itself produces (no route, wrong method, body too
// large, …) with the snake_case codes of docs/API.md "Errors".
var fiberCodes = map[int]string{
	fiber.StatusBadRequest:            "bad_request",
	fiber.StatusUnauthorized:          fault.CodeUnauthenticated,
	fiber.StatusForbidden:             "forbidden",
	fiber.StatusNotFound:              "not_found",
	fiber.StatusMethodNotAllowed:      "method_not_allowed",
	fiber.StatusRequestTimeout:        "request_timeout",
	fiber.StatusRequestEntityTooLarge: "payload_too_large",
	fiber.StatusUnsupportedMediaType:  "unsupported_media_type",
	fiber.StatusTooManyRequests:       "too_many_requests",
	fiber.StatusServiceUnavailable:    "service_unavailable",
}

// classify maps an error to its answer. A coded failure comes first so that a module's own
// not-found (which may wrap tenant.ErrNotFound) is never mistaken for an unknown host.
func classify(err error) failure {
	var suspended *tenant.SuspendedError
	var fe *fiber.Error
	if coded, ok := fault.As(err); ok {
		status, known := kindStatus[coded.Kind]
		if !known {
			status = fiber.StatusInternalServerError
		}
		return failure{status: status, code: coded.Code, messageID: coded.MessageKey, params: coded.Params,
			fields: coded.Fields, body: coded.Body}
	}
	switch {
	case errors.As(err, &suspended):
		return failure{status: fiber.StatusServiceUnavailable, code: "tenant_suspended", messageID: "error_tenant_suspended", suspended: suspended.Tenant}
	case errors.Is(err, tenant.ErrSuspended):
		return failure{status: fiber.StatusServiceUnavailable, code: "tenant_suspended", messageID: "error_tenant_suspended"}
	case errors.Is(err, tenant.ErrUnknownHost):
		return failure{status: fiber.StatusNotFound, code: "unknown_host", messageID: "error_unknown_host"}
	case errors.As(err, &fe) && fe.Code < fiber.StatusInternalServerError:
		code, ok := fiberCodes[fe.Code]
		if !ok {
			code = "http_error"
		}
		return failure{status: fe.Code, code: code, messageID: "error_" + code}
	case errors.As(err, &fe) && fe.Code == fiber.StatusServiceUnavailable, tenant.IsUnavailable(err):
		// PostgreSQL down or restarting: a passing condition, answered "try again shortly"
		// (with Retry-After) rather than as a fault of the request.
		return failure{status: fiber.StatusServiceUnavailable, code: "service_unavailable", messageID: "error_service_unavailable",
			retryAfter: unavailableRetryAfter}
	default:
		return failure{status: fiber.StatusInternalServerError, code: "internal_error", messageID: "error_internal_error"}
	}
}

// handleError is Fiber's ErrorHandler: every error of every route is answered here, once.
// JSON for the API (and clients that prefer JSON), an HTML page otherwise. The message is
// translated; internal detail only ever goes to the log.
func (s *shell) handleError(c *fiber.Ctx, err error) error {
	f := classify(err)
	s.logFailure(c, f, err)
	t := f.suspended
	if t == nil {
		t = currentTenant(c)
	}
	lang := Lang(c)
	if f.suspended != nil {
		lang = chooseLang(c, f.suspended) // the scope never opened, so choose with its default
	}
	message := s.failureMessage(lang, f)
	c.Status(f.status)
	s.secureTransport(c) // also when Fiber answers a request no middleware saw (malformed, too large)
	if f.retryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(f.retryAfter))
	}
	if wantsJSON(c) {
		return c.JSON(s.errorJSON(c, f, message))
	}
	return s.renderErrorPage(c, f, t, lang, message)
}

// errorJSON is {"error":{code,message,…fields}}, beside the members of f.body if it has one.
func (s *shell) errorJSON(c *fiber.Ctx, f failure, message string) fiber.Map {
	obj := fiber.Map{"code": f.code, "message": message}
	for k, v := range f.fields {
		if k != "code" && k != "message" {
			obj[k] = v
		}
	}
	out := fiber.Map{}
	if f.body != nil {
		if raw, err := json.Marshal(f.body); err != nil || json.Unmarshal(raw, &out) != nil {
			s.log.ErrorContext(c.UserContext(), "error body is not a JSON object", "code", f.code, "err", err)
			out = fiber.Map{}
		}
	}
	out["error"] = obj
	return out
}

func (s *shell) logFailure(c *fiber.Ctx, f failure, err error) {
	attrs := []any{"status", f.status, "code", f.code, "request_id", requestIDOf(c), "err", redactIC(err.Error())}
	if f.status >= fiber.StatusInternalServerError && f.code != "tenant_suspended" {
		s.log.ErrorContext(c.UserContext(), "request failed", attrs...)
		return
	}
	s.log.DebugContext(c.UserContext(), "request refused", attrs...)
}

// failureMessage is the user-facing text: the error's own message when a module defined
// one, else a generic one for its status class.
func (s *shell) failureMessage(lang string, f failure) string {
	id := f.messageID
	if !s.tr.Has(id) {
		id = "error_http_error"
		if f.status >= fiber.StatusInternalServerError {
			id = "error_internal_error"
		}
	}
	return s.tr.T(lang, id, f.params)
}

type errorData struct {
	Status    int
	Code      string
	Heading   string
	Message   string
	Reference string
}

func (s *shell) renderErrorPage(c *fiber.Ctx, f failure, t *tenant.Tenant, lang, message string) error {
	heading := "status_" + strconv.Itoa(f.status)
	if !s.tr.Has(heading) {
		heading = "error_heading"
	}
	data := errorData{Status: f.status, Code: f.code, Heading: s.tr.T(lang, heading, nil), Message: message}
	if f.status >= fiber.StatusInternalServerError && f.code != "tenant_suspended" {
		data.Reference = s.tr.T(lang, "error_reference", map[string]any{"RequestID": requestIDOf(c)})
	}
	p := s.newPage(c, t, lang, data)
	p.Title = data.Heading
	if f.suspended != nil {
		p.HomeURL, p.LoginURL = "", "" // nothing of the tenant works while it is suspended
	}
	if err := s.views.send(c, "web/error", p); err != nil {
		s.log.ErrorContext(c.UserContext(), "render error page", "err", err)
		c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
		return c.Status(f.status).SendString(message)
	}
	return nil
}

// isAPI is true for the JSON API's paths.
func isAPI(c *fiber.Ctx) bool { return strings.HasPrefix(c.Path(), "/api/") }

// wantsJSON is true for the API and for clients that prefer JSON to HTML.
func wantsJSON(c *fiber.Ctx) bool {
	if isAPI(c) {
		return true
	}
	return c.Accepts(fiber.MIMETextHTML, fiber.MIMEApplicationJSON) == fiber.MIMEApplicationJSON
}

// requestIDOf is the ID the request-ID middleware gave the request.
func requestIDOf(c *fiber.Ctx) string {
	id, _ := c.Locals(requestIDLocal).(string)
	return id
}
