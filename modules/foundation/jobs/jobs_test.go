package jobs_test

import (
	"context"
	"errors"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/speks-portal/speks/modules/foundation/jobs"
	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

type greeting struct {
	Text string `json:"text"`
}

// The worker middleware opens exactly the scope the envelope names, and refuses (without
// retrying) a task that names no tenant, an unknown one or a suspended one.
func TestTenantScopeOpensTheNamedTenantOnly(t *testing.T) {
	env := tenanttest.New(t, 2)
	env.Tenant(t, "alpha", tenant.PayrollMatch)
	env.Tenant(t, "beta", tenant.PayrollMatch)
	ctx := context.Background()

	var seenTenant, seenSchema, seenText string
	handler := jobs.TenantScope(env.Scoper)(asynq.HandlerFunc(func(ctx context.Context, task *asynq.Task) error {
		scope, ok := tenant.FromContext(ctx)
		if !ok {
			return errors.New("no scope")
		}
		var g greeting
		if err := jobs.Decode(task, &g); err != nil {
			return err
		}
		seenTenant, seenText = scope.Tenant.Code, g.Text
		return scope.DB.GetContext(ctx, &seenSchema, `SELECT current_schema()`)
	}))

	task, err := jobs.NewTask("test:greet", "beta", greeting{Text: "selamat pagi"})
	if err != nil {
		t.Fatal(err)
	}
	if err := handler.ProcessTask(ctx, task); err != nil {
		t.Fatal(err)
	}
	if seenTenant != "beta" || seenSchema != "tenant_beta" || seenText != "selamat pagi" {
		t.Fatalf("handler saw tenant %q schema %q text %q", seenTenant, seenSchema, seenText)
	}

	if err := env.Registry.SetStatus(ctx, "alpha", tenant.StatusSuspended, "test"); err != nil {
		t.Fatal(err)
	}
	env.Resolver.Invalidate()
	for name, payload := range map[string][]byte{
		"no tenant":        []byte(`{"data":{}}`),
		"not json":         []byte(`nonsense`),
		"unknown tenant":   []byte(`{"tenant":"gamma","data":{}}`),
		"suspended tenant": []byte(`{"tenant":"alpha","data":{}}`),
	} {
		err := handler.ProcessTask(ctx, asynq.NewTask("test:greet", payload))
		if !errors.Is(err, asynq.SkipRetry) {
			t.Errorf("%s: err = %v, want SkipRetry", name, err)
		}
	}
}
