package replicas_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/foundation/notify/notifytest"
	"github.com/speks-portal/speks/modules/foundation/web/apitest"
)

// The payday rehearsal: every state busy at once while Redis goes away for a few seconds and
// PostgreSQL is restarted once. It asserts what must hold (no answer but 503 among the 5xx,
// every mail queued during the Redis outage delivered afterwards, the application's
// connections within budget × processes), never how fast anything is: the speed of a payday
// is `make bench-payday`'s business.

const (
	paydayTenants = 16
	// paydayBudget is database.max_conns of each process in the rehearsal.
	paydayBudget = 6
	// paydayPassword is what each newcomer chooses at first login.
	paydayPassword = "Teh-tarik-kurang-manis-88"
)

// paydayStaff is one person who logs in during the rehearsal.
type paydayStaff struct {
	Host, ID, Email, Password string
	// QuestionID is the security question the person answered "jawapan nombor 1" (newcomers).
	QuestionID any
}

func TestPaydayRehearsal(t *testing.T) {
	skipShort(t)
	pg := startPrivatePostgres(t)
	rds := startStoppableRedis(t)
	mail := newMailServer(t)
	p := &platform{dbURL: pg.CreateDatabase(t, "speks")}
	p.env = append(cleanEnviron(),
		"SPEKS_MODE=dev",
		"SPEKS_DATABASE_URL="+p.dbURL,
		fmt.Sprintf("SPEKS_DATABASE_MAX_CONNS=%d", paydayBudget),
		"SPEKS_DATABASE_ACQUIRE_TIMEOUT=2s",
		"SPEKS_REDIS_URL="+rds.URL(),
		"SPEKS_LOG_LEVEL=warn",
		"SPEKS_LOG_FORMAT=text",
		"SPEKS_HTTP_SHUTDOWN_TIMEOUT=2s",
	)
	p.cli(t, "migrate")
	staff := provisionPaydayStates(t, p)

	serves := []*server{p.serve(t, "serve-1"), p.serve(t, "serve-2")}
	p.workerWith(t, "w1", mail.URL(), "127.0.0.1:"+rds.port)
	newcomers := firstLogins(t, serves[0], mail, staff)
	people := append(demoStaff(t, p), newcomers...)
	if len(people) != paydayTenants {
		t.Fatalf("%d people ready to log in, want one per state (%d)", len(people), paydayTenants)
	}
	processes := len(serves) + 1

	load := startPaydayLoad(t, serves, people)
	peak := sampleConnections(t, pg.URL("speks"))

	time.Sleep(2 * time.Second)
	rds.Stop(t)
	outageMail := requestResetsDuringOutage(t, serves[0], newcomers)
	time.Sleep(3 * time.Second)
	rds.Start(t)

	time.Sleep(2 * time.Second)
	pg.Restart(t)
	time.Sleep(4 * time.Second)
	result := load.Stop()
	maxConns, maxDirect := peak.Stop()

	// Once the dust settles, everyone gets in and reads their payslips.
	for _, person := range people {
		waitUntilServed(t, serves[1], person)
	}
	apitest.WaitWithin(t, time.Minute, "every mail queued during the Redis outage to arrive", func() bool {
		got := countBy(mail.Delivered(), func(d delivery) string { return d.To })
		for _, to := range outageMail {
			if got[to] < 2 { // the first-login code, then the reset code
				return false
			}
		}
		return true
	})

	t.Logf("answers by status: %v; peak pool connections %d (budget %d × %d processes), direct %d",
		result.byStatus, maxConns, paydayBudget, processes, maxDirect)
	if len(result.failures) > 0 {
		t.Errorf("answers other than 2xx, 401, 423 and 503 (first %d):\n%s", len(result.failures), strings.Join(result.failures, "\n"))
	}
	if result.byStatus[http.StatusOK] == 0 {
		t.Errorf("no request succeeded during the rehearsal")
	}
	if maxConns == 0 {
		t.Errorf("the sampler saw no connection named speks-…: is application_name set on the pool?")
	}
	if maxConns > paydayBudget*processes {
		t.Errorf("peak pool connections %d > budget %d × %d processes", maxConns, paydayBudget, processes)
	}
	// Outside the budget: one LISTEN connection per process on database.direct_url (the authz
	// watcher in serve, the mail relay in the worker), as docs/OPERATIONS.md counts them.
	if maxDirect > processes {
		t.Errorf("peak direct connections %d > one per process (%d)", maxDirect, processes)
	}
}

