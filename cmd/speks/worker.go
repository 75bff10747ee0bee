package main

import (
	"fmt"

	"github.com/hibiken/asynq"
	"github.com/spf13/cobra"

	"github.com/speks-portal/speks/modules/foundation/jobs"
	"github.com/speks-portal/speks/modules/foundation/notify"
	"github.com/speks-portal/speks/modules/retention"
)

func newWorkerCommand() *cobra.Command {
	var concurrency int
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run background jobs (email, notifications, retention, provisioning) from Redis",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rt, err := newRuntime(cmd)
			if err != nil {
				return err
			}
			defer rt.Close()
			redisOpt, err := rt.redisOpt()
			if err != nil {
				return err
			}
			srv := asynq.NewServer(redisOpt, asynq.Config{
				Concurrency:     concurrency,
				Queues:          jobs.Queues,
				Logger:          slogAsynqLogger{rt.log},
				ShutdownTimeout: rt.cfg.HTTP.ShutdownTimeout,
				RetryDelayFunc:  notify.RetryDelay,
			})
			mux := asynq.NewServeMux()
			mux.Use(jobs.TenantScope(rt.scoper))
			for kind, handler := range rt.jobHandlers() {
				mux.Handle(kind, handler)
			}
			handler, err := rt.withPlatformTasks(mux)
			if err != nil {
				return err
			}
			rdb, err := rt.redisClient()
			if err != nil {
				return err
			}
			defer rdb.Close()
			stopHealth, err := serveHealth(rt, postgresCheck{rt}, redisCheck{rdb: rdb})
			if err != nil {
				return err
			}
			defer stopHealth()
			relayDone, err := rt.startMailRelay(cmd.Context())
			if err != nil {
				return err
			}
			if err := srv.Start(handler); err != nil {
				return fmt.Errorf("start worker (redis.url): %w", err)
			}
			rt.log.Info("worker started", "concurrency", concurrency)
			<-cmd.Context().Done()
			srv.Shutdown()
			<-relayDone
			return nil
		},
	}
	cmd.Flags().IntVar(&concurrency, "concurrency", 10, "jobs processed at once")
	return cmd
}

// jobHandlers lists every task kind the worker processes, by module.
func (rt *runtime) jobHandlers() map[string]asynq.Handler {
	return map[string]asynq.Handler{
		notify.TaskSend:   rt.mailSender(),
		retention.TaskRun: retention.RunHandler(retentionSweeps()...),
	}
}
