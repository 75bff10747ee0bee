package admin_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/speks-portal/speks/modules/account/identity"
	"github.com/speks-portal/speks/modules/account/lockout"
	"github.com/speks-portal/speks/modules/admin"
	"github.com/speks-portal/speks/modules/feed"
	"github.com/speks-portal/speks/modules/foundation/web/apitest"
	"github.com/speks-portal/speks/modules/foundation/web/myt"
	"github.com/speks-portal/speks/tenant"
)

const (
	icA = "850314105523"
	icB = "900101145678"
)

func userPath(id int64, action string) string {
	return fmt.Sprintf("/api/v1/admin/users/%d/%s", id, action)
}

func status(t *testing.T, h *harness, code string, id int64) string {
	t.Helper()
	var s string
	if err := h.db(t, code).Get(&s, `SELECT status FROM users WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	return s
}

func outboxCount(t *testing.T, h *harness, code, addr string) int {
	t.Helper()
	var n int
	if err := h.db(t, code).Get(&n, `SELECT count(*) FROM outbox WHERE recipient = $1 AND template = 'one_time_code'`, addr); err != nil {
		t.Fatal(err)
	}
	return n
}

// Activate (from the queue), deactivate, reactivate, unlock and reset, each with its effect,
// its audit entry and its mail; refused on the officer's own account and on a wrong status.
func TestOfficerActions(t *testing.T) {
	h := newHarness(t)
	officerID, it := h.officer(t, "selangor", "it-1", "it_officer")
	pending := h.user(t, "selangor", identity.CategoryStaff, icA, "Aminah binti Yusof", "aminah@selangor.gov.my", identity.StatusPendingActivation)

	q := h.do(t, "selangor", "GET", "/api/v1/admin/activations", it, nil)
	apitest.Expect(t, q, http.StatusOK, "")
	if q.Body["registration_mode"] != "self_register" || !strings.Contains(q.Raw, "********5523") || strings.Contains(q.Raw, icA) {
		t.Fatalf("activation queue: %s", q.Raw)
	}

	r := h.do(t, "selangor", "POST", userPath(pending, "activate"), it, nil)
	apitest.Expect(t, r, http.StatusOK, "")
	if status(t, h, "selangor", pending) != "active" || outboxCount(t, h, "selangor", "aminah@selangor.gov.my") != 1 {
		t.Fatalf("activation: status %s, mails %d", status(t, h, "selangor", pending), outboxCount(t, h, "selangor", "aminah@selangor.gov.my"))
	}
	if strings.Contains(r.Raw, icA) {
		t.Errorf("the answer holds the full IC: %s", r.Raw)
	}
	apitest.Expect(t, h.do(t, "selangor", "POST", userPath(pending, "activate"), it, nil), http.StatusConflict, "invalid_status")

	victimSession := h.session(t, "selangor", pending)
	apitest.Expect(t, h.do(t, "selangor", "POST", userPath(pending, "deactivate"), it, nil), http.StatusOK, "")
	if status(t, h, "selangor", pending) != "deactivated" {
		t.Fatal("not deactivated")
	}
	if res := h.do(t, "selangor", "GET", "/api/v1/account/profile", victimSession, nil); res.Status != http.StatusUnauthorized {
		t.Errorf("the deactivated account's session still works: %d", res.Status)
	}
	apitest.Expect(t, h.do(t, "selangor", "POST", userPath(pending, "activate"), it, nil), http.StatusOK, "")
	if status(t, h, "selangor", pending) != "active" {
		t.Fatal("not reactivated")
	}

	h.db(t, "selangor").MustExec(`UPDATE users SET status = 'locked' WHERE id = $1`, pending)
	h.db(t, "selangor").MustExec(`INSERT INTO login_failures (login_id, failures, lockouts, locked_until) VALUES ($1, 5, 1, now() + interval '1 hour')`, icA)
	apitest.Expect(t, h.do(t, "selangor", "POST", userPath(pending, "unlock"), it, nil), http.StatusOK, "")
	var locks int
	h.db(t, "selangor").MustExec(`SELECT 1`)
	if err := h.db(t, "selangor").Get(&locks, `SELECT count(*) FROM login_failures WHERE login_id = $1`, icA); err != nil || locks != 0 {
		t.Errorf("lock not cleared: %d %v", locks, err)
	}
	if status(t, h, "selangor", pending) != "active" {
		t.Error("unlock did not make the account active")
	}

	r = h.do(t, "selangor", "POST", userPath(pending, "reset"), it, nil)
	apitest.Expect(t, r, http.StatusOK, "")
	if outboxCount(t, h, "selangor", "aminah@selangor.gov.my") != 2 {
		t.Error("reset mailed no code")
	}
	var code string
	if err := h.db(t, "selangor").Get(&code, `SELECT data->>'code' FROM outbox WHERE recipient = $1 ORDER BY id DESC LIMIT 1`,
		"aminah@selangor.gov.my"); err != nil || code == "" {
		t.Fatalf("no code in the reset mail: %v", err)
	}
	if strings.Contains(r.Raw, code) {
		t.Error("the officer's answer holds the one-time code")
	}

	apitest.Expect(t, h.do(t, "selangor", "POST", userPath(officerID, "deactivate"), it, nil), http.StatusForbidden, "self_action")
	apitest.Expect(t, h.do(t, "selangor", "POST", userPath(999999, "unlock"), it, nil), http.StatusNotFound, "not_found")

	for _, action := range []string{"account.activate", "account.deactivate", "account.reactivate", "account.unlock", "account.reset_by_officer"} {
		if n := h.auditCount(t, "selangor", action, pending); n != 1 {
			t.Errorf("%d audit entries %s, want 1", n, action)
		}
	}
	detail := h.do(t, "selangor", "GET", fmt.Sprintf("/api/v1/admin/users/%d", pending), it, nil)
	apitest.Expect(t, detail, http.StatusOK, "")
	if hist := detail.Body["history"].([]any); len(hist) != 5 || hist[0].(map[string]any)["action"] != "account.reset_by_officer" {
		t.Errorf("user history: %s", detail.Raw)
	}
	trail := h.auditText(t, "selangor")
	for _, secret := range []string{code, icA, "aminah@"} {
		if strings.Contains(trail, secret) {
			t.Errorf("the audit trail holds %q:\n%s", secret, trail)
		}
	}
}

// Search by name, by the visible end of the ID, by status and PTJ; IDs come back masked.
func TestUserSearch(t *testing.T) {
	h := newHarness(t)
	_, it := h.officer(t, "selangor", "it-1", "it_officer")
	a := h.user(t, "selangor", identity.CategoryStaff, icA, "Aminah binti Yusof", "a@x.test", "active")
	h.user(t, "selangor", identity.CategoryStaff, icB, "Rosli bin Ahmad", "b@x.test", "locked")
	h.db(t, "selangor").MustExec(`INSERT INTO departments (code, name) VALUES ('D01', 'Jabatan Kewangan')`)
	h.db(t, "selangor").MustExec(`INSERT INTO ptjs (code, department_code, name) VALUES ('P0101', 'D01', 'Bahagian Gaji')`)
	h.db(t, "selangor").MustExec(`UPDATE users SET department_code = 'D01', ptj_code = 'P0101' WHERE id = $1`, a)

	for query, want := range map[string]string{
		"q=aminah": "Aminah", "q=5523": "Aminah", "q=****5678": "Rosli", "status=locked": "Rosli", "ptj=P0101": "Aminah",
	} {
		r := h.do(t, "selangor", "GET", "/api/v1/admin/users?"+query, it, nil)
		apitest.Expect(t, r, http.StatusOK, "")
		users, _ := r.Body["users"].([]any)
		if len(users) != 1 || !strings.Contains(r.Raw, want) {
			t.Errorf("%s: %s, want only %s", query, r.Raw, want)
		}
		if strings.Contains(r.Raw, icA) || strings.Contains(r.Raw, icB) {
			t.Errorf("%s: a full IC number in the answer: %s", query, r.Raw)
		}
	}
	apitest.Expect(t, h.do(t, "selangor", "GET", "/api/v1/admin/users?status=nonsense", it, nil), http.StatusUnprocessableEntity, "invalid_input")
}

// Staff, suppliers and the other roles are refused; treasury reads the audit trail and the
// settings only; a session of one state means nothing on another.
func TestRefusals(t *testing.T) {
	h := newHarness(t)
	target := h.user(t, "selangor", identity.CategoryStaff, icA, "Aminah binti Yusof", "a@x.test", "active")
	staff := h.session(t, "selangor", h.user(t, "selangor", identity.CategoryStaff, icB, "Rosli bin Ahmad", "b@x.test", "active"))
	supplier := h.session(t, "selangor", h.user(t, "selangor", identity.CategorySupplier, "201901012345", "Syarikat Maju", "s@x.test", "active"))
	_, treasury := h.officer(t, "selangor", "tr-1", "treasury")
	_, head := h.officer(t, "selangor", "hd-1", "head_of_department")
	_, itA := h.officer(t, "selangor", "it-1", "it_officer")
	_, itB := h.officer(t, "kedah", "it-2", "it_officer")

	for name, cookie := range map[string]string{"staff": staff, "supplier": supplier, "treasury": treasury, "head": head} {
		for _, req := range [][2]string{{"GET", "/api/v1/admin/users"}, {"POST", userPath(target, "deactivate")},
			{"POST", userPath(target, "reset")}, {"PUT", "/api/v1/admin/settings"}, {"POST", "/api/v1/admin/apikeys"}} {
			apitest.Expect(t, h.do(t, "selangor", req[0], req[1], cookie, nil), http.StatusForbidden, "forbidden")
		}
		if name == "treasury" {
			continue
		}
		apitest.Expect(t, h.do(t, "selangor", "GET", "/api/v1/admin/audit", cookie, nil), http.StatusForbidden, "forbidden")
	}
	apitest.Expect(t, h.do(t, "selangor", "GET", "/api/v1/admin/audit", treasury, nil), http.StatusOK, "")
	apitest.Expect(t, h.do(t, "selangor", "GET", "/api/v1/admin/settings", treasury, nil), http.StatusOK, "")
	apitest.Expect(t, h.do(t, "selangor", "GET", "/api/v1/admin/users", "", nil), http.StatusUnauthorized, "")
	_, itSelf := h.officer(t, "selangor", "it-csrf", "it_officer")
	noCSRF := h.do(t, "selangor", "GET", "/api/v1/admin/settings", itSelf, nil)
	apitest.Expect(t, noCSRF, http.StatusOK, "")
	if r := h.do(t, "selangor", "PUT", "/api/v1/admin/settings", itSelf, map[string]any{"session_idle_minutes": 60}, apitest.NoCSRF); r.Status != http.StatusForbidden {
		t.Errorf("a settings change without the CSRF token: %d %s, want 403", r.Status, r.Raw)
	}

	// Kedah's IT officer reaches Selangor's console with a Selangor-looking request: refused.
	apitest.Expect(t, h.do(t, "selangor", "POST", userPath(target, "deactivate"), itB, nil), http.StatusUnauthorized, "")
	apitest.Expect(t, h.do(t, "kedah", "GET", "/api/v1/admin/users", itA, nil), http.StatusUnauthorized, "")
	if status(t, h, "selangor", target) != "active" {
		t.Error("a refused request changed the account")
	}
	apitest.Expect(t, h.do(t, "kedah", "GET", "/api/v1/admin/users", itB, nil), http.StatusOK, "")
}

// The trail is searchable by action, actor, subject and date; its CSV defuses formulas.
func TestAuditTrailAndCSV(t *testing.T) {
	h := newHarness(t)
	target := h.user(t, "selangor", identity.CategoryStaff, icA, "=HYPERLINK(\"http://x\")", "a@x.test", "active")
	itID, it := h.officer(t, "selangor", "it-1", "it_officer")
	h.db(t, "selangor").MustExec(`UPDATE users SET name = '@SUM(1+1)' WHERE id = $1`, itID)
	apitest.Expect(t, h.do(t, "selangor", "POST", userPath(target, "deactivate"), it, nil), http.StatusOK, "")
	apitest.Expect(t, h.do(t, "selangor", "POST", "/api/v1/admin/apikeys", it, map[string]string{"name": "-2+3 Modul PY"}), http.StatusCreated, "")

	today := time.Now().In(myt.Zone).Format(time.DateOnly)
	for query, want := range map[string]int{
		"action=account.deactivate": 1, "action=account.": 1, "action=apikey.create": 1,
		fmt.Sprintf("actor=%d", itID): 2, fmt.Sprintf("subject=%d", target): 1,
		"from=" + today + "&to=" + today: 2, "from=2001-01-01&to=2001-01-02": 0,
	} {
		r := h.do(t, "selangor", "GET", "/api/v1/admin/audit?"+query, it, nil)
		apitest.Expect(t, r, http.StatusOK, "")
		if got := len(r.Body["entries"].([]any)); got != want {
			t.Errorf("%s: %d entries, want %d: %s", query, got, want, r.Raw)
		}
	}
	apitest.Expect(t, h.do(t, "selangor", "GET", "/api/v1/admin/audit?from=yesterday", it, nil), http.StatusUnprocessableEntity, "invalid_input")

	r := h.do(t, "selangor", "GET", "/api/v1/admin/audit?format=csv", it, nil)
	apitest.Expect(t, r, http.StatusOK, "")
	var exports int
	if err := h.db(t, "selangor").Get(&exports, `SELECT count(*) FROM audit_log WHERE action = 'audit.export'`); err != nil || exports != 1 {
		t.Errorf("%d audit.export entries, want 1 (%v)", exports, err)
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
		t.Errorf("content type %q", r.Header.Get("Content-Type"))
	}
	records, err := csv.NewReader(strings.NewReader(r.Raw)).ReadAll()
	if err != nil || len(records) != 3 {
		t.Fatalf("csv: %d records, %v\n%s", len(records), err, r.Raw)
	}
	for _, rec := range records[1:] {
		for _, cell := range rec {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("a cell a spreadsheet would evaluate: %q", cell)
			}
		}
		if rec[3] != "'@SUM(1+1) #"+fmt.Sprint(itID) {
			t.Errorf("actor cell %q, want it quoted", rec[3])
		}
	}
}

func TestSafeCell(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1": "'=1+1", "+1": "'+1", "-1": "'-1", "@x": "'@x", "\tx": "'\tx", "\rx": "'\rx",
		"Aminah": "Aminah", "": "", "1=1": "1=1",
	} {
		if got := admin.SafeCell(in); got != want {
			t.Errorf("SafeCell(%q) = %q, want %q", in, got, want)
		}
	}
}

// Settings: read, saved with validation (every problem at once), seen by the resolver within
// its refresh interval, audited.
func TestSettings(t *testing.T) {
	h := newHarness(t)
	_, it := h.officer(t, "selangor", "it-1", "it_officer")
	r := h.do(t, "selangor", "GET", "/api/v1/admin/settings", it, nil)
	apitest.Expect(t, r, http.StatusOK, "")
	if r.Body["registration_mode"] != "self_register" {
		t.Fatalf("settings: %s", r.Raw)
	}
	bad := h.do(t, "selangor", "PUT", "/api/v1/admin/settings", it, map[string]any{
		"registration_mode": "open", "session_idle_minutes": 1, "primary_colour": "red;}body{", "email_domains": []string{"not a domain"},
		"login_accounts_per_address": 2, "login_window_minutes": 0})
	apitest.Expect(t, bad, http.StatusUnprocessableEntity, "invalid_input")
	for _, f := range []string{"registration_mode", "session_idle_minutes", "primary_colour", "email_domains",
		"login_accounts_per_address", "login_window_minutes"} {
		if !strings.Contains(bad.Raw, `"field":"`+f+`"`) {
			t.Errorf("no problem reported for %s: %s", f, bad.Raw)
		}
	}
	r = h.do(t, "selangor", "PUT", "/api/v1/admin/settings", it, map[string]any{
		"registration_mode": "admin_only", "email_domains": []string{"@Selangor.GOV.my"}, "session_idle_minutes": 30,
		"primary_colour": "#1a5276", "helpdesk_email": "meja.bantuan@selangor.gov.my", "require_security_answer": true,
		"login_failures_per_address": 400, "login_accounts_per_address": 120})
	apitest.Expect(t, r, http.StatusOK, "")
	if r.Body["registration_mode"] != "admin_only" || r.Body["require_security_answer"] != true || !strings.Contains(r.Raw, `"selangor.gov.my"`) {
		t.Fatalf("saved settings: %s", r.Raw)
	}
	// The login limits a body leaves out keep their (default) values.
	if r.Body["login_failures_per_address"] != 400.0 || r.Body["login_accounts_per_address"] != 120.0 ||
		r.Body["login_window_minutes"] != 15.0 || r.Body["login_failures_per_account"] != 30.0 || r.Body["identify_per_address"] != 300.0 {
		t.Fatalf("saved login limits: %s", r.Raw)
	}
	limits, err := lockout.ReadLoginLimits(context.Background(), h.db(t, "selangor"))
	if err != nil || limits.FailuresPerAddress != 400 || limits.AccountsPerAddress != 120 {
		t.Fatalf("stored login limits: %+v %v", limits, err)
	}
	var change string
	if err := h.db(t, "selangor").Get(&change, `SELECT (detail->'before'->>'login_accounts_per_address') || ' -> ' ||
		(detail->'after'->>'login_accounts_per_address') FROM audit_log WHERE action = 'settings.update'`); err != nil || change != "50 -> 120" {
		t.Errorf("audited change of the login limits: %q %v", change, err)
	}
	apitest.WaitWithin(t, 2*time.Second, "the resolver to see the new settings", func() bool {
		tn, err := h.env.Resolver.ByCode(context.Background(), "selangor")
		return err == nil && tn.RegistrationMode == tenant.AdminOnly && tn.Branding.PrimaryColour == "#1a5276"
	})
	var n int
	if err := h.db(t, "selangor").Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'settings.update'`); err != nil || n != 1 {
		t.Errorf("%d settings audit entries, %v", n, err)
	}
}

