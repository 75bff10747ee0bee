package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/feed"
	"github.com/speks-portal/speks/modules/platform"
	"github.com/speks-portal/speks/modules/requests"
	"github.com/speks-portal/speks/tenant"
)

// Every way an account comes to exist ends with the person seeing their own records: each
// test below creates the account through one real path, opens a session for it and reads
// the payslips (or payments) through the whole app, authorisation included.

const (
	linkedIC   = "850314105523" // on the payroll of every state below
	linkedName = "Aminah binti Ahmad"
	supplierNo = "201901000005"
)

// seedPayroll feeds one employee and two months of payslips into code's tenant through the
// same import the payroll system's feed uses.
func (f *authzFixture) seedPayroll(t *testing.T, code, ic, name string) {
	t.Helper()
	for _, file := range payrollFeeds(code, ic, name) {
		f.importFeed(t, code, file.kind, file.csv)
	}
}

// seedSupplier feeds a supplier (new company number only) and one payment to it.
func (f *authzFixture) seedSupplier(t *testing.T, code string) {
	t.Helper()
	f.importFeed(t, code, feed.Suppliers, "reg_no,name,email,phone,bank_name,bank_account,status\n"+
		supplierNo+",Syarikat Maju Jaya Sdn. Bhd.,akaun@majujaya.com.my,,Maybank,512345678901,active\n")
	day := time.Now().AddDate(0, 0, -10).Format("2006-01-02")
	f.importFeed(t, code, feed.Payments, "payee_type,payee_id,payee_name,ref,voucher_no,cheque_eft_no,payment_date,amount,status,ptj_code,ptj_name,description,bank_account,invoice_no,invoice_amount\n"+
		"supplier,"+supplierNo+",Syarikat Maju Jaya Sdn. Bhd.,PV-0001,V0001,EFT0001,"+day+",1200.00,received_by_bank,JKR01,JKR Ibu Pejabat,Bekalan alat tulis,512345678901,INV-1,1200.00\n")
}

type feedFile struct {
	kind feed.Kind
	csv  string
}

// payrollFeeds are an employee and two payslips of this year, as the payroll system sends them.
func payrollFeeds(code, ic, name string) []feedFile {
	var payslips strings.Builder
	payslips.WriteString("ic_no,year,month,pay_date,kind,code,description,amount\n")
	year := time.Now().Year()
	for month := 1; month <= 2; month++ {
		fmt.Fprintf(&payslips, "%s,%d,%d,%d-%02d-25,E,0001,Gaji Pokok,4500.00\n", ic, year, month, year, month)
	}
	return []feedFile{
		{feed.Employees, "ic_no,salary_no,name,email,phone,department_code,department_name,ptj_code,ptj_name,position,grade,bank_name,bank_account,kwsp_no,tax_no,status\n" +
			ic + ",S1001," + name + ",aminah@" + code + ".gov.my,,JKR,Jabatan Kerja Raya,JKR01,JKR Ibu Pejabat,Jurutera,J41,,,,,\n"},
		{feed.Payslips, payslips.String()},
	}
}

func (f *authzFixture) importFeed(t *testing.T, code string, kind feed.Kind, csv string) {
	t.Helper()
	ctx, sc := f.scope(t, code)
	if _, err := feed.Import(tenant.NewContext(ctx, sc), kind, strings.NewReader(csv), feed.Options{Actor: "test"}); err != nil {
		t.Fatalf("import %s into %s: %v", kind, code, err)
	}
}

func (f *authzFixture) scope(t *testing.T, code string) (context.Context, *tenant.Scope) {
	t.Helper()
	tn, err := f.env.Registry.Get(context.Background(), code)
	if err != nil {
		t.Fatal(err)
	}
	sc := &tenant.Scope{Tenant: tn, DB: f.env.DB(t, tn)}
	return tenant.NewContext(context.Background(), sc), sc
}

