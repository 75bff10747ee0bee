package credentials_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

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

// Verify and Hash, what requests call, wait for a verification slot like a login: with every
// slot taken they compute nothing and give up when their request ends; once a slot is free
// they run, and give it back.
func TestVerifyAndHashTakeAVerificationSlot(t *testing.T) {
	p := credentials.Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	hash, err := credentials.HashPassword("rahsia-betul", p)
	if err != nil {
		t.Fatal(err)
	}
	var releases []func()
	for range credentials.VerifySlots() {
		release, err := credentials.AcquireVerify(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, release)
	}
	waiting, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if ok, err := credentials.Verify(waiting, "rahsia-betul", hash); ok || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Verify with every slot taken: %v %v, want no answer and the deadline's error", ok, err)
	}
	if h, err := credentials.Hash(waiting, "rahsia-baru", p); h != "" || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Hash with every slot taken: %q %v, want no hash and the deadline's error", h, err)
	}
	for _, r := range releases {
		r()
	}
	if ok, err := credentials.Verify(context.Background(), "rahsia-betul", hash); !ok || err != nil {
		t.Errorf("Verify with free slots: %v %v", ok, err)
	}
	h, err := credentials.Hash(context.Background(), "rahsia-baru", p)
	if err != nil || !strings.HasPrefix(h, "$argon2id$") {
		t.Errorf("Hash with free slots: %q %v", h, err)
	}
	for range credentials.VerifySlots() { // every slot was given back
		release, err := credentials.AcquireVerify(waitBriefly(t))
		if err != nil {
			t.Fatalf("a slot was kept: %v", err)
		}
		defer release()
	}
}

func waitBriefly(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	t.Cleanup(cancel)
	return ctx
}