// Cancellation requests come with their due date and an overdue flag; completing one
// deactivates the account.
func TestCancellations(t *testing.T) {
	h := newHarness(t)
	_, it := h.officer(t, "selangor", "it-1", "it_officer")
	u := h.user(t, "selangor", identity.CategoryStaff, icA, "Aminah binti Yusof", "a@x.test", "active")
	var late, onTime int64
	db := h.db(t, "selangor")
	if err := db.Get(&late, `INSERT INTO cancellation_requests (user_id, reason, requested_at, due_on)
		VALUES ($1, 'Bersara', now() - interval '10 days', current_date - 5) RETURNING id`, u); err != nil {
		t.Fatal(err)
	}
	if err := db.Get(&onTime, `INSERT INTO cancellation_requests (user_id, reason, requested_at, due_on)
		VALUES ($1, 'Berpindah', now(), current_date + 3) RETURNING id`, u); err != nil {
		t.Fatal(err)
	}
	r := h.do(t, "selangor", "GET", "/api/v1/admin/cancellations", it, nil)
	apitest.Expect(t, r, http.StatusOK, "")
	list := r.Body["cancellations"].([]any)
	if len(list) != 2 || list[0].(map[string]any)["overdue"] != true || list[1].(map[string]any)["overdue"] != false {
		t.Fatalf("cancellations: %s", r.Raw)
	}
	apitest.Expect(t, h.do(t, "selangor", "POST", fmt.Sprintf("/api/v1/admin/cancellations/%d/complete", late), it, nil), http.StatusOK, "")
	if status(t, h, "selangor", u) != "deactivated" {
		t.Error("completing the cancellation did not deactivate the account")
	}
	apitest.Expect(t, h.do(t, "selangor", "POST", fmt.Sprintf("/api/v1/admin/cancellations/%d/complete", late), it, nil), http.StatusConflict, "invalid_status")
	if h.auditCount(t, "selangor", "cancellation.complete", u) != 1 {
		t.Error("no audit entry for the completion")
	}
	var mails []string
	if err := db.Select(&mails, `SELECT recipient || ' ' || (data->>'name') FROM outbox WHERE template = 'account_cancelled'`); err != nil ||
		len(mails) != 1 || mails[0] != "a@x.test Aminah binti Yusof" {
		t.Errorf("cancellation mail in the outbox: %v %v", mails, err)
	}
}

