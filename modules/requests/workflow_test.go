package requests_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/speks-portal/speks/modules/foundation/web/apitest"
)

// Melaka's people: a PTJ admin and a head of department of D01, the state treasury, staff of
// two PTJs of D01 and one of D02.
var (
	rosnah = person{IC: "820101045012", Name: "Rosnah binti Ahmad", Email: "rosnah@melaka.gov.my", Dept: "D01", PTJ: "P0101",
		Password: officerPass, Roles: []string{"ptj_admin"}}
	hashim = person{IC: "700202045024", Name: "Hashim bin Osman", Email: "hashim@melaka.gov.my", Dept: "D01", PTJ: "P0101",
		Password: officerPass, Roles: []string{"head_of_department"}}
	farah = person{IC: "750303045036", Name: "Farah binti Idris", Email: "farah@melaka.gov.my", Dept: "D02", PTJ: "P0201",
		Password: officerPass, Roles: []string{"treasury"}}
	siti    = person{IC: "900404045048", Name: "Siti Aishah binti Kamal", Email: "siti.aishah@melaka.gov.my", Dept: "D01", PTJ: "P0101"}
	kamal   = person{IC: "880505045050", Name: "Kamal bin Yusof", Email: "kamal@melaka.gov.my", Dept: "D01", PTJ: "P0101", Password: officerPass}
	lim     = person{IC: "860606045062", Name: "Lim Mei Ling", Email: "lim@melaka.gov.my", Dept: "D01", PTJ: "P0102", Password: officerPass}
	ravi    = person{IC: "870707045074", Name: "Ravi a/l Muthu", Email: "ravi@melaka.gov.my", Dept: "D02", PTJ: "P0201", Password: officerPass}
	norlela = person{IC: "890808045086", Name: "Norlela binti Said", Email: "norlela@melaka.gov.my", Dept: "D01", PTJ: "P0101"}
)

// melaka is the harness with Melaka's people and the officers logged in.
type melaka struct {
	*harness
	ids                   map[string]int64
	ptjAdmin, head, treas *client
}

func newMelaka(t *testing.T) *melaka {
	h := newHarness(t)
	h.org(t, "melaka")
	m := &melaka{harness: h, ids: map[string]int64{}}
	for _, p := range []person{rosnah, hashim, farah, siti, kamal, lim, ravi, norlela} {
		m.ids[p.IC] = h.addPerson(t, "melaka", p)
	}
	m.ptjAdmin, m.head, m.treas = h.client(t, "melaka"), h.client(t, "melaka"), h.client(t, "melaka")
	m.ptjAdmin.loginOfficer(rosnah.IC)
	m.head.loginOfficer(hashim.IC)
	m.treas.loginOfficer(farah.IC)
	return m
}

func id(r apitest.Response) string { return fmt.Sprint(int64(r.Body["id"].(float64))) }