// userID is the account of loginID in code, with its links.
func (f *authzFixture) account(t *testing.T, code, loginID string) (id int64, employeeIC string, supplierID int64) {
	t.Helper()
	_, sc := f.scope(t, code)
	var row struct {
		ID         int64  `db:"id"`
		EmployeeIC string `db:"employee_ic"`
		SupplierID int64  `db:"supplier_id"`
	}
	if err := sc.DB.Get(&row, `SELECT id, coalesce(employee_ic, '') AS employee_ic, coalesce(supplier_id, 0) AS supplier_id
		FROM users WHERE login_id = $1`, loginID); err != nil {
		t.Fatalf("account %s in %s: %v", loginID, code, err)
	}
	return row.ID, row.EmployeeIC, row.SupplierID
}

// sessionOf opens a full session for an existing account (logging in is the account
// module's business, tested there) and returns the cookie value.
func (f *authzFixture) sessionOf(t *testing.T, code string, userID int64) string {
	t.Helper()
	_, sc := f.scope(t, code)
	token := fmt.Sprintf("test-linked-%s-%d", code, userID)
	sum := sha256.Sum256([]byte(token))
	if _, err := sc.DB.Exec(`INSERT INTO sessions (id_hash, user_id, csrf_token, purpose, created_at, last_seen_at)
		VALUES ($1, $2, 'csrf', '', now(), now())`, sum[:], userID); err != nil {
		t.Fatalf("add session: %v", err)
	}
	return token
}

// getJSON calls path with the session cookie and decodes the JSON answer into out.
func (f *authzFixture) getJSON(t *testing.T, code, path, cookie string, out any) int {
	t.Helper()
	return f.sendJSON(t, code, "GET", path, cookie, nil, out)
}

func (f *authzFixture) sendJSON(t *testing.T, code, method, path, cookie string, body, out any) int {
	t.Helper()
	c := f.client(t, code, cookie)
	c.Header.Set("Content-Type", "application/json")
	if cookie != "" {
		c.CSRF = "csrf"
	}
	r := c.Do(method, path, body)
	if out != nil && r.Status < 300 {
		r.JSON(t, out)
	}
	return r.Status
}

// expectPayslips: the account's session reads its own payslips of this year.
func (f *authzFixture) expectPayslips(t *testing.T, code string, userID int64) {
	t.Helper()
	cookie := f.sessionOf(t, code, userID)
	var list []map[string]any
	if status := f.getJSON(t, code, "/api/v1/payslips", cookie, &list); status != http.StatusOK || len(list) != 2 {
		t.Fatalf("payslips of account %d in %s: %d, %d payslips, want 200 and 2", userID, code, status, len(list))
	}
}

func (f *authzFixture) expectPayments(t *testing.T, code string, userID int64) {
	t.Helper()
	cookie := f.sessionOf(t, code, userID)
	var list []map[string]any
	if status := f.getJSON(t, code, "/api/v1/payments", cookie, &list); status != http.StatusOK || len(list) != 1 {
		t.Fatalf("payments of account %d in %s: %d, %d payments, want 200 and 1", userID, code, status, len(list))
	}
}

// outboxLink is the newest mailed link of template in code, without its host.
func (f *authzFixture) outboxToken(t *testing.T, code, template string) string {
	t.Helper()
	_, sc := f.scope(t, code)
	var link string
	if err := sc.DB.Get(&link, `SELECT data->>'link' FROM outbox WHERE template = $1 ORDER BY id DESC LIMIT 1`, template); err != nil {
		t.Fatalf("no %s mail in %s: %v", template, code, err)
	}
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("token")
}

