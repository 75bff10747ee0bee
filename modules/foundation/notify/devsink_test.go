package notify_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/config"
	"github.com/speks-portal/speks/modules/foundation/jobs"
	"github.com/speks-portal/speks/modules/foundation/notify"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/modules/foundation/web/apitest"
)

func devApp(t *testing.T, f *fixture, sink *notify.DevSink, enabled bool) *fiber.App {
	t.Helper()
	app, err := web.New(web.Options{
		Config:  &config.Config{Mode: config.ModeDev},
		Scoper:  f.env.Scoper,
		Tenants: f.env.Registry,
		Logger:  f.logs.Logger(),
		Modules: []web.Module{&notify.DevMail{Sink: sink, Enabled: enabled}},
	})
	if err != nil {
		t.Fatalf("web shell: %v", err)
	}
	return app
}

func get(t *testing.T, app *fiber.App, host, target string) (int, string) {
	t.Helper()
	r := apitest.New(t, app, host).Get(target)
	return r.Status, r.Raw
}

func TestDevSinkShowsMailSentByTheWorkerOnThePlatformHost(t *testing.T) {
	f := newFixture(t)
	tn := f.tenant(t, "pahang", "Pahang")
	sink := notify.NewDevSink(f.env.Databases.Public())
	// Dev mode with an empty smtp.url: the sender's transport is the sink.
	transport, err := notify.NewTransport("", sink)
	if err != nil {
		t.Fatal(err)
	}
	mux := f.mux(f.sender(t, transport))
	for _, m := range []notify.Message{
		{To: "first@pahang.gov.my", Template: notify.TemplateVerifyEmail, Data: map[string]any{
			"name": "Pertama", "link": "http://pahang.localhost:8080/verify-email?token=abc", "expires_hours": 24}},
		codeMail("second@pahang.gov.my", "Kedua", "Z9Y8-X7W6-V5"),
	} {
		id := f.enqueue(t, tn, m)
		task, _ := jobs.NewTask(notify.TaskSend, tn.Code, map[string]int64{"outbox_id": id})
		if err := mux.ProcessTask(context.Background(), task); err != nil {
			t.Fatalf("send to sink: %v", err)
		}
		time.Sleep(5 * time.Millisecond) // distinct sent_at, to check the order by time too
	}

	app := devApp(t, f, sink, true)
	status, body := get(t, app, "platform.localhost:8080", "/dev/mail?format=json")
	if status != http.StatusOK {
		t.Fatalf("json: %d %s", status, body)
	}
	var raw []map[string]any
	if err := json.Unmarshal([]byte(body), &raw); err != nil {
		t.Fatalf("json: %v in %s", err, body)
	}
	if len(raw) != 2 {
		t.Fatalf("%d mails in the sink, want 2", len(raw))
	}
	for _, key := range []string{"to", "subject", "text", "sent_at"} {
		if _, ok := raw[0][key]; !ok {
			t.Fatalf("json entry lacks %q: %v", key, raw[0])
		}
	}
	var mails []struct {
		To, Subject, Text string
		SentAt            time.Time `json:"sent_at"`
	}
	_ = json.Unmarshal([]byte(body), &mails)
	if mails[0].To != "second@pahang.gov.my" || mails[1].To != "first@pahang.gov.my" || !mails[0].SentAt.After(mails[1].SentAt) {
		t.Fatalf("not newest first: %+v", mails)
	}
	if !strings.Contains(mails[0].Text, "Z9Y8-X7W6-V5") || !strings.Contains(mails[0].Subject, "Pahang") {
		t.Fatalf("the sink lost the mail's content: %+v", mails[0])
	}

	status, body = get(t, app, "platform.localhost", "/dev/mail?format=json&to=FIRST@pahang.gov.my")
	if status != http.StatusOK || strings.Count(body, `"to"`) != 1 || !strings.Contains(body, "first@pahang.gov.my") {
		t.Fatalf("filter by recipient: %d %s", status, body)
	}

	status, body = get(t, app, "platform.localhost", "/dev/mail")
	if status != http.StatusOK || !strings.Contains(body, `<a href="http://pahang.localhost:8080/verify-email?token=abc">`) ||
		!strings.Contains(body, "second@pahang.gov.my") {
		t.Fatalf("html page: %d\n%s", status, body)
	}
}

func TestDevSinkIsHiddenOnTenantHostsAndOutsideDevMode(t *testing.T) {
	f := newFixture(t)
	f.tenant(t, "selangor", "Selangor")
	sink := notify.NewDevSink(f.env.Databases.Public())
	if err := sink.Send(context.Background(), notify.Email{Tenant: "selangor", To: "x@selangor.gov.my",
		Rendered: notify.Rendered{Subject: "s", Text: "code 1234"}}); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		host    string
		enabled bool
	}{
		"tenant host":       {"selangor.example.test", true},
		"tenant dev host":   {"selangor.localhost", true},
		"production (json)": {"platform.localhost", false},
	} {
		t.Run(name, func(t *testing.T) {
			status, body := get(t, devApp(t, f, sink, tc.enabled), tc.host, "/dev/mail?format=json")
			if status != http.StatusNotFound || strings.Contains(body, "1234") {
				t.Fatalf("%d %s, want 404 without the mail", status, body)
			}
		})
	}
}

func TestDevSinkEmptyIsAnEmptyList(t *testing.T) {
	f := newFixture(t)
	status, body := get(t, devApp(t, f, notify.NewDevSink(f.env.Databases.Public()), true), "platform.localhost", "/dev/mail?format=json")
	if status != http.StatusOK || strings.TrimSpace(body) != "[]" {
		t.Fatalf("%d %q, want 200 []", status, body)
	}
}
