// Package apitest is the one HTTP harness of the module tests: a Client that talks to the app
// as a browser or an API caller does (tenant Host, session cookie, CSRF token, JSON or form
// bodies), a decoded Response, Expect for "this status and this error code", WaitFor for
// anything that becomes true a little later, and Buffer for a server's log read while it
// runs. The browser tests use webtest instead.
//
//	c := apitest.New(t, app, "selangor.example.test")
//	r := c.Post("/api/v1/auth/login", map[string]string{"id": id, "password": pw})
//	apitest.Expect(t, r, http.StatusOK, "")
//	c.CSRF = r.String("csrf_token")
//
// It imports only the standard library, so any test package can use it, the web package's
// own tests included.
package apitest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Target answers requests: a *fiber.App (its Test method) or a Remote server.
type Target interface {
	Test(req *http.Request, msTimeout ...int) (*http.Response, error)
}

// Remote is a Target for a server on a real socket: Base is its "http://host:port".
type Remote struct {
	Base   string
	Client *http.Client // nil means a client with a 10 s timeout
}

var remoteClient = &http.Client{Timeout: 10 * time.Second}

// Test sends req to the server at Base, keeping req's Host header.
func (r Remote) Test(req *http.Request, _ ...int) (*http.Response, error) {
	base, err := url.Parse(r.Base)
	if err != nil {
		return nil, err
	}
	out := req.Clone(req.Context())
	out.RequestURI = ""
	out.URL.Scheme, out.URL.Host = base.Scheme, base.Host
	client := r.Client
	if client == nil {
		client = remoteClient
	}
	return client.Do(out)
}

// SessionCookie is the name of a tenant's session cookie.
const SessionCookie = "speks_session"

// Client is one caller on one host: it keeps the session cookie the app sets and sends the
// CSRF token with every request that changes state.
type Client struct {
	T      testing.TB
	Target Target
	Host   string
	// Header is sent with every request (an Accept, an X-Forwarded-For, …).
	Header http.Header
	// CookieNames are the session cookies the client keeps when the app sets one (a tenant's
	// and the platform console's have different names).
	CookieNames []string
	// Cookie is the value of the session cookie ("" = none), CookieName its name.
	Cookie, CookieName string
	// CSRF is sent as X-CSRF-Token on every request but GET and HEAD ("" = none). A form
	// body carries it as a field instead, as a browser does, so the caller adds it there.
	CSRF string
}

// New is a client of target on host that keeps the tenant session cookie.
func New(t testing.TB, target Target, host string) *Client {
	return &Client{T: t, Target: target, Host: host, Header: http.Header{},
		CookieNames: []string{SessionCookie}, CookieName: SessionCookie}
}

// Option changes one request just before it is sent.
type Option func(*http.Request)

// NoCSRF leaves the CSRF token out of the request.
func NoCSRF(r *http.Request) { r.Header.Del("X-CSRF-Token") }

// WithHeader sets a header on the request ("" removes it).
func WithHeader(name, value string) Option {
	return func(r *http.Request) {
		if value == "" {
			r.Header.Del(name)
			return
		}
		r.Header.Set(name, value)
	}
}

// WithCookie adds a cookie to the request besides the client's session cookie (a cookie
// taken from another client's answer, say).
func WithCookie(ck *http.Cookie) Option {
	return func(r *http.Request) { r.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value}) }
}

// Get sends a GET.
func (c *Client) Get(path string, opts ...Option) Response {
	c.T.Helper()
	return c.Do(http.MethodGet, path, nil, opts...)
}

// Post sends a POST with body (see Do for how a body is encoded).
func (c *Client) Post(path string, body any, opts ...Option) Response {
	c.T.Helper()
	return c.Do(http.MethodPost, path, body, opts...)
}

// Do sends one request and fails the test when the app cannot answer. body is nil (none),
// url.Values (a form), Raw (bytes of their own type, such as a multipart upload), a string
// (sent as it is: JSON when it starts with "{" or "[", else a form) or any other value (sent
// as JSON).
func (c *Client) Do(method, path string, body any, opts ...Option) Response {
	c.T.Helper()
	r, err := c.Try(method, path, body, opts...)
	if err != nil {
		c.T.Fatalf("%s %s%s: %v", method, c.Host, path, err)
	}
	return r
}

// Try is Do that returns the error instead, for polling a server that may not be up yet.
func (c *Client) Try(method, path string, body any, opts ...Option) (Response, error) {
	req, err := c.request(method, path, body)
	if err != nil {
		return Response{}, err
	}
	for _, o := range opts {
		o(req)
	}
	res, err := c.Target.Test(req, 60_000)
	if err != nil {
		return Response{}, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return Response{}, err
	}
	c.keepCookie(res.Cookies())
	return decode(res, raw), nil
}

