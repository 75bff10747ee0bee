package account_test

import (
	"database/sql"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/speks-portal/speks/modules/foundation/web/apitest"
)

// auditRow is one audit_log row as the admin console reads it, with the whole row as text.
type auditRow struct {
	ActorUserID sql.NullInt64 `db:"actor_user_id"`
	Actor       string        `db:"actor"`
	Action      string        `db:"action"`
	Subject     string        `db:"subject"`
	UserID      sql.NullInt64 `db:"user_id"`
	Reason      string        `db:"reason"`
	Text        string        `db:"text"`
}

func (h *harness) auditRows(t *testing.T, code string) []auditRow {
	t.Helper()
	var rows []auditRow
	if err := h.db(t, code).Select(&rows, `SELECT actor_user_id, actor, action, subject, user_id,
		coalesce(detail->>'reason', '') AS reason, row_to_json(a)::text AS text
		FROM audit_log a WHERE action LIKE 'account.log%' OR action = 'account.locked' ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	return rows
}

// Logins, failed logins, the start of a lockout and logouts land in the tenant's audit trail,
// with the account when the ID names one, and never with a password or a full ID.
func TestLoginsAndFailuresAreAudited(t *testing.T) {
	h := newHarness(t)
	id := h.addUser(t, "selangor", "staff", aminahIC, "Aminah binti Yusof", "aminah@selangor.gov.my", aminahPass, "bunga raya merah")
	c := h.client(t, "selangor")
	const wrong = "wrong password number x"

	apitest.Expect(t, c.login("850101-14-5123", aminahPass), http.StatusOK, "")
	apitest.Expect(t, c.Post("/api/v1/auth/logout", nil), http.StatusNoContent, "")
	apitest.Expect(t, c.login("900202105555", "unknown person's password"), http.StatusUnauthorized, "invalid_credentials")
	apitest.Expect(t, c.login("my secret pass", "typed in the wrong box"), http.StatusUnauthorized, "invalid_credentials")
	for range 4 {
		c.login(aminahIC, wrong)
	}
	apitest.Expect(t, c.login(aminahIC, wrong), http.StatusLocked, "locked")
	apitest.Expect(t, c.login(aminahIC, aminahPass), http.StatusLocked, "locked")

	rows := h.auditRows(t, "selangor")
	var got []string
	for _, r := range rows {
		got = append(got, r.Action+"/"+r.Reason)
	}
	want := []string{"account.login/", "account.logout/", "account.login_failed/invalid_credentials",
		"account.login_failed/invalid_credentials", "account.login_failed/invalid_credentials",
		"account.login_failed/invalid_credentials", "account.login_failed/invalid_credentials",
		"account.login_failed/invalid_credentials", "account.login_failed/locked", "account.locked/",
		"account.login_failed/locked"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("audit actions:\n got %v\nwant %v", got, want)
	}

	mine := func(r auditRow) bool {
		return r.ActorUserID.Int64 == id && r.UserID.Int64 == id && r.Actor == "Aminah binti Yusof #"+strconv.FormatInt(id, 10) && r.Subject == "********5123"
	}
	for i, r := range rows {
		switch i {
		case 2: // an ID with no account
			if r.ActorUserID.Valid || r.UserID.Valid || r.Actor != "anonymous" || r.Subject != "********5555" {
				t.Errorf("unknown ID entry: %+v", r)
			}
		case 3: // not an ID at all: nothing of it is kept
			if r.ActorUserID.Valid || r.Actor != "anonymous" || r.Subject != "" {
				t.Errorf("junk ID entry: %+v", r)
			}
		default:
			if !mine(r) {
				t.Errorf("entry %d (%s) is not Aminah's: %+v", i, r.Action, r)
			}
		}
		for _, secret := range []string{aminahIC, "850101-14-5123", "900202105555", aminahPass, wrong,
			"unknown person's password", "my secret pass", "typed in the wrong box"} {
			if strings.Contains(r.Text, secret) {
				t.Errorf("entry %d (%s) contains %q: %s", i, r.Action, secret, r.Text)
			}
		}
	}
}

// A person's own actions (password change, profile update, cancellation) are audited with the
// login ID masked: no audit row carries a full IC number.
func TestSelfServiceAuditHasNoFullID(t *testing.T) {
	h := newHarness(t)
	h.addUser(t, "selangor", "staff", aminahIC, "Aminah binti Yusof", "aminah@selangor.gov.my", aminahPass, "bunga raya merah")
	c := h.client(t, "selangor")
	apitest.Expect(t, c.login(aminahIC, aminahPass), http.StatusOK, "")
	const newPass = "Teh-Tarik-Kurang-Manis-2026"
	apitest.Expect(t, c.Post("/api/v1/account/password", map[string]string{"current_password": aminahPass, "new_password": newPass}), http.StatusNoContent, "")
	apitest.Expect(t, c.Do(http.MethodPatch, "/api/v1/account/profile", map[string]string{"phone": "012-3456789"}), http.StatusOK, "")
	apitest.Expect(t, c.Post("/api/v1/account/cancellation", map[string]string{"reason": "bertukar ke negeri lain"}), http.StatusAccepted, "")

	var rows []string
	if err := h.db(t, "selangor").Select(&rows, `SELECT row_to_json(a)::text FROM audit_log a ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if len(rows) < 3 {
		t.Fatalf("expected the self-service actions in the audit trail, got %d rows", len(rows))
	}
	for _, r := range rows {
		if strings.Contains(r, aminahIC) || strings.Contains(r, newPass) || strings.Contains(r, aminahPass) {
			t.Errorf("audit row leaks the full ID or a password: %s", r)
		}
	}
}
