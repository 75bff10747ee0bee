package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/speks-portal/speks/modules/foundation/jobs"
	"github.com/speks-portal/speks/tenant"
)

// TenantLister lists the tenants whose outboxes the relay reads (*tenant.Registry).
type TenantLister interface {
	List(ctx context.Context) ([]*tenant.Tenant, error)
}

// Enqueuer puts tasks into Redis (*asynq.Client).
type Enqueuer interface {
	EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// Relay moves outbox rows of every active tenant into Asynq. One runs in every worker process;
// several at once are safe: rows are locked with SKIP LOCKED, and each row's task has a stable
// ID, so Redis refuses a second copy. When Redis is down, rows simply stay pending and leave
// when it is back; nothing is lost because nothing was ever only in Redis.
type Relay struct {
	Tenants   TenantLister
	Databases *tenant.Databases
	Client    Enqueuer
	Log       *slog.Logger

	// ListenURL, when set, is the database the relay LISTENs on: Enqueue's NOTIFY wakes it at
	// commit, so a mail leaves within a second; the poll only catches what a lost connection
	// missed. Empty: poll only.
	ListenURL string
	// Queue is the Asynq queue of mail tasks ("critical" unless set; tests use their own).
	Queue string
	// MaxRetry is the number of retries of a send (10 unless set; with RetryDelay ≈ 1.7 h).
	MaxRetry int
	// Interval between polls (5 s unless set); BatchSize rows per transaction (100 unless set).
	Interval  time.Duration
	BatchSize int
	// StaleAfter: a queued row untouched this long is re-enqueued under its stable task ID in
	// case Redis lost the task (15 min unless set); a task still in Redis makes this a no-op.
	StaleAfter time.Duration

	failing bool // the last pass failed; see report
}

// enqueueTimeout bounds one Redis call, so an unreachable Redis does not hold row locks long.
const enqueueTimeout = 5 * time.Second

// taskRetention keeps a finished task's ID reserved in Redis, so a row re-relayed after a lost
// commit is refused as a duplicate instead of being sent again.
const taskRetention = 24 * time.Hour

// TaskID is the stable Asynq task ID of an outbox row: the tenant's code, its creation time (a
// tenant offboarded and created again under the same code starts its ids from 1 again) and
// the row id.
func TaskID(t *tenant.Tenant, outboxID int64) string {
	return fmt.Sprintf("mail:%s:%d:%d", t.Code, t.CreatedAt.UnixMicro(), outboxID)
}

// Run relays until ctx ends: on every NOTIFY from Enqueue and every poll interval.
func (r *Relay) Run(ctx context.Context) {
	wake := make(chan string, 64)
	if r.ListenURL != "" {
		go r.listen(ctx, wake)
	}
	ticker := time.NewTicker(r.interval())
	defer ticker.Stop()
	known, err := r.sweep(ctx, nil, "")
	r.report(ctx, err)
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			known, err = r.sweep(ctx, known, "")
		case schema := <-wake:
			known, err = r.sweep(ctx, known, schema)
		}
		r.report(ctx, err)
	}
}

// RelayAll relays the pending rows of every active tenant once and returns how many rows it
// queued. A tenant whose outbox cannot be read does not hold up the others; an unreachable
// Redis ends the pass, since every other tenant would wait for it too (the rows stay pending).
func (r *Relay) RelayAll(ctx context.Context) (int, error) {
	tenants, err := r.activeTenants(ctx)
	if err != nil {
		return 0, err
	}
	return r.relayEach(ctx, tenants)
}

func (r *Relay) relayEach(ctx context.Context, tenants []*tenant.Tenant) (int, error) {
	total := 0
	var errs []error
	for _, t := range tenants {
		n, err := r.RelayTenant(ctx, t)
		total += n
		if err != nil {
			errs = append(errs, err)
			if errors.Is(err, errRedis) || ctx.Err() != nil {
				break
			}
		}
	}
	return total, errors.Join(errs...)
}

// errRedis marks a failure to hand a task to Redis.
var errRedis = errors.New("redis unavailable")

// RelayTenant relays the pending rows of one tenant, batch after batch.
func (r *Relay) RelayTenant(ctx context.Context, t *tenant.Tenant) (int, error) {
	db, err := r.Databases.Schema(t.Schema)
	if err != nil {
		return 0, err
	}
	total := 0
	for {
		tx, err := db.BeginTxx(ctx, nil)
		if err != nil {
			return total, fmt.Errorf("relay %s: begin: %w", t.Code, err)
		}
		n, more, err := r.relayBatch(ctx, tx, t)
		if err != nil && n == 0 {
			_ = tx.Rollback()
			return total, err
		}
		// Commit what reached Redis even when a later row of the batch did not.
		if cerr := tx.Commit(); cerr != nil {
			return total, errors.Join(err, fmt.Errorf("relay %s: commit: %w", t.Code, cerr))
		}
		total += n
		if err != nil || !more {
			return total, err
		}
	}
}

