package credentials_test

import (
	"context"
	"errors"
	"runtime"
	"testing"

	"github.com/speks-portal/speks/modules/account/credentials"
)

// Verifications are bounded to one per core: with every slot taken, a login whose request
// has ended stops waiting with its context's error; a slot given back is taken by the next.
func TestVerificationSlotsAreBoundedAndWaitersRespectTheirContext(t *testing.T) {
	var releases []func()
	for range runtime.GOMAXPROCS(0) {
		release, err := credentials.AcquireVerify(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, release)
	}
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := credentials.AcquireVerify(gone); !errors.Is(err, context.Canceled) {
		t.Fatalf("a waiter whose request ended: %v, want context.Canceled", err)
	}
	releases[0]()
	release, err := credentials.AcquireVerify(context.Background())
	if err != nil {
		t.Fatalf("a slot given back is not taken: %v", err)
	}
	release()
	for _, r := range releases[1:] {
		r()
	}
}
