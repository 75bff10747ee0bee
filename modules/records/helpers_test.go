package records

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/speks-portal/speks/config"
	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/feed"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/modules/foundation/web/apitest"
	"github.com/speks-portal/speks/modules/foundation/web/myt"
	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// testNow is the tests' clock: 21 November 2026 in Malaysia.
var testNow = time.Date(2026, 11, 21, 10, 0, 0, 0, myt.Zone)

// Synthetic people and companies: valid shapes, no real person.
const (
	icAminah = "850314035523"
	icBadrul = "900101036677"
)

func csvOf(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

var seedFeeds = []struct {
	kind feed.Kind
	body string
}{
	{feed.Employees, csvOf(
		"ic_no,salary_no,name,email,phone,department_code,department_name,ptj_code,ptj_name,position,grade,bank_name,bank_account,kwsp_no,tax_no,status,perkeso_no,children",
		icAminah+",G1001,Aminah binti Ahmad,aminah@kelantan.gov.my,,JKR,Jabatan Kerja Raya,JKR01,JKR Ibu Pejabat,Jurutera,J41,Bank Islam,12010012345678,KW1001,SG10012345,active,"+icAminah+",2",
		icBadrul+",G1002,Badrul bin Hashim,badrul@kelantan.gov.my,,PKN,Perbendaharaan Negeri,PKN01,Bahagian Akaun,Pembantu Akauntan,W19,Maybank,514012345678,KW1002,SG10022345,active,,",
	)},
	{feed.Suppliers, csvOf("reg_no,name,email,phone,bank_name,bank_account,status",
		"201901000005 (1312525-A),Syarikat Contoh Sdn Bhd,akaun@contoh.example,03-12345678,Maybank,512345678901,active",
		"199501012345,Perniagaan Dua Enterprise,,,CIMB,8001234567,active",
	)},
	{feed.Payslips, csvOf("ic_no,year,month,pay_date,kind,code,description,amount",
		icAminah+",2026,9,2026-09-24,E,0001,Gaji Pokok,4521.30",
		icAminah+",2026,9,2026-09-24,E,0201,Imbuhan Tetap Perumahan,300.00",
		icAminah+",2026,9,2026-09-24,D,4001,Cukai Pendapatan (PCB),210.50",
		icAminah+",2026,9,2026-09-24,D,4101,Caruman KWSP,497.34",
		icAminah+",2026,9,2026-09-24,D,5101,LPPSA Pembiayaan Perumahan,850.00",
		icAminah+",2026,9,2026-09-24,D,5201,Koperasi Guru Kelantan,120.00",
		icAminah+",2026,10,2026-10-23,E,0001,Gaji Pokok,4521.30",
		icAminah+",2026,10,2026-10-23,E,0201,Imbuhan Tetap Perumahan,300.00",
		icAminah+",2026,10,2026-10-23,E,0301,Elaun Lebih Masa,250.00",
		icAminah+",2026,10,2026-10-23,D,4001,Cukai Pendapatan (PCB),210.50",
		icAminah+",2026,10,2026-10-23,D,4101,Caruman KWSP,497.34",
		icAminah+",2026,10,2026-10-23,D,5101,LPPSA Pembiayaan Perumahan,850.00",
		icAminah+",2026,10,2026-10-23,D,5201,Koperasi Guru Kelantan,150.00",
		icAminah+",2026,10,2026-10-23,D,5301,ANGKASA Potongan Koperasi,100.00",
		icBadrul+",2026,10,2026-10-23,E,0001,Gaji Pokok,2100.00",
		icBadrul+",2026,10,2026-10-23,D,4101,Caruman KWSP,231.00",
	)},
	{feed.Statements, csvOf("ic_no,year,employer_no,tax_no,section,code,description,amount",
		icAminah+",2025,E1234567,SG10012345,B Pendapatan Penggajian,B1a,Gaji / Upah,54255.60",
		icAminah+",2025,E1234567,SG10012345,B Pendapatan Penggajian,B1c,Elaun / Imbuhan,3600.00",
		icAminah+",2025,E1234567,SG10012345,D Potongan,D1,Potongan Cukai Bulanan (PCB),2526.00",
		icAminah+",2025,E1234567,SG10012345,E Caruman Pekerja,e1,Caruman KWSP,5968.08",
	)},
	// The format without status_date: each status is dated on its payment date.
	{feed.Payments, csvOf("payee_type,payee_id,payee_name,ref,voucher_no,cheque_eft_no,payment_date,amount,status,ptj_code,ptj_name,description,bank_account,invoice_no,invoice_amount",
		"supplier,1312525-A,Syarikat Contoh Sdn Bhd,PV-0001,V0001,EFT0001,2026-10-05,1500.00,sent_to_bank,PKN01,Bahagian Akaun,Bekalan alat tulis,512345678901,INV-1,1000.00",
		"supplier,1312525-A,Syarikat Contoh Sdn Bhd,PV-0001,V0001,EFT0001,2026-10-05,1500.00,sent_to_bank,PKN01,Bahagian Akaun,Bekalan alat tulis,512345678901,INV-2,500.00",
		"supplier,201901000005,Syarikat Contoh Sdn Bhd,PV-0003,V0003,EFT0003,2026-06-01,300.00,sent_to_bank,PKN01,Bahagian Akaun,Servis,512345678901,INV-4,300.00",
		"supplier,199501012345,Perniagaan Dua Enterprise,PV-0002,V0002,EFT0002,2026-10-06,200.00,sent_to_bank,PKN01,Bahagian Akaun,Servis,8001234567,INV-3,200.00",
		"staff,"+icAminah+",Aminah binti Ahmad,PV-0004,V0004,EFT0004,2026-10-08,150.00,sent_to_bank,JKR01,JKR Ibu Pejabat,Tuntutan lebih masa,12010012345678,,",
	)},
	// The next feed: the bank credited PV-0001 two days after it was paid; PV-0005 is a cheque
	// (its number is the cheque's serial, digits only).
	{feed.Payments, csvOf("payee_type,payee_id,payee_name,ref,voucher_no,cheque_eft_no,payment_date,amount,status,ptj_code,ptj_name,description,bank_account,invoice_no,invoice_amount,status_date",
		"supplier,1312525-A,Syarikat Contoh Sdn Bhd,PV-0001,V0001,EFT0001,2026-10-05,1500.00,received_by_bank,PKN01,Bahagian Akaun,Bekalan alat tulis,512345678901,INV-1,1000.00,2026-10-07",
		"supplier,1312525-A,Syarikat Contoh Sdn Bhd,PV-0001,V0001,EFT0001,2026-10-05,1500.00,received_by_bank,PKN01,Bahagian Akaun,Bekalan alat tulis,512345678901,INV-2,500.00,2026-10-07",
		"supplier,201901000005,Syarikat Contoh Sdn Bhd,PV-0005,V0005,"+chequeNo+",2026-07-15,820.00,issued,PKN01,Bahagian Akaun,Sewaan dewan,,INV-5,820.00,2026-07-15",
	)},
}

// chequeNo is the serial of the test cheque, what its payee types to open its detail.
const chequeNo = "204518"

// seedRecords feeds the test records through feed.Import, the path real data takes.
func seedRecords(ctx context.Context, scope *tenant.Scope) error {
	for _, f := range seedFeeds {
		res, err := feed.Import(tenant.NewContext(ctx, scope), f.kind, strings.NewReader(f.body), feed.Options{Actor: "test", Now: testNow})
		if err != nil {
			if res != nil {
				return &importError{kind: string(f.kind), err: err, rows: res.Errors}
			}
			return err
		}
	}
	return nil
}

type importError struct {
	kind string
	err  error
	rows []feed.RowError
}

func (e *importError) Error() string {
	buf, _ := json.Marshal(e.rows)
	return "import " + e.kind + ": " + e.err.Error() + ": " + string(buf)
}

// principalHeader names the test-only header choosing who is logged in in the API tests; it
// stands in for the session layer (modules/account) so each test can act as any person in
// one request. The browser tests log in through the real account module instead.
const principalHeader = "X-Test-Principal"

// principals are the logged-in people of the tests, per tenant code and name.
type principals struct {
	mu sync.Mutex
	m  map[string]*account.Principal
}

func (p *principals) set(tenantCode, name string, pr *account.Principal) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.m[tenantCode+"/"+name] = pr
}

