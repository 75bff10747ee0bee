package requests_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/speks-portal/speks/modules/foundation/web/apitest"
)

// Each step tells who must act next and the requester what happened, over real SMTP: raised →
// the head of the request's department (not another department's head, not the treasury);
// head approved → the treasury and the requester; carried out → the requester.
func TestEachStepMailsWhoMustActAndTheRequester(t *testing.T) {
	m := newMelaka(t)
	otherHead := person{IC: "710101045011", Name: "Aziz bin Hamid", Email: "aziz@melaka.gov.my", Dept: "D02", PTJ: "P0201",
		Password: officerPass, Roles: []string{"head_of_department"}}
	m.addPerson(t, "melaka", otherHead)

	r := m.ptjAdmin.Post("/api/v1/admin/requests", map[string]any{"kind": "new_user", "ic_no": siti.IC, "reason": "Lantikan baharu"})
	apitest.Expect(t, r, http.StatusCreated, "")
	reqID := id(r)
	msg := m.mail.WaitFor(t, hashim.Email, "menunggu kelulusan anda sebagai Ketua Jabatan")
	for _, want := range []string{"Salam sejahtera Hashim bin Osman", "pendaftaran pengguna baharu bagi Siti Aishah binti Kamal",
		"http://melaka.example.test/admin/requests"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the head's mail lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, siti.IC) {
		t.Error("the head's mail carries the full IC number")
	}
	if n := len(m.mail.To(farah.Email)) + len(m.mail.To(otherHead.Email)) + len(m.mail.To(rosnah.Email)); n != 0 {
		t.Fatalf("%d mails at the raise step to the treasury, another department's head or the requester", n)
	}

	apitest.Expect(t, m.head.Post("/api/v1/admin/requests/"+reqID+"/approve", map[string]string{"note": "Disokong"}), http.StatusOK, "")
	m.mail.WaitFor(t, farah.Email, "sebagai Perbendaharaan Negeri")
	m.mail.WaitFor(t, rosnah.Email, "telah diluluskan oleh Ketua Jabatan")
	if n := len(m.mail.To(hashim.Email)); n != 1 {
		t.Fatalf("the head who approved got %d mails, want only the first", n)
	}

	apitest.Expect(t, m.treas.Post("/api/v1/admin/requests/"+reqID+"/approve", nil), http.StatusOK, "")
	m.mail.WaitFor(t, rosnah.Email, "telah diluluskan oleh Perbendaharaan Negeri dan dilaksanakan")
	codeMailTo(t, m.mail, siti.Email)
}

// A rejection reaches the requester with its reason.
func TestRejectionMailsTheRequesterWithTheReason(t *testing.T) {
	m := newMelaka(t)
	r := m.ptjAdmin.Post("/api/v1/admin/requests", map[string]any{"kind": "deactivate", "ic_no": kamal.IC, "reason": "Bertukar"})
	apitest.Expect(t, r, http.StatusCreated, "")
	apitest.Expect(t, m.head.Post("/api/v1/admin/requests/"+id(r)+"/reject", map[string]string{"note": "Masih berkhidmat di PTJ ini"}), http.StatusOK, "")
	msg := m.mail.WaitFor(t, rosnah.Email, "telah ditolak")
	if !strings.Contains(msg, "Sebab: Masih berkhidmat di PTJ ini") || !strings.Contains(msg, "penyahaktifan akaun bagi Kamal bin Yusof") {
		t.Fatalf("the requester's rejection mail:\n%s", msg)
	}
}

// The API tells each caller which requests they may decide, by the rule the service enforces:
// the treasury may not decide one still waiting for the head, and gets 403 when it tries.
func TestCanDecideFollowsTheServicesRule(t *testing.T) {
	m := newMelaka(t)
	r := m.ptjAdmin.Post("/api/v1/admin/requests", map[string]any{"kind": "deactivate", "ic_no": kamal.IC, "reason": "Bersara"})
	apitest.Expect(t, r, http.StatusCreated, "")
	reqID := id(r)
	canDecide := func(c *client) bool {
		t.Helper()
		list := c.Get("/api/v1/admin/requests")
		rows, _ := list.Body["requests"].([]any)
		if len(rows) != 1 {
			t.Fatalf("list = %s", list.Raw)
		}
		return rows[0].(map[string]any)["can_decide"] == true
	}
	if canDecide(m.treas) || canDecide(m.ptjAdmin) || !canDecide(m.head) {
		t.Fatal("at the head's step only the head may decide")
	}
	apitest.Expect(t, m.treas.Post("/api/v1/admin/requests/"+reqID+"/approve", nil), http.StatusForbidden, "forbidden")
	apitest.Expect(t, m.head.Post("/api/v1/admin/requests/"+reqID+"/approve", nil), http.StatusOK, "")
	if !canDecide(m.treas) || canDecide(m.head) {
		t.Fatal("at the treasury's step only the treasury may decide")
	}
}

// An account with a malformed address among the deciders is skipped; the request is still
// raised and the others are told.
func TestAMalformedAddressDoesNotBlockTheWorkflow(t *testing.T) {
	m := newMelaka(t)
	broken := person{IC: "730303045013", Name: "Salmah binti Ali", Email: "salmah at melaka", Dept: "D01", PTJ: "P0101",
		Password: officerPass, Roles: []string{"head_of_department"}}
	m.addPerson(t, "melaka", broken)
	r := m.ptjAdmin.Post("/api/v1/admin/requests", map[string]any{"kind": "deactivate", "ic_no": kamal.IC, "reason": "Bersara"})
	apitest.Expect(t, r, http.StatusCreated, "")
	m.mail.WaitFor(t, hashim.Email, "menunggu kelulusan anda")
}
