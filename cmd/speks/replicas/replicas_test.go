package replicas_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/speks-portal/speks/modules/foundation/notify"
	"github.com/speks-portal/speks/modules/foundation/web/apitest"
	"github.com/speks-portal/speks/tenant"
)

// propagation bounds how long a tenant change may take to reach every replica: each replica
// re-reads the registry every 2 s (tenant.Resolver in cmd/speks/runtime.go).
const propagation = 10 * time.Second

func TestTenantChangesReachEveryReplica(t *testing.T) {
	p := newPlatform(t)
	replicas := []*server{p.serve(t, "serve-1"), p.serve(t, "serve-2")}
	const host = "terengganu.example.test"

	// Both replicas have answered for the host already: their cached registry snapshots do not
	// know it, and must be refreshed for the change to show.
	for _, s := range replicas {
		if r := s.call(t, "GET", host, "/api/v1/tenant", nil, nil, ""); r.Status != http.StatusNotFound {
			t.Fatalf("%s before create: %d %s, want 404", s.name, r.Status, r.Raw)
		}
	}

	p.cli(t, "tenant", "create", "--code", "terengganu", "--name", "Terengganu", "--host", host,
		"--registration-mode", "payroll_match")
	waitForEvery(t, replicas, "serve the new tenant", func(s *server) bool {
		return tenantInfo(t, s, host).Code == "terengganu"
	})

	// A policy change: PUT /api/v1/admin/settings is not built yet, so the test writes the
	// registry row as it will; the replicas learn of it the same way as of any tenant change.
	dbs := openDatabases(t, p)
	if _, err := dbs.Public().Exec(`UPDATE tenants SET registration_mode = 'self_register' WHERE code = 'terengganu'`); err != nil {
		t.Fatalf("change the registration mode: %v", err)
	}
	waitForEvery(t, replicas, "show the new registration mode", func(s *server) bool {
		return tenantInfo(t, s, host).RegistrationMode == string(tenant.SelfRegister)
	})

	p.cli(t, "tenant", "suspend", "terengganu")
	waitForEvery(t, replicas, "answer 503 tenant_suspended", func(s *server) bool {
		r := s.call(t, "GET", host, "/api/v1/tenant", nil, nil, "")
		return r.Status == http.StatusServiceUnavailable && r.Code() == "tenant_suspended"
	})

	p.cli(t, "tenant", "resume", "terengganu")
	waitForEvery(t, replicas, "serve the resumed tenant", func(s *server) bool {
		return s.call(t, "GET", host, "/api/v1/tenant", nil, nil, "").Status == http.StatusOK
	})
}

// tenantPublic is what the tests read of GET /api/v1/tenant (zero when it is not a 200).
type tenantPublic struct {
	Code             string `json:"code"`
	RegistrationMode string `json:"registration_mode"`
}

func tenantInfo(t *testing.T, s *server, host string) tenantPublic {
	t.Helper()
	var info tenantPublic
	if r := s.call(t, "GET", host, "/api/v1/tenant", nil, nil, ""); r.Status == http.StatusOK {
		if err := json.Unmarshal([]byte(r.Raw), &info); err != nil {
			t.Fatalf("decode GET /api/v1/tenant of %s: %v", s.name, err)
		}
	}
	return info
}

// waitForEvery polls all replicas in turn until cond holds on each, and logs how long each
// took after the change; it fails the test when one takes longer than propagation.
func waitForEvery(t *testing.T, replicas []*server, what string, cond func(*server) bool) {
	t.Helper()
	start := time.Now()
	took := map[string]time.Duration{}
	apitest.WaitWithin(t, propagation, "every replica to "+what, func() bool {
		for _, s := range replicas {
			if _, done := took[s.name]; !done && cond(s) {
				took[s.name] = time.Since(start).Round(time.Millisecond)
			}
		}
		return len(took) == len(replicas)
	})
	t.Logf("%s: %v after the change", what, took)
}

// demoLogins is what the tests need of `speks demo --json` (docs/API.md "Demo").
type demoLogins struct {
	Tenants map[string]struct {
		Host  string `json:"host"`
		Staff struct {
			ID       string `json:"id"`
			Password string `json:"password"`
		} `json:"staff"`
	} `json:"tenants"`
}

func demo(t *testing.T, p *platform) demoLogins {
	t.Helper()
	var out demoLogins
	if err := json.Unmarshal([]byte(p.cli(t, "demo", "--json")), &out); err != nil {
		t.Fatalf("decode speks demo --json: %v", err)
	}
	return out
}

// session is the part of a login or session answer the tests compare.
type session struct {
	User struct {
		ID string `json:"id"`
	} `json:"user"`
	CSRFToken string `json:"csrf_token"`
}