// A new feed key is shown once, works, and the trail names only its prefix.
func TestAPIKeyShownOnce(t *testing.T) {
	h := newHarness(t)
	_, it := h.officer(t, "selangor", "it-1", "it_officer")
	apitest.Expect(t, h.do(t, "selangor", "POST", "/api/v1/admin/apikeys", it, map[string]string{"name": " "}), http.StatusUnprocessableEntity, "invalid_input")
	r := h.do(t, "selangor", "POST", "/api/v1/admin/apikeys", it, map[string]string{"name": "Modul PY"})
	apitest.Expect(t, r, http.StatusCreated, "")
	key, _ := r.Body["key"].(string)
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Error("the key's answer may be cached")
	}
	if _, err := feed.Authenticate(context.Background(), h.db(t, "selangor"), key); err != nil {
		t.Fatalf("the new key does not authenticate: %v", err)
	}
	if trail := h.auditText(t, "selangor"); strings.Contains(trail, key) || !strings.Contains(trail, r.Body["prefix"].(string)) {
		t.Errorf("audit trail: %s", trail)
	}

	// Listed without the key; revoked once, after which it no longer authenticates.
	prefix := r.Body["prefix"].(string)
	list := h.do(t, "selangor", "GET", "/api/v1/admin/apikeys", it, nil)
	apitest.Expect(t, list, http.StatusOK, "")
	if keys := list.Body["keys"].([]any); len(keys) != 1 || strings.Contains(list.Raw, key) || keys[0].(map[string]any)["prefix"] != prefix {
		t.Fatalf("key list: %s", list.Raw)
	}
	apitest.Expect(t, h.do(t, "selangor", "DELETE", "/api/v1/admin/apikeys/"+prefix, it, nil), http.StatusNoContent, "")
	apitest.Expect(t, h.do(t, "selangor", "DELETE", "/api/v1/admin/apikeys/"+prefix, it, nil), http.StatusNotFound, "not_found")
	if _, err := feed.Authenticate(context.Background(), h.db(t, "selangor"), key); !errors.Is(err, feed.ErrInvalidAPIKey) {
		t.Fatalf("the revoked key still authenticates: %v", err)
	}
	if trail := h.auditText(t, "selangor"); !strings.Contains(trail, "apikey.revoke") {
		t.Errorf("no audit entry for the revocation: %s", trail)
	}
}

