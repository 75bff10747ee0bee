package main

import (
	"fmt"
	"log/slog"

	"github.com/hibiken/asynq"
	"github.com/spf13/cobra"

	"github.com/speks-portal/speks/modules/retention"
)

func newSchedulerCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "scheduler",
		Short: "Queue the periodic jobs (run exactly one replica)",
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
			scheduler := asynq.NewScheduler(redisOpt, &asynq.SchedulerOpts{Logger: slogAsynqLogger{rt.log}})
			for _, p := range rt.periodicTasks() {
				if _, err := scheduler.Register(p.spec, p.task); err != nil {
					return fmt.Errorf("schedule %s: %w", p.task.Type(), err)
				}
			}
			rdb, err := rt.redisClient()
			if err != nil {
				return err
			}
			defer rdb.Close()
			stopHealth, err := serveHealth(rt, redisCheck{rdb: rdb})
			if err != nil {
				return err
			}
			defer stopHealth()
			if err := scheduler.Start(); err != nil {
				return fmt.Errorf("start scheduler (redis.url): %w", err)
			}
			rt.log.Info("scheduler started")
			<-cmd.Context().Done()
			scheduler.Shutdown()
			return nil
		},
	}
}

type periodicTask struct {
	spec string // cron, in the platform's time zone
	task *asynq.Task
}

// periodicTasks lists what the scheduler queues, by module.
func (rt *runtime) periodicTasks() []periodicTask {
	return []periodicTask{
		{spec: retention.NightlySpec, task: retention.NewFanOutTask()},
	}
}

// slogAsynqLogger lets Asynq log through the platform's structured logger.
type slogAsynqLogger struct{ log *slog.Logger }

func (l slogAsynqLogger) Debug(args ...any) { l.log.Debug(fmt.Sprint(args...)) }
func (l slogAsynqLogger) Info(args ...any)  { l.log.Info(fmt.Sprint(args...)) }
func (l slogAsynqLogger) Warn(args ...any)  { l.log.Warn(fmt.Sprint(args...)) }
func (l slogAsynqLogger) Error(args ...any) { l.log.Error(fmt.Sprint(args...)) }
func (l slogAsynqLogger) Fatal(args ...any) { l.log.Error(fmt.Sprint(args...)) }
