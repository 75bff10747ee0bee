package main

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/speks-portal/speks/modules/web"
)

func newServeCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Serve the web pages and the JSON API for every tenant",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
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

			app := web.New(web.Options{
				Config:  rt.cfg,
				Scoper:  rt.scoper,
				Logger:  rt.log,
				Checks:  []web.Checker{postgresCheck{rt}, redisCheck{rdb}},
				Modules: rt.webModules(),
			})
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
}

// webModules lists the feature modules the server mounts, in order.
func (rt *runtime) webModules() []web.Module {
	return nil
}

type postgresCheck struct{ rt *runtime }

func (postgresCheck) Name() string { return "postgres" }
func (c postgresCheck) Check(ctx context.Context) error {
	return c.rt.dbs.Public().PingContext(ctx)
}

type redisCheck struct{ rdb *redis.Client }

func (redisCheck) Name() string                      { return "redis" }
func (c redisCheck) Check(ctx context.Context) error { return c.rdb.Ping(ctx).Err() }