// Self-registration (eSPEKS, Pahang): register, verify the e-mail, activated by the IT
// officer; the staff member and the supplier then see their payslips and payments.
func TestSelfRegisteredAccountsSeeTheirRecords(t *testing.T) {
	f := newAuthzFixture(t)
	f.env.Tenant(t, "pahang", tenant.SelfRegister)
	f.seedPayroll(t, "pahang", linkedIC, linkedName)
	f.seedSupplier(t, "pahang")
	officer := f.session(t, "pahang", "officer", "800101015555", "it_officer")

	for _, who := range []struct{ category, id, name string }{
		{"staff", "850314-10-5523", linkedName},
		{"supplier", supplierNo, "Syarikat Maju Jaya Sdn. Bhd."},
	} {
		in := map[string]string{"category": who.category, "id": who.id, "name": who.name, "email": "daftar@example.my"}
		if who.category == "staff" {
			in["department_code"], in["ptj_code"] = "JKR", "JKR01"
		}
		if status := f.sendJSON(t, "pahang", "POST", "/api/v1/auth/register", "", in, nil); status != http.StatusAccepted {
			t.Fatalf("register %s: %d", who.category, status)
		}
		token := f.outboxToken(t, "pahang", "verify_email")
		if status := f.getJSON(t, "pahang", "/api/v1/auth/verify-email?token="+token, "", nil); status != http.StatusOK {
			t.Fatalf("verify %s: %d", who.category, status)
		}
		loginID := strings.ReplaceAll(who.id, "-", "")
		id, _, _ := f.account(t, "pahang", loginID)
		if status := f.sendJSON(t, "pahang", "POST", fmt.Sprintf("/api/v1/admin/users/%d/activate", id), officer, nil, nil); status != http.StatusOK {
			t.Fatalf("activate %s: %d", who.category, status)
		}
		if who.category == "staff" {
			f.expectPayslips(t, "pahang", id)
		} else {
			f.expectPayments(t, "pahang", id)
		}
	}
}