// provisionPaydayStates creates the four demo states and twelve more (payroll_match, each with a
// payroll of a few staff and a month's payslips), and returns one payroll person per new state.
func provisionPaydayStates(t *testing.T, p *platform) []paydayStaff {
	t.Helper()
	p.cli(t, "demo", "--staff", "20", "--suppliers", "2")
	var newcomers []paydayStaff
	for n := 5; n <= paydayTenants; n++ {
		code := fmt.Sprintf("negeri%02d", n)
		host := code + ".example.test"
		domain := code + ".gov.example.test"
		p.cli(t, "tenant", "create", "--code", code, "--name", fmt.Sprintf("Negeri %02d", n), "--host", host,
			"--registration-mode", "payroll_match", "--email-domain", domain)
		ic := fmt.Sprintf("8501%02d-14-%04d", n, 1000+n)
		email := "staf@" + domain
		p.cli(t, "import", "--tenant", code, "employees", writeCSV(t,
			"ic_no,salary_no,name,email,phone,department_code,department_name,ptj_code,ptj_name,position,grade,bank_name,bank_account,kwsp_no,tax_no,status\n"+
				fmt.Sprintf("%s,G%04d,Aminah binti Yusof,%s,,JKR,Jabatan Kerja Raya,JKR01,Ibu Pejabat JKR,Pembantu Tadbir,N19,,,,,active\n", ic, n, email)))
		year, month := lastMonth()
		p.cli(t, "import", "--tenant", code, "payslips", writeCSV(t,
			"ic_no,year,month,pay_date,kind,code,description,amount\n"+
				fmt.Sprintf("%s,%d,%d,%d-%02d-24,E,0001,Gaji Pokok,3900.00\n", ic, year, month, year, month)+
				fmt.Sprintf("%s,%d,%d,%d-%02d-24,D,4011,KWSP,429.00\n", ic, year, month, year, month)))
		newcomers = append(newcomers, paydayStaff{Host: host, ID: ic, Email: email})
	}
	return newcomers
}

func lastMonth() (int, int) {
	m := time.Now().AddDate(0, -1, 0)
	return m.Year(), int(m.Month())
}

func writeCSV(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "feed.csv")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// demoStaff is the ready-made staff login of each demo state.
func demoStaff(t *testing.T, p *platform) []paydayStaff {
	t.Helper()
	var out []paydayStaff
	for _, st := range demo(t, p).Tenants {
		out = append(out, paydayStaff{Host: st.Host, ID: st.Staff.ID, Password: st.Staff.Password})
	}
	return out
}

// firstLogins takes each newcomer through the first login a real person makes: the one-time
// code mailed to their payroll address, then their own password, security answers and phrase.
func firstLogins(t *testing.T, s *server, mail *mailServer, people []paydayStaff) []paydayStaff {
	t.Helper()
	out := make([]paydayStaff, 0, len(people))
	for _, person := range people {
		c := apitest.New(t, apitest.Remote{Base: s.base}, person.Host)
		c.Header.Set("Accept", "application/json")
		apitest.Expect(t, c.Post("/api/v1/auth/first-login", map[string]string{"id": person.ID, "email": person.Email}), http.StatusAccepted, "")
		var code string
		apitest.WaitWithin(t, 30*time.Second, "the first-login code to "+person.Email, func() bool {
			for _, d := range mail.Delivered() {
				if d.To == person.Email {
					code = notifytest.CodePattern.FindString(notifytest.DecodeQP(d.Body))
				}
			}
			return code != ""
		})
		login := c.Post("/api/v1/auth/login", map[string]string{"id": person.ID, "password": code})
		apitest.Expect(t, login, http.StatusOK, "")
		c.CSRF = login.String("csrf_token")
		questions := c.Get("/api/v1/auth/security-questions")
		apitest.Expect(t, questions, http.StatusOK, "")
		var answers []map[string]any
		for i, q := range questions.List[:3] {
			answers = append(answers, map[string]any{"question_id": q["id"], "answer": fmt.Sprintf("jawapan nombor %d", i+1)})
		}
		person.QuestionID = answers[0]["question_id"]
		apitest.Expect(t, c.Post("/api/v1/auth/activate", map[string]any{"new_password": paydayPassword,
			"security_answers": answers, "secret_phrase": "Bunga raya di taman"}), http.StatusNoContent, "")
		person.Password = paydayPassword
		out = append(out, person)
	}
	return out
}

// paydayLoad is the rehearsal's traffic: one loop per person (each on a state of its own), round
// robin over the serve replicas, log in → list payslips → read the newest → log out.
type paydayLoad struct {
	stop chan struct{}
	wg   sync.WaitGroup

	mu       sync.Mutex
	byStatus map[int]int
	failures []string
}

type paydayResult struct {
	byStatus map[int]int
	failures []string
}

func startPaydayLoad(t *testing.T, serves []*server, people []paydayStaff) *paydayLoad {
	t.Helper()
	l := &paydayLoad{stop: make(chan struct{}), byStatus: map[int]int{}}
	var turn atomic.Int64
	for _, person := range people {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for {
				select {
				case <-l.stop:
					return
				default:
				}
				s := serves[turn.Add(1)%int64(len(serves))]
				l.visit(t, s, person)
			}
		}()
	}
	return l
}