func (c *Client) request(method, path string, body any) (*http.Request, error) {
	rd, contentType, err := encode(body)
	if err != nil {
		return nil, err
	}
	req := httptest.NewRequest(method, path, rd)
	req.Host = c.Host
	for name, values := range c.Header {
		req.Header[name] = slices.Clone(values)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.Cookie != "" {
		req.AddCookie(&http.Cookie{Name: c.CookieName, Value: c.Cookie})
	}
	if c.CSRF != "" && !tokenInForm(body) && method != http.MethodGet && method != http.MethodHead {
		req.Header.Set("X-CSRF-Token", c.CSRF)
	}
	return req, nil
}

// tokenInForm says whether body is a browser's form, whose CSRF token travels as a field
// rather than a header: url.Values, or a multipart Raw that does not ask for the header.
func tokenInForm(body any) bool {
	switch b := body.(type) {
	case url.Values:
		return true
	case Raw:
		return strings.HasPrefix(b.ContentType, "multipart/form-data") && !b.CSRFHeader
	}
	return false
}

// Raw is a body sent as it is with its content type. A multipart form carries the CSRF token
// as a field, as a browser does, unless CSRFHeader asks for the header too (as a script would).
type Raw struct {
	ContentType string
	Data        []byte
	CSRFHeader  bool
}

// encode turns a body into a reader and its content type (see Do).
func encode(body any) (io.Reader, string, error) {
	switch b := body.(type) {
	case nil:
		return nil, "", nil
	case Raw:
		return bytes.NewReader(b.Data), b.ContentType, nil
	case url.Values:
		return strings.NewReader(b.Encode()), "application/x-www-form-urlencoded", nil
	case string:
		if strings.HasPrefix(b, "{") || strings.HasPrefix(b, "[") {
			return strings.NewReader(b), "application/json", nil
		}
		return strings.NewReader(b), "application/x-www-form-urlencoded", nil
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			return nil, "", err
		}
		return bytes.NewReader(buf), "application/json", nil
	}
}

// keepCookie follows the session cookie: a new value replaces the old, an expired or empty
// one logs the client out.
func (c *Client) keepCookie(cookies []*http.Cookie) {
	for _, ck := range cookies {
		if !slices.Contains(c.CookieNames, ck.Name) {
			continue
		}
		c.CookieName, c.Cookie = ck.Name, ck.Value
		if ck.MaxAge < 0 {
			c.Cookie = ""
		}
	}
}

// Response is one answer, decoded: Body holds a JSON object, List a JSON array.
type Response struct {
	Status  int
	Body    map[string]any
	List    []map[string]any
	Raw     string
	Header  http.Header
	Cookies []*http.Cookie // those the answer set
}

func decode(res *http.Response, raw []byte) Response {
	out := Response{Status: res.StatusCode, Raw: string(raw), Header: res.Header, Cookies: res.Cookies()}
	trimmed := bytes.TrimSpace(raw)
	if bytes.HasPrefix(trimmed, []byte("[")) {
		_ = json.Unmarshal(trimmed, &out.List)
	} else if bytes.HasPrefix(trimmed, []byte("{")) {
		_ = json.Unmarshal(trimmed, &out.Body)
	}
	return out
}

// Code is error.code of an API error body, "" for any other answer.
func (r Response) Code() string {
	e, _ := r.Body["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

// String is a top-level string field of the JSON body ("" when absent).
func (r Response) String(field string) string {
	s, _ := r.Body[field].(string)
	return s
}

// Location is where a redirect points.
func (r Response) Location() string { return r.Header.Get("Location") }

// JSON decodes the body into v, failing the test when it is not that JSON.
func (r Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.Raw), v); err != nil {
		t.Fatalf("decode %s: %v", r.Raw, err)
	}
}

// Expect fails the test unless r has status and, when code is not "", that error code.
func Expect(t testing.TB, r Response, status int, code string) {
	t.Helper()
	if r.Status != status || (code != "" && r.Code() != code) {
		t.Fatalf("got %d %s, want %d %s", r.Status, r.Raw, status, code)
	}
}

// WaitFor polls cond until it holds, failing the test after 5 s; what says what was awaited.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	WaitWithin(t, 5*time.Second, what, cond)
}

// WaitWithin polls cond every 20 ms until it holds, failing the test after within; it
// returns how long it took.
func WaitWithin(t testing.TB, within time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > within {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

// Buffer collects what a server under test writes (its log, a process's output) while the
// test reads it: the server's goroutines and the test share it safely.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String is everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Tail is the last n bytes written, marked "…" when cut.
func (b *Buffer) Tail(n int) string {
	s := b.String()
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	return s
}
