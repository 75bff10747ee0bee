package requests_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/speks-portal/speks/modules/demo"
	"github.com/speks-portal/speks/modules/foundation/web/apitest"
)

// The demo leaves pending requests raised by the PTJ admin, once however often it runs, and
// the head of department can decide them.
func TestDemoStepLeavesPendingRequests(t *testing.T) {
	m := newMelaka(t)
	step := demo.RequestsStep()
	entry := &demo.TenantEntry{PTJAdmin: &demo.Account{ID: rosnah.IC}}
	for range 2 {
		if err := step(context.Background(), m.tenants["melaka"], m.db(t, "melaka"), entry); err != nil {
			t.Fatal(err)
		}
	}
	var kinds []string
	if err := m.db(t, "melaka").Select(&kinds, `SELECT kind FROM admin_requests WHERE status = 'pending_head' AND requested_by = $1 ORDER BY kind`,
		m.ids[rosnah.IC]); err != nil {
		t.Fatal(err)
	}
	if len(kinds) != 2 || kinds[0] != "change_access" || kinds[1] != "new_user" {
		t.Fatalf("demo requests = %v", kinds)
	}
	list := m.head.Get("/api/v1/admin/requests?status=pending_head")
	reqs, _ := list.Body["requests"].([]any)
	if len(reqs) != 2 {
		t.Fatalf("the head sees %s", list.Raw)
	}
	first := reqs[0].(map[string]any)
	apitest.Expect(t, m.head.Post("/api/v1/admin/requests/"+id(apitest.Response{Body: first})+"/approve", nil), http.StatusOK, "")
}

// A head of department cannot approve a request about their own account.
func TestNobodyApprovesAChangeToThemselves(t *testing.T) {
	m := newMelaka(t)
	r := m.ptjAdmin.Post("/api/v1/admin/requests", map[string]any{"kind": "change_access", "ic_no": hashim.IC,
		"roles": []string{"head_of_department", "treasury"}, "reason": "Tambah peranan"})
	apitest.Expect(t, r, http.StatusCreated, "")
	apitest.Expect(t, m.head.Post("/api/v1/admin/requests/"+id(r)+"/approve", nil), http.StatusForbidden, "self_approval")
}
