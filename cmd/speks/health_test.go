package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/speks-portal/speks/modules/foundation/web/apitest"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// redisProxy forwards a loopback port to the local Redis until cut, so a test can take Redis
// away from a running process and give it back.
type redisProxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
	down  bool
}

func startRedisProxy(t *testing.T) *redisProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &redisProxy{ln: ln}
	t.Cleanup(func() { _ = ln.Close(); p.cut() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			down := p.down
			p.mu.Unlock()
			if down {
				_ = c.Close()
				continue
			}
			up, err := net.Dial("tcp", "127.0.0.1:6379")
			if err != nil {
				_ = c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); _ = up.Close() }()
			go func() { _, _ = io.Copy(c, up); _ = c.Close() }()
		}
	}()
	return p
}

func (p *redisProxy) url(db int) string { return fmt.Sprintf("redis://%s/%d", p.ln.Addr(), db) }

// cut drops every connection and refuses new ones, as a Redis outage does.
func (p *redisProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}

func probe(t *testing.T, addr, path string) (int, string) {
	t.Helper()
	res, err := http.Get("http://" + addr + path)
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// The worker and the scheduler answer the orchestrator's probes on health.listen: alive
// whatever happens to Redis, ready only while Redis answers (and, for the worker,
// PostgreSQL, which every job needs).
func TestWorkerAndSchedulerProbes(t *testing.T) {
	dbURL := tenanttest.NewDatabase(t)
	if _, _, err := runCLI(t, "migrate", "--database-url", dbURL); err != nil {
		t.Fatal(err)
	}
	for _, process := range []string{"worker", "scheduler"} {
		t.Run(process, func(t *testing.T) {
			proxy := startRedisProxy(t)
			addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
			t.Setenv("SPEKS_HEALTH_LISTEN", addr)
			t.Setenv("SPEKS_REDIS_URL", proxy.url(9))
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				root := newRootCommand()
				root.SetArgs([]string{process, "--database-url", dbURL})
				root.SetOut(io.Discard)
				root.SetErr(io.Discard)
				done <- root.ExecuteContext(ctx)
			}()
			t.Cleanup(func() { cancel(); <-done })

			apitest.WaitFor(t, process+" ready", func() bool {
				status, _ := probe(t, addr, "/readyz")
				return status == http.StatusOK
			})
			_, body := probe(t, addr, "/readyz")
			if !strings.Contains(body, `"redis":"ok"`) || (process == "worker") != strings.Contains(body, `"postgres":"ok"`) {
				t.Errorf("%s readiness: %s", process, body)
			}

			proxy.cut()
			apitest.WaitFor(t, process+" not ready without Redis", func() bool {
				status, _ := probe(t, addr, "/readyz")
				return status == http.StatusServiceUnavailable
			})
			if status, body := probe(t, addr, "/healthz"); status != http.StatusOK {
				t.Errorf("%s liveness without Redis: %d %s, want 200 (a restart does not bring Redis back)", process, status, body)
			}
			cancel()
			select {
			case err := <-done:
				done <- err // for the cleanup
			case <-time.After(30 * time.Second):
				t.Fatalf("%s did not stop", process)
			}
		})
	}
}
