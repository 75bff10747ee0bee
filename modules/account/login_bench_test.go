package account_test

import (
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/speks-portal/speks/modules/account/credentials"
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
