package account_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	stdlog "log"
	"log/slog"
	"mime/quotedprintable"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/speks-portal/speks/modules/jobs"
	"github.com/speks-portal/speks/modules/notify"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// smtpSink is a real SMTP server (emersion/go-smtp) on loopback that keeps every message.
type smtpSink struct {
	addr string
	mu   sync.Mutex
	msgs []string
}

func newSMTPSink(t *testing.T) *smtpSink {
	t.Helper()
	s := &smtpSink{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &sinkSession{sink: s}, nil }))
	srv.Domain = "mail.example.test"
	srv.ErrorLog = stdlog.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

func (s *smtpSink) messages() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.msgs...)
}

type sinkSession struct{ sink *smtpSink }

func (sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *sinkSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.sink.mu.Lock()
	s.sink.msgs = append(s.sink.msgs, string(raw))
	s.sink.mu.Unlock()
	return nil
}
func (sinkSession) Reset()        {}
func (sinkSession) Logout() error { return nil }

var testRedis = asynq.RedisClientOpt{Addr: "127.0.0.1:6379", DB: 9}

// mailPipeline is the real way of a mail: outbox → relay → Asynq (Redis) → worker → SMTP sink.
type mailPipeline struct {
	sink  *smtpSink
	relay *notify.Relay
}

// startMailPipeline runs a worker on a queue of the test's own, sending to a new SMTP sink.
func startMailPipeline(t *testing.T, env *tenanttest.Env) *mailPipeline {
	t.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	buf := make([]byte, 4)
	_, _ = rand.Read(buf)
	queue := "account_test_" + hex.EncodeToString(buf)
	t.Cleanup(func() { dropQueue(queue) })
	sink := newSMTPSink(t)
	transport, err := notify.NewTransport("smtp://"+sink.addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	client := asynq.NewClient(testRedis)
	t.Cleanup(func() { _ = client.Close() })
	srv := asynq.NewServer(testRedis, asynq.Config{Concurrency: 1, Queues: map[string]int{queue: 1},
		TaskCheckInterval: 20 * time.Millisecond, ShutdownTimeout: 2 * time.Second, Logger: asynqQuiet{}})
	mux := asynq.NewServeMux()
	mux.Use(jobs.TenantScope(env.Scoper))
	mux.Handle(notify.TaskSend, &notify.Sender{Transport: transport, From: "SPEKS <no-reply@speks.example.test>", Log: quiet})
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	return &mailPipeline{sink: sink, relay: &notify.Relay{Tenants: env.Registry, Databases: env.Databases, Client: client,
		Log: quiet, Queue: queue, MaxRetry: 2}}
}

// next relays what the outbox holds and waits for the n-th mail to arrive; it returns it decoded.
func (p *mailPipeline) next(t *testing.T, n int) string {
	t.Helper()
	if _, err := p.relay.RelayAll(context.Background()); err != nil {
		t.Fatalf("relay: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(p.sink.messages()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("mail %d did not arrive over SMTP", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return decodeQP(p.sink.messages()[n-1])
}

var (
	codePattern = regexp.MustCompile(`[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}`)
	linkPattern = regexp.MustCompile(`https?://[^\s"<>]+`)
)

// With Redis unreachable, forgot-password, login and logout still work and the mail waits in
// the outbox; once Redis is back the relay and worker send it over SMTP, and the code read from
// the received mail opens the restricted session.
func TestRedisDownMailWaitsThenArrivesOverSMTP(t *testing.T) {
	h := newHarness(t)
	h.addUser(t, "selangor", "staff", aminahIC, "Aminah binti Yusof", "aminah@selangor.gov.my", aminahPass, "bunga raya merah")
	c := h.client(t, "selangor")
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	buf := make([]byte, 4)
	_, _ = rand.Read(buf)
	queue := "account_test_" + hex.EncodeToString(buf)
	t.Cleanup(func() { dropQueue(queue) })
	relay := func(client notify.Enqueuer) *notify.Relay {
		return &notify.Relay{Tenants: h.env.Registry, Databases: h.env.Databases, Client: client, Log: quiet, Queue: queue, MaxRetry: 2}
	}

	// Redis down (nothing listens on port 1).
	dead := asynq.NewClient(asynq.RedisClientOpt{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond})
	defer dead.Close()
	expect(t, c.login(aminahIC, aminahPass), http.StatusOK, "")
	expect(t, c.post("/api/v1/auth/logout", nil), http.StatusNoContent, "")
	expect(t, c.post("/api/v1/auth/forgot-password", map[string]string{"id": aminahIC, "email": "aminah@selangor.gov.my"}), http.StatusAccepted, "")
	if _, err := relay(dead).RelayAll(context.Background()); err == nil {
		t.Fatal("relaying through a dead Redis reported no error")
	}
	var status string
	h.db(t, "selangor").Get(&status, `SELECT status FROM outbox WHERE template = 'one_time_code'`)
	if status != notify.StatusPending {
		t.Fatalf("mail is %q while Redis is down, want pending", status)
	}

	// Redis back: relay, worker, SMTP.
	sink := newSMTPSink(t)
	transport, err := notify.NewTransport("smtp://"+sink.addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	live := asynq.NewClient(testRedis)
	defer live.Close()
	if n, err := relay(live).RelayAll(context.Background()); err != nil || n != 1 {
		t.Fatalf("relay: %d, %v", n, err)
	}
	srv := asynq.NewServer(testRedis, asynq.Config{Concurrency: 1, Queues: map[string]int{queue: 1},
		TaskCheckInterval: 20 * time.Millisecond, ShutdownTimeout: 2 * time.Second, Logger: asynqQuiet{}})
	mux := asynq.NewServeMux()
	mux.Use(jobs.TenantScope(h.env.Scoper))
	mux.Handle(notify.TaskSend, &notify.Sender{Transport: transport, From: "SPEKS <no-reply@speks.example.test>", Log: quiet})
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	deadline := time.Now().Add(10 * time.Second)
	for len(sink.messages()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no mail arrived over SMTP")
		}
		time.Sleep(20 * time.Millisecond)
	}
	code := codePattern.FindString(decodeQP(sink.messages()[0]))
	if code == "" {
		t.Fatalf("no code in the mail:\n%s", sink.messages()[0])
	}
	if r := c.login(aminahIC, code); r.Status != http.StatusOK || r.Body["next"] != "change_password" {
		t.Fatalf("login with the mailed code: %s", r.Raw)
	}
}

// decodeQP decodes the quoted-printable body parts go-mail writes (the reader is lenient
// with the headers around them).
func decodeQP(s string) string {
	out, _ := io.ReadAll(quotedprintable.NewReader(strings.NewReader(s)))
	return string(out)
}

func dropQueue(queue string) {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: testRedis.Addr, DB: testRedis.DB})
	defer rdb.Close()
	if keys, err := rdb.Keys(ctx, "asynq:{"+queue+"}*").Result(); err == nil && len(keys) > 0 {
		rdb.Del(ctx, keys...)
	}
	rdb.SRem(ctx, "asynq:queues", queue)
}

type asynqQuiet struct{}

func (asynqQuiet) Debug(...any) {}
func (asynqQuiet) Info(...any)  {}
func (asynqQuiet) Warn(...any)  {}
func (asynqQuiet) Error(...any) {}
func (asynqQuiet) Fatal(...any) {}
