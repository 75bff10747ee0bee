package records

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/feed"
	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// Load benchmark sizes; SPEKS_BENCH_USERS and SPEKS_BENCH_CONNS override them.
const (
	benchUsers = 2000 // distinct staff, each with an October 2026 payslip of 12 lines
	benchConns = 64   // concurrent HTTP clients
	benchPool  = 8    // database connections of the tenant (and pgbench clients)
)

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// benchIC is the synthetic IC number of bench user i (born 1985-01-01 in Kelantan).
func benchIC(i int) string { return fmt.Sprintf("85010103%04d", i) }

// loadFixture is a tenant with many staff and the app serving it on a real listener.
type loadFixture struct {
	env   *tenanttest.Env
	scope *tenant.Scope
	base  string
	users int
}

func newLoadFixture(b *testing.B, users int) *loadFixture {
	b.Helper()
	env := tenanttest.New(b, benchPool)
	tn := env.Tenant(b, "kelantan", tenant.PayrollMatch)
	scope := &tenant.Scope{Tenant: tn, DB: env.DB(b, tn)}
	var emp, pay strings.Builder
	emp.WriteString("ic_no,salary_no,name,email,phone,department_code,department_name,ptj_code,ptj_name,position,grade,bank_name,bank_account,kwsp_no,tax_no,status\n")
	pay.WriteString("ic_no,year,month,pay_date,kind,code,description,amount\n")
	for i := 0; i < users; i++ {
		ic := benchIC(i)
		fmt.Fprintf(&emp, "%s,G%05d,Pegawai %d,,,JKR,Jabatan Kerja Raya,JKR01,JKR Ibu Pejabat,Jurutera,J41,Bank Islam,1201%08d,,,active\n", ic, i, i, i)
		for l := 0; l < 12; l++ {
			kind := "E"
			if l >= 5 {
				kind = "D"
			}
			fmt.Fprintf(&pay, "%s,2026,10,2026-10-23,%s,%04d,Butiran %d,%d.%02d\n", ic, kind, 100+l, l, 100+i%900+l*10, l)
		}
	}
	for _, f := range []struct {
		kind feed.Kind
		body string
	}{{feed.Employees, emp.String()}, {feed.Payslips, pay.String()}} {
		if _, err := feed.Import(tenant.NewContext(context.Background(), scope), f.kind, strings.NewReader(f.body), feed.Options{Actor: "bench", Now: testNow}); err != nil {
			b.Fatalf("import %s: %v", f.kind, err)
		}
	}
	who := &principals{m: map[string]*account.Principal{}}
	for i := 0; i < users; i++ {
		who.set("kelantan", "u"+strconv.Itoa(i), &account.Principal{UserID: int64(i + 1), Category: "staff", EmployeeIC: benchIC(i)})
	}
	app := newApp(b, env, fakeSession{who}, &Module{Now: func() time.Time { return testNow }})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	b.Cleanup(func() { _ = app.Shutdown() })
	return &loadFixture{env: env, scope: scope, base: "http://" + ln.Addr().String(), users: users}
}

// latencies collects request times from many goroutines.
type latencies struct {
	mu  sync.Mutex
	all []time.Duration
}

func (l *latencies) add(d []time.Duration) {
	l.mu.Lock()
	l.all = append(l.all, d...)
	l.mu.Unlock()
}

func (l *latencies) percentile(p float64) float64 {
	slices.Sort(l.all)
	if len(l.all) == 0 {
		return 0
	}
	return float64(l.all[int(float64(len(l.all)-1)*p)].Microseconds()) / 1000
}

// BenchmarkPayslipJSON loads GET /api/v1/payslips/{year}/{month} with many distinct users
// through a real listener (sub-benchmark "portal"), next to pgbench running the SQL that
// endpoint runs, on the same database in the same run ("pgbench"). The portal's rate as a
// share of pgbench's is reported as share-%.
func BenchmarkPayslipJSON(b *testing.B) {
	users := envInt("SPEKS_BENCH_USERS", benchUsers)
	f := newLoadFixture(b, users)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1024, MaxConnsPerHost: 1024}}
	for i := 0; i < users; i++ { // warm up: every payslip gets its verification token
		if err := f.get(client, benchJSONPath, i); err != nil {
			b.Fatal(err)
		}
	}
	var pgRate float64
	b.Run("pgbench", func(b *testing.B) { pgRate = f.pgbench(b) })
	b.Run("portal", func(b *testing.B) {
		rate := f.portal(b, client, benchJSONPath, envInt("SPEKS_BENCH_CONNS", benchConns))
		if pgRate > 0 {
			b.ReportMetric(100*rate/pgRate, "share-%")
		}
	})
	// The payslip page runs the same SQL plus the previous month's payslip, and renders HTML.
	b.Run("page", func(b *testing.B) { f.portal(b, client, benchPagePath, envInt("SPEKS_BENCH_CONNS", benchConns)) })
}

// Paths the load benchmark asks for: the JSON payslip and the payslip page.
const (
	benchJSONPath = "/api/v1/payslips/2026/10"
	benchPagePath = "/payslips/2026/10"
)

