package notify_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/speks-portal/speks/modules/foundation/jobs"
	"github.com/speks-portal/speks/modules/foundation/notify"
	"github.com/speks-portal/speks/modules/foundation/web/apitest"
	"github.com/speks-portal/speks/tenant"
)

func TestEnqueueWritesTheMailOnlyWhenTheTransactionCommits(t *testing.T) {
	f := newFixture(t)
	tn := f.tenant(t, "selangor", "Selangor")
	db := f.env.DB(t, tn)
	ctx := context.Background()

	tx := db.MustBeginTx(ctx, nil)
	if err := notify.Enqueue(ctx, tx, codeMail("a@selangor.gov.my", "Aminah", "RB7K-2QXM-9P")); err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatalf("rollback: %v", err)
	}
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM outbox`); err != nil || n != 0 {
		t.Fatalf("after rollback: %d rows (err %v), want none", n, err)
	}

	tx = db.MustBeginTx(ctx, nil)
	m := codeMail("A@Selangor.gov.my", "Aminah", "RB7K-2QXM-9P")
	m.DedupKey = "first-login:42:1"
	for range 2 { // a retried caller: the second Enqueue with the same key is a no-op
		if err := notify.Enqueue(ctx, tx, m); err != nil {
			t.Fatalf("enqueue: %v", err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatalf("commit: %v", err)
	}
	var row struct {
		To     string `db:"recipient"`
		Lang   string `db:"lang"`
		Status string `db:"status"`
	}
	if err := db.Get(&row, `SELECT recipient, lang, status FROM outbox`); err != nil {
		t.Fatalf("after commit: %v (want exactly one row)", err)
	}
	if row.To != "A@Selangor.gov.my" || row.Lang != "ms" || row.Status != notify.StatusPending {
		t.Fatalf("row = %+v, want the address as given, Malay by default, pending", row)
	}

	// Without a language, a tenant that chose English as its default gets English.
	english := *tn
	english.DefaultLanguage = "en"
	scoped := tenant.NewContext(ctx, &tenant.Scope{Tenant: &english, DB: db})
	tx = db.MustBeginTx(ctx, nil)
	if err := notify.Enqueue(scoped, tx, codeMail("b@selangor.gov.my", "Bala", "RB7K-2QXM-9Q")); err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	var lang string
	if err := db.Get(&lang, `SELECT lang FROM outbox WHERE recipient = 'b@selangor.gov.my'`); err != nil || lang != "en" {
		t.Fatalf("lang = %q (%v), want the tenant's default en", lang, err)
	}
}

func TestEnqueueRefusesMessagesThatCouldNeverBeSent(t *testing.T) {
	f := newFixture(t)
	db := f.env.DB(t, f.tenant(t, "pahang", "Pahang"))
	ok := codeMail("staff@pahang.gov.my", "Ali", "X7PK-M2RQ-4T")
	cases := map[string]func(m *notify.Message){
		"bad address":      func(m *notify.Message) { m.To = "not an address" },
		"header injection": func(m *notify.Message) { m.To = "a@b.my\r\nBcc: c@d.my" },
		"unknown template": func(m *notify.Message) { m.Template = "welcome" },
		"unknown language": func(m *notify.Message) { m.Lang = "fr" },
		"missing key":      func(m *notify.Message) { delete(m.Data, "code") },
		"unknown key":      func(m *notify.Message) { m.Data["amount"] = "4521.30" },
		"bad purpose":      func(m *notify.Message) { m.Data["purpose"] = "other" },
		"bad number":       func(m *notify.Message) { m.Data["expires_minutes"] = "thirty" },
		"script link":      func(m *notify.Message) { m.Data["link"] = "javascript:alert(1)" },
	}
	for name, spoil := range cases {
		t.Run(name, func(t *testing.T) {
			m := ok
			m.Data = map[string]any{}
			for k, v := range ok.Data {
				m.Data[k] = v
			}
			spoil(&m)
			tx := db.MustBegin()
			defer tx.Rollback()
			err := notify.Enqueue(context.Background(), tx, m)
			if !errors.Is(err, notify.ErrInvalidMessage) {
				t.Fatalf("err = %v, want ErrInvalidMessage", err)
			}
			if strings.Contains(err.Error(), "X7PK-M2RQ-4T") {
				t.Fatalf("the error repeats the one-time code: %v", err)
			}
		})
	}
}

func TestRelayAndWorkerDeliverExactlyOneMailPerRowWithTheTenantsName(t *testing.T) {
	f := newFixture(t)
	selangor := f.tenant(t, "selangor", "Selangor")
	kelantan := f.tenant(t, "kelantan", "Kelantan")
	const code = "QW3E-R7TY-UP"
	want := map[string]*tenant.Tenant{}
	for i, to := range []string{"a@selangor.gov.my", "b@selangor.gov.my", "c@selangor.gov.my", "d@selangor.gov.my"} {
		m := codeMail(to, "Pegawai "+string(rune('A'+i)), code)
		f.enqueue(t, selangor, m)
		want[to] = selangor
	}
	en := codeMail("e@kelantan.gov.my", "Ewan", code)
	en.Lang = "en"
	f.enqueue(t, kelantan, en)
	want["e@kelantan.gov.my"] = kelantan

	f.startWorker(t, f.smtpSender(t))
	client := f.redisClient(t)
	// Two relays at once, as two worker processes would run them, several passes each.
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for range 5 {
				if _, err := f.relay(client, 3).RelayAll(context.Background()); err != nil {
					t.Errorf("relay: %v", err)
				}
			}
		})
	}
	wg.Wait()
	apitest.WaitWithin(t, 10*time.Second, "every row sent", func() bool {
		return len(f.smtp.Mails()) >= len(want) && allSent(t, f, selangor) && allSent(t, f, kelantan)
	})
	time.Sleep(300 * time.Millisecond) // a duplicate would arrive now

	mails := f.smtp.Mails()
	if len(mails) != len(want) {
		t.Fatalf("SMTP server received %d mails, want %d", len(mails), len(want))
	}
	for _, m := range mails {
		tn := want[m.To[0]]
		if tn == nil {
			t.Fatalf("unexpected or duplicate mail to %v", m.To)
		}
		delete(want, m.To[0])
		if !strings.Contains(m.Subject, tn.Name) || !strings.Contains(m.Text, tn.Name) || !strings.Contains(m.HTML, tn.Name) {
			t.Errorf("mail to %v does not carry its tenant's name %q: subject %q", m.To, tn.Name, m.Subject)
		}
		if !strings.Contains(m.Text, code) || !strings.Contains(m.Text, tn.HelpdeskEmail) || !strings.Contains(m.Text, tn.HelpdeskPhone) {
			t.Errorf("mail to %v lacks the code or the helpdesk footer:\n%s", m.To, m.Text)
		}
		if got := m.Header.Get("Reply-To"); !strings.Contains(got, tn.HelpdeskEmail) {
			t.Errorf("Reply-To = %q, want the helpdesk %s", got, tn.HelpdeskEmail)
		}
		if tn == kelantan && (!strings.Contains(m.Subject, "one-time code") || m.Header.Get("Content-Language") != "en") {
			t.Errorf("the English mail came out as %q (%s)", m.Subject, m.Header.Get("Content-Language"))
		}
		if tn == selangor && !strings.Contains(m.Subject, "Kod sekali guna") {
			t.Errorf("the Malay mail came out as %q", m.Subject)
		}
	}
	var leftover int
	if err := f.env.DB(t, selangor).Get(&leftover, `SELECT count(*) FROM outbox WHERE data <> '{}'::jsonb`); err != nil || leftover != 0 {
		t.Fatalf("%d sent rows still hold their template values (err %v)", leftover, err)
	}
	assertNoMailContentInLogs(t, f, code, "a@selangor.gov.my", "Pegawai A")
}

func allSent(t *testing.T, f *fixture, tn *tenant.Tenant) bool {
	var pending int
	if err := f.env.DB(t, tn).Get(&pending, `SELECT count(*) FROM outbox WHERE status <> 'sent'`); err != nil {
		t.Fatalf("count unsent: %v", err)
	}
	return pending == 0
}

func TestRelayNeverQueuesARowTwice(t *testing.T) {
	f := newFixture(t)
	tn := f.tenant(t, "melaka", "Melaka")
	id := f.enqueue(t, tn, codeMail("x@melaka.gov.my", "Xin", "A2B3-C4D5-E6"))
	client := f.redisClient(t)
	if n, err := f.relay(client, 3).RelayAll(context.Background()); err != nil || n != 1 {
		t.Fatalf("first relay: %d, %v", n, err)
	}
	// The relay's commit is lost (say the database went away after Redis took the task): the
	// row is pending again and the next pass hands it over once more.
	if _, err := f.env.DB(t, tn).Exec(`UPDATE outbox SET status = 'pending' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if n, err := f.relay(client, 3).RelayAll(context.Background()); err != nil || n != 1 {
		t.Fatalf("second relay: %d, %v", n, err)
	}
	info, err := asynq.NewInspector(testRedis).GetQueueInfo(f.queue)
	if err != nil {
		t.Fatalf("queue info: %v", err)
	}
	if info.Pending != 1 {
		t.Fatalf("%d tasks in Redis for one row, want 1", info.Pending)
	}
	if s := state(t, f.env.DB(t, tn), id); s.Status != notify.StatusQueued {
		t.Fatalf("row is %s, want queued", s.Status)
	}
}

