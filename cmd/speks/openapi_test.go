package main

import (
	"log/slog"
	"os"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/speks-portal/speks/config"
	"github.com/speks-portal/speks/modules/foundation/web"
	"github.com/speks-portal/speks/tenant/tenanttest"
)

// docs/openapi.yaml must stay true: every operation it publishes is a route the server that
// `speks serve` builds has registered.
func TestEveryOpenAPIOperationIsARegisteredRoute(t *testing.T) {
	raw, err := os.ReadFile("../../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("docs/openapi.yaml: %v", err)
	}
	if len(doc.Paths) == 0 {
		t.Fatal("docs/openapi.yaml has no paths")
	}

	registered := registeredRoutes(t)
	for path, ops := range doc.Paths {
		sample := regexp.MustCompile(`\{[^}]+\}`).ReplaceAllString(path, "2026")
		for method := range ops {
			method = strings.ToUpper(method)
			if !matchesAny(registered[method], sample) {
				t.Errorf("docs/openapi.yaml publishes %s %s, but no route serves it", method, path)
			}
		}
	}
}

// registeredRoutes builds the app exactly as `speks serve` does and lists its routes by method.
func registeredRoutes(t *testing.T) map[string][]*regexp.Regexp {
	t.Helper()
	env := tenanttest.New(t, 2)
	cfg, err := config.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	rt := &runtime{cfg: cfg, log: slog.Default(), dbs: env.Databases, registry: env.Registry,
		resolver: env.Resolver, scoper: env.Scoper, provisioner: env.Provisioner}
	app, err := web.New(web.Options{Config: cfg, Scoper: rt.scoper, Tenants: rt.registry, Logger: rt.log, Modules: rt.webModules()})
	if err != nil {
		t.Fatal(err)
	}
	routes := map[string][]*regexp.Regexp{}
	for _, r := range app.GetRoutes(true) {
		routes[r.Method] = append(routes[r.Method], routePattern(r.Path))
	}
	return routes
}

// routePattern turns a Fiber path (/api/v1/payslips/:year/:month.pdf) into a regexp.
func routePattern(path string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for _, seg := range strings.Split(strings.TrimPrefix(path, "/"), "/") {
		b.WriteString("/")
		for _, part := range regexp.MustCompile(`:[A-Za-z_]+\??|\*|[^:*]+`).FindAllString(seg, -1) {
			switch {
			case part == "*":
				b.WriteString(".*")
			case strings.HasPrefix(part, ":"):
				b.WriteString("[^/.]+")
			default:
				b.WriteString(regexp.QuoteMeta(part))
			}
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

func matchesAny(patterns []*regexp.Regexp, path string) bool {
	for _, p := range patterns {
		if p.MatchString(path) {
			return true
		}
	}
	return false
}