func decodeSession(t *testing.T, r apitest.Response) session {
	t.Helper()
	var s session
	if err := json.Unmarshal([]byte(r.Raw), &s); err != nil {
		t.Fatalf("decode session answer %s: %v", r.Raw, err)
	}
	return s
}

func TestSessionsAndLockoutSpanReplicas(t *testing.T) {
	p := newPlatform(t)
	logins := demo(t, p)
	one, two := p.serve(t, "serve-1"), p.serve(t, "serve-2")

	t.Run("a session made on one replica works on the other", func(t *testing.T) {
		pahang := logins.Tenants["pahang"]
		login := one.call(t, "POST", pahang.Host, "/api/v1/auth/login",
			map[string]string{"id": pahang.Staff.ID, "password": pahang.Staff.Password}, nil, "")
		if login.Status != http.StatusOK || len(login.Cookies) == 0 {
			t.Fatalf("login on %s: %d %s (cookies %d), want 200 with a session cookie", one.name, login.Status, login.Raw, len(login.Cookies))
		}
		made := decodeSession(t, login)

		seen := two.call(t, "GET", pahang.Host, "/api/v1/session", nil, login.Cookies, "")
		if seen.Status != http.StatusOK {
			t.Fatalf("GET /api/v1/session on %s with %s's cookie: %d %s, want 200", two.name, one.name, seen.Status, seen.Raw)
		}
		if got := decodeSession(t, seen); got.User.ID != made.User.ID || got.User.ID == "" {
			t.Fatalf("%s sees user %q, %s logged in %q", two.name, got.User.ID, one.name, made.User.ID)
		}

		// Logging out on the second replica ends the session on the first too.
		out := two.call(t, "POST", pahang.Host, "/api/v1/auth/logout", nil, login.Cookies, made.CSRFToken)
		if out.Status != http.StatusNoContent {
			t.Fatalf("logout on %s: %d %s, want 204", two.name, out.Status, out.Raw)
		}
		if after := one.call(t, "GET", pahang.Host, "/api/v1/session", nil, login.Cookies, ""); after.Status != http.StatusUnauthorized {
			t.Fatalf("%s after logout on %s: %d %s, want 401", one.name, two.name, after.Status, after.Raw)
		}
	})

	t.Run("login failures on alternating replicas add up to the lockout", func(t *testing.T) {
		kelantan := logins.Tenants["kelantan"]
		maxFailures := lockoutMaxFailures(t, p, "kelantan")
		replicas := []*server{one, two}
		wrong := map[string]string{"id": kelantan.Staff.ID, "password": kelantan.Staff.Password + "-salah"}
		for i := 1; i <= maxFailures; i++ {
			s := replicas[i%2]
			r := s.call(t, "POST", kelantan.Host, "/api/v1/auth/login", wrong, nil, "")
			want, code := http.StatusUnauthorized, "invalid_credentials"
			if i == maxFailures {
				want, code = http.StatusLocked, "locked"
			}
			if r.Status != want || r.Code() != code {
				t.Fatalf("wrong password #%d (of %d allowed) on %s: %d %s, want %d %s", i, maxFailures, s.name, r.Status, r.Raw, want, code)
			}
		}
		// The right password is refused on both replicas while the ID is locked.
		right := map[string]string{"id": kelantan.Staff.ID, "password": kelantan.Staff.Password}
		for _, s := range replicas {
			if r := s.call(t, "POST", kelantan.Host, "/api/v1/auth/login", right, nil, ""); r.Status != http.StatusLocked || r.Code() != "locked" {
				t.Fatalf("right password on %s while locked: %d %s, want 423 locked", s.name, r.Status, r.Raw)
			}
		}
	})
}

// lockoutMaxFailures is the tenant's policy, read from the registry rather than assumed.
func lockoutMaxFailures(t *testing.T, p *platform, code string) int {
	t.Helper()
	dbs := openDatabases(t, p)
	tn, err := tenant.NewRegistry(dbs.Public()).Get(context.Background(), code)
	if err != nil {
		t.Fatalf("read tenant %s: %v", code, err)
	}
	return tn.LockoutMaxFailures
}

func openDatabases(t *testing.T, p *platform) *tenant.Databases {
	t.Helper()
	dbs, err := tenant.OpenDatabases(p.dbURL, tenant.PoolConfig{MaxConns: 6, MaxIdleTime: time.Minute, AppName: "speks-test"})
	if err != nil {
		t.Fatalf("open databases: %v", err)
	}
	t.Cleanup(func() { _ = dbs.Close() })
	return dbs
}

