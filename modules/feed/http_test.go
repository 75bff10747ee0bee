package feed

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/config"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/modules/foundation/web/apitest"
	"github.com/speks-portal/speks/tenant"
)

func newApp(t *testing.T, f *fixture, maxBody int64) *fiber.App {
	t.Helper()
	cfg, err := config.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	app, err := web.New(web.Options{Config: cfg, Scoper: f.env.Scoper, Tenants: f.env.Registry, Logger: slog.Default(),
		Modules: []web.Module{KeyCheck{}, NewModule(maxBody)}})
	if err != nil {
		t.Fatal(err)
	}
	return app
}

// serve runs app on a loopback port, so requests can stream (chunked, no length) as a
// payroll system's client would send them.
func serve(t *testing.T, app *fiber.App) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.Shutdown() })
	return "http://" + ln.Addr().String()
}

// streamPost sends body chunked when length < 0, with Content-Length otherwise.
func streamPost(t *testing.T, base, host, key string, body io.Reader, length int64) (int, map[string]any) {
	t.Helper()
	status, out, _ := streamPostHeader(t, base, host, key, body, length)
	return status, out
}

// streamPostHeader is streamPost that also returns the answer's header.
func streamPostHeader(t *testing.T, base, host, key string, body io.Reader, length int64) (int, map[string]any, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/api/v1/feeds/payslips", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	req.ContentLength = length
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("answer %d is not JSON: %v", resp.StatusCode, err)
	}
	return resp.StatusCode, out, resp.Header
}

// bigPayslips is a payslips file of months × perMonth lines for one person.
func bigPayslips(ic string, months, perMonth int) string {
	var lines []string
	for m := 1; m <= months; m++ {
		lines = append(lines, manyLines(ic, 2025, m, perMonth)...)
	}
	return payslipCSV(lines...)
}

// TestHTTPStreaming: bodies past the server's in-memory limit (4 MiB) stream into the
// import, with or without Content-Length; past feeds.max_body_bytes they get 413 and leave
// nothing behind.
func TestHTTPStreaming(t *testing.T) {
	f := newFixture(t)
	s := f.scope(t, "selangor")
	mustImport(t, s, Employees, employeesCSV)
	key := newKey(t, s, "modul-py")
	base := serve(t, newApp(t, f, 8<<20))
	host := "selangor.example.test"

	sixMB := bigPayslips(icAminah, 12, 5500)
	status, got := streamPost(t, base, host, key, strings.NewReader(sixMB), int64(len(sixMB)))
	if status != http.StatusOK || got["rows"] != float64(66000) || got["inserted"] != float64(12) {
		t.Fatalf("%d MB with Content-Length: %d %v", len(sixMB)>>20, status, got)
	}
	other := bigPayslips(icBadrul, 12, 5500)
	status, got = streamPost(t, base, host, key, io.MultiReader(strings.NewReader(other)), -1)
	if status != http.StatusOK || got["inserted"] != float64(12) {
		t.Fatalf("chunked: %d %v", status, got)
	}

	before := snapshot(t, s)
	tooBig := bigPayslips(icChong, 12, 9999) // ≈ 10 MB
	status, got = streamPost(t, base, host, key, io.MultiReader(strings.NewReader(tooBig)), -1)
	if e, _ := got["error"].(map[string]any); status != http.StatusRequestEntityTooLarge || e["code"] != "body_too_large" {
		t.Errorf("chunked past the limit: %d %v", status, got)
	}
	if answer := announceTooMuch(t, base, host, key, 20<<20); !strings.HasPrefix(answer, "HTTP/1.1 413 ") ||
		!strings.Contains(answer, "feeds.max_body_bytes") {
		t.Errorf("Content-Length past the limit: %q", answer)
	}
	assertUnchanged(t, before, snapshot(t, s))
}

