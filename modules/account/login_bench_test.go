package account_test

import (
	"fmt"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/speks-portal/speks/modules/account/credentials"
	"github.com/speks-portal/speks/modules/foundation/web/apitest"
)

// BenchmarkLogin is a correct login through the HTTP handler with the production argon2id
// parameters (m=19 MiB, t=2, p=1), every core busy: compare logins/s with
// credentials.BenchmarkPasswordVerify, the verification alone: the gap is what the rest of a
// login costs (HTTP, four indexed reads and one committed transaction).
func BenchmarkLogin(b *testing.B) {
	h := newHarness(b)
	h.svc.Argon = credentials.DefaultArgon2
	const password = "gaji masuk hari ini juga"
	hash, err := credentials.HashPassword(password, credentials.DefaultArgon2)
	if err != nil {
		b.Fatal(err)
	}
	ics := h.addStaffWithHash(b, "selangor", 500, hash)
	var next atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c := h.client(b, "selangor")
		for pb.Next() {
			i := next.Add(1)
			if r := c.login(ics[int(i)%len(ics)], password); r.Status != http.StatusOK {
				b.Errorf("login: %d %s", r.Status, r.Raw) // Fatal may not be called off the benchmark's goroutine
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
}

// BenchmarkLoginsAgainstTheArgon2Ceiling compares, in one run, correct logins over a real
// socket (closed loop, four clients per core, production argon2id) with the bare argon2id
// verification on every core: the ceiling of docs/BENCHMARKS.md "Payday". The two alternate
// in phases of 3 s, so load from elsewhere on a shared machine hits both alike; the result is
// logins per second as a share of verifications per second ("%ceiling").
func BenchmarkLoginsAgainstTheArgon2Ceiling(b *testing.B) {
	h := newHarness(b, trustLoopback)
	const password = "gaji masuk hari ini juga"
	hash, err := credentials.HashPassword(password, credentials.DefaultArgon2)
	if err != nil {
		b.Fatal(err)
	}
	ics := h.addStaffWithHash(b, "selangor", 64, hash)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = h.app.Listener(ln) }()
	b.Cleanup(func() { _ = h.app.ShutdownWithTimeout(5 * time.Second) })
	target := apitest.Remote{Base: "http://" + ln.Addr().String()}

	var next atomic.Int64
	// Errorf, not Fatal: these run off the benchmark's goroutine. A worker that fails stops.
	login := func(worker int) bool {
		c := apitest.New(b, target, "selangor.example.test")
		c.Header.Set("Content-Type", "application/json")
		c.Header.Set("X-Forwarded-For", fmt.Sprintf("198.51.100.%d", worker+1))
		i := next.Add(1)
		r, err := c.Try(http.MethodPost, "/api/v1/auth/login", map[string]string{"id": ics[i%int64(len(ics))], "password": password})
		if err != nil || r.Status != http.StatusOK {
			b.Errorf("login: %v %d %s", err, r.Status, r.Raw)
			return false
		}
		return true
	}
	verify := func(int) bool {
		if ok, err := credentials.VerifyPassword(password, hash); err != nil || !ok {
			b.Errorf("verify: %v %v", ok, err)
			return false
		}
		return true
	}
	var logins, verifications phaseTotal
	for b.Loop() {
		for range 6 {
			logins.add(phase(4*runtime.GOMAXPROCS(0), 3*time.Second, login))
			verifications.add(phase(runtime.GOMAXPROCS(0), 3*time.Second, verify))
		}
	}
	b.ReportMetric(logins.rate(), "logins/s")
	b.ReportMetric(verifications.rate(), "verifications/s")
	b.ReportMetric(100*logins.rate()/verifications.rate(), "%ceiling")
}

type phaseTotal struct {
	n int64
	d time.Duration
}

func (p *phaseTotal) add(n int64, d time.Duration) { p.n, p.d = p.n+n, p.d+d }
func (p *phaseTotal) rate() float64                { return float64(p.n) / p.d.Seconds() }

// phase runs fn on workers goroutines until d has passed (or fn fails) and returns how many
// calls succeeded and how long the phase took, the last calls included.
func phase(workers int, d time.Duration, fn func(worker int) bool) (int64, time.Duration) {
	var n atomic.Int64
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) && fn(w) {
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	return n.Load(), time.Since(start)
}
