package web_test

import (
	"net"
	"net/http"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"

	"github.com/speks-portal/speks/config"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/tenant"
)

// deadDatabase is a module whose one route queries a PostgreSQL that is not there: a port
// nobody listens on, or a server that hangs up on every connection (as one restarting does).
type deadDatabase struct{ refused, hangsUp *sqlx.DB }

func (d deadDatabase) Mount(app *fiber.App) {
	app.Get("/api/v1/dead/:how", func(c *fiber.Ctx) error { return d.query(c) })
	app.Get("/dead/:how", func(c *fiber.Ctx) error { return d.query(c) })
}

func (d deadDatabase) query(c *fiber.Ctx) error {
	db := d.refused
	if c.Params("how") == "hangs-up" {
		db = d.hangsUp
	}
	var one int
	return db.GetContext(c.UserContext(), &one, `SELECT 1`)
}

// hangUpServer accepts connections and closes them at once.
func hangUpServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			_ = conn.Close()
		}
	}()
	return ln.Addr().String()
}

// freeAddr is a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// While PostgreSQL is away the portal answers 503 with Retry-After and the bilingual "try
// again shortly" message, as JSON for the API and as a page for people, never 500
// internal_error; it says nothing of the database.
func TestDatabaseOutageIsServiceUnavailable(t *testing.T) {
	t.Parallel()
	open := func(addr string) *sqlx.DB {
		db, err := sqlx.Open("postgres", "postgres://postgres@"+addr+"/none?sslmode=disable&connect_timeout=2")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		return db
	}
	dead := deadDatabase{refused: open(freeAddr(t)), hangsUp: open(hangUpServer(t))}
	h := newHarness(t, func(_ *config.Config, o *web.Options) { o.Modules = []web.Module{dead} })
	h.tenant(t, "selangor", tenant.PayrollMatch, nil)
	for _, how := range []string{"refused", "hangs-up"} {
		r := h.get(t, "selangor.example.test", "/api/v1/dead/"+how+"?lang=en")
		wantStatus(t, r, http.StatusServiceUnavailable)
		if r.Header.Get("Retry-After") == "" || r.Code() != "service_unavailable" {
			t.Errorf("%s: Retry-After %q, code %q", how, r.Header.Get("Retry-After"), r.Code())
		}
		wantContains(t, r.Raw, "temporarily unavailable")
		wantNotContains(t, r.Raw, "127.0.0.1", "postgres", "connection")

		page := h.get(t, "selangor.example.test", "/dead/"+how+"?lang=ms", "Accept", "text/html")
		wantStatus(t, page, http.StatusServiceUnavailable)
		wantContains(t, page.Raw, "Perkhidmatan tidak tersedia buat sementara waktu")
	}
}
