package requests_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/speks-portal/speks/modules/foundation/web/apitest"
)

// aziz is Melaka's IT officer.
var aziz = person{IC: "810909045098", Name: "Aziz bin Rahman", Email: "aziz@melaka.gov.my", Dept: "D02", PTJ: "P0201",
	Password: officerPass, Roles: []string{"it_officer"}}

// A carry-out that fails for real – the payroll master's e-mail of the new officer became
// unusable between the request and the treasury's approval – is recorded as failed with the
// reason, listed for the IT officer (and for nobody else), retried in vain while the cause
// stands and carried out once the payroll record is corrected; every retry is audited and the
// requester hears the outcome.
func TestFailedCarryOutIsRetriedByTheITOfficer(t *testing.T) {
	m := newMelaka(t)
	m.ids[aziz.IC] = m.addPerson(t, "melaka", aziz)
	it := m.client(t, "melaka")
	it.loginOfficer(aziz.IC)
	db := m.db(t, "melaka")

	r := m.ptjAdmin.Post("/api/v1/admin/requests", map[string]any{"kind": "new_user", "ic_no": siti.IC, "reason": "Lantikan baharu"})
	apitest.Expect(t, r, http.StatusCreated, "")
	reqID := id(r)
	apitest.Expect(t, m.head.Post("/api/v1/admin/requests/"+reqID+"/approve", nil), http.StatusOK, "")
	// The next payroll feed brings a mistyped address.
	db.MustExec(`UPDATE employees SET email = 'siti.aishah at melaka.gov.my' WHERE ic_no = $1`, siti.IC)
	r = m.treas.Post("/api/v1/admin/requests/"+reqID+"/approve", nil)
	apitest.Expect(t, r, http.StatusOK, "")
	if r.Body["status"] != "failed" || !strings.Contains(r.String("failure"), "email") {
		t.Fatalf("approval with an unusable e-mail = %s", r.Raw)
	}
	var accounts int
	db.Get(&accounts, `SELECT count(*) FROM users WHERE login_id = $1`, siti.IC)
	if accounts != 0 {
		t.Fatal("a failed carry-out left an account behind")
	}

	// Only the IT officer lists and retries; deciding roles do not.
	apitest.Expect(t, m.treas.Get("/api/v1/admin/requests/stuck"), http.StatusForbidden, "")
	apitest.Expect(t, m.ptjAdmin.Post("/api/v1/admin/requests/"+reqID+"/retry", nil), http.StatusForbidden, "")
	stuck := it.Get("/api/v1/admin/requests/stuck")
	apitest.Expect(t, stuck, http.StatusOK, "")
	rows, _ := stuck.Body["requests"].([]any)
	if stuck.Body["total"] != float64(1) || len(rows) != 1 || strings.Contains(stuck.Raw, siti.IC) {
		t.Fatalf("stuck list = %s", stuck.Raw)
	}
	if row := rows[0].(map[string]any); row["status"] != "failed" || !strings.Contains(row["failure"].(string), "email") {
		t.Fatalf("stuck row = %v", row)
	}
	// A retry needs the session's CSRF token like every change.
	noCSRF := m.client(t, "melaka")
	noCSRF.Cookie = it.Cookie
	if r := noCSRF.Post("/api/v1/admin/requests/"+reqID+"/retry", nil); r.Status != http.StatusForbidden {
		t.Fatalf("retry without the CSRF token = %d %s", r.Status, r.Raw)
	}

	// While the cause stands, a retry fails again and says why.
	r = it.Post("/api/v1/admin/requests/"+reqID+"/retry", nil)
	apitest.Expect(t, r, http.StatusOK, "")
	if r.Body["status"] != "failed" || !strings.Contains(r.String("failure"), "email") {
		t.Fatalf("retry before the fix = %s", r.Raw)
	}

	// The payroll unit corrects the address; the same request is carried out.
	db.MustExec(`UPDATE employees SET email = 'siti.aishah@melaka.gov.my' WHERE ic_no = $1`, siti.IC)
	// A failed request is not open, so the same change may be raised again meanwhile: while
	// that one is open, the retry leaves the change to it.
	again := m.ptjAdmin.Post("/api/v1/admin/requests", map[string]any{"kind": "new_user", "ic_no": siti.IC, "reason": "Sekali lagi"})
	apitest.Expect(t, again, http.StatusCreated, "")
	apitest.Expect(t, it.Post("/api/v1/admin/requests/"+reqID+"/retry", nil), http.StatusConflict, "request_open")
	apitest.Expect(t, m.head.Post("/api/v1/admin/requests/"+id(again)+"/reject", map[string]string{"note": "Pendua"}), http.StatusOK, "")
	r = it.Post("/api/v1/admin/requests/"+reqID+"/retry", nil)
	apitest.Expect(t, r, http.StatusOK, "")
	if r.Body["status"] != "completed" || r.Body["failure"] != nil {
		t.Fatalf("retry after the fix = %s", r.Raw)
	}
	var email, ptj string
	if err := db.QueryRow(`SELECT email, ptj_code FROM users WHERE login_id = $1`, siti.IC).Scan(&email, &ptj); err != nil ||
		email != "siti.aishah@melaka.gov.my" || ptj != "P0101" {
		t.Fatalf("account after the retry: %q %q %v", email, ptj, err)
	}
	if code := codePattern.FindString(codeMailTo(t, m.mail, "siti.aishah@melaka.gov.my")); code == "" {
		t.Fatal("the new officer's mail has no code")
	}
	m.mail.WaitFor(t, rosnah.Email, "dilaksanakan")
	apitest.Expect(t, it.Post("/api/v1/admin/requests/"+reqID+"/retry", nil), http.StatusConflict, "wrong_status")
	if stuck := it.Get("/api/v1/admin/requests/stuck"); stuck.Body["total"] != float64(0) {
		t.Fatalf("stuck list after the retry = %s", stuck.Raw)
	}

	var retries, fails, completes int
	db.Get(&retries, `SELECT count(*) FROM audit_log WHERE action = 'admin_request.retry' AND actor_user_id = $1
		AND subject = 'admin_request:'||$2 AND detail->>'previous_failure' LIKE '%email%'`, m.ids[aziz.IC], reqID)
	db.Get(&fails, `SELECT count(*) FROM audit_log WHERE action = 'admin_request.fail' AND subject = 'admin_request:'||$1`, reqID)
	db.Get(&completes, `SELECT count(*) FROM audit_log WHERE action = 'admin_request.complete' AND actor_user_id = $1`, m.ids[aziz.IC])
	if retries != 2 || fails != 2 || completes != 1 {
		t.Fatalf("audit: %d retries, %d failures, %d completions; want 2, 2, 1", retries, fails, completes)
	}
}

