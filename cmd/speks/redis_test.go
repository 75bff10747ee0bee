package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/speks-portal/speks/config"
)

// With redis.sentinel.* set, both Asynq and the readiness client reach the master that a real
// Sentinel names (a redis-server in sentinel mode watching the local Redis).
func TestRedisThroughSentinel(t *testing.T) {
	port := freePort(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "sentinel.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(
		"port %d\nbind 127.0.0.1\ndir %s\nsentinel monitor speksmaster 127.0.0.1 6379 1\n", port, dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sentinel := exec.CommandContext(ctx, "redis-server", conf, "--sentinel")
	if err := sentinel.Start(); err != nil {
		t.Fatalf("start redis-server --sentinel (make test installs Redis): %v", err)
	}
	t.Cleanup(func() { cancel(); _ = sentinel.Wait() })

	t.Setenv("SPEKS_REDIS_URL", "redis://127.0.0.1:1/3") // host unused under Sentinel; DB 3 kept
	t.Setenv("SPEKS_REDIS_SENTINEL_MASTER_NAME", "speksmaster")
	t.Setenv("SPEKS_REDIS_SENTINEL_ADDRS", fmt.Sprintf("127.0.0.1:%d", port))
	cfg, err := config.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	rt := &runtime{cfg: cfg}
	opt, err := rt.redisOpt()
	if err != nil {
		t.Fatal(err)
	}
	failover, ok := opt.(asynq.RedisFailoverClientOpt)
	if !ok || failover.MasterName != "speksmaster" || failover.DB != 3 {
		t.Fatalf("redisOpt = %#v, want a failover option for speksmaster, DB 3", opt)
	}
	client, err := rt.redisClient()
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err = client.Ping(context.Background()).Err()
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("ping through Sentinel: %v", err)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