// fakeSession is a test-only module mounted before records: it puts the principal named by
// the X-Test-Principal header on the context.
type fakeSession struct{ p *principals }

func (f fakeSession) Mount(app *fiber.App) {
	app.Use(func(c *fiber.Ctx) error {
		name := c.Get(principalHeader)
		scope, ok := tenant.FromContext(c.UserContext())
		if name == "" || !ok {
			return c.Next()
		}
		f.p.mu.Lock()
		pr := f.p.m[scope.Tenant.Code+"/"+name]
		f.p.mu.Unlock()
		if pr != nil {
			c.SetUserContext(account.WithPrincipal(c.UserContext(), pr))
		}
		return c.Next()
	})
}

// fixture is a platform with two seeded tenants, kelantan and pahang (pahang has suppliers
// but shares no person with kelantan), and the app serving them.
type fixture struct {
	env    *tenanttest.Env
	app    *fiber.App
	who    *principals
	scopes map[string]*tenant.Scope
	module *Module
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	env := tenanttest.New(t, 4)
	f := &fixture{env: env, who: &principals{m: map[string]*account.Principal{}}, scopes: map[string]*tenant.Scope{},
		module: &Module{Now: func() time.Time { return testNow }}}
	for _, code := range []string{"kelantan", "pahang"} {
		tn := env.Tenant(t, code, tenant.PayrollMatch)
		scope := &tenant.Scope{Tenant: tn, DB: env.DB(t, tn)}
		f.scopes[code] = scope
		if code == "kelantan" {
			if err := seedRecords(context.Background(), scope); err != nil {
				t.Fatal(err)
			}
		}
		f.addPrincipals(t, scope)
	}
	f.app = newApp(t, env, fakeSession{f.who}, f.module)
	return f
}

