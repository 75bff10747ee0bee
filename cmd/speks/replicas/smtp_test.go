package replicas_test

import (
	"errors"
	"io"
	stdlog "log"
	"net"
	"net/mail"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// mailServer is a real SMTP server (emersion/go-smtp) on a loopback port. It records which
// worker (the +tag of MAIL FROM) delivered each mail, can slow every DATA phase down, and can
// hold DATA phases until released, to kill a worker in the middle of a send.
//
// Like a real MTA, it takes responsibility for a message only when it can tell the client so:
// a DATA phase whose client vanished before the 250 reply is discarded, not delivered.
type mailServer struct {
	addr string

	mu        sync.Mutex
	delivered []delivery
	discarded []delivery
	held      []delivery // DATA phases waiting for release
	delay     time.Duration
	holding   bool
	release   chan struct{}
}

// delivery is one message as the server saw it.
type delivery struct {
	Worker string // tag of the worker that sent it
	To     string
	Body   string // the whole message as received
}

func newMailServer(t *testing.T) *mailServer {
	t.Helper()
	m := &mailServer{release: make(chan struct{})}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &mailSession{server: m, conn: c.Conn()}, nil
	}))
	srv.Domain = "mail.example.test"
	srv.ErrorLog = stdlog.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen smtp: %v", err)
	}
	m.addr = ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		m.Release()
		_ = srv.Close()
	})
	return m
}

// URL is the smtp.url the workers get.
func (m *mailServer) URL() string { return "smtp://" + m.addr }

// SlowDown makes every DATA phase take d before its reply.
func (m *mailServer) SlowDown(d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.delay = d
}

// Hold makes every DATA phase wait for Release before its reply.
func (m *mailServer) Hold() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.holding = true
}

// Release lets every held DATA phase (and later ones) go on.
func (m *mailServer) Release() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.holding {
		m.holding = false
		close(m.release)
	}
}

func (m *mailServer) Delivered() []delivery {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]delivery(nil), m.delivered...)
}

func (m *mailServer) Discarded() []delivery {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]delivery(nil), m.discarded...)
}

func (m *mailServer) Held() []delivery {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]delivery(nil), m.held...)
}

// countBy counts deliveries by key.
func countBy(ds []delivery, key func(delivery) string) map[string]int {
	n := map[string]int{}
	for _, d := range ds {
		n[key(d)]++
	}
	return n
}

type mailSession struct {
	server *mailServer
	conn   net.Conn
	from   string
	to     []string
}

func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error { s.from = from; return nil }
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *mailSession) Reset()        { s.from, s.to = "", nil }
func (s *mailSession) Logout() error { return nil }

func (s *mailSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if _, err := mail.ReadMessage(strings.NewReader(string(raw))); err != nil {
		return &smtp.SMTPError{Code: 554, Message: "not a mail message"}
	}
	d := delivery{Worker: workerTag(s.from), To: strings.Join(s.to, ","), Body: string(raw)}
	s.wait(d)
	if !clientAlive(s.conn) {
		s.server.record(&s.server.discarded, d)
		return errors.New("client gone before the reply")
	}
	s.server.record(&s.server.delivered, d)
	return nil
}

// wait applies the server's delay and hold to one DATA phase.
func (s *mailSession) wait(d delivery) {
	m := s.server
	m.mu.Lock()
	delay, holding, release := m.delay, m.holding, m.release
	if holding {
		m.held = append(m.held, d)
	}
	m.mu.Unlock()
	time.Sleep(delay)
	if holding {
		<-release
	}
}

func (m *mailServer) record(list *[]delivery, d delivery) {
	m.mu.Lock()
	defer m.mu.Unlock()
	*list = append(*list, d)
}

// clientAlive tells whether the client still waits for the DATA reply. A client waiting for
// the reply sends nothing, so a short read either times out (alive) or sees EOF or a reset
// (the process died and the kernel closed its socket).
func clientAlive(conn net.Conn) bool {
	_ = conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	defer func() { _ = conn.SetReadDeadline(time.Time{}) }()
	_, err := conn.Read(make([]byte, 1))
	return errors.Is(err, os.ErrDeadlineExceeded)
}

// workerTag is the +tag of no-reply+tag@…, the worker that sent the mail.
func workerTag(from string) string {
	local, _, _ := strings.Cut(from, "@")
	_, tag, _ := strings.Cut(local, "+")
	return tag
}