// First login from the payroll (Portal iSPEKS, Selangor): the pending account made from
// the payroll master is linked.
func TestPayrollMatchAccountSeesItsPayslips(t *testing.T) {
	f := newAuthzFixture(t)
	f.seedPayroll(t, "selangor", linkedIC, linkedName)
	status := f.sendJSON(t, "selangor", "POST", "/api/v1/auth/first-login", "",
		map[string]string{"id": "850314-10-5523", "email": "aminah@selangor.gov.my"}, nil)
	if status != http.StatusAccepted {
		t.Fatalf("first login: %d", status)
	}
	id, ic, _ := f.account(t, "selangor", linkedIC)
	if ic != linkedIC {
		t.Fatalf("pending account linked to %q", ic)
	}
	// Completing the first login (password, questions, phrase) is the account module's test;
	// the active account then reads its payslips.
	if _, err := f.env.DB(t, f.tenant(t, "selangor")).Exec(`UPDATE users SET status = 'active' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	f.expectPayslips(t, "selangor", id)
}

// `speks user create --category officer`: an officer who is on the payroll reads their own
// payslips as staff do.
func TestOfficerCreatedByTheCLISeesTheirPayslips(t *testing.T) {
	f := newAuthzFixture(t)
	f.seedPayroll(t, "kedah", linkedIC, linkedName)
	if _, _, err := runCLI(t, "user", "create", "--database-url", f.env.URL, "--tenant", "kedah", "--category", "officer",
		"--role", "ptj_admin", "--name", linkedName, "--email", "aminah@kedah.gov.my", "850314-10-5523"); err != nil {
		t.Fatal(err)
	}
	id, ic, _ := f.account(t, "kedah", linkedIC)
	if ic != linkedIC {
		t.Fatalf("officer linked to %q", ic)
	}
	f.expectPayslips(t, "kedah", id)
}

// A user-administration request (Melaka): the account the treasury's approval creates is
// linked, and its PTJ's staff list shows it.
func TestAccountFromAnApprovedRequestSeesItsPayslips(t *testing.T) {
	f := newAuthzFixture(t)
	f.env.Tenant(t, "melaka", tenant.AdminOnly)
	f.seedPayroll(t, "melaka", linkedIC, linkedName)
	ctx, sc := f.scope(t, "melaka")
	officer := func(loginID, role string) *account.Principal {
		var id int64
		if err := sc.DB.Get(&id, `INSERT INTO users (category, login_id, name, email, status, roles, department_code, ptj_code)
			VALUES ('officer', $1, 'Pegawai '||$1, '', 'active', ARRAY[$2], 'JKR', 'JKR01') RETURNING id`, loginID, role); err != nil {
			t.Fatal(err)
		}
		return &account.Principal{UserID: id, Category: "officer", LoginID: loginID, Name: "Pegawai", Roles: []string{role}}
	}
	admin, head, treasury := officer("800101015551", "ptj_admin"), officer("800101015552", "head_of_department"), officer("800101015553", "treasury")
	svc := &requests.Service{Accounts: f.rt.accountRegistration(), LoginURL: f.rt.loginURL}
	r, err := svc.Create(ctx, admin, requests.NewRequest{Kind: requests.KindNewUser, IC: linkedIC, Reason: "Lantikan baharu"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []*account.Principal{head, treasury} {
		if _, err := svc.Approve(ctx, p, r.ID, requests.Decision{}); err != nil {
			t.Fatalf("approve by %v: %v", p.Roles, err)
		}
	}
	id, ic, _ := f.account(t, "melaka", linkedIC)
	if ic != linkedIC {
		t.Fatalf("account from the request linked to %q", ic)
	}
	f.expectPayslips(t, "melaka", id)
	staff, err := svc.Staff(ctx, admin, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range staff {
		if s.Name == linkedName && !s.UserID.Valid {
			t.Fatalf("the PTJ's staff list shows %s without an account: %+v", linkedName, s)
		}
	}
}

// Onboarding by JANM: the first IT officer exists before any payroll feed; when the payroll
// master arrives later, the account is linked and the officer sees their payslips.
func TestOnboardedOfficerIsLinkedWhenThePayrollArrivesLater(t *testing.T) {
	f := newAuthzFixture(t)
	svc := f.rt.platformService()
	_, err := svc.Onboard(context.Background(), platform.Onboarding{
		Code: "perlis", Name: "Perlis", Hosts: []string{"perlis.example.test"}, RegistrationMode: tenant.PayrollMatch,
		Admin: platform.FirstOfficer{ICNo: "850314-10-5523", Name: linkedName, Email: "aminah@perlis.gov.my"},
	}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, ic, _ := f.account(t, "perlis", linkedIC); ic != "" {
		t.Fatalf("linked before any payroll: %q", ic)
	}
	f.seedPayroll(t, "perlis", linkedIC, linkedName)
	id, ic, _ := f.account(t, "perlis", linkedIC)
	if ic != linkedIC {
		t.Fatalf("after the employees feed the officer is linked to %q", ic)
	}
	f.expectPayslips(t, "perlis", id)
}

// A supplier account made before the supplier master knew the company (old-style number
// only) is linked when the suppliers feed sends both numbers.
func TestSupplierIsLinkedByEitherCompanyNumberWhenTheMasterArrives(t *testing.T) {
	f := newAuthzFixture(t)
	_, sc := f.scope(t, "kedah")
	if _, err := sc.DB.Exec(`INSERT INTO users (category, login_id, name, email, status)
		VALUES ('supplier', '1312525A', 'Syarikat Lama', 'lama@example.my', 'active')`); err != nil {
		t.Fatal(err)
	}
	f.importFeed(t, "kedah", feed.Suppliers, "reg_no,name,email,phone,bank_name,bank_account,status\n"+
		"201901000005 (1312525-A),Syarikat Lama,lama@example.my,,,,active\n")
	_, _, supplier := f.account(t, "kedah", "1312525A")
	var want int64
	if err := sc.DB.Get(&want, `SELECT id FROM suppliers WHERE reg_no_old = '1312525A'`); err != nil {
		t.Fatal(err)
	}
	if supplier != want {
		t.Fatalf("supplier account linked to %d, want %d", supplier, want)
	}
}

func (f *authzFixture) tenant(t *testing.T, code string) *tenant.Tenant {
	t.Helper()
	tn, err := f.env.Registry.Get(context.Background(), code)
	if err != nil {
		t.Fatal(err)
	}
	return tn
}
