package chartest

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// The database settings: each process's connection budget and acquire deadline reach every
// pod through the ConfigMap, the per-tenant pool sizes they replaced are gone, and a direct
// PostgreSQL URL (needed when database-url is PgBouncer) comes only from a Secret, to every
// pod including the migration hook, or not at all.
func TestDatabaseBudgetAndDirectURL(t *testing.T) {
	base := readValues(t, "ci/lint-values.yaml")
	plain := mustRender(t, base)
	cfg := configMapOf(t, plain)
	if cfg.Data["SPEKS_DATABASE_MAX_CONNS"] != "16" || cfg.Data["SPEKS_DATABASE_ACQUIRE_TIMEOUT"] != "2s" {
		t.Errorf("default budget: max_conns %q, acquire_timeout %q; want 16 and 2s",
			cfg.Data["SPEKS_DATABASE_MAX_CONNS"], cfg.Data["SPEKS_DATABASE_ACQUIRE_TIMEOUT"])
	}
	for _, gone := range []string{"SPEKS_DATABASE_MAX_OPEN_CONNS", "SPEKS_DATABASE_MAX_IDLE_CONNS"} {
		if _, ok := cfg.Data[gone]; ok {
			t.Errorf("ConfigMap still sets %s, which speks now refuses", gone)
		}
	}
	for _, pod := range pods(plain) {
		if e := envOf(pod.spec, "SPEKS_DATABASE_DIRECT_URL"); e != nil {
			t.Errorf("%s: SPEKS_DATABASE_DIRECT_URL set without secrets.databaseDirect: %+v", pod.name, e)
		}
	}

	pooled := mustRender(t, with(t, base, `
config:
  database: {maxConns: 8, acquireTimeout: 3s}
secrets:
  databaseDirect: {existingSecret: speks-postgres-direct, key: url}
`))
	cfg = configMapOf(t, pooled)
	if cfg.Data["SPEKS_DATABASE_MAX_CONNS"] != "8" || cfg.Data["SPEKS_DATABASE_ACQUIRE_TIMEOUT"] != "3s" {
		t.Errorf("budget: max_conns %q, acquire_timeout %q; want 8 and 3s",
			cfg.Data["SPEKS_DATABASE_MAX_CONNS"], cfg.Data["SPEKS_DATABASE_ACQUIRE_TIMEOUT"])
	}
	seen := map[string]bool{}
	for _, pod := range pods(pooled) {
		e := envOf(pod.spec, "SPEKS_DATABASE_DIRECT_URL")
		if e == nil || e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil ||
			e.ValueFrom.SecretKeyRef.Name != "speks-postgres-direct" || e.ValueFrom.SecretKeyRef.Key != "url" {
			t.Errorf("%s: SPEKS_DATABASE_DIRECT_URL = %+v, want the Secret speks-postgres-direct/url", pod.name, e)
		}
		seen[pod.name] = true
	}
	if len(seen) < 4 {
		t.Errorf("checked pods %v, want serve, worker, scheduler and the migration hook", seen)
	}

	for overlay, mention := range map[string]string{
		"config: {database: {maxOpenConns: 10}}":                                  "maxOpenConns",
		"config: {database: {maxConns: 0}}":                                       "maxConns",
		"config: {database: {acquireTimeout: soon}}":                              "acquireTimeout",
		"config: {extraEnv: {SPEKS_DATABASE_DIRECT_URL: 'postgres://db/speks'}}":  "SPEKS_DATABASE_DIRECT_URL",
		"config: {extraEnv: {SPEKS_DATABASE_MAX_CONNS: '100'}}":                   "SPEKS_DATABASE_MAX_CONNS",
		"secrets: {databaseDirect: {value: 'postgres://speks:hunter2@db/speks'}}": "value",
	} {
		_, err := render(t, with(t, base, overlay))
		if err == nil || !strings.Contains(err.Error(), mention) {
			t.Errorf("%s: render error %v, want one naming %s", overlay, err, mention)
		}
	}
}

func envOf(pod corev1.PodSpec, name string) *corev1.EnvVar {
	for _, c := range pod.Containers {
		for i := range c.Env {
			if c.Env[i].Name == name {
				return &c.Env[i]
			}
		}
	}
	return nil
}
