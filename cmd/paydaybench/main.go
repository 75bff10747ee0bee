// Command paydaybench is `make bench-payday`: the payday mix against the real `speks serve`
// on a fresh database, open-loop (vegeta as a library), step by step, next to the argon2id
// ceiling and pgbench on the payslip SQL measured in the same run (docs/BENCHMARKS.md
// "Payday").
//
// It builds ./cmd/speks, creates the database, runs `speks demo --states N --staff S
// --accounts M`, starts `speks serve` (config through SPEKS_* variables, trusted proxy
// 127.0.0.1 so that X-Forwarded-For from the NAT pool is each request's client address,
// pprof on the private metrics listener), then for each step — identify, login, home,
// payslip JSON, payslip page, PDF, logout — finds the rate where it saturates (rising
// constant rates until errors, a p99 past the limit or a throughput that no longer follows)
// and runs it at 70 % of that. It prints one table. It is a benchmark: it never fails on a
// number, only when the set-up does.
//
// Run from the repository root. Flags have PAYDAY_* environment defaults (see -h);
// PAYDAY_QUICK=1 shortens every phase for a quick look.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"

	"github.com/speks-portal/speks/modules/account/credentials"
	"github.com/speks-portal/speks/modules/demo"
)

// options are the benchmark's knobs.
type options struct {
	Tenants, Staff, Accounts, NAT, DBConns, Port int
	DB, PGHost                                   string
	Quick                                        bool
	Probe, Run, Pause                            time.Duration
	MaxP99                                       time.Duration
	Profile                                      string
	Steps                                        string
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func envStr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func parseOptions(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("paydaybench", flag.ContinueOnError)
	fs.IntVar(&o.Tenants, "tenants", envInt("PAYDAY_TENANTS", 16), "tenants: the four demo states, then synthetic ones (PAYDAY_TENANTS)")
	fs.IntVar(&o.Staff, "staff", envInt("PAYDAY_STAFF", 200), "staff per tenant in the payroll master (PAYDAY_STAFF)")
	fs.IntVar(&o.Accounts, "accounts", envInt("PAYDAY_ACCOUNTS", 32), "staff accounts per tenant (PAYDAY_ACCOUNTS)")
	fs.IntVar(&o.NAT, "nat", envInt("PAYDAY_NAT", 64), "client addresses in the NAT pool, sent as X-Forwarded-For (PAYDAY_NAT)")
	fs.IntVar(&o.DBConns, "db-conns", envInt("PAYDAY_DB_CONNS", 16), "database.max_conns of the server (its one connection budget, all tenants together) and pgbench's clients (PAYDAY_DB_CONNS)")
	fs.IntVar(&o.Port, "port", envInt("PAYDAY_PORT", 18095), "port of speks serve; the metrics listener takes the next (PAYDAY_PORT)")
	fs.StringVar(&o.DB, "db", envStr("PAYDAY_DB", "speks_bench_payday"), "database, dropped and created (PAYDAY_DB)")
	fs.StringVar(&o.PGHost, "pg", envStr("PAYDAY_PG", "postgres@127.0.0.1:5432"), "PostgreSQL user@host:port (PAYDAY_PG)")
	fs.BoolVar(&o.Quick, "quick", os.Getenv("PAYDAY_QUICK") != "", "short phases and a small data set (PAYDAY_QUICK=1)")
	fs.StringVar(&o.Profile, "profile", os.Getenv("PAYDAY_PROFILE"), "directory for CPU profiles of the server during each step's run (PAYDAY_PROFILE)")
	fs.StringVar(&o.Steps, "steps", os.Getenv("PAYDAY_STEPS"), "comma-separated steps to measure, e.g. \"login,payslip JSON\" (default all; login runs whenever a later step needs its sessions) (PAYDAY_STEPS)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	o.Probe, o.Run, o.Pause, o.MaxP99 = 4*time.Second, 15*time.Second, time.Second, 500*time.Millisecond
	if o.Quick {
		o.Probe, o.Run = 2*time.Second, 4*time.Second
		if os.Getenv("PAYDAY_TENANTS") == "" {
			o.Tenants = 6
		}
		if os.Getenv("PAYDAY_STAFF") == "" {
			o.Staff = 50
		}
		if os.Getenv("PAYDAY_ACCOUNTS") == "" {
			o.Accounts = 10
		}
	}
	if o.Tenants < 1 || o.Staff < 1 || o.Accounts < 1 || o.NAT < 1 || o.DBConns < 1 {
		return o, errors.New("tenants, staff, accounts, nat and db-conns must be positive")
	}
	return o, nil
}

func main() {
	log.SetFlags(log.Ltime)
	o, err := parseOptions(os.Args[1:])
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// tenantInfo is one tenant as the benchmark drives it.
type tenantInfo struct {
	Code, Schema, Host string
	Year, Month        int
	Logins             []string
}

func run(ctx context.Context, o options, out io.Writer) error {
	work, err := os.MkdirTemp("", "paydaybench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	bin := filepath.Join(work, "speks")
	log.Printf("build speks")
	if err := command(ctx, nil, "go", "build", "-o", bin, "./cmd/speks").Run(); err != nil {
		return fmt.Errorf("build: %w", err)
	}
	base := "postgres://" + o.PGHost
	admin, err := sqlx.Open("postgres", base+"/postgres?sslmode=disable")
	if err != nil {
		return err
	}
	defer admin.Close()
	log.Printf("fresh database %s", o.DB)
	for _, q := range []string{`DROP DATABASE IF EXISTS ` + o.DB + ` WITH (FORCE)`, `CREATE DATABASE ` + o.DB} {
		if _, err := admin.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	dbURL := base + "/" + o.DB + "?sslmode=disable"
	env := []string{
		"SPEKS_MODE=dev", "SPEKS_DATABASE_URL=" + dbURL,
		"SPEKS_HTTP_LISTEN=127.0.0.1:" + strconv.Itoa(o.Port),
		"SPEKS_HTTP_TRUSTED_PROXIES=127.0.0.1",
		"SPEKS_METRICS_LISTEN=127.0.0.1:" + strconv.Itoa(o.Port+1),
		"SPEKS_DATABASE_MAX_CONNS=" + strconv.Itoa(o.DBConns),
		"SPEKS_LOG_LEVEL=warn",
	}
	log.Printf("speks demo --states %d --staff %d --accounts %d", o.Tenants, o.Staff, o.Accounts)
	started := time.Now()
	demoCmd := command(ctx, env, bin, "demo", "--states", strconv.Itoa(o.Tenants), "--staff", strconv.Itoa(o.Staff),
		"--accounts", strconv.Itoa(o.Accounts))
	demoCmd.Stdout = io.Discard
	if err := demoCmd.Run(); err != nil {
		return fmt.Errorf("speks demo: %w", err)
	}
	log.Printf("demo data in %s", time.Since(started).Round(time.Second))
	db, err := sqlx.Open("postgres", dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	log.Printf("settle: VACUUM (ANALYZE), CHECKPOINT")
	if err := settle(ctx, db); err != nil {
		return err
	}
	tenants, err := loadTenants(ctx, db, o.Accounts)
	if err != nil {
		return err
	}

	rep := &report{Tenants: len(tenants), Cores: runtime.NumCPU(), NAT: o.NAT, DBConns: o.DBConns}
	for _, t := range tenants {
		rep.Accounts += len(t.Logins)
	}
	var hash string
	if err := db.GetContext(ctx, &hash, `SELECT password_hash FROM `+tenants[0].Schema+`.users WHERE login_id = $1`, tenants[0].Logins[0]); err != nil {
		return fmt.Errorf("demo password hash: %w", err)
	}
	log.Printf("argon2id ceiling over %d cores", runtime.NumCPU())
	if rep.Argon2, err = argonCeiling(hash, o.Run/2); err != nil {
		return err
	}
	log.Printf("pgbench: the payslip SQL, %d clients", o.DBConns)
	rep.PGBench, rep.PGBenchNote = pgbench(ctx, work, dbURL, tenants[0], o.DBConns, o.Run)

	log.Printf("start speks serve")
	serve := command(ctx, env, bin, "serve", "--pprof")
	serveLog, err := os.Create(filepath.Join(work, "serve.log"))
	if err != nil {
		return err
	}
	serve.Stdout, serve.Stderr = serveLog, serveLog
	if err := serve.Start(); err != nil {
		return fmt.Errorf("speks serve: %w", err)
	}
	defer func() {
		_ = serve.Process.Signal(syscall.SIGTERM)
		_ = serve.Wait()
	}()
	baseURL := "http://127.0.0.1:" + strconv.Itoa(o.Port)
	if err := waitHealthy(ctx, baseURL+"/healthz", 30*time.Second); err != nil {
		return err
	}
	samp := startSampler(ctx, db, o.DB, serve.Process.Pid)

	b := &bench{o: o, base: baseURL, pprof: "http://127.0.0.1:" + strconv.Itoa(o.Port+1), tenants: tenants, nat: newNATPool(o.NAT)}
	// A short warm-up (identify and home pages' first connections, pools, caches) whose numbers
	// are not kept: otherwise the first probe of the first step measures a cold server.
	steps, err := selectSteps(b.steps(), o.Steps)
	if err != nil {
		return err
	}
	log.Printf("warm-up")
	b.attack(ctx, b.steps()[0], 5, 3*time.Second)
	time.Sleep(o.Pause)
	for _, s := range steps {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		row, err := b.measure(ctx, s)
		if err != nil {
			return fmt.Errorf("step %s: %w", s.name, err)
		}
		rep.Steps = append(rep.Steps, row)
	}
	rep.PeakConns, rep.PeakRSS = samp.stop()
	rep.write(out)
	return nil
}

// settle does now the maintenance the demo data's bulk load would otherwise set off in the
// middle of the measurements: autovacuum's vacuum and analyze of every freshly loaded table,
// and the checkpoint that writes the loaded pages out. pgbench does the same before its runs.
func settle(ctx context.Context, db *sqlx.DB) error {
	for _, q := range []string{`VACUUM (ANALYZE)`, `CHECKPOINT`} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("settle: %s: %w", q, err)
		}
	}
	return nil
}

func command(ctx context.Context, env []string, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	return cmd
}

// loadTenants lists the tenants with their latest payslip month and up to n staff logins who
// have a payslip that month.
func loadTenants(ctx context.Context, db *sqlx.DB, n int) ([]tenantInfo, error) {
	var ts []tenantInfo
	rows, err := db.QueryxContext(ctx, `SELECT code, schema_name FROM public.tenants ORDER BY created_at, code`)
	if err != nil {
		return nil, fmt.Errorf("tenants: %w", err)
	}
	for rows.Next() {
		var t tenantInfo
		if err := rows.Scan(&t.Code, &t.Schema); err != nil {
			return nil, err
		}
		t.Host = t.Code + ".localhost"
		ts = append(ts, t)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []tenantInfo
	for _, t := range ts {
		if err := db.QueryRowxContext(ctx, `SELECT year, month FROM `+t.Schema+`.payslips ORDER BY year DESC, month DESC LIMIT 1`).
			Scan(&t.Year, &t.Month); err != nil {
			return nil, fmt.Errorf("latest payslip month of %s: %w", t.Code, err)
		}
		if err := db.SelectContext(ctx, &t.Logins, `SELECT u.login_id FROM `+t.Schema+`.users u
			WHERE u.category = 'staff' AND u.status = 'active' AND EXISTS (SELECT 1 FROM `+t.Schema+`.payslips p
				WHERE p.ic_no = u.employee_ic AND p.year = $1 AND p.month = $2)
			ORDER BY u.id LIMIT $3`, t.Year, t.Month, n); err != nil {
			return nil, fmt.Errorf("logins of %s: %w", t.Code, err)
		}
		if len(t.Logins) > 0 {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no tenant has staff accounts with a payslip")
	}
	return out, nil
}

// argonCeiling verifies the demo password against its argon2id hash on every core for d and
// returns verifications per second: the most logins/s the machine can do.
func argonCeiling(hash string, d time.Duration) (float64, error) {
	var n atomic.Int64
	var firstErr atomic.Value
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				ok, err := credentials.VerifyPassword(demo.StaffPassword, hash)
				if err != nil || !ok {
					firstErr.CompareAndSwap(nil, fmt.Errorf("verify the demo password: ok=%v err=%v", ok, err))
					return
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return 0, err
	}
	return float64(n.Load()) / time.Since(start).Seconds(), nil
}

func waitHealthy(ctx context.Context, url string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return errors.New("speks serve did not become healthy")
}

// sampler records the peak of the database's connections and of the server's RSS.
type sampler struct {
	done      chan struct{}
	finished  chan struct{}
	peakConns int
	pid       int
}

func startSampler(ctx context.Context, db *sqlx.DB, dbName string, pid int) *sampler {
	s := &sampler{done: make(chan struct{}), finished: make(chan struct{}), pid: pid}
	go func() {
		defer close(s.finished)
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			var n int
			if err := db.GetContext(ctx, &n, `SELECT count(*) FROM pg_stat_activity WHERE datname = $1`, dbName); err == nil {
				s.peakConns = max(s.peakConns, n-1) // not the sampler's own
			}
			select {
			case <-s.done:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

// stop ends the sampling and returns the peak connections and the server's peak RSS
// (VmHWM, bytes).
func (s *sampler) stop() (int, int64) {
	close(s.done)
	<-s.finished
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.pid))
	return s.peakConns, vmHWM(string(status))
}

// vmHWM reads the peak resident set size from a /proc/<pid>/status text, in bytes.
func vmHWM(status string) int64 {
	for _, line := range strings.Split(status, "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) == 2 && f[1] == "kB" {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

// jsonBody is a small JSON request body.
func jsonBody(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
