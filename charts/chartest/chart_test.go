package chartest

import (
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chartutil"
)

// The value sets every invariant is checked against. The base is the chart's own CI value
// set (platform host and Secret names only), so `helm lint` and this test agree on it.
func valueSets(t *testing.T) map[string]map[string]any {
	base := readValues(t, "ci/lint-values.yaml")
	return map[string]map[string]any{
		"defaults with required secret names": base,

		"ingress with TLS and a wildcard host": with(t, base, `
config:
  trustedProxies: [10.42.0.0/16, 192.0.2.10]
  mailFrom: "SPEKS Portal <no-reply@speks.example>"
ingress:
  className: nginx
  annotations:
    cert-manager.io/cluster-issuer: letsencrypt
  hosts:
    - espeks.pahang.example
    - "*.ispeks.example"
  tls:
    - secretName: ispeks-wildcard-tls
      hosts: ["*.ispeks.example", platform.speks.example]
    - secretName: espeks-pahang-tls
      hosts: [espeks.pahang.example]
`),

		"metrics and network policy enabled": with(t, base, `
metrics:
  serviceMonitor:
    enabled: true
    labels: {release: kube-prometheus-stack}
networkPolicy:
  enabled: true
  egress:
    - to:
        - ipBlock: {cidr: 10.20.0.0/16}
      ports:
        - {protocol: TCP, port: 5432}
        - {protocol: TCP, port: 6379}
        - {protocol: TCP, port: 587}
worker:
  autoscaling: {enabled: true}
serviceAccount:
  create: false
  name: speks-runtime
`),

		"fixed replicas, another metrics port, explicit grace periods": with(t, base, `
image:
  digest: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
config:
  shutdownTimeoutSeconds: 45
  extraEnv:
    SPEKS_PLATFORM_DEV_HOST_SUFFIX: ".invalid"
serve:
  replicas: 3
  autoscaling: {enabled: false}
  podDisruptionBudget: {minAvailable: "50%"}
  preStopSleepSeconds: 0
  terminationGracePeriodSeconds: 60
  topologySpread: {enabled: false}
worker:
  replicas: 1
  terminationGracePeriodSeconds: 50
metrics:
  port: 9102
  serviceMonitor: {enabled: true}
networkPolicy:
  enabled: true
ingress:
  enabled: false
`),
	}
}

func TestChartRendersAndKeepsItsInvariants(t *testing.T) {
	sets := valueSets(t)
	// The value sets helm lint uses (.ci/helm-lint.sh) must hold the invariants as well.
	ciFiles, err := filepath.Glob(filepath.Join(chartDir, "ci", "*.yaml"))
	if err != nil || len(ciFiles) == 0 {
		t.Fatalf("no value sets in %s/ci (%v)", chartDir, err)
	}
	for _, f := range ciFiles {
		rel, _ := filepath.Rel(chartDir, f)
		sets[rel] = readValues(t, rel)
	}
	for name, values := range sets {
		t.Run(name, func(t *testing.T) {
			r := mustRender(t, values)
			checkInvariants(t, r, values)
		})
	}
}

// The value sets must each show the feature they exist for, or the invariants above would
// pass vacuously.
func TestValueSetsExerciseOptionalResources(t *testing.T) {
	sets := valueSets(t)
	count := func(name, kind string) int { return len(mustRender(t, sets[name]).OfKind(kind)) }

	if n := count("defaults with required secret names", "HorizontalPodAutoscaler"); n != 1 {
		t.Errorf("defaults: %d HorizontalPodAutoscalers, want 1 (serve)", n)
	}
	if n := count("defaults with required secret names", "ServiceMonitor"); n != 0 {
		t.Errorf("defaults: %d ServiceMonitors, want 0 (optional, off by default)", n)
	}
	if n := count("metrics and network policy enabled", "ServiceMonitor"); n != 1 {
		t.Errorf("metrics: %d ServiceMonitors, want 1", n)
	}
	if n := count("metrics and network policy enabled", "NetworkPolicy"); n != 2 {
		t.Errorf("network policy: %d NetworkPolicies, want 2 (serve, background)", n)
	}
	if n := count("metrics and network policy enabled", "HorizontalPodAutoscaler"); n != 2 {
		t.Errorf("worker autoscaling: %d HorizontalPodAutoscalers, want 2", n)
	}
	if n := count("metrics and network policy enabled", "ServiceAccount"); n != 0 {
		t.Errorf("serviceAccount.create=false: %d ServiceAccounts rendered, want 0", n)
	}
	if n := count("fixed replicas, another metrics port, explicit grace periods", "Ingress"); n != 0 {
		t.Errorf("ingress.enabled=false: %d Ingresses rendered, want 0", n)
	}

	tls := mustRender(t, sets["ingress with TLS and a wildcard host"])
	ing := ingressOf(t, tls)
	if len(ing.Spec.TLS) != 2 || ing.Spec.IngressClassName == nil || *ing.Spec.IngressClassName != "nginx" {
		t.Errorf("ingress: tls %v, class %v; want 2 TLS entries and class nginx", ing.Spec.TLS, ing.Spec.IngressClassName)
	}
}

