package account_test

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/speks-portal/speks/modules/account/credentials"
)

// BenchmarkLogin is a correct login through the HTTP handler with the production argon2id
// parameters (m=19 MiB, t=2, p=1), every core busy: compare logins/s with
// credentials.BenchmarkPasswordVerify, the verification alone (its ns/op per core). It also
// reports the database transactions one login commits (pg_stat_database.xact_commit of the
// test database, read-only statements included), read after the statistics are flushed.
func BenchmarkLogin(b *testing.B) {
	h := newHarness(b)
	h.svc.Argon = credentials.DefaultArgon2
	const password = "gaji masuk hari ini juga"
	hash, err := credentials.HashPassword(password, credentials.DefaultArgon2)
	if err != nil {
		b.Fatal(err)
	}
	ics := h.addStaffWithHash(b, "selangor", 500, hash)
	db := h.db(b, "selangor")
	commits := func() int64 {
		time.Sleep(1500 * time.Millisecond) // backends flush their statistics at most once a second
		var n int64
		if err := db.Get(&n, `SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()`); err != nil {
			b.Fatal(err)
		}
		return n
	}
	before := commits()
	var next atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c := h.client(b, "selangor")
		for pb.Next() {
			i := next.Add(1)
			if r := c.login(ics[int(i)%len(ics)], password); r.Status != http.StatusOK {
				b.Fatalf("login: %d %s", r.Status, r.Raw)
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
	b.ReportMetric(float64(commits()-before-1)/float64(b.N), "transactions/login")
}
