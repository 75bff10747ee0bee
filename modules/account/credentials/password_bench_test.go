package credentials_test

import (
	"testing"

	"github.com/speks-portal/speks/modules/account/credentials"
)

// BenchmarkPasswordVerify measures the argon2id check (m=19 MiB, t=2, p=1) that dominates a
// login's cost: logins per second per core ≈ 1 / (ns/op). Run in parallel to see a replica.
func BenchmarkPasswordVerify(b *testing.B) {
	hash, err := credentials.HashPassword("kata-laluan-contoh-2026", credentials.DefaultArgon2)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if ok, err := credentials.VerifyPassword("kata-laluan-contoh-2026", hash); err != nil || !ok {
				b.Fatalf("verify = %v, %v", ok, err)
			}
		}
	})
}
