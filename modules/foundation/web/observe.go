package web

import (
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/speks-portal/speks/tenant"
)

// requestIDLocal is where the request-ID middleware keeps the ID (c.Locals).
const requestIDLocal = "requestid"

// Label values for requests that belong to no tenant. They are fixed words, never the
// Host header, so a scan of random hosts cannot blow up the metrics' cardinality.
const (
	labelPlatform  = "_platform"
	labelNoTenant  = "_none"
	labelUnmatched = "_unmatched"
)

// Metrics are the HTTP metrics of the shell, on a registry of their own (so tests can build
// many apps). Modules may register their own collectors on Registry.
type Metrics struct {
	Registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewMetrics builds the registry with the Go runtime and process collectors and the
// per-tenant request counter and latency histogram.
func NewMetrics() *Metrics {
	labels := []string{"tenant", "method", "route", "status"}
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "speks_http_requests_total",
			Help: "HTTP requests answered, by tenant code, method, route pattern and status.",
		}, labels),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "speks_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by tenant code, method, route pattern and status.",
			Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
		}, labels),
	}
	m.Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.duration,
	)
	return m
}

// Handler serves the registry in the Prometheus text format (for a separate listener).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

func (m *Metrics) observe(tenantCode, method, route string, status int, elapsed time.Duration) {
	code := strconv.Itoa(status)
	m.requests.WithLabelValues(tenantCode, method, route, code).Inc()
	m.duration.WithLabelValues(tenantCode, method, route, code).Observe(elapsed.Seconds())
}

// validRequestID limits a client-supplied X-Request-ID to a short token, so a proxy's ID is
// kept for tracing but nobody can write arbitrary text into the logs through it.
var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{8,64}$`)

func requestID() fiber.Handler {
	assign := requestid.New(requestid.Config{Generator: utils.UUIDv4, ContextKey: requestIDLocal})
	return func(c *fiber.Ctx) error {
		if id := c.Get(fiber.HeaderXRequestID); id != "" && !validRequestID.MatchString(id) {
			c.Request().Header.Del(fiber.HeaderXRequestID)
		}
		return assign(c)
	}
}

// icLike matches a 12-digit MyKad number, with or without dashes, anywhere in a path.
var icLike = regexp.MustCompile(`\d{6}-?\d{2}-?\d{4}`)

// redactPath drops what must never reach a log from a path: IC-number-like digit runs.
// Query strings never get here: c.Path() has none.
func redactPath(p string) string { return redactIC(p) }

// redactIC masks IC-number-like digit runs in any text bound for a log (paths, and error
// messages, which may quote a path or an ID).
func redactIC(s string) string { return icLike.ReplaceAllString(s, "[redacted]") }

// quietPaths are probed every few seconds by the orchestrator and Prometheus; logging and
// counting them would drown the requests people make.
var quietPaths = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// observe is the outermost handler after the request ID: it runs the chain, lets the error
// edge answer any error (so the status logged is the status sent), then writes one access
// log line and the metrics. Bodies and query strings are never logged.
func (s *shell) observe(c *fiber.Ctx) error {
	c.Locals(shellKey{}, s)
	s.markSecureCookies(c)
	start := time.Now()
	if err := c.Next(); err != nil {
		if herr := c.App().ErrorHandler(c, err); herr != nil {
			s.log.ErrorContext(c.UserContext(), "error handler failed", "err", herr)
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
	}
	s.secureTransport(c)
	if quietPaths[c.Path()] {
		return nil
	}
	elapsed := time.Since(start)
	status := c.Response().StatusCode()
	tenantCode, route := tenantLabel(c), routeLabel(c)
	s.metrics.observe(tenantCode, c.Method(), route, status, elapsed)
	s.log.LogAttrs(c.UserContext(), slog.LevelInfo, "request",
		slog.String("tenant", tenantCode),
		slog.String("request_id", requestIDOf(c)),
		slog.String("method", c.Method()),
		slog.String("path", redactPath(c.Path())),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
		slog.String("ip", c.IP()),
	)
	return nil
}

func tenantLabel(c *fiber.Ctx) string {
	if t := currentTenant(c); t != nil {
		return t.Code
	}
	if tenant.IsPlatform(c.UserContext()) {
		return labelPlatform
	}
	return labelNoTenant
}

// routeLabel is the pattern of the route that answered (/api/v1/payslips/:year/:month),
// never the raw path. A request only middleware saw (no route matched, or refused before a
// route ran, like an unknown host) ends on a middleware of "/" and is "_unmatched".
func routeLabel(c *fiber.Ctx) string {
	r := c.Route()
	if r == nil || (r.Path == "/" && c.Locals(homeRan{}) == nil) {
		return labelUnmatched
	}
	return r.Path
}