// The request list pages: limit and offset, the total of the whole list, a limit capped.
func TestRequestListPages(t *testing.T) {
	m := newMelaka(t)
	for _, p := range []person{siti, norlela} {
		apitest.Expect(t, m.ptjAdmin.Post("/api/v1/admin/requests", map[string]any{"kind": "new_user", "ic_no": p.IC, "reason": "Lantikan"}),
			http.StatusCreated, "")
	}
	apitest.Expect(t, m.ptjAdmin.Post("/api/v1/admin/requests", map[string]any{"kind": "deactivate", "ic_no": kamal.IC, "reason": "Bersara"}),
		http.StatusCreated, "")
	page := func(query string) (ids []float64, total, limit, offset float64) {
		t.Helper()
		r := m.ptjAdmin.Get("/api/v1/admin/requests" + query)
		apitest.Expect(t, r, http.StatusOK, "")
		for _, row := range r.Body["requests"].([]any) {
			ids = append(ids, row.(map[string]any)["id"].(float64))
		}
		return ids, r.Body["total"].(float64), r.Body["limit"].(float64), r.Body["offset"].(float64)
	}
	first, total, limit, _ := page("?limit=2")
	if len(first) != 2 || total != 3 || limit != 2 || first[0] < first[1] {
		t.Fatalf("first page %v of %v (limit %v)", first, total, limit)
	}
	second, total, _, offset := page("?limit=2&offset=2")
	if len(second) != 1 || total != 3 || offset != 2 || second[0] >= first[1] {
		t.Fatalf("second page %v of %v after %v", second, total, first)
	}
	if all, _, limit, _ := page("?limit=100000"); len(all) != 3 || limit != 100 {
		t.Fatalf("a huge limit: %d rows, limit %v", len(all), limit)
	}
	if none, total, _, _ := page("?status=completed"); len(none) != 0 || total != 0 {
		t.Fatalf("filtered list: %v of %v", none, total)
	}
}