func (f *loadFixture) get(client *http.Client, path string, user int) error {
	req, err := http.NewRequest(http.MethodGet, f.base+path, nil)
	if err != nil {
		return err
	}
	req.Host = "kelantan.example.test"
	req.Header.Set(principalHeader, "u"+strconv.Itoa(user))
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if _, err := io.Copy(io.Discard, res.Body); err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("payslip of u%d: %d", user, res.StatusCode)
	}
	return nil
}

// portal runs b.N requests for path from conns clients, each as a different user in turn.
func (f *loadFixture) portal(b *testing.B, client *http.Client, path string, conns int) float64 {
	lat := &latencies{}
	var seq sync.Mutex
	next := 0
	b.SetParallelism(max(1, conns/max(1, runtimeProcs())))
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			seq.Lock()
			next = (next + 7919) % f.users // a prime stride: every user, in scattered order
			user := next
			seq.Unlock()
			t0 := time.Now()
			if err := f.get(client, path, user); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(t0))
		}
		lat.add(mine)
	})
	rate := float64(b.N) / time.Since(start).Seconds()
	b.ReportMetric(rate, "req/s")
	b.ReportMetric(lat.percentile(0.50), "p50-ms")
	b.ReportMetric(lat.percentile(0.99), "p99-ms")
	return rate
}

// pgbenchScript is the endpoint's SQL with pgbench variables for its parameters: the
// payslip with header and YTD, its lines, the token lookup and the audit insert.
func pgbenchScript(users int) string {
	ic := `('85010103' || lpad(:n::text, 4, '0'))`
	params := strings.NewReplacer("$1", ic, "$2", "2026", "$3", "10")
	token := strings.NewReplacer("$1", "'payslip'", "$2", "("+ic+" || '/2026/10')", "$3", "'"+strings.Repeat("0", 64)+"'")
	// The statement auditlog.Write runs for a payslip view (no actor name, no user id).
	const auditInsert = `INSERT INTO audit_log (actor_user_id, actor, action, subject, user_id, detail) VALUES ($1, '', $2, $3, NULL, $4)`
	audit := strings.NewReplacer("$1", "(:n + 1)", "$2", "'"+ActionPayslipView+"'", "$3", "'payslip 2026-10'",
		"$4", `'{"year": 2026, "month": 10, "ip": "127.0.0.1"}'`)
	oneLine := func(s string) string { return strings.Join(strings.Fields(s), " ") + ";\n" }
	return fmt.Sprintf("\\set n random(0, %d)\n", users-1) +
		oneLine(params.Replace(payslipQuery)) + oneLine(params.Replace(payslipLinesQuery)) +
		oneLine(token.Replace(tokenFindQuery)) + oneLine(audit.Replace(auditInsert))
}

// pgbench runs the script b.N times over benchPool connections and reports the same
// measures as portal, from pgbench's per-transaction log.
func (f *loadFixture) pgbench(b *testing.B) float64 {
	if _, err := exec.LookPath("pgbench"); err != nil {
		b.Skip("pgbench is not installed (Debian: postgresql-client)")
	}
	dir := b.TempDir()
	script := filepath.Join(dir, "payslip.sql")
	if err := os.WriteFile(script, []byte(pgbenchScript(f.users)), 0o644); err != nil {
		b.Fatal(err)
	}
	clients := benchPool
	perClient := max(1, b.N/clients)
	cmd := exec.Command("pgbench", "-n", "-c", strconv.Itoa(clients), "-j", "2", "-t", strconv.Itoa(perClient),
		"-f", script, "--log", "--log-prefix="+filepath.Join(dir, "pgb"), f.env.URL)
	cmd.Env = append(os.Environ(), "PGOPTIONS=-c search_path="+f.scope.Tenant.Schema)
	b.ResetTimer()
	start := time.Now()
	out, err := cmd.CombinedOutput()
	elapsed := time.Since(start)
	if err != nil {
		b.Fatalf("pgbench: %v\n%s", err, out)
	}
	lat, err := readPgbenchLog(dir)
	if err != nil {
		b.Fatal(err)
	}
	rate := float64(clients*perClient) / elapsed.Seconds()
	b.ReportMetric(rate, "req/s")
	b.ReportMetric(lat.percentile(0.50), "p50-ms")
	b.ReportMetric(lat.percentile(0.99), "p99-ms")
	return rate
}

// readPgbenchLog reads the latencies (third field, microseconds) of pgbench's logs.
func readPgbenchLog(dir string) (*latencies, error) {
	files, err := filepath.Glob(filepath.Join(dir, "pgb.*"))
	if err != nil || len(files) == 0 {
		return nil, errors.Join(errors.New("no pgbench log"), err)
	}
	lat := &latencies{}
	for _, name := range files {
		fh, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 3 {
				continue
			}
			us, err := strconv.Atoi(fields[2])
			if err != nil {
				continue
			}
			lat.all = append(lat.all, time.Duration(us)*time.Microsecond)
		}
		fh.Close()
	}
	return lat, nil
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }
