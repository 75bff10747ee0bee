package demo_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/speks-portal/speks/modules/account/credentials"
	"github.com/speks-portal/speks/modules/demo"
	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

func deps(env *tenanttest.Env) demo.Deps {
	return demo.Deps{Databases: env.Databases, Registry: env.Registry, Provisioner: env.Provisioner}
}

func options(staff, suppliers int) demo.Options {
	return demo.Options{Port: 8080, DevHostSuffix: ".localhost", PlatformHost: "platform.localhost", Staff: staff, Suppliers: suppliers}
}

func tenantDB(t *testing.T, env *tenanttest.Env, code string) *tenant.DB {
	t.Helper()
	db, err := env.Databases.Schema(tenant.SchemaName(code))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func count(t *testing.T, db interface {
	Get(any, string, ...any) error
}, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Get(&n, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestRunCreatesTheFourStatesWithValidData(t *testing.T) {
	t.Parallel()
	env := tenanttest.New(t, 2)
	ctx := context.Background()
	out, err := demo.Run(ctx, deps(env), options(150, 40))
	if err != nil {
		t.Fatalf("demo: %v", err)
	}
	if out.Port != 8080 || len(out.Tenants) != 4 {
		t.Fatalf("output: port %d, %d tenants", out.Port, len(out.Tenants))
	}
	for _, state := range demo.States() {
		code := state.Spec.Code
		t.Run(code, func(t *testing.T) {
			registered, err := env.Registry.Get(ctx, code)
			if err != nil {
				t.Fatal(err)
			}
			if registered.Status != tenant.StatusActive || registered.RegistrationMode != state.Spec.RegistrationMode ||
				registered.Hosts[0] != state.Spec.Hosts[0] || registered.HelpdeskEmail == "" || registered.Branding.PrimaryColour == "" {
				t.Errorf("tenant row %+v does not match the demo state", registered)
			}
			entry := out.Tenants[code]
			if entry.Host != code+".localhost" || entry.RegistrationMode != state.Spec.RegistrationMode {
				t.Errorf("entry %+v", entry)
			}
			db := tenantDB(t, env, code)
			checkTenantData(t, db, &state, 150, 40)
			checkUnregistered(t, db, entry, state.Spec.EmailDomains)
		})
	}
}

// checkTenantData checks in SQL what the database holds, independently of the generator.
func checkTenantData(t *testing.T, db *tenant.DB, state *demo.State, staff, suppliers int) {
	t.Helper()
	if n := count(t, db, `SELECT count(*) FROM employees`); n != staff {
		t.Errorf("%d employees, want %d", n, staff)
	}
	if n := count(t, db, `SELECT count(*) FROM suppliers`); n != suppliers {
		t.Errorf("%d suppliers, want %d", n, suppliers)
	}
	// YYMMDD must be a real date of someone 19–57 years old on the reference date; PB a state
	// code; the last digit odd exactly for the men (bin, a/l) and even for the women.
	if n := count(t, db, `SELECT count(*) FROM employees e,
		LATERAL (SELECT make_date((CASE WHEN substr(ic_no, 1, 2)::int > 26 THEN 1900 ELSE 2000 END) + substr(ic_no, 1, 2)::int,
		                          substr(ic_no, 3, 2)::int, substr(ic_no, 5, 2)::int) AS born) b
		WHERE b.born NOT BETWEEN DATE '1968-01-02' AND DATE '2007-01-01'
		   OR substr(ic_no, 7, 2)::int NOT BETWEEN 1 AND 59 OR substr(ic_no, 7, 2)::int BETWEEN 17 AND 20
		   OR (name ~ ' (bin|a/l) ' AND substr(ic_no, 12, 1)::int % 2 = 0)
		   OR (name ~ ' (binti|a/p) ' AND substr(ic_no, 12, 1)::int % 2 = 1)`); n != 0 {
		t.Errorf("%d employees with an implausible IC number", n)
	}
	if n := count(t, db, `SELECT count(*) FROM employees e JOIN ptjs p ON p.code = e.ptj_code
		WHERE p.department_code <> e.department_code OR e.grade !~ '^[A-Z]{1,2}[0-9]{2}$' OR e.bank_account !~ '^[0-9]{10,16}$'`); n != 0 {
		t.Errorf("%d employees with a PTJ outside their department, a bad grade or bank account", n)
	}
	if state.OnlyOfficialEmail {
		if n := count(t, db, `SELECT count(*) FROM employees WHERE email NOT LIKE '%@' || $1`, state.OfficialDomain); n != 0 {
			t.Errorf("%d employees without an address on %s", n, state.OfficialDomain)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM suppliers WHERE NOT (
		(reg_no_new IS NULL OR reg_no_new ~ '^(19|20)[0-9]{2}0[13][0-9]{6}$') AND (reg_no_old IS NULL OR reg_no_old ~ '^[1-9][0-9]{0,6}[A-Z]$'))`); n != 0 {
		t.Errorf("%d suppliers with a malformed SSM number", n)
	}
	if n := count(t, db, `SELECT count(*) FROM suppliers WHERE reg_no_new IS NOT NULL AND reg_no_old IS NOT NULL`); n == 0 {
		t.Error("no supplier carries both SSM numbers")
	}
}

func checkUnregistered(t *testing.T, db *tenant.DB, entry *demo.TenantEntry, domains []string) {
	t.Helper()
	p := entry.UnregisteredStaff
	if p == nil {
		t.Fatal("no unregistered staff member")
	}
	if n := count(t, db, `SELECT count(*) FROM employees WHERE ic_no = $1 AND email = $2`, p.ID, p.Email); n != 1 {
		t.Errorf("unregistered staff %s / %s is not in the payroll master", p.ID, p.Email)
	}
	if n := count(t, db, `SELECT count(*) FROM users WHERE employee_ic = $1 OR login_id = $1`, p.ID); n != 0 {
		t.Errorf("unregistered staff %s has an account", p.ID)
	}
	for _, d := range domains {
		if !strings.HasSuffix(p.Email, "@"+d) {
			t.Errorf("unregistered staff email %s is not on %s", p.Email, d)
		}
	}
}

// snapshot fingerprints every row of a tenant's tables with its xmin, the id of the
// transaction that last wrote it: equal snapshots mean no row was inserted, updated or deleted.
func snapshot(t *testing.T, env *tenanttest.Env) map[string]string {
	t.Helper()
	snap := map[string]string{}
	public := env.Databases.Public()
	var s string
	if err := public.Get(&s, `SELECT coalesce(string_agg(code || ':' || xmin::text, ',' ORDER BY code), '') ||
		(SELECT '|' || count(*) FROM platform_audit) FROM tenants`); err != nil {
		t.Fatal(err)
	}
	snap["public"] = s
	for _, state := range demo.States() {
		db := tenantDB(t, env, state.Spec.Code)
		for table, key := range map[string]string{"departments": "code", "ptjs": "code", "employees": "ic_no", "suppliers": "id"} {
			if err := db.Get(&s, `SELECT coalesce(md5(string_agg(`+key+`::text || ':' || xmin::text, ',' ORDER BY `+key+`)), '') FROM `+table); err != nil {
				t.Fatal(err)
			}
			snap[state.Spec.Code+"."+table] = s
		}
	}
	return snap
}

func TestRunTwiceChangesNoRow(t *testing.T) {
	t.Parallel()
	env := tenanttest.New(t, 2)
	ctx := context.Background()
	first, err := demo.Run(ctx, deps(env), options(80, 20))
	if err != nil {
		t.Fatalf("first run: %v", err)
	}
	before := snapshot(t, env)
	second, err := demo.Run(ctx, deps(env), options(80, 20))
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	after := snapshot(t, env)
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s changed on the second run", k)
		}
	}
	for code, e := range second.Tenants {
		c := e.Counts
		if c.NewStaff+c.NewSuppliers+c.NewDepartments+c.NewPTJs != 0 || c.Staff != 80 || c.Suppliers != 20 {
			t.Errorf("%s: second run counts %+v", code, c)
		}
		if *e.UnregisteredStaff != *first.Tenants[code].UnregisteredStaff {
			t.Errorf("%s: unregistered staff changed between runs", code)
		}
	}
}

// A bigger --staff run adds people and leaves the earlier ones as they were.
func TestMoreStaffExtendsTheData(t *testing.T) {
	t.Parallel()
	env := tenanttest.New(t, 2)
	ctx := context.Background()
	if _, err := demo.Run(ctx, deps(env), options(40, 10)); err != nil {
		t.Fatal(err)
	}
	db := tenantDB(t, env, "selangor")
	var before []string
	if err := db.Select(&before, `SELECT ic_no || ':' || xmin::text FROM employees ORDER BY ic_no`); err != nil {
		t.Fatal(err)
	}
	out, err := demo.Run(ctx, deps(env), options(100, 10))
	if err != nil {
		t.Fatal(err)
	}
	if c := out.Tenants["selangor"].Counts; c.Staff != 100 || c.NewStaff != 60 || c.NewSuppliers != 0 {
		t.Errorf("counts after growing: %+v", c)
	}
	if n := count(t, db, `SELECT count(*) FROM employees WHERE ic_no || ':' || xmin::text = ANY ($1)`, pq.StringArray(before)); n != len(before) {
		t.Errorf("%d of the %d earlier employees were rewritten", len(before)-n, len(before))
	}
}

// The unregistered staff member is chosen after the modules' steps: someone a step gave an
// account is never offered.
func TestStepsRunAndUnregisteredSkipsAccounts(t *testing.T) {
	t.Parallel()
	env := tenanttest.New(t, 2)
	ctx := context.Background()
	first, err := demo.Run(ctx, deps(env), options(30, 5))
	if err != nil {
		t.Fatal(err)
	}
	taken := first.Tenants["selangor"].UnregisteredStaff.ID
	step := func(ctx context.Context, tn *tenant.Tenant, db *tenant.DB, entry *demo.TenantEntry) error {
		if tn.Code != "selangor" {
			return nil
		}
		_, err := db.ExecContext(ctx, `INSERT INTO users (category, login_id, name, status, employee_ic)
			SELECT 'staff', ic_no, name, 'active', ic_no FROM employees WHERE ic_no = $1 ON CONFLICT DO NOTHING`, taken)
		entry.Staff = &demo.Account{ID: taken, Password: "demo-password-for-test"}
		return err
	}
	opts := options(30, 5)
	opts.TenantSteps = []demo.TenantStep{step}
	second, err := demo.Run(ctx, deps(env), opts)
	if err != nil {
		t.Fatal(err)
	}
	entry := second.Tenants["selangor"]
	if entry.Staff == nil || entry.Staff.ID != taken {
		t.Errorf("step did not fill the staff account: %+v", entry.Staff)
	}
	if entry.UnregisteredStaff == nil || entry.UnregisteredStaff.ID == taken {
		t.Errorf("unregistered staff %+v is the one with an account", entry.UnregisteredStaff)
	}
}

func TestRunIsRefusedInProduction(t *testing.T) {
	t.Parallel()
	env := tenanttest.New(t, 1)
	opts := options(10, 5)
	opts.Production = true
	_, err := demo.Run(context.Background(), deps(env), opts)
	if !errors.Is(err, demo.ErrProduction) {
		t.Fatalf("got %v, want ErrProduction", err)
	}
	if n := count(t, env.Databases.Public(), `SELECT count(*) FROM tenants`); n != 0 {
		t.Errorf("%d tenants created despite the refusal", n)
	}
}

func TestWriteTextListsURLsAndWhatToTry(t *testing.T) {
	out := &demo.Output{Port: 18080, PlatformHost: "platform.localhost", Tenants: map[string]*demo.TenantEntry{
		"selangor": {Host: "selangor.localhost", RegistrationMode: tenant.PayrollMatch, Name: "Selangor",
			ProductionHosts: []string{"p.ispeks.selangor.gov.my"}, Counts: demo.Counts{Staff: 300, Suppliers: 60},
			UnregisteredStaff: &demo.Person{ID: "800101105005", Email: "aina@selangor.gov.my"},
			ITOfficer:         &demo.Account{ID: "it.selangor", Password: "pw", TOTPSecret: "BASE32"}},
		"pahang": {Host: "pahang.localhost", RegistrationMode: tenant.SelfRegister, Name: "Pahang"},
	}}
	var b strings.Builder
	if err := demo.WriteText(&b, out); err != nil {
		t.Fatal(err)
	}
	text := b.String()
	for _, want := range []string{
		"http://platform.localhost:18080", "http://selangor.localhost:18080", "http://pahang.localhost:18080",
		"p.ispeks.selangor.gov.my", "300 staff, 60 suppliers (all there already)",
		"No. KP 800101105005, email aina@selangor.gov.my", "IT officer:", "TOTP secret BASE32",
		"curl -s -H 'Host: selangor.localhost' http://127.0.0.1:18080/api/v1/tenant",
		"http://platform.localhost:18080/dev/mail", "Pahang: staff and suppliers register themselves",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("summary lacks %q:\n%s", want, text)
		}
	}
	if strings.Index(text, "pahang") > strings.Index(text, "selangor") {
		t.Error("states are not listed in order")
	}
}

// --states adds synthetic tenants with their own records, and --accounts gives staff with
// payslips an account copied from the demo staff account (the same hash), only up to n.
func TestSyntheticStatesAndStaffAccounts(t *testing.T) {
	t.Parallel()
	env := tenanttest.New(t, 2)
	ctx := context.Background()
	opts := options(20, 5)
	opts.States = 5
	opts.TenantSteps = []demo.TenantStep{demo.RecordsStep(time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC)),
		demo.StaffStep(credentials.Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}), demo.StaffAccountsStep(6)}
	out, err := demo.Run(ctx, deps(env), opts)
	if err != nil {
		t.Fatal(err)
	}
	entry := out.Tenants["bench05"]
	if entry == nil || entry.Staff == nil || entry.Host != "bench05.localhost" {
		t.Fatalf("bench05: %+v", entry)
	}
	db := tenantDB(t, env, "bench05")
	if n := count(t, db, `SELECT count(*) FROM payslips`); n == 0 {
		t.Error("bench05 has no payslips")
	}
	if n := count(t, db, `SELECT count(*) FROM users WHERE category = 'staff'`); n != 6 {
		t.Errorf("bench05 has %d staff accounts, want 6", n)
	}
	if n := count(t, db, `SELECT count(DISTINCT password_hash) FROM users WHERE category = 'staff'`); n != 1 {
		t.Errorf("%d password hashes among the staff accounts, want the demo's one", n)
	}
	if n := count(t, db, `SELECT count(*) FROM users u WHERE category = 'staff'
		AND NOT EXISTS (SELECT 1 FROM payslips p WHERE p.ic_no = u.employee_ic)`); n != 0 {
		t.Errorf("%d staff accounts without payslips", n)
	}
}
