package replicas_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/speks-portal/speks/modules/foundation/web/apitest"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// The tests run their own redis-server on a free port (started by TestMain) and flush it at
// the start of each test: the processes never meet another test run's queues, not even one
// running at the same time on the same machine.
const redisDB = 0

var redisAddr, redisURL string

// binary is the speks binary built once per test run by TestMain.
var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		// Every test here skips itself in -short mode; building the binary would be wasted.
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "speks-replicas-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "temp dir:", err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "speks")
	code := 1
	stopRedis, err := startPrivateRedis()
	if err == nil {
		err = buildBinary(binary)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	} else {
		code = m.Run()
	}
	if stopRedis != nil {
		stopRedis()
	}
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// buildBinary builds ./cmd/speks of this module (found with `go env GOMOD`) into out.
func buildBinary(out string) error {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	build := exec.Command("go", "build", "-o", out, "./cmd/speks")
	build.Dir = root
	if output, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/speks: %w\n%s", err, output)
	}
	return nil
}

// skipShort marks every test of this package as a long one.
func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts several speks processes; skipped with -short")
	}
}

// platform is one test's deployment: a fresh migrated database and a flushed Redis database,
// with the environment every process of the test shares (as a ConfigMap would give it).
type platform struct {
	dbURL string
	env   []string
}

func newPlatform(t *testing.T) *platform {
	t.Helper()
	skipShort(t)
	flushRedis(t)
	p := &platform{dbURL: tenanttest.NewDatabase(t)}
	p.env = append(cleanEnviron(),
		"SPEKS_MODE=dev",
		"SPEKS_DATABASE_URL="+p.dbURL,
		"SPEKS_REDIS_URL="+redisURL,
		"SPEKS_LOG_LEVEL=info",
		"SPEKS_LOG_FORMAT=text",
		"SPEKS_HTTP_SHUTDOWN_TIMEOUT=2s",
	)
	p.cli(t, "migrate")
	return p
}

// cleanEnviron is the test's environment without SPEKS_* variables, so a developer's own
// configuration cannot leak into the processes.
func cleanEnviron() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SPEKS_") {
			env = append(env, kv)
		}
	}
	return env
}

// startPrivateRedis runs redis-server (installed by `make test`) on a free loopback port
// without persistence and waits until it answers.
func startPrivateRedis() (stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("find a free port for redis: %w", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	cmd := exec.Command("redis-server", "--port", fmt.Sprint(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start redis-server (make test installs it): %w", err)
	}
	stop = func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	redisAddr = fmt.Sprintf("127.0.0.1:%d", port)
	redisURL = fmt.Sprintf("redis://%s/%d", redisAddr, redisDB)
	if err := waitForRedis(redisAddr); err != nil {
		stop()
		return nil, err
	}
	return stop, nil
}

// waitForRedis waits up to 10 s for a just-started redis-server at addr to answer.
func waitForRedis(addr string) error {
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if err := rdb.Ping(context.Background()).Err(); err == nil {
			return nil
		} else if time.Now().After(deadline) {
			return fmt.Errorf("redis-server on %s did not answer: %w", addr, err)
		}
	}
}

func flushRedis(t *testing.T) {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr, DB: redisDB})
	defer rdb.Close()
	if err := rdb.FlushDB(context.Background()).Err(); err != nil {
		t.Fatalf("flush redis db %d (is Redis running?): %v", redisDB, err)
	}
}