// Failed mail and feed batches are listed newest first, for the officer to follow up.
func TestFailedMailAndBatches(t *testing.T) {
	h := newHarness(t)
	_, it := h.officer(t, "selangor", "it-1", "it_officer")
	db := h.db(t, "selangor")
	db.MustExec(`INSERT INTO outbox (recipient, template, status, attempts, last_error, failed_at)
		VALUES ('hilang@selangor.gov.my', 'one_time_code', 'failed', 5, '550 mailbox unavailable', now())`)
	db.MustExec(`INSERT INTO outbox (recipient, template, status) VALUES ('ok@selangor.gov.my', 'one_time_code', 'sent')`)
	db.MustExec(`INSERT INTO import_batches (kind, actor, content_hash, bytes, rows, inserted, updated, unchanged, received_at, duration_ms)
		VALUES ('payslips', 'apikey:abc', repeat('a', 64), 100, 3, 3, 0, 0, now(), 12)`)
	failed := h.do(t, "selangor", "GET", "/api/v1/admin/failed-mail", it, nil)
	apitest.Expect(t, failed, http.StatusOK, "")
	if list := failed.Body["failed"].([]any); len(list) != 1 || !strings.Contains(failed.Raw, "550 mailbox unavailable") {
		t.Errorf("failed mail: %s", failed.Raw)
	}
	batches := h.do(t, "selangor", "GET", "/api/v1/admin/feed-batches", it, nil)
	apitest.Expect(t, batches, http.StatusOK, "")
	if list := batches.Body["batches"].([]any); len(list) != 1 || list[0].(map[string]any)["kind"] != "payslips" {
		t.Errorf("feed batches: %s", batches.Raw)
	}
	if other := h.do(t, "kedah", "GET", "/api/v1/admin/feed-batches", h.kedahOfficer(t), nil); !strings.Contains(other.Raw, `"batches":[]`) {
		t.Errorf("kedah sees selangor's batches: %s", other.Raw)
	}
}