// visit is one person's payday visit; it records every answer and stops at the first refusal.
func (l *paydayLoad) visit(t *testing.T, s *server, person paydayStaff) {
	c := apitest.New(t, apitest.Remote{Base: s.base}, person.Host)
	c.Header.Set("Accept", "application/json")
	steps := []func() (apitest.Response, error){
		func() (apitest.Response, error) {
			r, err := c.Try("POST", "/api/v1/auth/login", map[string]string{"id": person.ID, "password": person.Password})
			c.CSRF = r.String("csrf_token")
			return r, err
		},
		func() (apitest.Response, error) { return c.Try("GET", "/api/v1/payslips", nil) },
		func() (apitest.Response, error) {
			year, month := lastMonth()
			return c.Try("GET", fmt.Sprintf("/api/v1/payslips/%d/%d", year, month), nil)
		},
		func() (apitest.Response, error) { return c.Try("POST", "/api/v1/auth/logout", nil) },
	}
	for i, step := range steps {
		r, err := step()
		if !l.record(person, i, r, err) {
			time.Sleep(50 * time.Millisecond) // a refused caller waits a moment, as a browser's person does
			return
		}
	}
}

// record counts one answer and reports whether the visit may go on. A 503 is the answer the
// rehearsal allows while PostgreSQL restarts; any other 5xx, or no answer at all, is a failure.
func (l *paydayLoad) record(person paydayStaff, step int, r apitest.Response, err error) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	what := fmt.Sprintf("%s step %d", person.Host, step)
	switch {
	case err != nil:
		l.fail(what + ": " + err.Error())
		return false
	case r.Status == http.StatusServiceUnavailable:
		l.byStatus[r.Status]++
		if r.Header.Get("Retry-After") == "" {
			l.fail(what + ": 503 without Retry-After")
		}
		return false
	case r.Status >= 500 || r.Status == http.StatusTooManyRequests:
		l.byStatus[r.Status]++
		l.fail(fmt.Sprintf("%s: %d %.200s", what, r.Status, r.Raw))
		return false
	default:
		l.byStatus[r.Status]++
		return r.Status < 300
	}
}

func (l *paydayLoad) fail(msg string) {
	if len(l.failures) < 20 {
		l.failures = append(l.failures, msg)
	}
}

func (l *paydayLoad) Stop() paydayResult {
	close(l.stop)
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return paydayResult{byStatus: l.byStatus, failures: l.failures}
}

// requestResetsDuringOutage asks for a password reset for each newcomer while Redis is down:
// the request must be answered (the mail waits in the outbox), and the mail must arrive later.
func requestResetsDuringOutage(t *testing.T, s *server, people []paydayStaff) []string {
	t.Helper()
	var to []string
	for _, person := range people {
		r := s.call(t, "POST", person.Host, "/api/v1/auth/forgot-password",
			map[string]any{"id": person.ID, "email": person.Email, "question_id": person.QuestionID, "security_answer": "jawapan nombor 1"}, nil, "")
		if r.Status != http.StatusAccepted {
			t.Fatalf("forgot-password with Redis down on %s: %d %s, want 202", person.Host, r.Status, r.Raw)
		}
		to = append(to, person.Email)
	}
	return to
}

// waitUntilServed waits until person can log in and read the list of their payslips.
func waitUntilServed(t *testing.T, s *server, person paydayStaff) {
	t.Helper()
	apitest.WaitWithin(t, 30*time.Second, person.Host+" to serve its staff again", func() bool {
		c := apitest.New(t, apitest.Remote{Base: s.base}, person.Host)
		c.Header.Set("Accept", "application/json")
		r, err := c.Try("POST", "/api/v1/auth/login", map[string]string{"id": person.ID, "password": person.Password})
		if err != nil || r.Status != http.StatusOK {
			return false
		}
		list, err := c.Try("GET", "/api/v1/payslips", nil)
		return err == nil && list.Status == http.StatusOK && len(list.List) > 0
	})
}

// connectionSampler records the most connections the platform's processes held at once, read
// from pg_stat_activity every 50 ms over a connection of its own (not counted): the pools'
// (application_name speks-<subcommand>) and the direct ones (speks-<subcommand>-direct) apart.
type connectionSampler struct {
	stop chan struct{}
	done chan [2]int
}

func sampleConnections(t *testing.T, dbURL string) *connectionSampler {
	t.Helper()
	s := &connectionSampler{stop: make(chan struct{}), done: make(chan [2]int, 1)}
	go func() {
		var peak [2]int
		var db *sqlx.DB
		defer func() {
			if db != nil {
				_ = db.Close()
			}
			s.done <- peak
		}()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-tick.C:
			}
			if db == nil {
				var err error
				if db, err = sqlx.Open("postgres", dbURL+"&application_name=payday-sampler"); err != nil {
					continue
				}
				db.SetMaxOpenConns(1)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			var n struct{ Pool, Direct int }
			// Only the platform's processes name themselves speks-…; the sampler and psql do not.
			err := db.GetContext(ctx, &n, `SELECT
				count(*) FILTER (WHERE application_name NOT LIKE '%-direct') AS pool,
				count(*) FILTER (WHERE application_name LIKE '%-direct') AS direct
				FROM pg_stat_activity WHERE application_name LIKE 'speks-%'`)
			cancel()
			if err == nil {
				peak[0], peak[1] = max(peak[0], n.Pool), max(peak[1], n.Direct)
			}
		}
	}()
	return s
}

// Stop ends the sampling and returns the peaks of pool and direct connections.
func (s *connectionSampler) Stop() (pool, direct int) {
	close(s.stop)
	peak := <-s.done
	return peak[0], peak[1]
}