// Values the schema must refuse before any template runs.
func TestSchemaRejectsInvalidValues(t *testing.T) {
	base := readValues(t, "ci/lint-values.yaml")
	cases := map[string]struct {
		overlay string
		mention string // part of the schema's message: the offending key or value
	}{
		"unknown key (typo)":               {"serve: {replica: 3}", "replica"},
		"wrong type":                       {"serve: {replicas: two}", "replicas"},
		"log format outside the enum":      {"config: {logFormat: xml}", "logFormat"},
		"secret literal in values":         {"secrets: {database: {value: 'postgres://speks:hunter2@db/speks'}}", "value"},
		"secret through extraEnv":          {"config: {extraEnv: {SPEKS_DATABASE_URL: 'postgres://x'}}", "SPEKS_DATABASE_URL"},
		"chart-owned key through extraEnv": {"config: {extraEnv: {SPEKS_MODE: dev}}", "SPEKS_MODE"},
		"host with a scheme":               {"ingress: {hosts: ['https://espeks.pahang.example']}", "hosts"},
		"platform host with a port":        {"config: {platformHost: 'platform.speks.example:443'}", "platformHost"},
		"metrics on the web port number":   {"metrics: {port: 8080}", "port"},
		"metrics on the web port (0)":      {"metrics: {port: 0}", "port"},
		"no shutdown timeout":              {"config: {shutdownTimeoutSeconds: 0}", "shutdownTimeoutSeconds"},
		"trusted proxy that is a name":     {"config: {trustedProxies: [ingress-nginx]}", "trustedProxies"},
		"image digest that is not sha256":  {"image: {digest: latest}", "digest"},
		"bad pull policy":                  {"image: {pullPolicy: Sometimes}", "pullPolicy"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := render(t, with(t, base, tc.overlay))
			if err == nil {
				t.Fatalf("values accepted, want a schema error:\n%s", tc.overlay)
			}
			msg := err.Error()
			if !strings.Contains(msg, "values don't meet the specifications of the schema") || !strings.Contains(msg, tc.mention) {
				t.Fatalf("error does not come from the schema or does not name %q:\n%v", tc.mention, err)
			}
		})
	}
}

// Values the schema allows but the templates refuse: missing names and unsafe combinations.
func TestRenderRefusesIncompleteOrUnsafeValues(t *testing.T) {
	base := readValues(t, "ci/lint-values.yaml")
	cases := map[string]struct {
		overlay string
		mention string
	}{
		"no platform host":         {"config: {platformHost: ''}", "config.platformHost is required"},
		"no database secret name":  {"secrets: {database: {existingSecret: ''}}", "secrets.database.existingSecret is required"},
		"no redis secret name":     {"secrets: {redis: {existingSecret: ''}}", "secrets.redis.existingSecret is required"},
		"no smtp secret name":      {"secrets: {smtp: {existingSecret: ''}}", "secrets.smtp.existingSecret is required"},
		"no session secret name":   {"secrets: {session: {existingSecret: ''}}", "secrets.session.existingSecret is required"},
		"no decoy secret name":     {"secrets: {decoy: {existingSecret: ''}}", "secrets.decoy.existingSecret is required"},
		"grace shorter than drain": {"serve: {terminationGracePeriodSeconds: 25}", "terminationGracePeriodSeconds (25) must be larger"},
		"worker grace too short":   {"worker: {terminationGracePeriodSeconds: 20}", "terminationGracePeriodSeconds (20) must be larger"},
		"PDB blocking every drain": {"serve: {autoscaling: {enabled: false}, replicas: 1}", "minAvailable (1) must be below"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := render(t, with(t, base, tc.overlay))
			if err == nil || !strings.Contains(err.Error(), tc.mention) {
				t.Fatalf("want an error mentioning %q, got %v", tc.mention, err)
			}
		})
	}
}

// The chart's defaults alone do not render: an install without the Secret names fails
// instead of starting pods with empty credentials.
func TestDefaultsAloneDoNotRender(t *testing.T) {
	_, err := render(t, map[string]any{})
	if err == nil || !strings.Contains(err.Error(), "is required") {
		t.Fatalf("want a `required` error, got %v", err)
	}
}

// A change of configuration must change the pods' checksum annotation, so `helm upgrade`
// rolls them (environment from a ConfigMap is read only at container start).
func TestConfigChangeRollsPods(t *testing.T) {
	base := readValues(t, "ci/lint-values.yaml")
	a := deploymentOf(t, mustRender(t, base), "serve").Spec.Template.Annotations["checksum/config"]
	b := deploymentOf(t, mustRender(t, with(t, base, "config: {logLevel: debug}")), "serve").Spec.Template.Annotations["checksum/config"]
	if a == "" || a == b {
		t.Fatalf("checksum/config %q → %q: want a non-empty checksum that changes with the configuration", a, b)
	}
}

// The preStop sleep action needs Kubernetes 1.30; the chart must say so.
func TestKubeVersionConstraint(t *testing.T) {
	kv := loadChart(t).Metadata.KubeVersion
	if !chartutil.IsCompatibleRange(kv, "v1.30.0") || chartutil.IsCompatibleRange(kv, "v1.29.9") {
		t.Fatalf("kubeVersion %q: want >= 1.30 (preStop sleep action) and nothing older", kv)
	}
}