func (h *harness) kedahOfficer(t *testing.T) string {
	_, cookie := h.officer(t, "kedah", "it-k", "it_officer")
	return cookie
}

// A temporary lockout after wrong passwords is "locked" to the console: listed under the
// locked filter with its end, no longer under active, and the unlock lifts it.
func TestTemporaryLockoutIsListedAsLocked(t *testing.T) {
	h := newHarness(t)
	_, it := h.officer(t, "kedah", "it-1", "it_officer")
	victim := h.user(t, "kedah", "staff", "850314105523", "Aminah binti Ahmad", "aminah@kedah.gov.my", "active")
	h.db(t, "kedah").MustExec(`INSERT INTO login_failures (login_id, failures, lockouts, locked_until)
		VALUES ('850314105523', 0, 1, now() + interval '15 minutes')`)
	r := h.do(t, "kedah", "GET", "/api/v1/admin/users?status=locked", it, nil)
	apitest.Expect(t, r, http.StatusOK, "")
	users, _ := r.Body["users"].([]any)
	if len(users) != 1 {
		t.Fatalf("locked filter: %s", r.Raw)
	}
	u := users[0].(map[string]any)
	if u["status"] != "locked" || u["locked_until"] == nil || int64(u["id"].(float64)) != victim {
		t.Fatalf("locked account: %s", r.Raw)
	}
	r = h.do(t, "kedah", "GET", "/api/v1/admin/users?status=active", it, nil)
	if strings.Contains(r.Raw, "Aminah") {
		t.Fatalf("a locked account is listed as active: %s", r.Raw)
	}
	apitest.Expect(t, h.do(t, "kedah", "POST", fmt.Sprintf("/api/v1/admin/users/%d/unlock", victim), it, nil), http.StatusOK, "")
	r = h.do(t, "kedah", "GET", "/api/v1/admin/users?status=locked", it, nil)
	if users, _ := r.Body["users"].([]any); len(users) != 0 {
		t.Fatalf("still locked after the unlock: %s", r.Raw)
	}
}

