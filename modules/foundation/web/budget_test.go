package web_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/config"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/tenant"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// oneQuery is a module whose route reads through the tenant's handle, as every module does.
type oneQuery struct{}

func (oneQuery) Mount(app *fiber.App) {
	app.Get("/api/v1/one", oneQuery{}.handle)
	app.Get("/one", oneQuery{}.handle)
}

func (oneQuery) handle(c *fiber.Ctx) error {
	sc, err := tenant.Require(c.UserContext())
	if err != nil {
		return err
	}
	var one int
	if err := sc.DB.GetContext(c.UserContext(), &one, `SELECT 1`); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"one": one})
}

// When other tenants hold every connection of the process's budget, a request waits
// database.acquire_timeout for one and is then answered 503 with Retry-After and the
// bilingual "try again shortly" message — never 500 — and is served again once a
// connection is free.
func TestFullConnectionBudgetIsServiceUnavailable(t *testing.T) {
	t.Parallel()
	env := tenanttest.NewWith(t, tenanttest.NewDatabase(t), tenant.PoolConfig{MaxConns: 2, AcquireTimeout: 300 * time.Millisecond})
	// The host table is read once; the test is about the tenants' statements.
	env.Resolver = tenant.NewResolver(env.Registry, ".localhost", time.Hour)
	env.Scoper.Resolver = env.Resolver
	h := newHarnessOn(t, env, func(_ *config.Config, o *web.Options) { o.Modules = []web.Module{oneQuery{}} })
	h.tenant(t, "selangor", tenant.PayrollMatch, nil)
	busy := h.env.Tenant(t, "melaka", tenant.AdminOnly)
	wantStatus(t, h.get(t, "selangor.example.test", "/api/v1/one"), http.StatusOK)

	ctx := context.Background()
	var held []*sqlx.Tx
	for range 2 { // Melaka's two open transactions hold the whole budget
		tx, err := env.DB(t, busy).BeginTxx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, tx)
	}
	if inUse := env.Databases.Stats().InUse; inUse != 2 {
		t.Fatalf("connections in use = %d, want the whole budget of 2", inUse)
	}
	r := h.get(t, "selangor.example.test", "/api/v1/one?lang=en")
	wantStatus(t, r, http.StatusServiceUnavailable)
	if r.Header.Get("Retry-After") != "5" || r.Code() != "service_unavailable" {
		t.Errorf("Retry-After %q, code %q", r.Header.Get("Retry-After"), r.Code())
	}
	wantContains(t, r.Raw, "temporarily unavailable")
	page := h.get(t, "selangor.example.test", "/one?lang=ms", "Accept", "text/html")
	wantStatus(t, page, http.StatusServiceUnavailable)
	wantContains(t, page.Raw, "Perkhidmatan tidak tersedia buat sementara waktu")

	for _, tx := range held {
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
	}
	wantStatus(t, h.get(t, "selangor.example.test", "/api/v1/one"), http.StatusOK)
}
