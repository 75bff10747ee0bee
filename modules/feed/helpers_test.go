package feed

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// testNow fixes the validation clock so year ranges do not drift.
var testNow = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

// fixture is one test platform with one or more tenants.
type fixture struct {
	env *tenanttest.Env
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return &fixture{env: tenanttest.New(t, 4)}
}

// scope provisions a tenant and returns its scope.
func (f *fixture) scope(t *testing.T, code string) *tenant.Scope {
	t.Helper()
	tn := f.env.Tenant(t, code, tenant.PayrollMatch)
	return &tenant.Scope{Tenant: tn, DB: f.env.DB(t, tn)}
}

// csvLines joins lines with LF (tests that need CRLF build their own).
func csvLines(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

func importString(t *testing.T, scope *tenant.Scope, kind Kind, body string, opts ...Options) (*Result, error) {
	t.Helper()
	o := Options{Actor: "test", Now: testNow}
	if len(opts) > 0 {
		o = opts[0]
		if o.Now.IsZero() {
			o.Now = testNow
		}
	}
	return Import(tenant.NewContext(context.Background(), scope), kind, strings.NewReader(body), o)
}

func mustImport(t *testing.T, scope *tenant.Scope, kind Kind, body string) *Result {
	t.Helper()
	res, err := importString(t, scope, kind, body)
	if err != nil {
		if res != nil {
			t.Fatalf("import %s: %v: %+v", kind, err, res.Errors)
		}
		t.Fatalf("import %s: %v", kind, err)
	}
	return res
}

const employeesHeader = "ic_no,salary_no,name,email,phone,department_code,department_name,ptj_code,ptj_name,position,grade,bank_name,bank_account,kwsp_no,tax_no,status"

// Synthetic people: the IC numbers are made up (valid shape, no real person).
const (
	icAminah = "850314105523"
	icBadrul = "900101086677"
	icChong  = "780705145511"
)

var employeesCSV = csvLines(employeesHeader,
	icAminah+",S1001,Aminah binti Ahmad,aminah@selangor.gov.my,03-55447788,JKR,Jabatan Kerja Raya,JKR01,JKR Ibu Pejabat,Jurutera,J41,Bank Islam,12010012345678,KW1001,SG1001,active",
	"900101-08-6677,S1002,Badrul bin Hashim,,,JKR,Jabatan Kerja Raya,JKR02,JKR Daerah Klang,Pembantu Teknik,J29,Maybank,514012345678,,,",
	icChong+",S1003,Chong Mei Ling,chong@selangor.gov.my,,PKN,Perbendaharaan Negeri,PKN01,Bahagian Akaun,Akauntan,WA41,CIMB,7001234567,,,active",
)

const statementsHeader = "ic_no,year,employer_no,tax_no,section,code,description,amount"

const payslipsHeader = "ic_no,year,month,pay_date,kind,code,description,amount"

func payslipCSV(lines ...string) string {
	return csvLines(append([]string{payslipsHeader}, lines...)...)
}

// refusalTenant is the ground the tests of bad files send them to: a tenant with the payroll
// master and September's payslip. good is a valid line of October.
func refusalTenant(t *testing.T) (s *tenant.Scope, good string) {
	t.Helper()
	s = newFixture(t).scope(t, "kelantan")
	mustImport(t, s, Employees, employeesCSV)
	mustImport(t, s, Payslips, payslipCSV(icAminah+",2026,9,2026-09-23,E,0001,Gaji Pokok,5120.00"))
	return s, icAminah + ",2026,10,2026-10-23,E,0001,Gaji Pokok,5120.00"
}

// count returns the rows of table in scope.
func count(t *testing.T, scope *tenant.Scope, table string) int {
	t.Helper()
	var n int
	if err := scope.DB.Get(&n, "SELECT count(*) FROM "+table); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// dataTables are every table a feed writes.
var dataTables = []string{"departments", "ptjs", "employees", "suppliers", "payslips", "payslip_lines",
	"statements", "statement_items", "payments", "payment_invoices", "payment_status_history", "import_batches"}

// snapshot counts rows and sums every updated_at, so "nothing written" means nothing.
func snapshot(t *testing.T, scope *tenant.Scope) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, table := range dataTables {
		var s string
		if err := scope.DB.Get(&s, `SELECT md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), '')) FROM `+table+` x`); err != nil {
			t.Fatalf("snapshot %s: %v", table, err)
		}
		out[table] = s
	}
	return out
}

func assertUnchanged(t *testing.T, before, after map[string]string) {
	t.Helper()
	for table, b := range before {
		if after[table] != b {
			t.Errorf("table %s changed", table)
		}
	}
}