// The activation queue shows the payroll record of each registration and names what differs.
func TestActivationQueueComparesWithThePayroll(t *testing.T) {
	h := newHarness(t)
	_, it := h.officer(t, "selangor", "it-1", "it_officer")
	db := h.db(t, "selangor")
	db.MustExec(`INSERT INTO departments (code, name) VALUES ('JKR', 'Jabatan Kerja Raya'), ('JPN', 'Jabatan Pendaftaran Negara')`)
	db.MustExec(`INSERT INTO ptjs (code, department_code, name) VALUES ('JKR01', 'JKR', 'JKR Ibu Pejabat'), ('JPN01', 'JPN', 'JPN Negeri')`)
	db.MustExec(`INSERT INTO employees (ic_no, salary_no, name, email, department_code, ptj_code)
		VALUES ('850314105523', 'S1', 'Aminah binti Ahmad', 'aminah@selangor.gov.my', 'JKR', 'JKR01')`)
	db.MustExec(`INSERT INTO users (category, login_id, name, email, status, department_code, ptj_code) VALUES
		('staff', '850314105523', 'AMINAH  BINTI AHMAD', 'aminah@selangor.gov.my', 'pending_activation', 'JPN', 'JPN01'),
		('staff', '900101105511', 'Orang Luar', 'luar@example.my', 'pending_activation', 'JKR', 'JKR01')`)
	r := h.do(t, "selangor", "GET", "/api/v1/admin/activations", it, nil)
	apitest.Expect(t, r, http.StatusOK, "")
	var got []struct {
		Name       string   `json:"name"`
		Mismatches []string `json:"mismatches"`
		Master     struct {
			Found bool   `json:"found"`
			Name  string `json:"name"`
			PTJ   string `json:"ptj_name"`
		} `json:"master"`
	}
	raw, _ := json.Marshal(r.Body["users"])
	if err := json.Unmarshal(raw, &got); err != nil || len(got) != 2 {
		t.Fatalf("activations: %s", r.Raw)
	}
	if m := got[0]; !m.Master.Found || m.Master.Name != "Aminah binti Ahmad" || m.Master.PTJ != "JKR Ibu Pejabat" ||
		strings.Join(m.Mismatches, ",") != "department,ptj" {
		t.Errorf("a registration in another department than the payroll's (name differs only in case): %+v", m)
	}
	if m := got[1]; m.Master.Found || strings.Join(m.Mismatches, ",") != "on_master" {
		t.Errorf("a registration with no payroll record: %+v", m)
	}
}

