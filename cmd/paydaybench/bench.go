package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/speks-portal/speks/modules/demo"
)

// natPool is the client addresses the requests come from, as a few NAT gateways of the
// state offices would show them; each request takes the next one in turn.
type natPool struct {
	addrs []string
	next  atomic.Uint64
}

// newNATPool makes n distinct private addresses 10.77.x.y (at most 65,024).
func newNATPool(n int) *natPool {
	n = min(max(n, 1), 254*256)
	p := &natPool{addrs: make([]string, n)}
	for i := range n {
		p.addrs[i] = fmt.Sprintf("10.77.%d.%d", i/254, i%254+1)
	}
	return p
}

// take is the next address in turn.
func (p *natPool) take() string {
	return p.addrs[p.takeIndex()]
}

// takeIndex is the index of the next address in turn.
func (p *natPool) takeIndex() int {
	return int((p.next.Add(1) - 1) % uint64(len(p.addrs)))
}

// session is one logged-in person.
type session struct {
	host, cookie, csrf, addr string
	year, month              int
}

// sessions collects what the login step gets back; the later steps use them in turn and
// logout uses each once.
type sessions struct {
	mu   sync.Mutex
	all  []session
	next int
	// logout takes sessions from the end, so that they are used by the other steps first.
	spent int
}

func (s *sessions) add(x session) {
	s.mu.Lock()
	s.all = append(s.all, x)
	s.mu.Unlock()
}

func (s *sessions) any() (session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.all)-s.spent == 0 {
		return session{}, false
	}
	x := s.all[s.next%(len(s.all)-s.spent)]
	s.next++
	return x, true
}

func (s *sessions) spend() (session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.spent >= len(s.all) {
		return session{}, false
	}
	s.spent++
	return s.all[len(s.all)-s.spent], true
}

func (s *sessions) left() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.all) - s.spent
}

type bench struct {
	o       options
	base    string
	pprof   string
	tenants []tenantInfo
	nat     *natPool
	live    sessions
	login   atomic.Uint64
	// loginRate is the login's working rate, at which logout runs.
	loginRate float64
}

// step is one part of the payday mix.
type step struct {
	name   string
	start  float64       // the first rate tried, req/s
	search bool          // false: run at the login's working rate only (logout ends sessions)
	maxP99 time.Duration // the p99 past which the step counts as saturated; 0: options.MaxP99
	target func(*vegeta.Target) error
	result func(*vegeta.Result) // nil: nothing to keep
	body   bool                 // keep the answer's body (login: the CSRF token)
}

// person is the next account in turn, across the tenants, with its tenant's index.
func (b *bench) person() (tenantInfo, int, string) {
	i := b.login.Add(1) - 1
	k := int(i % uint64(len(b.tenants)))
	t := b.tenants[k]
	return t, k, t.Logins[(i/uint64(len(b.tenants)))%uint64(len(t.Logins))]
}

func header(host, addr string) http.Header {
	h := http.Header{}
	h.Set("Host", host)
	h.Set("X-Forwarded-For", addr)
	h.Set("Accept-Language", "ms")
	return h
}

func (b *bench) sessionTarget(method string, path func(session) string, spend bool) func(*vegeta.Target) error {
	return func(t *vegeta.Target) error {
		var s session
		var ok bool
		if spend {
			s, ok = b.live.spend()
		} else {
			s, ok = b.live.any()
		}
		if !ok {
			return vegeta.ErrNoTargets
		}
		t.Method, t.URL = method, b.base+path(s)
		t.Header = header(s.host, s.addr)
		t.Header.Set("Cookie", "speks_session="+s.cookie)
		if method != http.MethodGet {
			t.Header.Set("X-CSRF-Token", s.csrf)
		}
		return nil
	}
}

func (b *bench) steps() []step {
	payslip := func(suffix string) func(session) string {
		return func(s session) string { return fmt.Sprintf("/api/v1/payslips/%d/%d%s", s.year, s.month, suffix) }
	}
	return []step{
		{name: "identify", start: 5, search: true, target: func(t *vegeta.Target) error {
			tn, _, id := b.person()
			t.Method, t.URL, t.Body = http.MethodPost, b.base+"/api/v1/auth/identify", jsonBody(map[string]string{"id": id})
			t.Header = header(tn.Host, b.nat.take())
			t.Header.Set("Content-Type", "application/json")
			return nil
		}},
		// A login verifies argon2id (tens to hundreds of ms of one core by itself), so its
		// latency limit is looser than the reads'.
		{name: "login", start: 0.5, search: true, body: true, maxP99: 2 * time.Second, target: func(t *vegeta.Target) error {
			tn, k, id := b.person()
			addr := b.nat.takeIndex()
			// The query (which the server ignores) tells keepSession the tenant and address.
			t.Method, t.URL = http.MethodPost, fmt.Sprintf("%s/api/v1/auth/login?bench=%d.%d", b.base, k, addr)
			t.Body = jsonBody(map[string]string{"id": id, "password": demo.StaffPassword})
			t.Header = header(tn.Host, b.nat.addrs[addr])
			t.Header.Set("Content-Type", "application/json")
			return nil
		}, result: b.keepSession},
		{name: "home", start: 10, search: true, target: b.sessionTarget(http.MethodGet, func(session) string { return "/home" }, false)},
		{name: "payslip JSON", start: 10, search: true, target: b.sessionTarget(http.MethodGet, payslip(""), false)},
		{name: "payslip page", start: 10, search: true, target: b.sessionTarget(http.MethodGet, func(s session) string {
			return fmt.Sprintf("/payslips/%d/%d", s.year, s.month)
		}, false)},
		{name: "payslip PDF", start: 5, search: true, target: b.sessionTarget(http.MethodGet, payslip(".pdf"), false)},
		{name: "logout", start: 0, search: false, target: b.sessionTarget(http.MethodPost, func(session) string { return "/api/v1/auth/logout" }, true)},
	}
}