// TestHTTPResendNotParsed: a file sent again over HTTP, where the body arrives as a stream
// that cannot be rewound, is recognised by its content hash before anything is parsed or
// staged (the import's log line has the spool step and no staging step), and it is answered
// as a re-sent file always was: 200, Idempotent-Replayed, the first batch's answer, nothing
// written. Both with Content-Length and chunked.
func TestHTTPResendNotParsed(t *testing.T) {
	f := newFixture(t)
	s := f.scope(t, "selangor")
	mustImport(t, s, Employees, employeesCSV)
	key := newKey(t, s, "modul-py")
	logs := captureFeedLogs(t)
	base := serve(t, newApp(t, f, 8<<20))
	host := "selangor.example.test"

	file := bigPayslips(icAminah, 12, 200) // ≈ 170 KB: far more than the server reads ahead
	status, first, _ := streamPostHeader(t, base, host, key, strings.NewReader(file), int64(len(file)))
	if status != http.StatusOK || first["inserted"] != float64(12) {
		t.Fatalf("first send: %d %v", status, first)
	}
	if got := logs.last(t); got["spool"] == nil || got["lines"] == nil || got["replayed"] != false {
		t.Fatalf("first send's log line %v: want it spooled, then its lines copied", got)
	}
	before := snapshot(t, s)
	for _, length := range []int64{int64(len(file)), -1} {
		status, again, header := streamPostHeader(t, base, host, key, io.MultiReader(strings.NewReader(file)), length)
		if status != http.StatusOK || header.Get("Idempotent-Replayed") != "true" || !reflect.DeepEqual(again, first) {
			t.Errorf("re-send (length %d): %d %v %v, want the first answer %v", length, status, header, again, first)
		}
		got := logs.last(t)
		if got["replayed"] != true || got["spool"] == nil {
			t.Errorf("re-send (length %d): log line %v, want replayed after the spool", length, got)
		}
		for _, step := range []string{"stage", "check", "write"} {
			if got[step] != nil {
				t.Errorf("re-send (length %d): the %s step ran (%v)", length, step, got)
			}
		}
	}
	assertUnchanged(t, before, snapshot(t, s))
}

// feedLogs records the attributes of the import's log lines ("feed imported", "feed refused",
// "feed failed"), the observable trace of which steps an import went through.
type feedLogs struct {
	mu    sync.Mutex
	lines []map[string]any
}

// captureFeedLogs sends the default logger's records to a feedLogs for the test's duration.
func captureFeedLogs(t *testing.T) *feedLogs {
	t.Helper()
	l := &feedLogs{}
	old := slog.Default()
	slog.SetDefault(slog.New(l))
	t.Cleanup(func() { slog.SetDefault(old) })
	return l
}

func (l *feedLogs) Enabled(context.Context, slog.Level) bool { return true }
func (l *feedLogs) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *feedLogs) WithGroup(string) slog.Handler            { return l }

func (l *feedLogs) Handle(_ context.Context, r slog.Record) error {
	if !strings.HasPrefix(r.Message, "feed ") {
		return nil
	}
	attrs := map[string]any{"msg": r.Message}
	r.Attrs(func(a slog.Attr) bool {
		attrs[a.Key] = a.Value.Any()
		return true
	})
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, attrs)
	return nil
}

// last is the latest import log line; the handler logs before it answers.
func (l *feedLogs) last(t *testing.T) map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.lines) == 0 {
		t.Fatal("no feed log line")
	}
	return l.lines[len(l.lines)-1]
}

// announceTooMuch sends the headers of a request whose Content-Length is past the limit and
// only the first 16 KiB of its body (the server reads 8 KiB ahead before the handler runs),
// then reads the answer: the server must refuse without waiting for the rest.
func announceTooMuch(t *testing.T, base, host, key string, length int) string {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "POST /api/v1/feeds/payslips HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: text/csv\r\nContent-Length: %d\r\n\r\n%s", host, key, length, bigPayslips(icChong, 1, 200)[:16<<10])
	answer, _ := io.ReadAll(conn)
	return string(answer)
}

