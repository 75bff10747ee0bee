package records

import (
	"context"
	"testing"
	"time"

	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

func TestThrottle(t *testing.T) {
	env := tenanttest.New(t, 2)
	tn := env.Tenant(t, "melaka", tenant.AdminOnly)
	db := env.DB(t, tn)
	ctx := context.Background()
	l := Limit{Max: 2, Window: time.Minute}
	for i := 0; i < 2; i++ {
		if over, err := l.exceeded(ctx, db, "b"); err != nil || over {
			t.Fatalf("event %d: over=%v err=%v", i, over, err)
		}
		if err := l.record(ctx, db, "b"); err != nil {
			t.Fatal(err)
		}
	}
	if over, _ := l.exceeded(ctx, db, "b"); !over {
		t.Errorf("third event not throttled")
	}
	if over, _ := l.exceeded(ctx, db, "other"); over {
		t.Errorf("another bucket throttled")
	}
	// Events older than the window do not count, and those older than a day are cleaned up.
	if _, err := db.Exec(`UPDATE throttle_events SET at = now() - interval '2 days'`); err != nil {
		t.Fatal(err)
	}
	if over, _ := l.exceeded(ctx, db, "b"); over {
		t.Errorf("old events still count")
	}
	if err := l.record(ctx, db, "c"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM throttle_events`); err != nil || n != 1 {
		t.Errorf("rows after clean-up: %d (%v)", n, err)
	}
}