// mailTenant provisions a tenant through the CLI and returns a handle on its schema.
func mailTenant(t *testing.T, p *platform, code string) *tenant.DB {
	t.Helper()
	p.cli(t, "tenant", "create", "--code", code, "--name", "Negeri "+code, "--host", code+".example.test",
		"--registration-mode", "payroll_match", "--helpdesk-email", "helpdesk@"+code+".example.test")
	dbs := openDatabases(t, p)
	tn, err := tenant.NewRegistry(dbs.Public()).Get(context.Background(), code)
	if err != nil {
		t.Fatalf("read tenant %s: %v", code, err)
	}
	db, err := dbs.Schema(tn.Schema)
	if err != nil {
		t.Fatalf("schema of %s: %v", code, err)
	}
	return db
}

// queueMails commits n one-time-code mails to the tenant's outbox, batch per transaction, as
// a module would (notify.Enqueue inside its own transaction), and returns the recipients.
func queueMails(t *testing.T, db *tenant.DB, n, batch int) []string {
	t.Helper()
	ctx := context.Background()
	var recipients []string
	for len(recipients) < n {
		tx, err := db.BeginTxx(ctx, nil)
		if err != nil {
			t.Fatalf("begin: %v", err)
		}
		for i := 0; i < batch && len(recipients) < n; i++ {
			to := fmt.Sprintf("staf%02d@example.test", len(recipients)+1)
			if err := notify.Enqueue(ctx, tx, notify.Message{To: to, Template: notify.TemplateOneTimeCode, Data: map[string]any{
				"name": "Staf " + strconv.Itoa(len(recipients)+1), "code": "482913", "purpose": notify.PurposeFirstLogin, "expires_minutes": 30,
			}}); err != nil {
				_ = tx.Rollback()
				t.Fatalf("enqueue mail to %s: %v", to, err)
			}
			recipients = append(recipients, to)
		}
		if err := tx.Commit(); err != nil {
			t.Fatalf("commit: %v", err)
		}
	}
	return recipients
}

