package feed

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/speks-portal/speks/tenant"
)

type outboxRow struct {
	Recipient string `db:"recipient"`
	Template  string `db:"template"`
	Data      []byte `db:"data"`
}

func outbox(t *testing.T, s *tenant.Scope) []outboxRow {
	t.Helper()
	var rows []outboxRow
	if err := s.DB.Select(&rows, `SELECT recipient, template, data FROM outbox ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	return rows
}

func addUser(t *testing.T, s *tenant.Scope, ic, name, email, status string) {
	t.Helper()
	if _, err := s.DB.Exec(`INSERT INTO users (category, login_id, name, email, status, employee_ic)
		VALUES ('staff', $1, $2, $3, $4, $1)`, ic, name, email, status); err != nil {
		t.Fatal(err)
	}
}

// TestPublishReadyMails: a new payslip month or EC year mails each person with an active
// account once, with a link and no amount; re-sent or corrected payslips mail nobody; the
// tenant can turn it off.
func TestPublishReadyMails(t *testing.T) {
	f := newFixture(t)
	s := f.scope(t, "selangor")
	mustImport(t, s, Employees, employeesCSV)
	addUser(t, s, icAminah, "Aminah binti Ahmad", "aminah@selangor.gov.my", "active")
	addUser(t, s, icBadrul, "Badrul bin Hashim", "badrul@selangor.gov.my", "deactivated")
	// Chong has no account.
	publish := Options{Actor: "test", Publish: &Publishing{BaseURL: "https://p.ispeks.selangor.gov.my/"}}

	body := payslipCSV(
		icAminah+",2026,9,2026-09-23,E,0001,Gaji Pokok,5120.00",
		icAminah+",2026,10,2026-10-23,E,0001,Gaji Pokok,5120.00",
		icAminah+",2026,10,2026-10-23,D,4001,PCB,212.40",
		icBadrul+",2026,10,2026-10-23,E,0001,Gaji Pokok,2890.50",
		icChong+",2026,10,2026-10-23,E,0001,Gaji Pokok,6000.00",
	)
	if _, err := importString(t, s, Payslips, body, publish); err != nil {
		t.Fatal(err)
	}
	mails := outbox(t, s)
	if len(mails) != 1 || mails[0].Recipient != "aminah@selangor.gov.my" || mails[0].Template != "payslip_ready" {
		t.Fatalf("mails %+v", mails)
	}
	var data map[string]any
	if err := json.Unmarshal(mails[0].Data, &data); err != nil {
		t.Fatal(err)
	}
	if data["year"] != float64(2026) || data["month"] != float64(10) || data["link"] != "https://p.ispeks.selangor.gov.my/payslips/2026/10" {
		t.Errorf("data %v", data)
	}
	if raw := string(mails[0].Data); strings.Contains(raw, "5120") || strings.Contains(raw, "212") {
		t.Errorf("an amount is in the mail data: %s", raw)
	}

	// Re-sent: nothing new. Corrected (same months): nobody mailed again.
	if _, err := importString(t, s, Payslips, body, publish); err != nil {
		t.Fatal(err)
	}
	corrected := strings.Replace(body, "PCB,212.40", "PCB,200.00", 1)
	if res, err := importString(t, s, Payslips, corrected, publish); err != nil || res.Updated != 1 {
		t.Fatalf("corrected: %+v %v", res, err)
	}
	if n := len(outbox(t, s)); n != 1 {
		t.Errorf("mails after re-send and correction: %d, want 1", n)
	}

	// An EC year is announced the same way.
	if _, err := importString(t, s, Statements, csvLines("ic_no,year,employer_no,tax_no,section,code,description,amount",
		icAminah+",2025,E1234567,SG1001,B,B1a,Gaji kasar,61440.00"), publish); err != nil {
		t.Fatal(err)
	}
	mails = outbox(t, s)
	if len(mails) != 2 || mails[1].Template != "statement_ready" || !strings.Contains(string(mails[1].Data), "/statements/2025") {
		t.Errorf("statement mail: %+v", mails)
	}

	// Turned off by the tenant: a new month mails nobody.
	if err := SetNotifyReady(t.Context(), s.DB, false); err != nil {
		t.Fatal(err)
	}
	if _, err := importString(t, s, Payslips, payslipCSV(icAminah+",2026,11,2026-11-21,E,0001,Gaji Pokok,5120.00"), publish); err != nil {
		t.Fatal(err)
	}
	if n := len(outbox(t, s)); n != 2 {
		t.Errorf("mails with the policy off: %d, want 2", n)
	}
}
