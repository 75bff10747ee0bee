package replicas_test

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
)

// privatePostgres is a PostgreSQL cluster of the test's own, in a temporary directory on a free
// port, so the test may restart it without disturbing the tests of other packages that share the
// machine's server. It uses the binaries of the server `make test` installs.
type privatePostgres struct {
	bin, dir, port string
}

// startPrivatePostgres initialises and starts a cluster (trust authentication, no fsync: the
// test restarts it cleanly and never needs its data after a crash).
func startPrivatePostgres(t *testing.T) *privatePostgres {
	t.Helper()
	bin, err := postgresBinaries()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "speks-pg-")
	if err != nil {
		t.Fatalf("temp dir: %v", err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	pg := &privatePostgres{bin: bin, dir: dir, port: freePort(t)}
	if err := pg.ownDirectory(); err != nil {
		t.Fatal(err)
	}
	pg.run(t, "initdb", "-D", pg.data(), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
	pg.start(t)
	t.Cleanup(func() { _ = pg.command("pg_ctl", "-D", pg.data(), "-m", "immediate", "-w", "stop").Run() })
	return pg
}

// URL is the address of database name on the cluster.
func (pg *privatePostgres) URL(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%s/%s?sslmode=disable", pg.port, name)
}

func (pg *privatePostgres) data() string { return filepath.Join(pg.dir, "data") }

func (pg *privatePostgres) start(t *testing.T) {
	t.Helper()
	pg.run(t, "pg_ctl", "-D", pg.data(), "-l", filepath.Join(pg.dir, "log"), "-w", "-t", "60", "-o",
		"-p "+pg.port+" -k "+pg.dir+" -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", "start")
}

// Restart stops the server the way an operator's restart does (fast: open connections are
// ended) and starts it again.
func (pg *privatePostgres) Restart(t *testing.T) {
	t.Helper()
	pg.run(t, "pg_ctl", "-D", pg.data(), "-m", "fast", "-w", "stop")
	pg.start(t)
}

// CreateDatabase creates database name and returns its URL.
func (pg *privatePostgres) CreateDatabase(t *testing.T, name string) string {
	t.Helper()
	db, err := sqlx.Open("postgres", pg.URL("postgres"))
	if err != nil {
		t.Fatalf("open private postgres: %v", err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	return pg.URL(name)
}

func (pg *privatePostgres) run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := pg.command(name, args...).CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(pg.dir, "log"))
		t.Fatalf("%s %s: %v\n%s\n%s", name, strings.Join(args, " "), err, out, log)
	}
}

// command runs a PostgreSQL binary as the postgres user when the test runs as root (initdb and
// the server refuse to run as root), as the current user otherwise.
func (pg *privatePostgres) command(name string, args ...string) *exec.Cmd {
	path := filepath.Join(pg.bin, name)
	if os.Geteuid() == 0 {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

// ownDirectory hands the cluster's directory to the postgres user when running as root.
func (pg *privatePostgres) ownDirectory() error {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("running as root needs the postgres user (installed with PostgreSQL): %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(pg.dir, uid, gid); err != nil {
		return fmt.Errorf("hand %s to postgres: %w", pg.dir, err)
	}
	return nil
}

// postgresBinaries finds the newest installed server's bin directory (Debian keeps them out of
// PATH, under /usr/lib/postgresql/<version>/bin).
func postgresBinaries() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) < versionOf(dirs[j]) })
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "pg_ctl")); err == nil {
			return dirs[i], nil
		}
	}
	if path, err := exec.LookPath("pg_ctl"); err == nil {
		return filepath.Dir(path), nil
	}
	return "", fmt.Errorf("no PostgreSQL server binaries (pg_ctl) found; `make test` installs them")
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// stoppableRedis is a redis-server of the test's own that the test stops and starts again on
// the same port. It keeps an append-only file, as a production Redis does, so what Asynq had
// queued survives the restart.
type stoppableRedis struct {
	dir, port string
	cmd       *exec.Cmd
}

func startStoppableRedis(t *testing.T) *stoppableRedis {
	t.Helper()
	r := &stoppableRedis{dir: t.TempDir(), port: freePort(t)}
	r.Start(t)
	t.Cleanup(func() { r.Stop(t) })
	return r
}

func (r *stoppableRedis) URL() string { return "redis://127.0.0.1:" + r.port + "/0" }

// Start runs redis-server and waits until it answers.
func (r *stoppableRedis) Start(t *testing.T) {
	t.Helper()
	r.cmd = exec.Command("redis-server", "--port", r.port, "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "yes", "--appendfsync", "always", "--dir", r.dir)
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	if err := waitForRedis("127.0.0.1:" + r.port); err != nil {
		t.Fatal(err)
	}
}

// Stop ends redis-server (SIGTERM: it writes its append-only file) and waits for it.
func (r *stoppableRedis) Stop(t *testing.T) {
	t.Helper()
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	_ = r.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = r.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = r.cmd.Process.Kill()
		<-done
	}
	r.cmd = nil
}