// selectSteps keeps the steps named in list (comma-separated, any case; all when empty) in
// their order, and login whenever a step after it is kept: those use its sessions.
func selectSteps(all []step, list string) ([]step, error) {
	if strings.TrimSpace(list) == "" {
		return all, nil
	}
	want := map[string]bool{}
	for _, name := range strings.Split(list, ",") {
		want[strings.ToLower(strings.TrimSpace(name))] = true
	}
	known := map[string]bool{}
	needLogin := false
	for _, s := range all {
		name := strings.ToLower(s.name)
		known[name] = true
		if want[name] && known["login"] && name != "login" {
			needLogin = true
		}
	}
	var kept []step
	for _, s := range all {
		if want[strings.ToLower(s.name)] || (s.name == "login" && needLogin) {
			kept = append(kept, s)
		}
	}
	for name := range want {
		if !known[name] {
			return nil, fmt.Errorf("steps: no step named %q", name)
		}
	}
	return kept, nil
}

// keepSession takes the session cookie and CSRF token of a successful login.
func (b *bench) keepSession(r *vegeta.Result) {
	if r.Code != http.StatusOK {
		return
	}
	var cookie string
	for _, c := range r.Headers.Values("Set-Cookie") {
		if v, ok := strings.CutPrefix(c, "speks_session="); ok {
			cookie, _, _ = strings.Cut(v, ";")
		}
	}
	var body struct {
		CSRF string `json:"csrf_token"`
	}
	if cookie == "" || json.Unmarshal(r.Body, &body) != nil {
		return
	}
	var k, addr int
	if _, q, ok := strings.Cut(r.URL, "?bench="); !ok || !scanPair(q, &k, &addr) || k >= len(b.tenants) || addr >= len(b.nat.addrs) {
		return
	}
	t := b.tenants[k]
	b.live.add(session{host: t.Host, cookie: cookie, csrf: body.CSRF, addr: b.nat.addrs[addr], year: t.Year, month: t.Month})
}

// scanPair reads "a.b" into two non-negative integers.
func scanPair(s string, a, b *int) bool {
	x, y, ok := strings.Cut(s, ".")
	if !ok {
		return false
	}
	var err1, err2 error
	*a, err1 = strconv.Atoi(x)
	*b, err2 = strconv.Atoi(y)
	return err1 == nil && err2 == nil && *a >= 0 && *b >= 0
}

// row is one step's line of the report.
type row struct {
	Step               string
	Saturation         float64 // req/s; 0 when not searched
	SatNote            string
	Rate, Throughput   float64
	P50, P95, P99, Max time.Duration
	Requests, Errors   uint64
	ErrorCodes         string
}

// verdict says whether an attack at rate kept up: no errors, p99 within the limit and the
// throughput following the rate.
func verdict(m *vegeta.Metrics, rate float64, maxP99 time.Duration) (bool, string) {
	switch {
	case m.Success < 0.99:
		return false, fmt.Sprintf("%.1f %% errors", 100*(1-m.Success))
	case m.Latencies.P99 > maxP99:
		return false, fmt.Sprintf("p99 %s", m.Latencies.P99.Round(time.Millisecond))
	case m.Throughput < 0.9*rate:
		return false, fmt.Sprintf("throughput %.0f of %.0f", m.Throughput, rate)
	}
	return true, ""
}

func (b *bench) attack(ctx context.Context, s step, rate float64, d time.Duration) *vegeta.Metrics {
	maxBody := int64(256)
	if s.body {
		maxBody = vegeta.DefaultMaxBody
	}
	atk := vegeta.NewAttacker(vegeta.Redirects(vegeta.NoFollow), vegeta.Timeout(10*time.Second),
		vegeta.MaxBody(maxBody), vegeta.KeepAlive(true), vegeta.Connections(10000), vegeta.MaxWorkers(4096))
	pace := vegeta.Rate{Freq: max(1, int(math.Round(rate*100))), Per: 100 * time.Second}
	m := &vegeta.Metrics{}
	results := atk.Attack(vegeta.Targeter(s.target), pace, d, s.name)
	for {
		select {
		case <-ctx.Done():
			atk.Stop()
		case r, ok := <-results:
			if !ok {
				m.Close()
				return m
			}
			if s.result != nil {
				s.result(r)
			}
			m.Add(r)
		}
	}
}

