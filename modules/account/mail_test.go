package account_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/speks-portal/speks/modules/foundation/jobs"
	"github.com/speks-portal/speks/modules/foundation/notify"
	"github.com/speks-portal/speks/modules/foundation/notify/notifytest"
	"github.com/speks-portal/speks/modules/foundation/web/apitest"
)

// With Redis unreachable, forgot-password, login and logout still work and the mail waits in
// the outbox; once Redis is back the relay and worker send it over SMTP, and the code read from
// the received mail opens the restricted session.
func TestRedisDownMailWaitsThenArrivesOverSMTP(t *testing.T) {
	h := newHarness(t)
	h.addUser(t, "selangor", "staff", aminahIC, "Aminah binti Yusof", "aminah@selangor.gov.my", aminahPass, "bunga raya merah")
	c := h.client(t, "selangor")
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	queue := notifytest.NewQueue(t)
	relay := func(client notify.Enqueuer) *notify.Relay {
		return &notify.Relay{Tenants: h.env.Registry, Databases: h.env.Databases, Client: client, Log: quiet, Queue: queue, MaxRetry: 2}
	}

	// Redis down (nothing listens on port 1).
	dead := asynq.NewClient(asynq.RedisClientOpt{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond})
	defer dead.Close()
	apitest.Expect(t, c.login(aminahIC, aminahPass), http.StatusOK, "")
	apitest.Expect(t, c.Post("/api/v1/auth/logout", nil), http.StatusNoContent, "")
	apitest.Expect(t, c.Post("/api/v1/auth/forgot-password", map[string]string{"id": aminahIC, "email": "aminah@selangor.gov.my"}), http.StatusAccepted, "")
	if _, err := relay(dead).RelayAll(context.Background()); err == nil {
		t.Fatal("relaying through a dead Redis reported no error")
	}
	var status string
	h.db(t, "selangor").Get(&status, `SELECT status FROM outbox WHERE template = 'one_time_code'`)
	if status != notify.StatusPending {
		t.Fatalf("mail is %q while Redis is down, want pending", status)
	}

	// Redis back: relay, worker, SMTP.
	sink := notifytest.NewSMTPSink(t)
	transport, err := notify.NewTransport(sink.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	live := asynq.NewClient(notifytest.Redis)
	defer live.Close()
	if n, err := relay(live).RelayAll(context.Background()); err != nil || n != 1 {
		t.Fatalf("relay: %d, %v", n, err)
	}
	srv := asynq.NewServer(notifytest.Redis, asynq.Config{Concurrency: 1, Queues: map[string]int{queue: 1},
		TaskCheckInterval: 20 * time.Millisecond, ShutdownTimeout: 2 * time.Second, Logger: notifytest.QuietAsynq{}})
	mux := asynq.NewServeMux()
	mux.Use(jobs.TenantScope(h.env.Scoper))
	mux.Handle(notify.TaskSend, &notify.Sender{Transport: transport, From: "SPEKS <no-reply@speks.example.test>", Log: quiet})
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	apitest.WaitWithin(t, 10*time.Second, "a mail over SMTP", func() bool { return len(sink.Messages()) > 0 })
	code := notifytest.CodePattern.FindString(notifytest.DecodeQP(sink.Messages()[0]))
	if code == "" {
		t.Fatalf("no code in the mail:\n%s", sink.Messages()[0])
	}
	if r := c.login(aminahIC, code); r.Status != http.StatusOK || r.Body["next"] != "change_password" {
		t.Fatalf("login with the mailed code: %s", r.Raw)
	}
}