// outboxByStatus counts the tenant's outbox rows by status.
func outboxByStatus(t *testing.T, db *tenant.DB) map[string]int {
	t.Helper()
	rows := []struct {
		Status string `db:"status"`
		N      int    `db:"n"`
	}{}
	if err := db.Select(&rows, `SELECT status, count(*) AS n FROM outbox GROUP BY status`); err != nil {
		t.Fatalf("count outbox rows: %v", err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out
}

// assertEachOnce checks that every recipient got exactly one mail and that nobody else got one.
func assertEachOnce(t *testing.T, recipients []string, got []delivery) {
	t.Helper()
	byTo := countBy(got, func(d delivery) string { return d.To })
	for _, to := range recipients {
		if byTo[to] != 1 {
			t.Errorf("%s received %d mails, want exactly 1", to, byTo[to])
		}
	}
	if len(got) != len(recipients) {
		t.Errorf("the SMTP server accepted %d mails for %d recipients: %v", len(got), len(recipients), byTo)
	}
}

func TestTwoWorkersSendEachMailOnce(t *testing.T) {
	p := newPlatform(t)
	db := mailTenant(t, p, "perlis")
	smtpServer := newMailServer(t)
	// Slow enough that one worker (4 at a time) cannot drain the queue before the other joins.
	smtpServer.SlowDown(400 * time.Millisecond)
	p.worker(t, "w1", smtpServer.URL())
	p.worker(t, "w2", smtpServer.URL())

	recipients := queueMails(t, db, 16, 4)
	apitest.WaitWithin(t, 30*time.Second, "16 mails at the SMTP server", func() bool {
		return len(smtpServer.Delivered()) >= len(recipients)
	})
	apitest.WaitWithin(t, 10*time.Second, "every outbox row marked sent", func() bool {
		return outboxByStatus(t, db)[notify.StatusSent] == len(recipients)
	})
	assertEachOnce(t, recipients, smtpServer.Delivered())
	byWorker := countBy(smtpServer.Delivered(), func(d delivery) string { return d.Worker })
	t.Logf("mails per worker: %v", byWorker)
	if byWorker["w1"] == 0 || byWorker["w2"] == 0 {
		t.Errorf("one worker sent everything (%v): the two did not share the queue", byWorker)
	}
	// One claim per row: no task was handled twice, not even as a harmless duplicate.
	var claims []int
	if err := db.Select(&claims, `SELECT attempts FROM outbox ORDER BY id`); err != nil {
		t.Fatalf("read attempts: %v", err)
	}
	for i, n := range claims {
		if n != 1 {
			t.Errorf("outbox row %d was claimed %d times, want 1", i+1, n)
		}
	}
}

func TestKilledWorkerLosesNoMail(t *testing.T) {
	p := newPlatform(t)
	db := mailTenant(t, p, "perak")
	smtpServer := newMailServer(t)
	smtpServer.Hold()
	workers := map[string]*proc{"w1": p.worker(t, "w1", smtpServer.URL()), "w2": p.worker(t, "w2", smtpServer.URL())}

	recipients := queueMails(t, db, 6, 6)
	apitest.WaitWithin(t, 20*time.Second, "every mail in the middle of its SMTP DATA phase", func() bool {
		return len(smtpServer.Held()) == len(recipients)
	})
	heldBy := countBy(smtpServer.Held(), func(d delivery) string { return d.Worker })
	victim, survivor := "w1", "w2"
	if heldBy["w2"] > heldBy["w1"] {
		victim, survivor = "w2", "w1"
	}
	t.Logf("mails in flight per worker: %v; killing %s with SIGKILL", heldBy, victim)
	workers[victim].kill(t)
	smtpServer.Release()

	// The survivor's mails are accepted; the victim's are not (its connections are gone).
	apitest.WaitWithin(t, 20*time.Second, "the survivor's mails accepted and recorded as sent", func() bool {
		st := outboxByStatus(t, db)
		return len(smtpServer.Delivered()) == heldBy[survivor] && st[notify.StatusSent] == heldBy[survivor] &&
			st[notify.StatusSending] == heldBy[victim]
	})
	if d := smtpServer.Discarded(); len(d) != heldBy[victim] {
		t.Fatalf("the server discarded %d mails of the killed worker, want %d", len(d), heldBy[victim])
	}

	if n := expireLeases(t, db); n != heldBy[victim] {
		t.Fatalf("%d Asynq tasks are left active by the killed worker, want %d", n, heldBy[victim])
	}
	// A replacement worker, as Kubernetes starts after the kill; its Asynq recoverer runs at
	// start-up and hands the dead worker's tasks to the retry queue.
	p.worker(t, "w3", smtpServer.URL())
	took := apitest.WaitWithin(t, 45*time.Second, "every mail delivered after the recovery", func() bool {
		return len(smtpServer.Delivered()) >= len(recipients) && outboxByStatus(t, db)[notify.StatusSent] == len(recipients)
	})
	t.Logf("the killed worker's %d mails were delivered %s after the leases ran out", heldBy[victim], took.Round(time.Millisecond))
	assertEachOnce(t, recipients, smtpServer.Delivered())
	if byWorker := countBy(smtpServer.Delivered(), func(d delivery) string { return d.Worker }); byWorker[victim] != 0 {
		t.Errorf("the killed worker %s delivered %d mails", victim, byWorker[victim])
	}
	// The killed worker's rows were claimed twice (its attempt, then the recovery), the others once.
	var twice int
	if err := db.Get(&twice, `SELECT count(*) FROM outbox WHERE attempts = 2`); err != nil {
		t.Fatalf("count outbox attempts: %v", err)
	}
	if twice != heldBy[victim] {
		t.Errorf("%d outbox rows were claimed twice, want the killed worker's %d", twice, heldBy[victim])
	}
}

// expireLeases moves the clocks of the killed worker's two leases forward, instead of waiting
// for them: the outbox row's claim lease (3 minutes, notify's sendLease) and Asynq's task
// lease (30 s, plus the 30 s Asynq's recoverer allows for clock skew). Only the dead worker's
// rows are still 'sending' at this point, so no live send is disturbed. docs/OPERATIONS.md
// ("Replicas") gives the real times. It returns how many Asynq tasks it expired.
func expireLeases(t *testing.T, db *tenant.DB) int {
	t.Helper()
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `UPDATE outbox SET lease_until = now() - interval '1 second' WHERE status = 'sending'`); err != nil {
		t.Fatalf("expire outbox leases: %v", err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr, DB: redisDB})
	defer rdb.Close()
	// asynq v0.26 keeps each active task's lease expiry in the sorted set asynq:{queue}:lease.
	const leases = "asynq:{critical}:lease"
	ids, err := rdb.ZRange(ctx, leases, 0, -1).Result()
	if err != nil || len(ids) == 0 {
		t.Fatalf("the killed worker's mail tasks have no Asynq lease in %s (%d, %v)", leases, len(ids), err)
	}
	past := float64(time.Now().Add(-2 * time.Minute).Unix())
	for _, id := range ids {
		if err := rdb.ZAdd(ctx, leases, redis.Z{Score: past, Member: id}).Err(); err != nil {
			t.Fatalf("expire asynq lease of %s: %v", id, err)
		}
	}
	return len(ids)
}