// saturationPrecision is how close the search brings the last rate that kept up to the
// first that did not: within 1/16 of it. Near the limit the rates rise by half, a gap wider
// than the differences a change of the server makes; three halvings bring it to 6 %.
const saturationPrecision = 1.0 / 16

// searchSaturation finds the highest rate at which probe keeps up: from start, rates rising
// by half until one does not, then halving the gap between the last rate that kept up and
// the first that did not until it is within saturationPrecision. It returns 0 when even
// start did not keep up, and gives up after maxRises rises (the last rate is then the
// answer). It stops early, with what it has, when probe reports done.
func searchSaturation(start float64, maxRises int, probe func(rate float64) (ok, done bool)) float64 {
	best, failed := 0.0, 0.0
	for rate := start; maxRises > 0; maxRises-- {
		ok, done := probe(rate)
		if done {
			return best
		}
		if !ok {
			failed = rate
			break
		}
		best, rate = rate, rate*1.5
	}
	for best > 0 && failed > 0 && failed-best > saturationPrecision*best {
		mid := (best + failed) / 2
		ok, done := probe(mid)
		if done {
			break
		}
		if ok {
			best = mid
		} else {
			failed = mid
		}
	}
	return best
}

// measure finds the step's saturation (searchSaturation), then runs it at 70 % of that.
func (b *bench) measure(ctx context.Context, s step) (row, error) {
	r := row{Step: s.name}
	rate := s.start
	if s.search {
		probe := func(rate float64) (ok, done bool) {
			if ctx.Err() != nil {
				return false, true
			}
			m := b.attack(ctx, s, rate, b.o.Probe)
			limit := b.o.MaxP99
			if s.maxP99 > 0 {
				limit = s.maxP99
			}
			ok, why := verdict(m, rate, limit)
			log.Printf("  %-13s %7.1f req/s: throughput %7.1f, p99 %8s, success %5.1f %% %s", s.name, rate, m.Throughput,
				m.Latencies.P99.Round(time.Millisecond), 100*m.Success, why)
			time.Sleep(b.o.Pause)
			if !ok {
				r.SatNote = why
			}
			return ok, false
		}
		best := searchSaturation(s.start, 14, probe)
		if best == 0 {
			best = s.start / 2 // even the first rate was too much: work at half of it
			r.SatNote = "below " + r.SatNote
		}
		r.Saturation, rate = best, 0.7*best
		time.Sleep(b.o.Pause)
	} else {
		// Logout: at the working rate of the login, with the sessions the logins made.
		rate = b.loginRate
		r.SatNote = fmt.Sprintf("not searched: at the login rate, %d sessions", b.live.left())
	}
	stopProfile := b.profile(ctx, s.name)
	m := b.attack(ctx, s, rate, b.o.Run)
	stopProfile()
	if s.name == "login" {
		b.loginRate = rate
	}
	r.Rate, r.Throughput = rate, m.Throughput
	r.P50, r.P95, r.P99, r.Max = m.Latencies.P50, m.Latencies.P95, m.Latencies.P99, m.Latencies.Max
	r.Requests = m.Requests
	r.Errors = m.Requests - uint64(math.Round(m.Success*float64(m.Requests)))
	r.ErrorCodes = errorCodes(m.StatusCodes)
	log.Printf("  %-13s at %.1f req/s: p50 %s p99 %s, %d errors", s.name, rate, r.P50.Round(time.Millisecond), r.P99.Round(time.Millisecond), r.Errors)
	return r, nil
}

// errorCodes lists the non-2xx/3xx answers, "429×12 0×3" (0: no answer).
func errorCodes(codes map[string]int) string {
	var parts []string
	for _, c := range sortedKeys(codes) {
		if !strings.HasPrefix(c, "2") && !strings.HasPrefix(c, "3") {
			parts = append(parts, fmt.Sprintf("%s×%d", c, codes[c]))
		}
	}
	return strings.Join(parts, " ")
}

// profile takes a CPU profile of the server during a step's run when -profile is set.
func (b *bench) profile(ctx context.Context, name string) func() {
	if b.o.Profile == "" {
		return func() {}
	}
	if err := os.MkdirAll(b.o.Profile, 0o755); err != nil {
		log.Printf("profile: %v", err)
		return func() {}
	}
	secs := int(b.o.Run.Seconds())
	done := make(chan struct{})
	go func() {
		defer close(done)
		url := fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", b.pprof, secs)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Printf("profile %s: %v", name, err)
			return
		}
		defer resp.Body.Close()
		f, err := os.Create(filepath.Join(b.o.Profile, strings.ReplaceAll(name, " ", "-")+".pprof"))
		if err != nil {
			log.Printf("profile %s: %v", name, err)
			return
		}
		defer f.Close()
		if _, err := f.ReadFrom(resp.Body); err != nil {
			log.Printf("profile %s: %v", name, err)
		}
	}()
	return func() { <-done }
}
