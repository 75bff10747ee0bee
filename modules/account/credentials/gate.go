package credentials

import (
	"context"
	"fmt"
	"runtime"
)

// Gate lets at most a fixed number of callers through at once; the others wait their turn or
// give up when their context ends.
type Gate struct {
	places chan struct{}
	what   string // what a place is, for the error of a caller who gave up
}

// NewGate makes a gate of n places (at least one).
func NewGate(n int, what string) *Gate {
	return &Gate{places: make(chan struct{}, max(n, 1)), what: what}
}

// Enter waits for a place and returns the function that gives it back. A caller whose
// context ends while waiting gets the context's error and no place.
func (g *Gate) Enter(ctx context.Context) (leave func(), err error) {
	select {
	case g.places <- struct{}{}:
		return func() { <-g.places }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for %s: %w", g.what, ctx.Err())
	}
}

// Size is how many callers the gate lets through at once.
func (g *Gate) Size() int { return cap(g.places) }

// Inside is how many callers hold a place now.
func (g *Gate) Inside() int { return len(g.places) }

// verifySlots bounds the argon2id verifications running at once to the process's cores: each
// one takes a core and its memory (19 MiB at the default parameters) for its whole run, so a
// burst of logins past that only thrashes CPU caches and memory without finishing any sooner.
var verifySlots = NewGate(runtime.GOMAXPROCS(0), "a password verification slot")

// VerifySlots is how many verifications may run at once.
func VerifySlots() int { return verifySlots.Size() }

// AcquireVerify waits for a verification slot and returns the function that gives it back.
// A caller whose request ends while waiting gets the context's error and no slot.
func AcquireVerify(ctx context.Context) (release func(), err error) {
	return verifySlots.Enter(ctx)
}

// Verify is VerifyPassword as a request calls it: in a verification slot, so that logins,
// password changes, recovery answers and platform sign-ins together never run more argon2id
// computations than there are cores.
func Verify(ctx context.Context, secret, hash string) (bool, error) {
	return inVerifySlot(ctx, func() (bool, error) { return VerifyPassword(secret, hash) })
}

// Hash is HashPassword as a request calls it: in a verification slot (a hash costs what a
// verification does).
func Hash(ctx context.Context, secret string, p Argon2Params) (string, error) {
	return inVerifySlot(ctx, func() (string, error) { return HashPassword(secret, p) })
}

// inVerifySlot runs an argon2id computation in a verification slot, held for the CPU work
// only.
func inVerifySlot[T any](ctx context.Context, work func() (T, error)) (T, error) {
	release, err := AcquireVerify(ctx)
	if err != nil {
		var zero T
		return zero, err
	}
	defer release()
	return work()
}
