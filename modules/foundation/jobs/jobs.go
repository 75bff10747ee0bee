// Package jobs is the platform's use of Asynq: every task payload names its tenant, and the
// worker middleware reopens that tenant's scope before a handler runs, so a job can only ever
// touch the tenant it was queued for.
package jobs

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hibiken/asynq"

	"github.com/speks-portal/speks/tenant"
)

// Envelope is the JSON payload of every tenant task.
type Envelope struct {
	Tenant string          `json:"tenant"`
	Data   json.RawMessage `json:"data"`
}

// NewTask wraps data for tenantCode into a task of kind.
func NewTask(kind, tenantCode string, data any, opts ...asynq.Option) (*asynq.Task, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("encode %s payload: %w", kind, err)
	}
	payload, err := json.Marshal(Envelope{Tenant: tenantCode, Data: raw})
	if err != nil {
		return nil, fmt.Errorf("encode %s envelope: %w", kind, err)
	}
	return asynq.NewTask(kind, payload, opts...), nil
}

// Decode reads a task's data (the tenant scope is already on ctx).
func Decode(t *asynq.Task, into any) error {
	var env Envelope
	if err := json.Unmarshal(t.Payload(), &env); err != nil {
		return fmt.Errorf("decode %s envelope: %w", t.Type(), err)
	}
	if err := json.Unmarshal(env.Data, into); err != nil {
		return fmt.Errorf("decode %s payload: %w", t.Type(), err)
	}
	return nil
}

// TenantScope is the worker middleware: it reads the envelope's tenant and opens its scope.
// A task naming no tenant, an unknown one or a suspended one is not retried.
func TenantScope(scoper *tenant.Scoper) asynq.MiddlewareFunc {
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			var env Envelope
			if err := json.Unmarshal(t.Payload(), &env); err != nil || env.Tenant == "" {
				return fmt.Errorf("task %s without a tenant: %w", t.Type(), asynq.SkipRetry)
			}
			ctx, _, err := scoper.ForCode(ctx, env.Tenant)
			if err != nil {
				return fmt.Errorf("task %s for tenant %s: %v: %w", t.Type(), env.Tenant, err, asynq.SkipRetry)
			}
			return next.ProcessTask(ctx, t)
		})
	}
}

// Queues and their weights: mail first (people wait for codes), then the rest.
var Queues = map[string]int{"critical": 6, "default": 3, "low": 1}
