package account_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/speks-portal/speks/config"
	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/account/credentials"
	"github.com/speks-portal/speks/modules/account/lockout"
	"github.com/speks-portal/speks/modules/foundation/web/apitest"
)

// serve runs the harness app on a real loopback socket, so the peer address Fiber checks
// against http.trusted_proxies is the real one (127.0.0.1).
func (h *harness) serve(t *testing.T) apitest.Remote {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	go func() { _ = h.app.Listener(ln) }()
	t.Cleanup(func() { _ = h.app.ShutdownWithTimeout(5 * time.Second) })
	return apitest.Remote{Base: "http://" + ln.Addr().String()}
}

// remote is a caller of the served app; forwardedFor ("" = none) is sent as X-Forwarded-For.
func (h *harness) remote(t *testing.T, target apitest.Remote, code, forwardedFor string) client {
	c := apitest.New(t, target, code+".example.test")
	c.Header.Set("Content-Type", "application/json")
	if forwardedFor != "" {
		c.Header.Set("X-Forwarded-For", forwardedFor)
	}
	return client{c}
}

// trustLoopback makes the loopback peer a trusted proxy, so X-Forwarded-For names the client.
func trustLoopback(cfg *config.Config) { cfg.HTTP.TrustedProxies = []string{"127.0.0.1"} }

// setLoginLimits writes the tenant's login throttling through its owner, as the settings page does.
func (h *harness) setLoginLimits(t *testing.T, code string, change func(*lockout.LoginLimits)) {
	t.Helper()
	l := lockout.DefaultLoginLimits
	change(&l)
	if err := account.SetLoginLimitsIn(context.Background(), h.db(t, code), l); err != nil {
		t.Fatal(err)
	}
}

// addStaff creates n active staff accounts (IC 800101-14-0001 …) sharing one password, with
// the phrase "frasa <n>"; it returns their IC numbers.
func (h *harness) addStaff(t testing.TB, code string, n int, password string) []string {
	t.Helper()
	hash, err := credentials.HashPassword(password, testArgon)
	if err != nil {
		t.Fatal(err)
	}
	return h.addStaffWithHash(t, code, n, hash)
}

func (h *harness) addStaffWithHash(t testing.TB, code string, n int, hash string) []string {
	t.Helper()
	h.db(t, code).MustExec(`INSERT INTO users (category, login_id, name, email, status, password_hash, secret_phrase, roles)
		SELECT 'staff', '80010114' || lpad(i::text, 4, '0'), 'Staf ' || i, 'staf' || i || '@selangor.gov.my', 'active', $1,
			'frasa ' || i, '{}' FROM generate_series(1, $2) AS i`, hash, n)
	ics := make([]string, n)
	for i := range ics {
		ics[i] = fmt.Sprintf("80010114%04d", i+1)
	}
	return ics
}

// unknownIC is a well-formed IC number that has no account.
func unknownIC(i int) string { return fmt.Sprintf("90020210%04d", i) }

// A ministry behind one NAT address on payday: 2,000 staff ask for their phrase and log in
// correctly from the same address within one window, one in ten after a typo, and every one
// of them gets in. The address's budgets are untouched afterwards: spraying from it is
// refused at its full default limit, no sooner.
func TestStaffBehindOneAddressAllLogIn(t *testing.T) {
	h := newHarness(t)
	const staff, password = 2000, "gaji masuk hari ini juga"
	ics := h.addStaff(t, "selangor", staff, password)
	target := h.serve(t)

	work := make(chan int)
	var mu sync.Mutex
	var refused []string
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				c := h.remote(t, target, "selangor", "")
				bad := func(step string, r apitest.Response) {
					mu.Lock()
					defer mu.Unlock()
					refused = append(refused, fmt.Sprintf("staff %d %s: %d %s", i+1, step, r.Status, r.Raw))
				}
				r := c.Post("/api/v1/auth/identify", map[string]string{"id": ics[i]})
				if r.Status != http.StatusOK || r.Body["secret_phrase"] != fmt.Sprintf("frasa %d", i+1) {
					bad("identify", r)
					continue
				}
				if i%10 == 0 {
					if r := c.login(ics[i], "gaji masuk hari ini jug"); r.Status != http.StatusUnauthorized {
						bad("typo", r)
					}
				}
				if r := c.login(ics[i], password); r.Status != http.StatusOK {
					bad("login", r)
				}
			}
		}()
	}
	for i := range staff {
		work <- i
	}
	close(work)
	wg.Wait()
	if len(refused) > 0 {
		t.Fatalf("%d of %d staff refused, first: %s", len(refused), staff, refused[0])
	}
	var sessions int
	if err := h.db(t, "selangor").Get(&sessions, `SELECT count(*) FROM sessions`); err != nil {
		t.Fatal(err)
	}
	if sessions != staff {
		t.Fatalf("%d sessions, want %d", sessions, staff)
	}

	c := h.remote(t, target, "selangor", "")
	limit := lockout.DefaultLoginLimits.AccountsPerAddress
	for i := 1; i <= limit; i++ {
		apitest.Expect(t, c.login(unknownIC(i), "bukan kata laluan"), http.StatusUnauthorized, "invalid_credentials")
	}
	apitest.Expect(t, c.login(unknownIC(limit+1), "bukan kata laluan"), http.StatusTooManyRequests, "too_many_requests")
}

