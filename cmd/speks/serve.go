package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/speks-portal/speks/modules/feed"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/modules/platform"
)

func newServeCommand() *cobra.Command {
	var withPprof bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the web pages and the JSON API for every tenant",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if withPprof { // refused before anything connects
				cfg, err := loadConfig(cmd)
				if err != nil {
					return err
				}
				if cfg.Metrics.Listen == "" {
					return errors.New("--pprof needs metrics.listen: the profiles are served only on that private listener")
				}
			}
			rt, err := newRuntime(cmd)
			if err != nil {
				return err
			}
			defer rt.Close()
			rdb, err := rt.redisClient()
			if err != nil {
				return err
			}
			defer rdb.Close()

			metrics := web.NewMetrics()
			app, err := web.New(web.Options{
				Config:  rt.cfg,
				Scoper:  rt.scoper,
				Tenants: rt.registry,
				Logger:  rt.log,
				Metrics: metrics,
				Checks:  []web.Checker{postgresCheck{rt}, redisCheck{rdb: rdb, optional: true}},
				Modules: rt.webModules(),
			})
			if err != nil {
				return fmt.Errorf("build the web app: %w", err)
			}
			stopMetrics, err := serveMetrics(rt, metrics, withPprof)
			if err != nil {
				return err
			}
			defer stopMetrics()
			ln, err := net.Listen("tcp", rt.cfg.HTTP.Listen)
			if err != nil {
				return fmt.Errorf("listen on %s (http.listen): %w", rt.cfg.HTTP.Listen, err)
			}
			rt.log.Info("serving", "listen", rt.cfg.HTTP.Listen, "platform_host", rt.cfg.Platform.Host, "mode", rt.cfg.Mode)

			served := make(chan error, 1)
			go func() { served <- app.Listener(ln) }()
			select {
			case err := <-served:
				return err
			case <-cmd.Context().Done():
			}
			rt.log.Info("shutting down", "timeout", rt.cfg.HTTP.ShutdownTimeout)
			if err := app.ShutdownWithTimeout(rt.cfg.HTTP.ShutdownTimeout); err != nil && !errors.Is(err, context.DeadlineExceeded) {
				return fmt.Errorf("shutdown: %w", err)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&withPprof, "pprof", false, "serve /debug/pprof/ on the metrics listener (metrics.listen), never on the public one")
	return cmd
}

// webModules lists the feature modules the server mounts, in order.
func (rt *runtime) webModules() []web.Module {
	accounts := rt.accountModule()
	return []web.Module{
		accounts.SessionModule(), // first: authz and later routes need the session's Principal
		// The platform host's sessions (JANM admins), also before authz for the same reason.
		platform.NewSessions(rt.platformService()),
		rt.authzModule(),  // then: every route mounted after it is authorised (deny by default)
		accounts.Routes(), // login, recovery, profile… authorised like every other route
		rt.devMailModule(),
		platform.NewModule(rt.platformService()), // JANM's console (platform host only)
		feed.NewModule(rt.cfg.Feeds.MaxBodyBytes),
		rt.recordsModule(),
		rt.requestsModule(), // user-administration requests and the PTJ admin (after authz)
		rt.adminModule(),    // the IT officer's console and audit trail
	}
}

// serveMetrics serves /metrics on metrics.listen when it is set (web.New then leaves it off
// the public listener), with Go's profiler under /debug/pprof/ when withPprof; the returned
// func stops it.
func serveMetrics(rt *runtime, metrics *web.Metrics, withPprof bool) (func(), error) {
	if rt.cfg.Metrics.Listen == "" {
		return func() {}, nil
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics.Handler())
	if withPprof {
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	return serveSide(rt, rt.cfg.Metrics.Listen, "metrics.listen", mux)
}

type postgresCheck struct{ rt *runtime }

func (postgresCheck) Name() string { return "postgres" }
func (c postgresCheck) Check(ctx context.Context) error {
	return c.rt.dbs.Public().PingContext(ctx)
}

// redisCheck pings Redis. optional for serve, which stays ready without it (mail waits in the
// outbox, nothing else needs it); required for the worker and the scheduler, which are idle
// without it.
type redisCheck struct {
	rdb      redis.UniversalClient
	optional bool
}

func (redisCheck) Name() string                      { return "redis" }
func (c redisCheck) Check(ctx context.Context) error { return c.rdb.Ping(ctx).Err() }
func (c redisCheck) Optional() bool                  { return c.optional }
