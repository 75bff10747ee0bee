// Package notifytest gives integration tests the real way of a mail — outbox → relay → Asynq
// (Redis) → worker → SMTP — ending in a real SMTP server on loopback (emersion/go-smtp) that
// keeps every message, so a test can read a one-time code or link out of the received mail.
package notifytest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	stdlog "log"
	"log/slog"
	"mime/quotedprintable"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/speks-portal/speks/modules/foundation/jobs"
	"github.com/speks-portal/speks/modules/foundation/notify"
	"github.com/speks-portal/speks/modules/foundation/web/apitest"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// Redis is where test pipelines queue their tasks; every pipeline uses a queue of its own.
var Redis = asynq.RedisClientOpt{Addr: "127.0.0.1:6379", DB: 9}

// Patterns of what mails carry: a one-time code and a link.
var (
	CodePattern = regexp.MustCompile(`[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}`)
	LinkPattern = regexp.MustCompile(`https?://[^\s"<>]+`)
)

// Link is the first link in mail that starts with prefix; the test fails when there is none.
func Link(t testing.TB, mail, prefix string) string {
	t.Helper()
	for _, l := range LinkPattern.FindAllString(mail, -1) {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	t.Fatalf("no link to %s in the mail:\n%s", prefix, mail)
	return ""
}

// SMTPSink is a real SMTP server on loopback that keeps every message it accepts.
type SMTPSink struct {
	addr string
	mu   sync.Mutex
	msgs []string
}

// NewSMTPSink starts a sink, stopped when the test ends.
func NewSMTPSink(t testing.TB) *SMTPSink {
	t.Helper()
	s := &SMTPSink{}
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

// URL is the smtp.url that reaches the sink.
func (s *SMTPSink) URL() string { return "smtp://" + s.addr }

// Messages returns the raw messages received so far, oldest first.
func (s *SMTPSink) Messages() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.msgs...)
}

type sinkSession struct{ sink *SMTPSink }

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

// Pipeline is a running relay + worker for one test, sending to its own sink.
type Pipeline struct {
	Sink  *SMTPSink
	Relay *notify.Relay
	Queue string
}

// StartPipeline runs a worker on a queue of the test's own, sending to a new SMTP sink.
func StartPipeline(t testing.TB, env *tenanttest.Env) *Pipeline {
	t.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	queue := NewQueue(t)
	sink := NewSMTPSink(t)
	transport, err := notify.NewTransport(sink.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	client := asynq.NewClient(Redis)
	t.Cleanup(func() { _ = client.Close() })
	srv := asynq.NewServer(Redis, asynq.Config{Concurrency: 1, Queues: map[string]int{queue: 1},
		TaskCheckInterval: 20 * time.Millisecond, ShutdownTimeout: 2 * time.Second, Logger: QuietAsynq{}})
	mux := asynq.NewServeMux()
	mux.Use(jobs.TenantScope(env.Scoper))
	mux.Handle(notify.TaskSend, &notify.Sender{Transport: transport, From: "SPEKS <no-reply@speks.example.test>", Log: quiet})
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	return &Pipeline{Sink: sink, Queue: queue, Relay: &notify.Relay{Tenants: env.Registry, Databases: env.Databases,
		Client: client, Log: quiet, Queue: queue, MaxRetry: 2}}
}

// Next relays what the outboxes hold and waits for the n-th mail; it returns it decoded.
func (p *Pipeline) Next(t testing.TB, n int) string {
	t.Helper()
	if _, err := p.Relay.RelayAll(context.Background()); err != nil {
		t.Fatalf("relay: %v", err)
	}
	apitest.WaitWithin(t, 10*time.Second, fmt.Sprintf("mail %d over SMTP", n), func() bool { return len(p.Sink.Messages()) >= n })
	return DecodeQP(p.Sink.Messages()[n-1])
}

// WaitFor relays what the outboxes hold until a mail to addr whose decoded text contains
// want has arrived over SMTP; it returns that mail decoded. Mails of one step may arrive in any
// order, so tests that expect several look each up by recipient and content.
func (p *Pipeline) WaitFor(t testing.TB, addr, want string) string {
	t.Helper()
	var found string
	apitest.WaitWithin(t, 10*time.Second, fmt.Sprintf("a mail to %s containing %q over SMTP", addr, want), func() bool {
		if _, err := p.Relay.RelayAll(context.Background()); err != nil {
			t.Fatalf("relay: %v", err)
		}
		for _, m := range p.To(addr) {
			if strings.Contains(m, want) {
				found = m
				return true
			}
		}
		return false
	})
	return found
}

// To returns the mails received so far whose To header names addr, decoded, oldest first.
func (p *Pipeline) To(addr string) []string {
	var out []string
	for _, raw := range p.Sink.Messages() {
		for _, line := range strings.Split(raw, "\n") {
			if strings.HasPrefix(line, "To:") && strings.Contains(strings.ToLower(line), strings.ToLower(addr)) {
				out = append(out, DecodeQP(raw))
				break
			}
		}
	}
	return out
}

// NewQueue names a queue of the test's own and removes it from Redis when the test ends.
func NewQueue(t testing.TB) string {
	buf := make([]byte, 4)
	_, _ = rand.Read(buf)
	queue := "test_" + hex.EncodeToString(buf)
	t.Cleanup(func() { dropQueue(queue) })
	return queue
}

// DecodeQP decodes the quoted-printable body parts go-mail writes (the reader is lenient
// with the headers around them).
func DecodeQP(s string) string {
	out, _ := io.ReadAll(quotedprintable.NewReader(strings.NewReader(s)))
	return string(out)
}

func dropQueue(queue string) {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: Redis.Addr, DB: Redis.DB})
	defer rdb.Close()
	if keys, err := rdb.Keys(ctx, "asynq:{"+queue+"}*").Result(); err == nil && len(keys) > 0 {
		rdb.Del(ctx, keys...)
	}
	rdb.SRem(ctx, "asynq:queues", queue)
}

// QuietAsynq is an Asynq logger that drops everything.
type QuietAsynq struct{}

func (QuietAsynq) Debug(...any) {}
func (QuietAsynq) Info(...any)  {}
func (QuietAsynq) Warn(...any)  {}
func (QuietAsynq) Error(...any) {}
func (QuietAsynq) Fatal(...any) {}