func TestMailWaitsInTheOutboxWhileRedisIsDownAndLeavesWhenItIsBack(t *testing.T) {
	f := newFixture(t)
	tn := f.tenant(t, "johor", "Johor")
	id := f.enqueue(t, tn, codeMail("j@johor.gov.my", "Jamal", "J7K8-L9M2-N3"))

	down := asynq.NewClient(asynq.RedisClientOpt{Addr: closedPort(t), DB: 9})
	defer down.Close()
	n, err := f.relay(down, 3).RelayAll(context.Background())
	if err == nil || n != 0 {
		t.Fatalf("relay to a dead Redis: %d queued, err %v; want 0 and an error", n, err)
	}
	if s := state(t, f.env.DB(t, tn), id); s.Status != notify.StatusPending {
		t.Fatalf("row is %s after the failed relay, want pending", s.Status)
	}

	f.startWorker(t, f.smtpSender(t))
	if n, err := f.relay(f.redisClient(t), 3).RelayAll(context.Background()); err != nil || n != 1 {
		t.Fatalf("relay once Redis is back: %d, %v", n, err)
	}
	apitest.WaitWithin(t, 10*time.Second, "the mail", func() bool { return len(f.smtp.Mails()) == 1 })
	apitest.WaitWithin(t, 5*time.Second, "the row marked sent", func() bool { return state(t, f.env.DB(t, tn), id).Status == notify.StatusSent })
}