// The full Melaka workflow: the PTJ admin raises a new user, the head of department approves,
// the treasury approves, the account is created from the payroll master and the person logs
// in with the code that arrives over SMTP. Every step is audited, without full IC or code.
func TestMelakaNewUserWorkflow(t *testing.T) {
	m := newMelaka(t)
	r := m.ptjAdmin.Post("/api/v1/admin/requests", map[string]any{"kind": "new_user", "ic_no": siti.IC, "reason": "Lantikan baharu"})
	apitest.Expect(t, r, http.StatusCreated, "")
	if r.Body["status"] != "pending_head" || r.Body["ic_no_masked"] != "********5048" || strings.Contains(r.Raw, siti.IC) {
		t.Fatalf("raised request = %s", r.Raw)
	}
	reqID := id(r)
	apitest.Expect(t, m.ptjAdmin.Post("/api/v1/admin/requests", map[string]any{"kind": "new_user", "ic_no": siti.IC, "reason": "Sekali lagi"}),
		http.StatusConflict, "request_open")
	// The treasury cannot decide before the head; a PTJ admin decides nothing.
	apitest.Expect(t, m.treas.Post("/api/v1/admin/requests/"+reqID+"/approve", nil), http.StatusForbidden, "forbidden")
	apitest.Expect(t, m.ptjAdmin.Post("/api/v1/admin/requests/"+reqID+"/approve", nil), http.StatusForbidden, "")

	r = m.head.Post("/api/v1/admin/requests/"+reqID+"/approve", map[string]string{"note": "Disokong"})
	apitest.Expect(t, r, http.StatusOK, "")
	if r.Body["status"] != "pending_treasury" || r.Body["head_note"] != "Disokong" {
		t.Fatalf("after the head = %s", r.Raw)
	}
	apitest.Expect(t, m.head.Post("/api/v1/admin/requests/"+reqID+"/approve", nil), http.StatusForbidden, "forbidden")
	r = m.treas.Post("/api/v1/admin/requests/"+reqID+"/approve", map[string]string{"note": "Diluluskan"})
	apitest.Expect(t, r, http.StatusOK, "")
	if r.Body["status"] != "completed" {
		t.Fatalf("after the treasury = %s", r.Raw)
	}

	var ptj string
	if err := m.db(t, "melaka").Get(&ptj, `SELECT ptj_code FROM users WHERE login_id = $1 AND status = 'active'`, siti.IC); err != nil || ptj != "P0101" {
		t.Fatalf("created account: ptj %q, %v", ptj, err)
	}
	msg := codeMailTo(t, m.mail, siti.Email)
	code := codePattern.FindString(msg)
	if code == "" {
		t.Fatalf("no one-time code in the mail:\n%s", msg)
	}
	newcomer := m.client(t, "melaka")
	if r := newcomer.Post("/api/v1/auth/login", map[string]string{"id": siti.IC, "password": code}); r.Status != http.StatusOK || r.Body["next"] != "change_password" {
		t.Fatalf("login with the mailed code = %d %s", r.Status, r.Raw)
	}

	var audit []string
	if err := m.db(t, "melaka").Select(&audit, `SELECT action || ' ' || subject || ' ' || actor || ' ' || detail::text FROM audit_log ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(audit, "\n")
	for _, want := range []string{"admin_request.create admin_request:" + reqID, "admin_request.approve admin_request:" + reqID,
		"admin_request.complete admin_request:" + reqID, "account.create"} {
		if !strings.Contains(joined, want) {
			t.Errorf("audit lacks %q:\n%s", want, joined)
		}
	}
	if strings.Contains(joined, siti.IC) || strings.Contains(joined, code) || strings.Contains(joined, officerPass) {
		t.Errorf("audit holds a full IC number, a code or a password:\n%s", joined)
	}
}

// A rejection ends the request with its reason; nothing is carried out and no step follows.
func TestRejectionEndsTheRequest(t *testing.T) {
	m := newMelaka(t)
	r := m.ptjAdmin.Post("/api/v1/admin/requests", map[string]any{"kind": "change_access", "ic_no": kamal.IC,
		"roles": []string{"ptj_admin"}, "reason": "Pemangku pentadbir PTJ"})
	apitest.Expect(t, r, http.StatusCreated, "")
	reqID := id(r)
	apitest.Expect(t, m.head.Post("/api/v1/admin/requests/"+reqID+"/reject", map[string]string{"note": " "}), http.StatusUnprocessableEntity, "invalid_input")
	r = m.head.Post("/api/v1/admin/requests/"+reqID+"/reject", map[string]string{"note": "Tidak diperlukan"})
	apitest.Expect(t, r, http.StatusOK, "")
	if r.Body["status"] != "rejected" || r.Body["rejection_reason"] != "Tidak diperlukan" {
		t.Fatalf("rejected request = %s", r.Raw)
	}
	apitest.Expect(t, m.treas.Post("/api/v1/admin/requests/"+reqID+"/approve", nil), http.StatusConflict, "wrong_status")
	var roles string
	m.db(t, "melaka").Get(&roles, `SELECT roles::text FROM users WHERE id = $1`, m.ids[kamal.IC])
	if roles != "{}" {
		t.Fatalf("roles after a rejection = %s", roles)
	}
}

// Nobody approves their own request: the head of department who raised it cannot take the
// head's step. Change access and deactivation are carried out once another head approves
// and the treasury follows.
func TestSelfApprovalRefusedAndChangesCarriedOut(t *testing.T) {
	m := newMelaka(t)
	r := m.head.Post("/api/v1/admin/requests", map[string]any{"kind": "deactivate", "ic_no": kamal.IC, "reason": "Bersara"})
	apitest.Expect(t, r, http.StatusCreated, "")
	deact := id(r)
	apitest.Expect(t, m.head.Post("/api/v1/admin/requests/"+deact+"/approve", nil), http.StatusForbidden, "self_approval")
	apitest.Expect(t, m.head.Post("/api/v1/admin/requests/"+deact+"/reject", map[string]string{"note": "x"}), http.StatusForbidden, "self_approval")

	// A second head of the same department approves; the treasury carries it out.
	second := person{IC: "720909045098", Name: "Zainal bin Abidin", Email: "zainal@melaka.gov.my", Dept: "D01", PTJ: "P0102",
		Password: officerPass, Roles: []string{"head_of_department"}}
	m.addPerson(t, "melaka", second)
	head2 := m.client(t, "melaka")
	head2.loginOfficer(second.IC)
	kamalSession := m.client(t, "melaka")
	apitest.Expect(t, kamalSession.Post("/api/v1/auth/login", map[string]string{"id": kamal.IC, "password": officerPass}), http.StatusOK, "")
	apitest.Expect(t, head2.Post("/api/v1/admin/requests/"+deact+"/approve", nil), http.StatusOK, "")
	r = m.treas.Post("/api/v1/admin/requests/"+deact+"/approve", nil)
	if r.Status != http.StatusOK || r.Body["status"] != "completed" {
		t.Fatalf("deactivation = %s", r.Raw)
	}
	var status string
	var sessions int
	db := m.db(t, "melaka")
	db.Get(&status, `SELECT status FROM users WHERE id = $1`, m.ids[kamal.IC])
	db.Get(&sessions, `SELECT count(*) FROM sessions WHERE user_id = $1`, m.ids[kamal.IC])
	if status != "deactivated" || sessions != 0 {
		t.Fatalf("after deactivation: status %s, %d sessions", status, sessions)
	}
	apitest.Expect(t, kamalSession.Get("/api/v1/account/profile"), http.StatusUnauthorized, "")

	// Change access for Lim (P0102, outside the PTJ admin's PTJ): the head raises it.
	r = m.head.Post("/api/v1/admin/requests", map[string]any{"kind": "change_access", "ic_no": lim.IC,
		"roles": []string{"ptj_admin", "ptj_admin"}, "reason": "Pentadbir PTJ P0102"})
	apitest.Expect(t, r, http.StatusCreated, "")
	change := id(r)
	apitest.Expect(t, head2.Post("/api/v1/admin/requests/"+change+"/approve", nil), http.StatusOK, "")
	apitest.Expect(t, m.treas.Post("/api/v1/admin/requests/"+change+"/approve", nil), http.StatusOK, "")
	var roles string
	db.Get(&roles, `SELECT roles::text FROM users WHERE id = $1`, m.ids[lim.IC])
	if roles != "{ptj_admin}" {
		t.Fatalf("roles after change access = %s", roles)
	}
}

// A PTJ admin reaches only the staff of their PTJ, a head only their department; a role of
// one tenant is nothing on another.
func TestScopeIsEnforced(t *testing.T) {
	m := newMelaka(t)
	// Lim is in P0102 (same department, other PTJ), Ravi in another department.
	for _, ic := range []string{lim.IC, ravi.IC, "999999999999"} {
		apitest.Expect(t, m.ptjAdmin.Post("/api/v1/admin/requests", map[string]any{"kind": "deactivate", "ic_no": ic, "reason": "x"}),
			http.StatusNotFound, "not_found")
	}
	apitest.Expect(t, m.head.Post("/api/v1/admin/requests", map[string]any{"kind": "deactivate", "ic_no": ravi.IC, "reason": "x"}),
		http.StatusNotFound, "not_found")
	apitest.Expect(t, m.treas.Post("/api/v1/admin/requests", map[string]any{"kind": "deactivate", "ic_no": ravi.IC, "reason": "x"}),
		http.StatusForbidden, "")
	apitest.Expect(t, m.ptjAdmin.Post("/api/v1/admin/requests", map[string]any{"kind": "promote", "ic_no": "12", "reason": "",
		"roles": []string{"platform_admin"}}), http.StatusUnprocessableEntity, "invalid_input")

	// The head raises for Lim (P0102): the PTJ admin of P0101 does not see it, the treasury does.
	r := m.head.Post("/api/v1/admin/requests", map[string]any{"kind": "deactivate", "ic_no": lim.IC, "reason": "Bertukar"})
	apitest.Expect(t, r, http.StatusCreated, "")
	if list := m.ptjAdmin.Get("/api/v1/admin/requests"); list.Status != http.StatusOK || strings.Contains(list.Raw, "Lim Mei Ling") {
		t.Fatalf("PTJ admin's list = %s", list.Raw)
	}
	if list := m.treas.Get("/api/v1/admin/requests?status=pending_head"); !strings.Contains(list.Raw, "Lim Mei Ling") {
		t.Fatalf("treasury's list = %s", list.Raw)
	}

	// The PTJ admin's staff list holds P0101 only, with masked IC numbers.
	staff := m.ptjAdmin.Get("/api/v1/admin/ptj/staff")
	apitest.Expect(t, staff, http.StatusOK, "")
	if !strings.Contains(staff.Raw, "Kamal bin Yusof") || strings.Contains(staff.Raw, "Lim Mei Ling") ||
		strings.Contains(staff.Raw, "Ravi") || strings.Contains(staff.Raw, kamal.IC) {
		t.Fatalf("staff list = %s", staff.Raw)
	}
	apitest.Expect(t, m.head.Get("/api/v1/admin/ptj/staff"), http.StatusForbidden, "")

	// A PTJ admin who has not enrolled TOTP yet holds a restricted session: no console.
	unenrolled := person{IC: "830303045110", Name: "Azlan bin Hamid", Email: "azlan@melaka.gov.my", Dept: "D01", PTJ: "P0101",
		Password: officerPass, Roles: []string{"ptj_admin"}}
	m.addPerson(t, "melaka", unenrolled)
	half := m.client(t, "melaka")
	if r := half.Post("/api/v1/auth/login", map[string]string{"id": unenrolled.IC, "password": officerPass}); r.Body["next"] != "enrol_totp" {
		t.Fatalf("login without TOTP = %s", r.Raw)
	}
	apitest.Expect(t, half.Get("/api/v1/admin/requests"), http.StatusForbidden, "restricted_session")

	// Tenant B: the Melaka session is nothing on Selangor's host.
	other := m.client(t, "selangor")
	other.Cookie, other.CSRF = m.ptjAdmin.Cookie, m.ptjAdmin.CSRF
	if r := other.Get("/api/v1/admin/requests"); r.Status != http.StatusUnauthorized && r.Status != http.StatusForbidden {
		t.Fatalf("Melaka PTJ admin on Selangor = %d %s", r.Status, r.Raw)
	}
}

// The PTJ admin corrects a registered e-mail of their PTJ (audited), never one outside it.
func TestPTJAdminCorrectsEmail(t *testing.T) {
	m := newMelaka(t)
	path := fmt.Sprintf("/api/v1/admin/ptj/staff/%d/email", m.ids[kamal.IC])
	apitest.Expect(t, m.ptjAdmin.Post(path, map[string]string{"email": "not an address"}), http.StatusUnprocessableEntity, "invalid_input")
	apitest.Expect(t, m.ptjAdmin.Post(path, map[string]string{"email": "kamal.yusof@melaka.gov.my"}), http.StatusNoContent, "")
	var email, detail string
	db := m.db(t, "melaka")
	db.Get(&email, `SELECT email FROM users WHERE id = $1`, m.ids[kamal.IC])
	db.Get(&detail, `SELECT detail::text FROM audit_log WHERE action = 'account.email_corrected' AND user_id = $1`, m.ids[kamal.IC])
	if email != "kamal.yusof@melaka.gov.my" || !strings.Contains(detail, "kamal@melaka.gov.my") {
		t.Fatalf("email %q, audit %q", email, detail)
	}
	apitest.Expect(t, m.ptjAdmin.Post(fmt.Sprintf("/api/v1/admin/ptj/staff/%d/email", m.ids[lim.IC]), map[string]string{"email": "x@melaka.gov.my"}),
		http.StatusNotFound, "not_found")
	apitest.Expect(t, m.head.Post(path, map[string]string{"email": "y@melaka.gov.my"}), http.StatusForbidden, "")
}

// The treasury's approval, the change it carries out and the recorded outcome are one unit of
// work: when recording the outcome fails after the account was deactivated, nothing is kept –
// the account is active with its session, the request still waits for the treasury, and the
// trail has no deactivation.
func TestCarryingOutIsAtomic(t *testing.T) {
	m := newMelaka(t)
	r := m.ptjAdmin.Post("/api/v1/admin/requests", map[string]any{"kind": "deactivate", "ic_no": kamal.IC, "reason": "Bersara"})
	apitest.Expect(t, r, http.StatusCreated, "")
	reqID := id(r)
	apitest.Expect(t, m.head.Post("/api/v1/admin/requests/"+reqID+"/approve", nil), http.StatusOK, "")
	kamalSession := m.client(t, "melaka")
	apitest.Expect(t, kamalSession.Post("/api/v1/auth/login", map[string]string{"id": kamal.IC, "password": officerPass}), http.StatusOK, "")

	// The second half – recording the outcome – fails inside the database.
	db := m.db(t, "melaka")
	db.MustExec(`CREATE FUNCTION refuse_outcome() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN IF NEW.status IN ('completed', 'failed') THEN RAISE EXCEPTION 'outcome refused for the test'; END IF;
		RETURN NEW; END $$`)
	db.MustExec(`CREATE TRIGGER refuse_outcome BEFORE UPDATE ON admin_requests FOR EACH ROW EXECUTE FUNCTION refuse_outcome()`)

	r = m.treas.Post("/api/v1/admin/requests/"+reqID+"/approve", nil)
	if r.Status != http.StatusInternalServerError {
		t.Fatalf("approval with a failing outcome: %d %s", r.Status, r.Raw)
	}
	var status, reqStatus string
	var sessions, trail int
	if err := db.Get(&status, `SELECT status FROM users WHERE id = $1`, m.ids[kamal.IC]); err != nil || status != "active" {
		t.Errorf("account is %q, want active (%v)", status, err)
	}
	if err := db.Get(&sessions, `SELECT count(*) FROM sessions WHERE user_id = $1`, m.ids[kamal.IC]); err != nil || sessions == 0 {
		t.Errorf("the person's session ended (%v)", err)
	}
	if err := db.Get(&reqStatus, `SELECT status FROM admin_requests WHERE id = $1`, reqID); err != nil || reqStatus != "pending_treasury" {
		t.Errorf("request is %q, want pending_treasury (%v)", reqStatus, err)
	}
	if err := db.Get(&trail, `SELECT count(*) FROM audit_log WHERE action IN ('account.deactivate', 'admin_request.complete')`); err != nil || trail != 0 {
		t.Errorf("%d trail entries of a change that did not happen (%v)", trail, err)
	}
	apitest.Expect(t, kamalSession.Get("/api/v1/account/profile"), http.StatusOK, "")

	// Once the database accepts it again, the same approval carries the change out.
	db.MustExec(`DROP TRIGGER refuse_outcome ON admin_requests`)
	r = m.treas.Post("/api/v1/admin/requests/"+reqID+"/approve", nil)
	if r.Status != http.StatusOK || r.Body["status"] != "completed" {
		t.Fatalf("approval after the fault = %s", r.Raw)
	}
	if err := db.Get(&status, `SELECT status FROM users WHERE id = $1`, m.ids[kamal.IC]); err != nil || status != "deactivated" {
		t.Errorf("account is %q after the approval, want deactivated (%v)", status, err)
	}
}