// 100 wrong passwords over 100 IDs (half with an account, half without) from one address are
// refused with 429 and the throttle message, in Malay and English, well before the 100th.
// A person from another address is not affected, and an ID that already failed from the
// throttled address may still be retried there (a typo corrected).
func TestPasswordSprayingFromOneAddressIsThrottled(t *testing.T) {
	h := newHarness(t, trustLoopback)
	known := h.addStaff(t, "selangor", 50, "kata laluan yang betul sekali")
	target := h.serve(t)
	attacker := h.remote(t, target, "selangor", "198.51.100.7")

	firstRefused := 0
	for i := range 100 {
		id := unknownIC(i)
		if i%2 == 0 {
			id = known[i/2]
		}
		r := attacker.login(id, fmt.Sprintf("Password%d!", i))
		switch r.Status {
		case http.StatusUnauthorized:
			if firstRefused != 0 {
				t.Fatalf("attempt %d answered 401 after attempt %d was throttled", i+1, firstRefused)
			}
		case http.StatusTooManyRequests:
			apitest.Expect(t, r, http.StatusTooManyRequests, "too_many_requests")
			if firstRefused == 0 {
				firstRefused = i + 1
			}
		default:
			t.Fatalf("attempt %d: %d %s", i+1, r.Status, r.Raw)
		}
	}
	if want := lockout.DefaultLoginLimits.AccountsPerAddress + 1; firstRefused != want {
		t.Fatalf("first refused attempt = %d, want %d (the default distinct IDs per address, plus one)", firstRefused, want)
	}

	ms := attacker.login(unknownIC(500), "x")
	if msg := errorMessage(ms); !strings.Contains(msg, "Terlalu banyak percubaan") {
		t.Errorf("Malay throttle message = %q", msg)
	}
	en := attacker.Post("/api/v1/auth/login", map[string]string{"id": unknownIC(501), "password": "x"},
		apitest.WithHeader("Accept-Language", "en"))
	if msg := errorMessage(en); !strings.Contains(msg, "Too many attempts") {
		t.Errorf("English throttle message = %q", msg)
	}

	// The same staff member who was "sprayed" logs in correctly from that address: their own
	// ID already failed there, so the distinct-ID limit does not stop them.
	apitest.Expect(t, attacker.login(known[0], "kata laluan yang betul sekali"), http.StatusOK, "")
	// Someone else, from another address, is not affected at all.
	colleague := h.remote(t, target, "selangor", "203.0.113.20")
	apitest.Expect(t, colleague.login(known[49], "kata laluan yang betul sekali"), http.StatusOK, "")
}

func errorMessage(r apitest.Response) string {
	e, _ := r.Body["error"].(map[string]any)
	msg, _ := e["message"].(string)
	return msg
}

// Wrong attempts on one ID are limited from any address: the lockout locks it after the
// tenant's 5 failures, and once its own budget is spent every address gets 429 for it.
func TestWrongAttemptsOnOneAccountAreLimitedFromEveryAddress(t *testing.T) {
	h := newHarness(t, trustLoopback)
	h.setLoginLimits(t, "selangor", func(l *lockout.LoginLimits) { l.FailuresPerAccount = 8 })
	ic := h.addStaff(t, "selangor", 1, "kata laluan yang betul sekali")[0]
	target := h.serve(t)
	from := func(i int) client { return h.remote(t, target, "selangor", fmt.Sprintf("198.51.100.%d", i)) }
	for i := 1; i <= 4; i++ {
		apitest.Expect(t, from(i).login(ic, "salah"), http.StatusUnauthorized, "invalid_credentials")
	}
	apitest.Expect(t, from(5).login(ic, "salah"), http.StatusLocked, "locked")
	for i := 6; i <= 8; i++ {
		apitest.Expect(t, from(i).login(ic, "kata laluan yang betul sekali"), http.StatusLocked, "locked")
	}
	apitest.Expect(t, from(9).login(ic, "kata laluan yang betul sekali"), http.StatusTooManyRequests, "too_many_requests")

	// The next window: the lock (15 minutes) and the budget are over; the person gets in.
	h.clock.Advance(16 * time.Minute)
	apitest.Expect(t, from(10).login(ic, "kata laluan yang betul sekali"), http.StatusOK, "")
}