func TestATenantWhoseOutboxCannotBeReadDoesNotHoldUpTheOthers(t *testing.T) {
	f := newFixture(t)
	broken := f.tenant(t, "aaa", "Broken") // relayed first: tenants come in code order
	fine := f.tenant(t, "zzz", "Fine")
	if _, err := f.env.DB(t, broken).Exec(`DROP TABLE outbox`); err != nil {
		t.Fatal(err)
	}
	id := f.enqueue(t, fine, codeMail("z@zzz.gov.my", "Zara", "Z1Z1-Z1Z1-Z1"))
	n, err := f.relay(f.redisClient(t), 3).RelayAll(context.Background())
	if n != 1 || err == nil || !strings.Contains(err.Error(), "aaa") {
		t.Fatalf("relay: %d queued, err %v; want the fine tenant's row queued and the broken one reported", n, err)
	}
	if s := state(t, f.env.DB(t, fine), id); s.Status != notify.StatusQueued {
		t.Fatalf("the fine tenant's row is %s", s.Status)
	}
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

func TestTemporarySMTPFailuresAreRetriedThenTheMailIsMarkedFailed(t *testing.T) {
	f := newFixture(t)
	tn := f.tenant(t, "perak", "Perak")
	db := f.env.DB(t, tn)
	const code = "P3R4-K5L6-M7"
	recovers := f.enqueue(t, tn, codeMail("r@perak.gov.my", "Rosli", code))
	f.smtp.failWith(451, 1) // the first attempt fails, the retry goes through
	f.startWorker(t, f.smtpSender(t))
	relay := f.relay(f.redisClient(t), 2)
	if _, err := relay.RelayAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	apitest.WaitWithin(t, 10*time.Second, "the retried mail", func() bool { return state(t, db, recovers).Status == notify.StatusSent })
	if s := state(t, db, recovers); s.Attempts != 2 {
		t.Fatalf("attempts = %d, want 2 (one failure, one success)", s.Attempts)
	}

	gives := f.enqueue(t, tn, codeMail("g@perak.gov.my", "Gopal", code))
	f.smtp.failWith(451, 1000)
	before := f.smtp.Attempts()
	if _, err := relay.RelayAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	apitest.WaitWithin(t, 10*time.Second, "the mail marked failed", func() bool { return state(t, db, gives).Status == notify.StatusFailed })
	s := state(t, db, gives)
	if s.Attempts != 3 || f.smtp.Attempts()-before != 3 {
		t.Fatalf("attempts = %d in the row, %d at the server; want 3 (MaxRetry 2)", s.Attempts, f.smtp.Attempts()-before)
	}
	if s.Data != "{}" {
		t.Fatalf("the failed row keeps its template values: %s", s.Data)
	}
	failed, err := notify.Failed(context.Background(), db, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(failed) != 1 || failed[0].ID != gives || failed[0].To != "g@perak.gov.my" || !strings.Contains(failed[0].LastError, "451") {
		t.Fatalf("Failed = %+v, want the one row with its 451 error", failed)
	}
	assertNoMailContentInLogs(t, f, code, "g@perak.gov.my", "Gopal")
}

func TestAPermanentSMTPRefusalFailsAtOnce(t *testing.T) {
	f := newFixture(t)
	tn := f.tenant(t, "kedah", "Kedah")
	db := f.env.DB(t, tn)
	id := f.enqueue(t, tn, codeMail("nobody@kedah.gov.my", "Nobody", "K3D4-H5J6-K7"))
	f.smtp.failWith(550, 1000)
	f.startWorker(t, f.smtpSender(t))
	if _, err := f.relay(f.redisClient(t), 5).RelayAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	apitest.WaitWithin(t, 10*time.Second, "the mail marked failed", func() bool { return state(t, db, id).Status == notify.StatusFailed })
	time.Sleep(200 * time.Millisecond) // a retry, if one were made, would reach the server now
	if s := state(t, db, id); s.Attempts != 1 || f.smtp.Attempts() != 1 || !strings.Contains(s.LastError, "550") {
		t.Fatalf("row %+v after %d server attempts; want one attempt and the 550", s, f.smtp.Attempts())
	}
}

func TestATaskNamingTenantBNeverReadsTenantAsOutbox(t *testing.T) {
	f := newFixture(t)
	alpha := f.tenant(t, "alpha", "Alpha")
	beta := f.tenant(t, "beta", "Beta")
	idA := f.enqueue(t, alpha, codeMail("secret@alpha.gov.my", "Alpha Staff", "A1A1-A1A1-A1"))
	mux := f.mux(f.smtpSender(t))

	// Beta has no row with Alpha's id: the task finds nothing and is not retried.
	task, err := jobs.NewTask(notify.TaskSend, beta.Code, map[string]int64{"outbox_id": idA})
	if err != nil {
		t.Fatal(err)
	}
	if err := mux.ProcessTask(context.Background(), task); !errors.Is(err, asynq.SkipRetry) {
		t.Fatalf("task of beta for alpha's row: err = %v, want SkipRetry", err)
	}
	if len(f.smtp.Mails()) != 0 {
		t.Fatalf("a mail left for a row of another tenant")
	}
	if s := state(t, f.env.DB(t, alpha), idA); s.Status != notify.StatusPending || s.Attempts != 0 {
		t.Fatalf("alpha's row was touched: %+v", s)
	}

	// Beta's own row with the same id: the task sends beta's mail, never alpha's.
	idB := f.enqueue(t, beta, codeMail("own@beta.gov.my", "Beta Staff", "B2B2-B2B2-B2"))
	if idB != idA {
		t.Fatalf("test premise: ids %d and %d should collide", idA, idB)
	}
	if err := mux.ProcessTask(context.Background(), task); err != nil {
		t.Fatalf("beta's task: %v", err)
	}
	mails := f.smtp.Mails()
	if len(mails) != 1 || mails[0].To[0] != "own@beta.gov.my" || !strings.Contains(mails[0].Text, "B2B2-B2B2-B2") ||
		strings.Contains(mails[0].Text, "Alpha") {
		t.Fatalf("beta's task sent %+v", mails)
	}
	if s := state(t, f.env.DB(t, alpha), idA); s.Status != notify.StatusPending {
		t.Fatalf("alpha's row changed to %s", s.Status)
	}
}

func TestARedeliveredTaskDoesNotSendTwice(t *testing.T) {
	f := newFixture(t)
	tn := f.tenant(t, "sabah", "Sabah")
	db := f.env.DB(t, tn)
	id := f.enqueue(t, tn, codeMail("s@sabah.gov.my", "Siti", "S4B4-H5J6-K7"))
	mux := f.mux(f.smtpSender(t))
	task, err := jobs.NewTask(notify.TaskSend, tn.Code, map[string]int64{"outbox_id": id})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := mux.ProcessTask(context.Background(), task); err != nil {
			t.Fatalf("process: %v", err)
		}
	}
	if n := len(f.smtp.Mails()); n != 1 {
		t.Fatalf("%d mails for one row delivered three times, want 1", n)
	}

	// A row another worker is sending right now (live lease) is left alone, to be retried.
	other := f.enqueue(t, tn, codeMail("t@sabah.gov.my", "Tan", "T4N4-H5J6-K7"))
	if _, err := db.Exec(`UPDATE outbox SET status = 'sending', lease_until = now() + interval '1 minute' WHERE id = $1`, other); err != nil {
		t.Fatal(err)
	}
	task, _ = jobs.NewTask(notify.TaskSend, tn.Code, map[string]int64{"outbox_id": other})
	if err := mux.ProcessTask(context.Background(), task); err == nil || errors.Is(err, asynq.SkipRetry) {
		t.Fatalf("busy row: err = %v, want a retryable error", err)
	}
	// Once the lease has run out (its worker died), the next delivery takes the row over.
	if _, err := db.Exec(`UPDATE outbox SET lease_until = now() - interval '1 second' WHERE id = $1`, other); err != nil {
		t.Fatal(err)
	}
	if err := mux.ProcessTask(context.Background(), task); err != nil {
		t.Fatalf("expired lease: %v", err)
	}
	if n := len(f.smtp.Mails()); n != 2 {
		t.Fatalf("%d mails, want 2", n)
	}
}

func TestRelayWakesOnCommitThroughListenNotify(t *testing.T) {
	f := newFixture(t)
	tn := f.tenant(t, "terengganu", "Terengganu")
	f.startWorker(t, f.smtpSender(t))
	relay := f.relay(f.redisClient(t), 3)
	relay.Interval = time.Hour // only a NOTIFY can wake it in time
	relay.ListenURL = f.env.URL
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { relay.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	apitest.WaitWithin(t, 5*time.Second, "the relay's LISTEN", func() bool {
		var n int
		_ = f.env.Databases.Public().Get(&n, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND query LIKE 'LISTEN%speks_outbox%'`)
		return n == 1
	})

	start := time.Now()
	f.enqueue(t, tn, codeMail("w@terengganu.gov.my", "Wan", "W4N4-H5J6-K7"))
	apitest.WaitWithin(t, 3*time.Second, "the mail", func() bool { return len(f.smtp.Mails()) == 1 })
	t.Logf("commit to SMTP in %s", time.Since(start))
}

func TestPurgeDeletesOnlyOldFinishedRows(t *testing.T) {
	f := newFixture(t)
	tn := f.tenant(t, "perlis", "Perlis")
	db := f.env.DB(t, tn)
	ids := map[string]int64{}
	for _, name := range []string{"old_sent", "new_sent", "old_failed", "old_pending", "old_queued"} {
		ids[name] = f.enqueue(t, tn, codeMail(name+"@perlis.gov.my", name, "P1P1-P1P1-P1"))
	}
	for name, set := range map[string]string{
		"old_sent":   `status = 'sent', sent_at = now() - interval '40 days'`,
		"new_sent":   `status = 'sent', sent_at = now() - interval '1 day'`,
		"old_failed": `status = 'failed', failed_at = now() - interval '40 days'`,
		"old_queued": `status = 'queued', queued_at = now() - interval '40 days'`,
	} {
		if _, err := db.Exec(`UPDATE outbox SET `+set+`, created_at = now() - interval '60 days' WHERE id = $1`, ids[name]); err != nil {
			t.Fatal(err)
		}
	}
	n, err := notify.Purge(context.Background(), db, 30*24*time.Hour)
	if err != nil || n != 2 {
		t.Fatalf("purge: %d rows, %v; want 2", n, err)
	}
	var left []string
	if err := db.Select(&left, `SELECT recipient FROM outbox ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if strings.Join(left, " ") != "new_sent@perlis.gov.my old_pending@perlis.gov.my old_queued@perlis.gov.my" {
		t.Fatalf("left after purge: %v", left)
	}
	if _, err := notify.Purge(context.Background(), db, 0); err == nil {
		t.Fatal("purge with a zero period must be refused")
	}
}

// assertNoMailContentInLogs checks that neither our logs nor Asynq's name the recipient, the
// person, or the one-time code.
func assertNoMailContentInLogs(t *testing.T, f *fixture, secrets ...string) {
	t.Helper()
	logs := f.logs.String()
	if !strings.Contains(logs, "mail") {
		t.Fatalf("the test captured no logs at all:\n%s", logs)
	}
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Fatalf("the logs contain %q:\n%s", s, logs)
		}
	}
}
