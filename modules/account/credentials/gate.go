package credentials

import (
	"context"
	"fmt"
	"runtime"
)

// verifySlots bounds the argon2id verifications running at once to the process's cores: each
// one takes a core and its memory (19 MiB at the default parameters) for its whole run, so a
// burst of logins past that only thrashes CPU caches and memory without finishing any sooner.
var verifySlots = make(chan struct{}, max(runtime.GOMAXPROCS(0), 1))

// VerifySlots is how many verifications may run at once.
func VerifySlots() int { return cap(verifySlots) }

// AcquireVerify waits for a verification slot and returns the function that gives it back.
// A caller whose request ends while waiting gets the context's error and no slot.
func AcquireVerify(ctx context.Context) (release func(), err error) {
	select {
	case verifySlots <- struct{}{}:
		return func() { <-verifySlots }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for a password verification slot: %w", ctx.Err())
	}
}