// Completing a cancellation is one unit of work: when closing the request fails after the
// account was deactivated, nothing is kept – the account is still active with its session, the
// request still open, and no trail entry or mail is left behind.
func TestCancellationAtomic(t *testing.T) {
	h := newHarness(t)
	_, it := h.officer(t, "selangor", "it-1", "it_officer")
	u := h.user(t, "selangor", identity.CategoryStaff, icA, "Aminah binti Yusof", "a@x.test", "active")
	h.session(t, "selangor", u)
	db := h.db(t, "selangor")
	var id int64
	if err := db.Get(&id, `INSERT INTO cancellation_requests (user_id, reason, requested_at, due_on)
		VALUES ($1, 'Bersara', now(), current_date + 3) RETURNING id`, u); err != nil {
		t.Fatal(err)
	}
	// The second half – closing the request – fails inside the database.
	db.MustExec(`CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'closing refused for the test'; END $$`)
	db.MustExec(`CREATE TRIGGER refuse BEFORE UPDATE ON cancellation_requests FOR EACH ROW EXECUTE FUNCTION refuse()`)

	r := h.do(t, "selangor", "POST", fmt.Sprintf("/api/v1/admin/cancellations/%d/complete", id), it, nil)
	if r.Status != http.StatusInternalServerError {
		t.Fatalf("complete with a failing second half: %d %s", r.Status, r.Raw)
	}
	if got := status(t, h, "selangor", u); got != "active" {
		t.Errorf("account is %q after the failed completion, want active", got)
	}
	var sessions, trail, mails int
	var req string
	if err := db.Get(&sessions, `SELECT count(*) FROM sessions WHERE user_id = $1`, u); err != nil || sessions != 1 {
		t.Errorf("%d sessions left, want the one the person had (%v)", sessions, err)
	}
	if err := db.Get(&req, `SELECT status FROM cancellation_requests WHERE id = $1`, id); err != nil || req != "open" {
		t.Errorf("request is %q, want open (%v)", req, err)
	}
	if err := db.Get(&trail, `SELECT count(*) FROM audit_log WHERE action IN ('account.deactivate', 'cancellation.complete')`); err != nil || trail != 0 {
		t.Errorf("%d trail entries of a completion that did not happen (%v)", trail, err)
	}
	if err := db.Get(&mails, `SELECT count(*) FROM outbox WHERE template = 'account_cancelled'`); err != nil || mails != 0 {
		t.Errorf("%d cancellation mails for a completion that did not happen (%v)", mails, err)
	}
}