// addPrincipals registers the tenant's test users; supplier ids are looked up in its data.
func (f *fixture) addPrincipals(t testing.TB, scope *tenant.Scope) {
	t.Helper()
	addPrincipals(f.who, scope)
}

func addPrincipals(who *principals, scope *tenant.Scope) {
	f := struct{ who *principals }{who}
	code := scope.Tenant.Code
	f.who.set(code, "aminah", &account.Principal{UserID: 1, Category: "staff", LoginID: icAminah, Name: "Aminah binti Ahmad", EmployeeIC: icAminah})
	f.who.set(code, "badrul", &account.Principal{UserID: 2, Category: "staff", LoginID: icBadrul, Name: "Badrul bin Hashim", EmployeeIC: icBadrul})
	f.who.set(code, "restricted", &account.Principal{UserID: 5, Category: "staff", EmployeeIC: icAminah, Restricted: true})
	for i, reg := range []string{"201901000005", "199501012345"} {
		var id int64
		_ = scope.DB.Get(&id, `SELECT id FROM suppliers WHERE reg_no_new = $1`, reg)
		f.who.set(code, []string{"contoh", "dua"}[i], &account.Principal{UserID: int64(3 + i), Category: "supplier", LoginID: reg, SupplierID: id})
	}
}

func newApp(t testing.TB, env *tenanttest.Env, modules ...web.Module) *fiber.App {
	t.Helper()
	cfg, err := config.Load(nil)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	cfg.Mode = config.ModeDev
	cfg.Platform.Host = env.PlatformHost
	cfg.HTTP.TrustedProxies = nil
	cfg.Metrics.Listen = ""
	app, err := web.New(web.Options{Config: cfg, Scoper: env.Scoper, Tenants: env.Registry, Modules: modules,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	return app
}

// do sends a request to tenant code as user ("" = anonymous); a body starting with "{" is
// JSON, any other a form.
func (f *fixture) do(t testing.TB, method, code, user, path, body string) apitest.Response {
	t.Helper()
	c := apitest.New(t, f.app, code+".example.test")
	if user != "" {
		c.Header.Set(principalHeader, user)
	}
	var b any
	if body != "" {
		b = body
	}
	return c.Do(method, path, b)
}

// auditCount counts audit entries of action by actor in tenant code.
func (f *fixture) auditCount(t testing.TB, code string, actor int64, action string) int {
	t.Helper()
	var n int
	if err := f.scopes[code].DB.Get(&n, `SELECT count(*) FROM audit_log WHERE actor_user_id = $1 AND action = $2`, actor, action); err != nil {
		t.Fatalf("audit count: %v", err)
	}
	return n
}