// An ID without an account is throttled, locked and answered exactly like one with an
// account: the same sequence of wrong attempts gives the same statuses and the same bodies,
// and so does asking for the phrase once an address's identify budget is spent.
func TestUnknownIDIsThrottledLikeAKnownOne(t *testing.T) {
	h := newHarness(t, trustLoopback)
	h.setLoginLimits(t, "selangor", func(l *lockout.LoginLimits) {
		l.FailuresPerAccount, l.AccountsPerAddress, l.FailuresPerAddress, l.IdentifyPerAddress = 9, 5, 10, 10
	})
	known := h.addStaff(t, "selangor", 3, "kata laluan yang betul sekali")
	target := h.serve(t)

	sequence := func(address, id string, others []string) []string {
		c := h.remote(t, target, "selangor", address)
		var got []string
		for i := range 12 { // lockout, then the account budget
			r := c.login(id, fmt.Sprintf("salah %d", i))
			got = append(got, fmt.Sprintf("%d %s", r.Status, r.Raw))
		}
		for _, other := range others { // then the distinct IDs and failures of the address
			r := c.login(other, "salah")
			got = append(got, fmt.Sprintf("%d %s", r.Status, r.Raw))
		}
		for i := range 11 { // the phrases shown to the address
			r := c.Post("/api/v1/auth/identify", map[string]string{"id": fmt.Sprintf("70010114%04d", i)})
			got = append(got, fmt.Sprintf("%d", r.Status))
		}
		r := c.Post("/api/v1/auth/identify", map[string]string{"id": id})
		return append(got, fmt.Sprintf("%d %s", r.Status, r.Raw))
	}
	k := sequence("198.51.100.1", known[0], []string{known[1], known[2], unknownIC(50), unknownIC(51), unknownIC(52)})
	u := sequence("198.51.100.2", unknownIC(1), []string{unknownIC(60), unknownIC(61), unknownIC(62), unknownIC(63), unknownIC(64)})
	for i := range k {
		if k[i] != u[i] {
			t.Errorf("step %d: known ID %s, unknown ID %s", i+1, k[i], u[i])
		}
	}
	if !strings.HasPrefix(k[len(k)-1], "429") || !strings.HasPrefix(k[11], "429") || !strings.HasPrefix(k[4], "423") {
		t.Errorf("sequence of the known ID: %q", k)
	}
}

// The client address is X-Forwarded-For only when the peer is one of http.trusted_proxies:
// without trusted proxies a sprayer cannot pick a fresh address per request by sending the
// header, and behind a trusted proxy two clients' addresses are told apart.
func TestClientAddressComesOnlyFromTrustedProxies(t *testing.T) {
	spray := func(h *harness, target apitest.Remote) apitest.Response {
		h.setLoginLimits(t, "selangor", func(l *lockout.LoginLimits) { l.AccountsPerAddress = 5 })
		var r apitest.Response
		for i := range 6 {
			r = h.remote(t, target, "selangor", fmt.Sprintf("198.51.100.%d", i+1)).login(unknownIC(i), "salah")
		}
		return r
	}
	untrusted := newHarness(t)
	apitest.Expect(t, spray(untrusted, untrusted.serve(t)), http.StatusTooManyRequests, "too_many_requests")

	trusted := newHarness(t, trustLoopback)
	apitest.Expect(t, spray(trusted, trusted.serve(t)), http.StatusUnauthorized, "invalid_credentials")
}

// A burst of concurrent wrong attempts on one ID passes its limit by at most LoginsInFlight:
// with every argon2id slot taken (the verifications cannot finish), only that many attempts
// read the throttle and wait; the rest wait before reading it, and once the slots are free
// the per-ID budget stops them. Each attempt that was not throttled was counted once.
func TestABurstOfWrongAttemptsPassesALimitByAtMostTheLoginsInFlight(t *testing.T) {
	h := newHarness(t, trustLoopback)
	const inFlight, burst = 2, 20
	h.svc.LoginsInFlight = inFlight
	h.setLoginLimits(t, "selangor", func(l *lockout.LoginLimits) { l.FailuresPerAccount = 5 })
	target := h.serve(t)
	var slots []func()
	for range credentials.VerifySlots() {
		release, err := credentials.AcquireVerify(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		slots = append(slots, release)
	}
	answers := make(chan int, burst)
	var wg sync.WaitGroup
	for i := range burst {
		wg.Add(1)
		go func() { // every attempt from its own address: only the ID's budget is shared
			defer wg.Done()
			answers <- h.remote(t, target, "selangor", fmt.Sprintf("198.51.100.%d", i+1)).login(unknownIC(1), "salah").Status
		}()
	}
	for deadline := time.Now().Add(30 * time.Second); h.svc.Login.LoginsAdmitted() < inFlight; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d attempts admitted, want %d waiting for a verification slot", h.svc.Login.LoginsAdmitted(), inFlight)
		}
	}
	for _, release := range slots {
		release()
	}
	wg.Wait()
	close(answers)
	counted, statuses := 0, map[int]int{}
	for s := range answers {
		statuses[s]++
		if s != http.StatusTooManyRequests {
			counted++
		}
	}
	if statuses[http.StatusTooManyRequests] == 0 || counted > 5+inFlight || statuses[http.StatusOK] > 0 {
		t.Fatalf("answers %v: %d attempts counted, want at most %d (the limit and the logins in flight) and the rest throttled",
			statuses, counted, 5+inFlight)
	}
	var hits int
	if err := h.db(t, "selangor").Get(&hits, `SELECT hits FROM auth_throttle WHERE key = $1`, "login:id:"+unknownIC(1)); err != nil {
		t.Fatal(err)
	}
	if hits != counted {
		t.Fatalf("the ID's count is %d, want the %d attempts answered without throttling", hits, counted)
	}
}