// relayBatch enqueues one batch of locked rows and marks those that reached Redis as queued.
func (r *Relay) relayBatch(ctx context.Context, tx *sqlx.Tx, t *tenant.Tenant) (int, bool, error) {
	ids, err := selectForRelay(ctx, tx, r.batchSize(), r.staleAfter())
	if err != nil {
		return 0, false, fmt.Errorf("relay %s: %w", t.Code, err)
	}
	if len(ids) == 0 {
		return 0, false, nil
	}
	var queued []int64
	var enqErr error
	for _, id := range ids {
		if enqErr = r.enqueue(ctx, t, id); enqErr != nil {
			break
		}
		queued = append(queued, id)
	}
	if len(queued) > 0 {
		if err := markQueued(ctx, tx, queued); err != nil {
			return 0, false, fmt.Errorf("relay %s: %w", t.Code, err)
		}
	}
	return len(queued), len(ids) == r.batchSize(), enqErr
}

func (r *Relay) enqueue(ctx context.Context, t *tenant.Tenant, id int64) error {
	task, err := jobs.NewTask(TaskSend, t.Code, sendPayload{OutboxID: id},
		asynq.TaskID(TaskID(t, id)), asynq.Queue(r.queue()), asynq.MaxRetry(r.maxRetry()),
		asynq.Timeout(sendTimeout), asynq.Retention(taskRetention))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, enqueueTimeout)
	defer cancel()
	_, err = r.Client.EnqueueContext(ctx, task)
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("relay %s: enqueue outbox row %d (redis.url): %w: %w", t.Code, id, errRedis, err)
	}
	return nil // a conflict means the task is already in Redis: the row is queued either way
}

// sweep relays one tenant (by schema, from a NOTIFY) or all of them; it returns the tenant
// list it used so a NOTIFY needs no registry query.
func (r *Relay) sweep(ctx context.Context, known []*tenant.Tenant, schema string) ([]*tenant.Tenant, error) {
	if schema != "" {
		for _, t := range known {
			if t.Schema == schema {
				_, err := r.RelayTenant(ctx, t)
				return known, err
			}
		}
	}
	tenants, err := r.activeTenants(ctx)
	if err != nil {
		return known, err
	}
	_, err = r.relayEach(ctx, tenants)
	return tenants, err
}

func (r *Relay) activeTenants(ctx context.Context) ([]*tenant.Tenant, error) {
	all, err := r.Tenants.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("relay: list tenants: %w", err)
	}
	active := all[:0]
	for _, t := range all {
		if t.Status == tenant.StatusActive {
			active = append(active, t)
		}
	}
	return active, nil
}

// report logs a failing relay once when it starts failing and once when it recovers, not on
// every poll of a Redis outage.
func (r *Relay) report(ctx context.Context, err error) {
	switch {
	case err != nil && !r.failing && ctx.Err() == nil:
		r.failing = true
		r.logger().WarnContext(ctx, "mail relay cannot queue mail; it stays in the outbox and is retried", "err", err)
	case err == nil && r.failing:
		r.failing = false
		r.logger().InfoContext(ctx, "mail relay recovered")
	}
}

// listen forwards Enqueue's NOTIFYs (the tenant's schema) to wake; a reconnection wakes a
// full sweep, since notifications sent meanwhile are lost.
func (r *Relay) listen(ctx context.Context, wake chan<- string) {
	l := pq.NewListener(r.ListenURL, 500*time.Millisecond, 30*time.Second, func(ev pq.ListenerEventType, err error) {
		if err != nil && ctx.Err() == nil {
			r.logger().WarnContext(ctx, "mail relay LISTEN connection", "event", ev, "err", err)
		}
	})
	defer l.Close()
	go func() {
		if err := l.Listen(notifyChannel); err != nil && ctx.Err() == nil {
			r.logger().WarnContext(ctx, "mail relay cannot LISTEN; polling only", "err", err)
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case n := <-l.Notify:
			schema := ""
			if n != nil {
				schema = n.Extra
			}
			select {
			case wake <- schema:
			default: // the relay is busy and has wakes queued; the next poll covers this one
			}
		}
	}
}

func (r *Relay) logger() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.Default()
}

func (r *Relay) queue() string {
	if r.Queue != "" {
		return r.Queue
	}
	return "critical"
}

func (r *Relay) maxRetry() int {
	if r.MaxRetry > 0 {
		return r.MaxRetry
	}
	return 10
}

func (r *Relay) interval() time.Duration {
	if r.Interval > 0 {
		return r.Interval
	}
	return 5 * time.Second
}

func (r *Relay) batchSize() int {
	if r.BatchSize > 0 {
		return r.BatchSize
	}
	return 100
}

func (r *Relay) staleAfter() time.Duration {
	if r.StaleAfter > 0 {
		return r.StaleAfter
	}
	return 15 * time.Minute
}
