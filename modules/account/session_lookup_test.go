package account_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/speks-portal/speks/modules/foundation/web/apitest"
)

// The session and its account are read in one statement; what that read answers must be the
// account as it is now, the activity is still written at most every 30 seconds, and an
// account an officer deactivates loses its session on the next request (the row is kept).
func TestSessionLookupReadsTheAccountAsItIsNow(t *testing.T) {
	h := newHarness(t)
	uid := h.addUser(t, "selangor", "staff", aminahIC, "Aminah binti Yusof", "aminah@selangor.gov.my", aminahPass, "bunga raya merah")
	c := h.client(t, "selangor")
	apitest.Expect(t, c.login(aminahIC, aminahPass), http.StatusOK, "")
	db := h.db(t, "selangor")
	lastSeen := func() time.Time {
		t.Helper()
		var at time.Time
		if err := db.Get(&at, `SELECT last_seen_at FROM sessions WHERE user_id = $1`, uid); err != nil {
			t.Fatal(err)
		}
		return at
	}
	opened := lastSeen()

	db.MustExec(`UPDATE users SET name = 'Aminah binti Yusof Ali' WHERE id = $1`, uid)
	h.clock.Advance(20 * time.Second)
	r := c.Get("/api/v1/session")
	apitest.Expect(t, r, http.StatusOK, "")
	if user, _ := r.Body["user"].(map[string]any); user["name"] != "Aminah binti Yusof Ali" {
		t.Errorf("the session answers a stale account: %s", r.Raw)
	}
	if !lastSeen().Equal(opened) {
		t.Errorf("activity written within 30 seconds: %v after %v", lastSeen(), opened)
	}
	h.clock.Advance(20 * time.Second)
	apitest.Expect(t, c.Get("/api/v1/session"), http.StatusOK, "")
	if want := opened.Add(40 * time.Second); !lastSeen().Equal(want) {
		t.Errorf("activity after 40 seconds: last seen %v, want %v", lastSeen(), want)
	}

	db.MustExec(`UPDATE users SET status = 'deactivated' WHERE id = $1`, uid)
	apitest.Expect(t, c.Get("/api/v1/session"), http.StatusUnauthorized, "")
	var rows int
	if err := db.Get(&rows, `SELECT count(*) FROM sessions WHERE user_id = $1`, uid); err != nil || rows != 1 {
		t.Errorf("sessions of the deactivated account: %d (%v)", rows, err)
	}
}
