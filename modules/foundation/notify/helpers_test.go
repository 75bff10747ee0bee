package notify_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	stdlog "log"
	"log/slog"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/speks-portal/speks/modules/foundation/jobs"
	"github.com/speks-portal/speks/modules/foundation/notify"
	"github.com/speks-portal/speks/modules/foundation/web/apitest"
	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// testRedis is the Redis the tests use: its own database number, and a queue of their own per
// test, so they never meet another package's tasks.
var testRedis = asynq.RedisClientOpt{Addr: "127.0.0.1:6379", DB: 9}

// received is one mail the test SMTP server accepted.
type received struct {
	From    string
	To      []string
	Header  mail.Header
	Subject string
	Text    string
	HTML    string
}

// smtpServer is a real SMTP server (emersion/go-smtp) on a loopback port. failFirst makes the
// first n RCPT commands fail with failCode (451 temporary, 550 permanent).
type smtpServer struct {
	Addr string

	mu        sync.Mutex
	attempts  int
	failFirst int
	failCode  int
	mails     []received
	authUsed  bool
}

func newSMTPServer(t *testing.T) *smtpServer {
	t.Helper()
	s := &smtpServer{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &smtpSession{server: s}, nil
	}))
	srv.Domain = "mail.example.test"
	srv.AllowInsecureAuth = true                 // lets the test see that the client refuses PLAIN without TLS
	srv.ErrorLog = stdlog.New(io.Discard, "", 0) // t.Log would panic after the test ends
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen smtp: %v", err)
	}
	s.Addr = ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

// URL is the smtp.url of the server.
func (s *smtpServer) URL() string { return "smtp://" + s.Addr }

func (s *smtpServer) failWith(code, first int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failCode, s.failFirst = code, first
}

func (s *smtpServer) Mails() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.mails...)
}

func (s *smtpServer) Attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

type smtpSession struct {
	server *smtpServer
	from   string
	to     []string
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, _, _ string) error {
		s.server.mu.Lock()
		s.server.authUsed = true
		s.server.mu.Unlock()
		return nil
	}), nil
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error { s.from = from; return nil }

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.server.mu.Lock()
	defer s.server.mu.Unlock()
	s.server.attempts++
	if s.server.attempts <= s.server.failFirst {
		return &smtp.SMTPError{Code: s.server.failCode, Message: fmt.Sprintf("test server refuses (%d)", s.server.failCode)}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := parseMail(raw)
	if err != nil {
		return err
	}
	m.From, m.To = s.from, s.to
	s.server.mu.Lock()
	s.server.mails = append(s.server.mails, m)
	s.server.mu.Unlock()
	return nil
}

func (s *smtpSession) Reset()        { s.from, s.to = "", nil }
func (s *smtpSession) Logout() error { return nil }

// parseMail decodes the multipart/alternative message go-mail writes.
func parseMail(raw []byte) (received, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return received{}, fmt.Errorf("parse mail: %w", err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return received{}, fmt.Errorf("decode subject: %w", err)
	}
	out := received{Header: msg.Header, Subject: subject}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return received{}, fmt.Errorf("content type: %w", err)
	}
	parts := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := parts.NextPart() // decodes quoted-printable itself
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return received{}, fmt.Errorf("next part: %w", err)
		}
		body, err := io.ReadAll(part)
		if err != nil {
			return received{}, fmt.Errorf("read part: %w", err)
		}
		switch {
		case strings.HasPrefix(part.Header.Get("Content-Type"), "text/plain"):
			out.Text = string(body)
		case strings.HasPrefix(part.Header.Get("Content-Type"), "text/html"):
			out.HTML = string(body)
		}
	}
}

// logBuffer collects everything the code under test logs, to check that no mail content leaks.
type logBuffer struct{ apitest.Buffer }

func (b *logBuffer) Logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// asynqLog sends Asynq's own log lines to the same buffer.
type asynqLog struct{ l *slog.Logger }

func (a asynqLog) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...)) }
func (a asynqLog) Info(args ...any)  { a.l.Info(fmt.Sprint(args...)) }
func (a asynqLog) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...)) }
func (a asynqLog) Error(args ...any) { a.l.Error(fmt.Sprint(args...)) }
func (a asynqLog) Fatal(args ...any) { a.l.Error(fmt.Sprint(args...)) }

// fixture is one test's platform: a database with tenants, an SMTP server, a queue of its own.
type fixture struct {
	env   *tenanttest.Env
	smtp  *smtpServer
	queue string
	logs  *logBuffer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	buf := make([]byte, 4)
	_, _ = rand.Read(buf)
	f := &fixture{env: tenanttest.New(t, 4), smtp: newSMTPServer(t), queue: "notify_test_" + hex.EncodeToString(buf), logs: &logBuffer{}}
	t.Cleanup(func() { dropQueue(t, f.queue) })
	return f
}

