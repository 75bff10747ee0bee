package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/speks-portal/speks/modules/account/identity"
	"github.com/speks-portal/speks/modules/demo"
	"github.com/speks-portal/speks/modules/foundation/web/apitest"
)

// The demo step makes four officers (the scoped two in the demo staff member's PTJ), who log
// in with the documented password and TOTP secret; running it again changes nothing.
func TestDemoOfficersLogIn(t *testing.T) {
	h := newHarness(t)
	db := h.db(t, "kedah")
	db.MustExec(`INSERT INTO departments (code, name) VALUES ('D01', 'Jabatan Kewangan'), ('D02', 'Jabatan Kerja Raya')`)
	db.MustExec(`INSERT INTO ptjs (code, department_code, name) VALUES ('P0101', 'D01', 'Bahagian Gaji'), ('P0201', 'D02', 'Bahagian Jalan')`)
	for i := range 12 {
		ptj, dept := "P0101", "D01"
		if i%2 == 1 {
			ptj, dept = "P0201", "D02"
		}
		db.MustExec(`INSERT INTO employees (ic_no, salary_no, name, email, department_code, ptj_code) VALUES ($1, $2, $3, $4, $5, $6)`,
			fmt.Sprintf("8001011%05d", i), fmt.Sprintf("S%02d", i), fmt.Sprintf("Siti Aminah %c", rune('A'+i)),
			fmt.Sprintf("p%d@kedah.gov.my", i), dept, ptj)
	}
	entry := &demo.TenantEntry{Staff: &demo.Account{ID: "800101100000"}} // in P0101
	step := demo.OfficersStep(h.svc, testArgon)
	if err := step(context.Background(), h.tenants["kedah"], db, entry); err != nil {
		t.Fatal(err)
	}
	officers := map[string]*demo.Account{"it_officer": entry.ITOfficer, "treasury": entry.Treasury,
		"head_of_department": entry.HeadOfDepartment, "ptj_admin": entry.PTJAdmin}
	for role, a := range officers {
		if a == nil {
			t.Fatalf("no demo %s", role)
		}
		var ptj string
		if err := db.Get(&ptj, `SELECT ptj_code FROM users WHERE login_id = $1 AND roles = ARRAY[$2]`, a.ID, role); err != nil {
			t.Fatalf("%s: %v", role, err)
		}
		if (role == "head_of_department" || role == "ptj_admin") && ptj != "P0101" {
			t.Errorf("%s is in %s, want the demo staff member's P0101", role, ptj)
		}
		code, err := totp.GenerateCode(a.TOTPSecret, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		r := h.do(t, "kedah", "POST", "/api/v1/auth/login", "", map[string]string{"id": a.ID, "password": a.Password, "totp": code})
		apitest.Expect(t, r, http.StatusOK, "")
	}
	again := &demo.TenantEntry{Staff: entry.Staff}
	if err := step(context.Background(), h.tenants["kedah"], db, again); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM users WHERE category = $1`, identity.CategoryOfficer); err != nil || n != 4 {
		t.Errorf("%d officers after a second run, want 4 (%v)", n, err)
	}
	if again.ITOfficer == nil || again.ITOfficer.ID != entry.ITOfficer.ID {
		t.Error("the second run reports another IT officer")
	}
}
