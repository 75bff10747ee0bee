package retention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/speks-portal/speks/modules/foundation/jobs"
	"github.com/speks-portal/speks/modules/foundation/web/myt"
	"github.com/speks-portal/speks/tenant"
)

// Task kinds. The scheduler queues one TaskFanOut a night; its handler queues one TaskRun
// per active tenant, so each tenant's purge is its own job: retried alone, never delaying
// another tenant's, and spread over the workers.
const (
	TaskFanOut = "retention:fan_out"
	TaskRun    = "retention:run"
)

// Queue is where retention work waits: behind mail and user-facing jobs.
const Queue = "low"

// NightlySpec is when the scheduler queues the fan-out: 02:30 in Malaysia (UTC+8 all year,
// no daylight saving), written in UTC as the scheduler runs in UTC. The portal is quietest
// then, and the month's payroll feeds arrive in the day.
const NightlySpec = "30 18 * * *"

// NewFanOutTask is the periodic task the scheduler registers.
func NewFanOutTask() *asynq.Task {
	return asynq.NewTask(TaskFanOut, nil, asynq.Queue(Queue), asynq.MaxRetry(3))
}

// TenantLister lists tenants (tenant.Registry does).
type TenantLister interface {
	List(ctx context.Context) ([]*tenant.Tenant, error)
}

// Enqueuer queues tasks (asynq.Client does).
type Enqueuer interface {
	EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// FanOut handles TaskFanOut. It runs without a tenant scope (the task names no tenant).
type FanOut struct {
	Tenants TenantLister
	// Enqueuer queues the per-tenant tasks; when nil, a client on Redis is opened per run.
	Enqueuer Enqueuer
	Redis    asynq.RedisConnOpt
	// Queue for the per-tenant tasks; "" = Queue.
	Queue string
	Now   func() time.Time
}

// ProcessTask queues one TaskRun per active tenant, at most one per tenant and day.
func (f *FanOut) ProcessTask(ctx context.Context, _ *asynq.Task) error {
	enq := f.Enqueuer
	if enq == nil {
		client := asynq.NewClient(f.Redis)
		defer client.Close()
		enq = client
	}
	tenants, err := f.Tenants.List(ctx)
	if err != nil {
		return fmt.Errorf("retention fan-out: %w", err)
	}
	now := time.Now
	if f.Now != nil {
		now = f.Now
	}
	day := now().In(myt.Zone).Format(time.DateOnly)
	queue := f.Queue
	if queue == "" {
		queue = Queue
	}
	var errs []error
	for _, t := range tenants {
		if t.Status != tenant.StatusActive {
			continue
		}
		if err := enqueueRun(ctx, enq, t.Code, day, queue); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func enqueueRun(ctx context.Context, enq Enqueuer, code, day, queue string) error {
	task, err := jobs.NewTask(TaskRun, code, struct{}{})
	if err != nil {
		return err
	}
	// The task ID (kept a day after it ran) makes a second fan-out the same day a no-op.
	_, err = enq.EnqueueContext(ctx, task, asynq.Queue(queue), asynq.TaskID("retention:"+code+":"+day),
		asynq.Retention(24*time.Hour), asynq.MaxRetry(3), asynq.Timeout(2*time.Hour))
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("retention fan-out: queue %s: %w", code, err)
	}
	return nil
}

// RunHandler handles TaskRun in the scope the worker's tenant middleware opened; sweeps are
// the other modules' purges run with it (cmd/speks/sweeps.go).
func RunHandler(sweeps ...Sweep) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		scope, ok := tenant.FromContext(ctx)
		if !ok {
			return fmt.Errorf("%s without a tenant scope: %w", t.Type(), asynq.SkipRetry)
		}
		if _, err := Run(ctx, Options{Actor: "scheduler", Sweeps: sweeps}); err != nil {
			slog.ErrorContext(ctx, "retention run failed", "tenant", scope.Tenant.Code, "err", err)
			return err
		}
		return nil
	})
}