// dropQueue removes every key of the test's queue (tasks, retained tasks, statistics), which
// Asynq's own DeleteQueue leaves behind in part.
func dropQueue(t *testing.T, queue string) {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: testRedis.Addr, DB: testRedis.DB})
	defer rdb.Close()
	keys, err := rdb.Keys(ctx, "asynq:{"+queue+"}*").Result()
	if err != nil {
		t.Logf("clean up queue %s: %v", queue, err)
		return
	}
	if len(keys) > 0 {
		rdb.Del(ctx, keys...)
	}
	rdb.SRem(ctx, "asynq:queues", queue)
}

// tenant provisions a tenant with a helpdesk, as the footer shows it.
func (f *fixture) tenant(t *testing.T, code, name string) *tenant.Tenant {
	t.Helper()
	tn, err := f.env.Provisioner.Create(context.Background(), tenant.Spec{
		Code: code, Name: name, Hosts: []string{code + ".example.test"}, RegistrationMode: tenant.PayrollMatch,
		HelpdeskEmail: "helpdesk@" + code + ".example.test", HelpdeskPhone: fmt.Sprintf("03-5544 %04d", code[0]), // digits only: the registry checks phones
	}, "test")
	if err != nil {
		t.Fatalf("provision %s: %v", code, err)
	}
	f.env.Resolver.Invalidate()
	return tn
}

func (f *fixture) sender(t *testing.T, transport notify.Transport) *notify.Sender {
	t.Helper()
	return &notify.Sender{Transport: transport, From: "SPEKS Portal <no-reply@speks.example.test>", Log: f.logs.Logger()}
}

func (f *fixture) smtpSender(t *testing.T) *notify.Sender {
	t.Helper()
	transport, err := notify.NewTransport(f.smtp.URL(), nil)
	if err != nil {
		t.Fatalf("smtp transport: %v", err)
	}
	return f.sender(t, transport)
}

// relay returns a relay on the fixture's queue through client (a real Redis, or a dead one).
func (f *fixture) relay(client notify.Enqueuer, maxRetry int) *notify.Relay {
	return &notify.Relay{
		Tenants: f.env.Registry, Databases: f.env.Databases, Client: client, Log: f.logs.Logger(),
		Queue: f.queue, MaxRetry: maxRetry, Interval: 100 * time.Millisecond, BatchSize: 3,
	}
}

func (f *fixture) redisClient(t *testing.T) *asynq.Client {
	t.Helper()
	c := asynq.NewClient(testRedis)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// mux is the worker's handler chain: the tenant scope middleware, then the sender.
func (f *fixture) mux(sender *notify.Sender) *asynq.ServeMux {
	mux := asynq.NewServeMux()
	mux.Use(jobs.TenantScope(f.env.Scoper))
	mux.Handle(notify.TaskSend, sender)
	return mux
}

// startWorker runs an Asynq server on the fixture's queue with quick retries.
func (f *fixture) startWorker(t *testing.T, sender *notify.Sender) {
	t.Helper()
	srv := asynq.NewServer(testRedis, asynq.Config{
		Concurrency:              2,
		Queues:                   map[string]int{f.queue: 1},
		RetryDelayFunc:           func(int, error, *asynq.Task) time.Duration { return 50 * time.Millisecond },
		TaskCheckInterval:        20 * time.Millisecond,
		DelayedTaskCheckInterval: 50 * time.Millisecond,
		Logger:                   asynqLog{f.logs.Logger()},
		ShutdownTimeout:          2 * time.Second,
	})
	if err := srv.Start(f.mux(sender)); err != nil {
		t.Fatalf("start worker: %v", err)
	}
	t.Cleanup(srv.Shutdown)
}

// enqueue commits one mail in tn's outbox and returns its row id.
func (f *fixture) enqueue(t *testing.T, tn *tenant.Tenant, m notify.Message) int64 {
	t.Helper()
	db := f.env.DB(t, tn)
	tx, err := db.BeginTxx(context.Background(), nil)
	if err != nil {
		t.Fatalf("begin: %v", err)
	}
	if err := notify.Enqueue(context.Background(), tx, m); err != nil {
		_ = tx.Rollback()
		t.Fatalf("enqueue: %v", err)
	}
	var id int64
	if err := tx.Get(&id, `SELECT max(id) FROM outbox`); err != nil {
		t.Fatalf("read outbox id: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatalf("commit: %v", err)
	}
	return id
}

type outboxState struct {
	Status    string `db:"status"`
	Attempts  int    `db:"attempts"`
	LastError string `db:"last_error"`
	Data      string `db:"data"`
}

func state(t *testing.T, db *tenant.DB, id int64) outboxState {
	t.Helper()
	var s outboxState
	if err := db.Get(&s, `SELECT status, attempts, last_error, data::text AS data FROM outbox WHERE id = $1`, id); err != nil {
		t.Fatalf("read outbox row %d: %v", id, err)
	}
	return s
}

func codeMail(to, name, code string) notify.Message {
	return notify.Message{To: to, Template: notify.TemplateOneTimeCode, Data: map[string]any{
		"name": name, "code": code, "purpose": notify.PurposeFirstLogin, "expires_minutes": 30,
	}}
}