func newKey(t *testing.T, s *tenant.Scope, name string) string {
	t.Helper()
	key, _, err := CreateAPIKey(context.Background(), s.DB, name, "test")
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// post sends a CSV feed file to kind on host with the API key ("" = none); headers are
// name/value pairs set last (a test may send another Content-Type). Every answer of the feed
// API is JSON.
func post(t *testing.T, app *fiber.App, host, kind, key string, body io.Reader, headers ...string) apitest.Response {
	t.Helper()
	data, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	c := apitest.New(t, app, host)
	if key != "" {
		c.Header.Set("Authorization", "Bearer "+key)
	}
	var opts []apitest.Option
	for i := 0; i+1 < len(headers); i += 2 {
		opts = append(opts, apitest.WithHeader(headers[i], headers[i+1]))
	}
	r := c.Post("/api/v1/feeds/"+kind, apitest.Raw{ContentType: "text/csv; charset=utf-8", Data: data}, opts...)
	if r.Body == nil {
		t.Fatalf("answer %d is not JSON: %q", r.Status, r.Raw)
	}
	return r
}

func TestHTTPFeed(t *testing.T) {
	f := newFixture(t)
	a, b := f.scope(t, "selangor"), f.scope(t, "pahang")
	app := newApp(t, f, 1<<20)
	keyA, keyB := newKey(t, a, "modul-py"), newKey(t, b, "modul-py")
	hostA, hostB := "selangor.example.test", "pahang.example.test"

	t.Run("key of another tenant refused", func(t *testing.T) {
		got := post(t, app, hostB, "employees", keyA, strings.NewReader(employeesCSV))
		if got.Status != http.StatusUnauthorized || got.Code() != "invalid_api_key" {
			t.Errorf("got %d %v", got.Status, got.Body)
		}
		if got.Header.Get("WWW-Authenticate") == "" {
			t.Error("no WWW-Authenticate header")
		}
		if n := count(t, b, "employees"); n != 0 {
			t.Errorf("tenant B has %d employees", n)
		}
	})
	t.Run("missing and malformed keys refused", func(t *testing.T) {
		for _, key := range []string{"", "speks_abc", keyA[:len(keyA)-1] + "x", strings.ToUpper(keyA)} {
			if got := post(t, app, hostA, "employees", key, strings.NewReader(employeesCSV)); got.Status != http.StatusUnauthorized {
				t.Errorf("key %q: %d", key, got.Status)
			}
		}
	})
	t.Run("own key accepted, dev host too", func(t *testing.T) {
		got := post(t, app, hostA, "employees", keyA, strings.NewReader(employeesCSV))
		if got.Status != http.StatusOK || got.Body["inserted"] != float64(3) || got.Body["kind"] != "employees" {
			t.Fatalf("got %d %v", got.Status, got.Body)
		}
		again := post(t, app, "pahang.localhost:8080", "employees", keyB, strings.NewReader(employeesCSV))
		if again.Status != http.StatusOK || again.Body["inserted"] != float64(3) {
			t.Fatalf("dev host: %d %v", again.Status, again.Body)
		}
	})
	t.Run("re-send replayed", func(t *testing.T) {
		got := post(t, app, hostA, "employees", keyA, strings.NewReader(employeesCSV))
		if got.Status != http.StatusOK || got.Header.Get("Idempotent-Replayed") != "true" || got.Body["inserted"] != float64(3) {
			t.Errorf("got %d %v %v", got.Status, got.Header, got.Body)
		}
	})
	t.Run("invalid file is 422 with every error", func(t *testing.T) {
		got := post(t, app, hostA, "payslips", keyA, strings.NewReader(payslipCSV(
			icAminah+",2026,10,2026-10-23,E,0001,Gaji Pokok,1.005",
			icAminah+",2026,10,2026-10-23,E,0002,Elaun,1.00,extra")))
		errs, _ := got.Body["errors"].([]any)
		if got.Status != http.StatusUnprocessableEntity || got.Code() != "invalid_file" || len(errs) != 2 {
			t.Fatalf("got %d %v", got.Status, got.Body)
		}
		first, _ := errs[0].(map[string]any)
		if first["line"] != float64(2) || first["column"] != "amount" || first["code"] != CodeTooManyDecimals || first["message"] == "" {
			t.Errorf("first error %v", first)
		}
	})
	t.Run("too large by Content-Length", func(t *testing.T) {
		big := strings.Repeat("x", 2<<20)
		got := post(t, app, hostA, "payslips", keyA, strings.NewReader(big))
		if got.Status != http.StatusRequestEntityTooLarge || got.Code() != "body_too_large" {
			t.Errorf("got %d %v", got.Status, got.Body)
		}
	})
	t.Run("idempotency key", func(t *testing.T) {
		body := payslipCSV(icBadrul + ",2026,10,2026-10-23,E,0001,Gaji Pokok,1.00")
		first := post(t, app, hostA, "payslips", keyA, strings.NewReader(body), "Idempotency-Key", "k-1")
		second := post(t, app, hostA, "payslips", keyA, strings.NewReader(body+icChong+",2026,10,2026-10-23,E,0001,Gaji,1.00\n"), "Idempotency-Key", "k-1")
		if first.Status != 200 || second.Status != 200 || first.Body["batch_id"] != second.Body["batch_id"] {
			t.Errorf("first %v, second %v", first.Body, second.Body)
		}
	})
	t.Run("wrong content type, unknown kind, platform host", func(t *testing.T) {
		if got := post(t, app, hostA, "employees", keyA, strings.NewReader("{}"), "Content-Type", "application/json"); got.Status != http.StatusUnsupportedMediaType {
			t.Errorf("json body: %v", got.Status)
		}
		if got := post(t, app, hostA, "salaries", keyA, strings.NewReader("")); got.Status != http.StatusNotFound {
			t.Errorf("unknown kind: %d", got.Status)
		}
		if got := post(t, app, "platform.localhost", "employees", keyA, strings.NewReader("")); got.Status != http.StatusNotFound {
			t.Errorf("platform host: %d", got.Status)
		}
	})
	t.Run("batch records who sent it", func(t *testing.T) {
		var actor string
		if err := a.DB.Get(&actor, `SELECT actor FROM import_batches ORDER BY id LIMIT 1`); err != nil || actor != "apikey:modul-py" {
			t.Errorf("actor %q, %v", actor, err)
		}
	})
	t.Run("revoked key refused", func(t *testing.T) {
		prefix, _ := keyPrefix(keyB)
		if err := RevokeAPIKey(context.Background(), b.DB, prefix); err != nil {
			t.Fatal(err)
		}
		if got := post(t, app, hostB, "employees", keyB, strings.NewReader(employeesCSV)); got.Status != http.StatusUnauthorized {
			t.Errorf("revoked: %d", got.Status)
		}
	})
}

// TestKeyCheckedOnce: the feed handler trusts the one check of the key made in front of it
// (authz's credential through CheckKey) and does not look at the Authorization header again:
// mounted without that check, a valid key is not enough, and nothing is written.
func TestKeyCheckedOnce(t *testing.T) {
	f := newFixture(t)
	a := f.scope(t, "selangor")
	key := newKey(t, a, "modul-py")
	cfg, err := config.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	bare, err := web.New(web.Options{Config: cfg, Scoper: f.env.Scoper, Tenants: f.env.Registry, Logger: slog.Default(),
		Modules: []web.Module{NewModule(1 << 20)}})
	if err != nil {
		t.Fatal(err)
	}
	got := post(t, bare, "selangor.example.test", "employees", key, strings.NewReader(employeesCSV))
	if got.Status != http.StatusUnauthorized || got.Code() != "unauthenticated" {
		t.Errorf("without the key check: got %d %v, want 401 unauthenticated", got.Status, got.Body)
	}
	if n := count(t, a, "employees"); n != 0 {
		t.Errorf("%d employees written without a checked key", n)
	}
	got = post(t, newApp(t, f, 1<<20), "selangor.example.test", "employees", key, strings.NewReader(employeesCSV))
	if got.Status != http.StatusOK {
		t.Errorf("with the key check: got %d %v, want 200", got.Status, got.Body)
	}
}

// TestRefusalsThroughTheEdge: the feed's refusals are answered by the web edge in the
// documented shape, translated, and a refused file keeps its whole report beside "error".
func TestRefusalsThroughTheEdge(t *testing.T) {
	f := newFixture(t)
	a := f.scope(t, "selangor")
	key := newKey(t, a, "modul-py")
	app := newApp(t, f, 1<<20)
	got := post(t, app, "selangor.example.test", "payslips", key, strings.NewReader("ic_no\n"), "Accept-Language", "en")
	e, _ := got.Body["error"].(map[string]any)
	if got.Status != http.StatusUnprocessableEntity || e["code"] != "invalid_file" || !strings.Contains(e["message"].(string), "nothing was written") {
		t.Errorf("invalid file: got %d %v", got.Status, got.Body)
	}
	if errs, _ := got.Body["errors"].([]any); len(errs) == 0 {
		t.Errorf("the refusal lost the file's report: %v", got.Body)
	}
	got = post(t, app, "selangor.example.test", "salaries", key, strings.NewReader(employeesCSV))
	if e, _ := got.Body["error"].(map[string]any); got.Status != http.StatusNotFound || e["code"] != "unknown_feed" ||
		!strings.Contains(e["message"].(string), "Suapan tidak dikenali") {
		t.Errorf("unknown feed (Malay by default): got %d %v", got.Status, got.Body)
	}
}