// cli runs one speks command to completion and returns its standard output.
func (p *platform) cli(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(p.env, "SPEKS_HTTP_LISTEN=127.0.0.1:18999") // demo prints the port only
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("speks %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// proc is one long-running speks process in its own process group.
type proc struct {
	name   string
	cmd    *exec.Cmd
	output *apitest.Buffer
	exited chan struct{}
}

// start runs `speks args...` with extra environment; t.Cleanup kills its process group and,
// when the test failed, copies the end of its log into the test log.
func (p *platform) start(t *testing.T, name string, extraEnv []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(append([]string{}, p.env...), extraEnv...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pr := &proc{name: name, cmd: cmd, output: &apitest.Buffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = pr.output, pr.output
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { _ = cmd.Wait(); close(pr.exited) }()
	t.Cleanup(func() {
		pr.kill(t)
		if t.Failed() {
			t.Logf("--- log of %s (pid %d) ---\n%s", name, cmd.Process.Pid, pr.output.Tail(6000))
		}
	})
	return pr
}

// kill sends SIGKILL to the whole process group and waits for the process to be gone, so its
// sockets are closed by the kernel when kill returns.
func (pr *proc) kill(t *testing.T) {
	t.Helper()
	select {
	case <-pr.exited:
		return
	default:
	}
	if err := syscall.Kill(-pr.cmd.Process.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		t.Errorf("kill %s: %v", pr.name, err)
	}
	select {
	case <-pr.exited:
	case <-time.After(10 * time.Second):
		t.Errorf("%s did not exit within 10 s of SIGKILL", pr.name)
	}
}

// exitedEarly fails the test with the process's log when it is no longer running.
func (pr *proc) exitedEarly(t *testing.T) {
	t.Helper()
	select {
	case <-pr.exited:
		t.Fatalf("%s exited early: %v\n%s", pr.name, pr.cmd.ProcessState, pr.output.Tail(4000))
	default:
	}
}

// server is one `speks serve` replica.
type server struct {
	*proc
	base string // http://127.0.0.1:port
}

// serve starts a replica on a free port and waits until /readyz answers 200.
func (p *platform) serve(t *testing.T, name string) *server {
	t.Helper()
	port := freePort(t)
	pr := p.start(t, name, []string{"SPEKS_HTTP_LISTEN=127.0.0.1:" + port}, "serve")
	s := &server{proc: pr, base: "http://127.0.0.1:" + port}
	apitest.WaitWithin(t, 20*time.Second, name+" /readyz answers 200", func() bool {
		pr.exitedEarly(t)
		r, err := s.try(t, "GET", "platform.localhost", "/readyz", nil, nil, "")
		return err == nil && r.Status == http.StatusOK
	})
	return s
}

// freePort asks the kernel for a port that is free now; the replica binds it a moment later.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// call sends one request to the replica with the given Host header, failing the test when the
// replica cannot be reached.
func (s *server) call(t *testing.T, method, host, path string, body any, cookies []*http.Cookie, csrf string) apitest.Response {
	t.Helper()
	r, err := s.try(t, method, host, path, body, cookies, csrf)
	if err != nil {
		s.exitedEarly(t)
		t.Fatalf("%s %s %s on %s: %v", method, host, path, s.name, err)
	}
	return r
}

// try sends one JSON request with cookies (taken from an answer of any replica) and the
// CSRF token ("" = none).
func (s *server) try(t *testing.T, method, host, path string, body any, cookies []*http.Cookie, csrf string) (apitest.Response, error) {
	c := apitest.New(t, apitest.Remote{Base: s.base}, host)
	c.Header.Set("Accept", "application/json")
	c.CSRF = csrf
	var opts []apitest.Option
	for _, ck := range cookies {
		opts = append(opts, apitest.WithCookie(ck))
	}
	return c.Try(method, path, body, opts...)
}

// worker starts a `speks worker` whose mail goes to smtpURL from no-reply+<tag>@…, so the
// test SMTP server knows which worker sent each mail, and waits until Asynq lists it.
func (p *platform) worker(t *testing.T, tag, smtpURL string) *proc {
	t.Helper()
	return p.workerWith(t, tag, smtpURL, redisAddr)
}

// workerWith is worker on the Redis at addr (the platform's environment must name the same).
func (p *platform) workerWith(t *testing.T, tag, smtpURL, addr string) *proc {
	t.Helper()
	pr := p.start(t, "worker-"+tag, []string{
		"SPEKS_SMTP_URL=" + smtpURL,
		"SPEKS_MAIL_FROM=SPEKS Portal <" + fromAddress(tag) + ">",
	}, "worker", "--concurrency", "4")
	inspector := asynq.NewInspector(asynq.RedisClientOpt{Addr: addr, DB: redisDB})
	defer inspector.Close()
	apitest.WaitWithin(t, 20*time.Second, pr.name+" registered in Redis", func() bool {
		pr.exitedEarly(t)
		servers, err := inspector.Servers()
		if err != nil {
			return false
		}
		for _, s := range servers {
			if s.PID == pr.cmd.Process.Pid {
				return true
			}
		}
		return false
	})
	return pr
}

func fromAddress(tag string) string { return "no-reply+" + tag + "@speks.example.test" }
