package account_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/account/credentials"
	"github.com/speks-portal/speks/modules/account/lockout"
	"github.com/speks-portal/speks/modules/foundation/web/apitest"
)

// median of the durations.
func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// timeAlike measures two kinds of request interleaved (so load on the machine hits both
// alike) and fails when their medians differ by more than a generous bound: a third of the
// larger median plus 3 ms. A real leak (an argon2id run skipped for unknown IDs, a mail
// written only for matches) is several times that.
func timeAlike(t *testing.T, what string, rounds int, a, b func() apitest.Response) {
	t.Helper()
	var ta, tb []time.Duration
	for i := range rounds {
		first, second := a, b
		if i%2 == 1 {
			first, second = b, a
		}
		start := time.Now()
		r1 := first()
		d1 := time.Since(start)
		start = time.Now()
		r2 := second()
		d2 := time.Since(start)
		if r1.Status != r2.Status || r1.Raw != r2.Raw && what != "identify" {
			t.Fatalf("%s: answers differ: %d %s vs %d %s", what, r1.Status, r1.Raw, r2.Status, r2.Raw)
		}
		if i%2 == 1 {
			d1, d2 = d2, d1
		}
		ta, tb = append(ta, d1), append(tb, d2)
	}
	ma, mb := median(ta), median(tb)
	gap := max(ma, mb) - min(ma, mb)
	t.Logf("%s: median existing %v, unknown %v", what, ma, mb)
	if gap > max(ma, mb)/3+3*time.Millisecond {
		t.Errorf("%s: medians %v (existing) and %v (unknown) differ by %v", what, ma, mb, gap)
	}
}

func TestExistingAndUnknownIDsTakeTheSameTime(t *testing.T) {
	if testing.Short() {
		t.Skip("timing comparison")
	}
	h := newHarness(t)
	h.svc.Argon = credentials.DefaultArgon2 // the real cost is what must hide the difference
	h.svc.Limits = lockout.Limits{
		RecoveryPerIP: lockout.Limit{Max: 1 << 20, Window: time.Hour}, RecoveryPerAccount: lockout.Limit{Max: 1 << 20, Window: time.Hour},
	}
	h.setLoginLimits(t, "selangor", func(l *lockout.LoginLimits) {
		l.FailuresPerAddress, l.FailuresPerAccount, l.IdentifyPerAddress = 100000, 1000, 100000
	})
	h.module.AnswerFloor = account.DefaultAnswerFloor
	if _, err := h.env.Databases.Public().Exec(`UPDATE tenants SET lockout_max_failures = 100`); err != nil {
		t.Fatal(err)
	}
	h.env.Resolver.Invalidate()
	hash, _ := credentials.HashPassword(aminahPass, credentials.DefaultArgon2)
	h.addUser(t, "selangor", "staff", aminahIC, "Aminah binti Yusof", "aminah@selangor.gov.my", aminahPass, "bunga raya merah")
	h.db(t, "selangor").MustExec(`UPDATE users SET password_hash = $1`, hash)
	h.addEmployee(t, "selangor", "900202105555", "Bala a/l Muthu", "bala@selangor.gov.my")
	c := h.client(t, "selangor")
	post := func(path string, body map[string]string) func() apitest.Response {
		return func() apitest.Response {
			r := c.Post(path, body)
			if r.Status >= http.StatusInternalServerError {
				t.Fatalf("%s: %s", path, r.Raw)
			}
			return r
		}
	}
	timeAlike(t, "identify", 40,
		post("/api/v1/auth/identify", map[string]string{"id": aminahIC}),
		post("/api/v1/auth/identify", map[string]string{"id": "770707077777"}))
	timeAlike(t, "login", 30,
		post("/api/v1/auth/login", map[string]string{"id": aminahIC, "password": "wrong password, long enough"}),
		post("/api/v1/auth/login", map[string]string{"id": "770707077777", "password": "wrong password, long enough"}))
	timeAlike(t, "forgot-password", 4,
		post("/api/v1/auth/forgot-password", map[string]string{"id": aminahIC, "email": "aminah@selangor.gov.my"}),
		post("/api/v1/auth/forgot-password", map[string]string{"id": "770707077777", "email": "aminah@selangor.gov.my"}))
	timeAlike(t, "first-login", 4,
		post("/api/v1/auth/first-login", map[string]string{"id": "900202105555", "email": "bala@selangor.gov.my"}),
		post("/api/v1/auth/first-login", map[string]string{"id": "770707077777", "email": "bala@selangor.gov.my"}))

	h.addEmployee(t, "pahang", "700101065432", "Orang Lain", "lain@pahang.gov.my")
	h.addUser(t, "pahang", "staff", aminahIC, "Aminah binti Yusof", "aminah@pahang.gov.my", aminahPass, "bunga raya merah")
	p := h.client(t, "pahang")
	next := 5600
	timeAlike(t, "register", 4,
		func() apitest.Response {
			return p.Post("/api/v1/auth/register", registration(aminahIC, "x@example.com"))
		},
		func() apitest.Response {
			next++
			return p.Post("/api/v1/auth/register", registration(fmt.Sprintf("91090906%04d", next), "new@example.com"))
		})
}
