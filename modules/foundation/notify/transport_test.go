package notify_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/speks-portal/speks/modules/foundation/notify"
)

func TestNewSMTPReadsTheURL(t *testing.T) {
	for _, ok := range []string{"smtp://mail.example.test", "smtp://u:p@mail.example.test:587", "smtps://u:p%40ss@mail.example.test"} {
		if _, err := notify.NewSMTP(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"http://mail.example.test", "smtp://", "smtp://mail.example.test:99999", "::"} {
		if _, err := notify.NewSMTP(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if _, err := notify.NewTransport("", nil); err == nil {
		t.Error("no smtp.url and no dev sink: a transport was made")
	}
}

func TestCredentialsAreNeverSentOverAnUnencryptedConnection(t *testing.T) {
	server := newSMTPServer(t) // offers AUTH PLAIN without TLS
	const password = "s3cret-Pa55word"
	smtp, err := notify.NewSMTP("smtp://relay-user:" + password + "@" + server.Addr)
	if err != nil {
		t.Fatal(err)
	}
	err = smtp.Send(context.Background(), notify.Email{From: "no-reply@speks.example.test", To: "a@example.test",
		Lang: "ms", Rendered: notify.Rendered{Subject: "s", Text: "t", HTML: "<p>t</p>"}})
	if err == nil {
		t.Fatal("the mail went out after PLAIN authentication without TLS")
	}
	t.Logf("refused as it should be: %v", err)
	if strings.Contains(err.Error(), password) {
		t.Fatalf("the error shows the password: %v", err)
	}
	server.mu.Lock()
	defer server.mu.Unlock()
	if server.authUsed || len(server.mails) != 0 {
		t.Fatal("the client authenticated in clear")
	}
}

func TestSMTPErrorsAreClassified(t *testing.T) {
	server := newSMTPServer(t)
	smtp, err := notify.NewSMTP(server.URL())
	if err != nil {
		t.Fatal(err)
	}
	email := notify.Email{From: "no-reply@speks.example.test", To: "a@example.test", Lang: "en",
		Rendered: notify.Rendered{Subject: "s", Text: "t", HTML: "<p>t</p>"}}
	server.failWith(451, 1)
	if err := smtp.Send(context.Background(), email); err == nil || errors.Is(err, notify.ErrPermanent) {
		t.Fatalf("451: err = %v, want a temporary error", err)
	}
	server.failWith(550, 2)
	if err := smtp.Send(context.Background(), email); !errors.Is(err, notify.ErrPermanent) {
		t.Fatalf("550: err = %v, want ErrPermanent", err)
	}
	dead, _ := notify.NewSMTP("smtp://" + closedPort(t))
	if err := dead.Send(context.Background(), email); err == nil || errors.Is(err, notify.ErrPermanent) {
		t.Fatalf("refused connection: err = %v, want a temporary error", err)
	}
}

func TestMailRetriesBackOffExponentiallyUpToACap(t *testing.T) {
	task := asynq.NewTask(notify.TaskSend, nil)
	prev := time.Duration(0)
	for n := range 12 {
		d := notify.RetryDelay(n, nil, task)
		base := min(10*time.Second<<n, 30*time.Minute)
		if d < base || d > base+base/5 {
			t.Fatalf("retry %d: %s, want %s plus at most 20%%", n, d, base)
		}
		if d+d/5 < prev {
			t.Fatalf("retry %d waits less than retry %d", n, n-1)
		}
		prev = d
	}
	if d := notify.RetryDelay(100, nil, task); d > 36*time.Minute {
		t.Fatalf("retry 100: %s beyond the cap", d)
	}
	other := asynq.NewTask("retention:purge", nil)
	if d := notify.RetryDelay(0, nil, other); d < 15*time.Second || d > 45*time.Second {
		t.Fatalf("another task kind keeps Asynq's default delay, got %s", d)
	}
}
