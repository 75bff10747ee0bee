package chartest

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
)

// subcommands are the `speks` subcommands the chart may run, by workload. That each is a real
// subcommand (and each flag a real flag) is checked in the main module against the cobra tree:
// cmd/speks/dockerfile_test.go.
var subcommands = map[string]string{
	"serve":     "serve",
	"worker":    "worker",
	"scheduler": "scheduler",
	"migrate":   "migrate",
}

// secretEnv are the configuration keys that hold secrets: they may only come from a Secret.
var secretEnv = []string{"SPEKS_DATABASE_URL", "SPEKS_REDIS_URL", "SPEKS_SMTP_URL", "SPEKS_SECRETS_SESSION", "SPEKS_SECRETS_DECOY"}

// credentialURL matches a URL with a password in it, the shape every secret of the platform
// but the two random secrets has.
var credentialURL = regexp.MustCompile(`(?i)\b(postgres(ql)?|rediss?|redis-sentinel|smtps?)://`)

func checkInvariants(t *testing.T, r *rendered, values map[string]any) {
	t.Helper()
	checkNames(t, r)
	cfg := configMapOf(t, r)
	shutdown := shutdownTimeout(t, cfg)

	checkServe(t, r, shutdown)
	checkWorker(t, r, shutdown)
	checkScheduler(t, r)
	checkMigrationHook(t, r, cfg)
	for _, pod := range pods(r) {
		checkPodSecurity(t, pod.name, pod.spec)
		checkArgs(t, pod.name, pod.spec)
		checkSecretRefs(t, pod.name, pod.spec)
		checkMemoryLimit(t, pod.name, pod.spec)
	}
	checkNoSecretLiteral(t, r, cfg)
	checkService(t, r)
	checkIngress(t, r, values)
	checkServiceMonitor(t, r)
	checkNetworkPolicies(t, r)
	checkAutoscalers(t, r)
	checkDisruptionBudget(t, r)
	if !strings.Contains(r.Notes, "kubectl") {
		t.Errorf("NOTES.txt did not render its instructions:\n%s", r.Notes)
	}
}

// Names and labels must be valid, or the API server refuses the release.
func checkNames(t *testing.T, r *rendered) {
	seen := map[string]bool{}
	for _, m := range r.All {
		name := m.Obj.GetName()
		if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
			t.Errorf("%s %q: invalid name: %v", m.GVK.Kind, name, errs)
		}
		key := m.GVK.Kind + "/" + name
		if seen[key] {
			t.Errorf("%s rendered twice", key)
		}
		seen[key] = true
		for k, v := range m.Obj.GetLabels() {
			if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
				t.Errorf("%s label %s=%q: %v", key, k, v, errs)
			}
		}
	}
}

func configMapOf(t *testing.T, r *rendered) *corev1.ConfigMap {
	t.Helper()
	cms := r.OfKind("ConfigMap")
	if len(cms) != 1 {
		t.Fatalf("%d ConfigMaps rendered, want 1", len(cms))
	}
	cm := cms[0].(*corev1.ConfigMap)
	if cm.Data["SPEKS_MODE"] != "production" {
		t.Errorf("ConfigMap SPEKS_MODE = %q, want production", cm.Data["SPEKS_MODE"])
	}
	if cm.Data["SPEKS_PLATFORM_HOST"] == "" {
		t.Error("ConfigMap has no SPEKS_PLATFORM_HOST")
	}
	return cm
}

func shutdownTimeout(t *testing.T, cm *corev1.ConfigMap) time.Duration {
	t.Helper()
	d, err := time.ParseDuration(cm.Data["SPEKS_HTTP_SHUTDOWN_TIMEOUT"])
	if err != nil || d <= 0 {
		t.Fatalf("SPEKS_HTTP_SHUTDOWN_TIMEOUT %q is not a positive duration: %v", cm.Data["SPEKS_HTTP_SHUTDOWN_TIMEOUT"], err)
	}
	return d
}

func deploymentOf(t *testing.T, r *rendered, component string) *appsv1.Deployment {
	t.Helper()
	obj := r.Get("Deployment", releaseName+"-"+component)
	if obj == nil {
		t.Fatalf("no Deployment %s-%s rendered", releaseName, component)
	}
	d := obj.(*appsv1.Deployment)
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil || sel.Empty() || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
		t.Fatalf("Deployment %s: selector %v does not select its own pods %v (%v)", d.Name, d.Spec.Selector, d.Spec.Template.Labels, err)
	}
	if len(d.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("Deployment %s: %d containers, want 1", d.Name, len(d.Spec.Template.Spec.Containers))
	}
	return d
}

func checkServe(t *testing.T, r *rendered, shutdown time.Duration) {
	d := deploymentOf(t, r, "serve")
	pod := d.Spec.Template.Spec
	c := pod.Containers[0]

	if port := containerPort(c, "http"); port != 8080 {
		t.Errorf("serve: container port http = %d, want 8080 (http.listen)", port)
	}
	// serve refuses to start in production without metrics.listen, and never answers /metrics
	// on the web port there: the chart always gives it a port of its own.
	metrics := containerPort(c, "metrics")
	if listen := configMapOf(t, r).Data["SPEKS_METRICS_LISTEN"]; metrics == 0 || metrics == 8080 || listen != fmt.Sprintf(":%d", metrics) {
		t.Errorf("serve: metrics container port %d, SPEKS_METRICS_LISTEN %q; want a port of its own, the same in both", metrics, listen)
	}
	checkHTTPProbe(t, "serve readiness", c.ReadinessProbe, "/readyz")
	checkHTTPProbe(t, "serve liveness", c.LivenessProbe, "/healthz")

	drain := time.Duration(0)
	if c.Lifecycle != nil && c.Lifecycle.PreStop != nil {
		if c.Lifecycle.PreStop.Sleep == nil || c.Lifecycle.PreStop.Exec != nil {
			t.Errorf("serve: preStop must be the sleep action (the image has no shell): %+v", c.Lifecycle.PreStop)
		} else {
			drain = time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
		}
	}
	checkGrace(t, "serve", pod.TerminationGracePeriodSeconds, shutdown+drain)

	if d.Spec.Strategy.Type != appsv1.RollingUpdateDeploymentStrategyType || d.Spec.Strategy.RollingUpdate == nil ||
		d.Spec.Strategy.RollingUpdate.MaxUnavailable == nil || d.Spec.Strategy.RollingUpdate.MaxUnavailable.IntValue() != 0 {
		t.Errorf("serve: want a rolling update that never drops below capacity (maxUnavailable 0), got %+v", d.Spec.Strategy)
	}
	spread := len(pod.TopologySpreadConstraints) > 0
	antiAffinity := pod.Affinity != nil && pod.Affinity.PodAntiAffinity != nil
	if !spread && !antiAffinity {
		t.Error("serve: neither topology spread nor pod anti-affinity: all replicas may land on one node")
	}
	for _, tsc := range pod.TopologySpreadConstraints {
		sel, err := metav1.LabelSelectorAsSelector(tsc.LabelSelector)
		if err != nil || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			t.Errorf("serve: topology spread on %s does not select the serve pods", tsc.TopologyKey)
		}
	}
}

func checkWorker(t *testing.T, r *rendered, shutdown time.Duration) {
	d := deploymentOf(t, r, "worker")
	checkGrace(t, "worker", d.Spec.Template.Spec.TerminationGracePeriodSeconds, shutdown)
	if args := d.Spec.Template.Spec.Containers[0].Args; !slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--concurrency=") }) {
		t.Errorf("worker: args %q do not set --concurrency", args)
	}
}

func checkScheduler(t *testing.T, r *rendered) {
	d := deploymentOf(t, r, "scheduler")
	if d.Spec.Replicas == nil {
		t.Error("scheduler: replicas unset, want exactly 1 stated")
	} else if *d.Spec.Replicas != 1 {
		t.Errorf("scheduler: replicas %d, want exactly 1", *d.Spec.Replicas)
	}
	if d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
		t.Errorf("scheduler: strategy %q, want Recreate so two schedulers never overlap", d.Spec.Strategy.Type)
	}
	for _, obj := range r.OfKind("HorizontalPodAutoscaler") {
		if hpa := obj.(*autoscalingv2.HorizontalPodAutoscaler); hpa.Spec.ScaleTargetRef.Name == d.Name {
			t.Errorf("scheduler is scaled by HorizontalPodAutoscaler %s", hpa.Name)
		}
	}
}

// The migration Job is a pre-install/pre-upgrade hook and has all its configuration inline:
// hooks run before the release's ConfigMap exists.
func checkMigrationHook(t *testing.T, r *rendered, cfg *corev1.ConfigMap) {
	jobs := r.OfKind("Job")
	if len(jobs) != 1 {
		t.Fatalf("%d Jobs rendered, want 1 (migrate)", len(jobs))
	}
	job := jobs[0].(*batchv1.Job)
	ann := job.Annotations
	if hooks := strings.Split(ann["helm.sh/hook"], ","); !slices.Contains(hooks, "pre-install") || !slices.Contains(hooks, "pre-upgrade") {
		t.Errorf("migrate Job: helm.sh/hook = %q, want pre-install,pre-upgrade", ann["helm.sh/hook"])
	}
	if !slices.Contains(strings.Split(ann["helm.sh/hook-delete-policy"], ","), "before-hook-creation") {
		t.Errorf("migrate Job: helm.sh/hook-delete-policy = %q, want before-hook-creation", ann["helm.sh/hook-delete-policy"])
	}
	pod := job.Spec.Template.Spec
	if pod.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("migrate Job: restartPolicy %q, want Never", pod.RestartPolicy)
	}
	if len(pod.Containers) != 1 || !slices.Equal(pod.Containers[0].Args, []string{"migrate"}) {
		t.Fatalf("migrate Job: want one container running [migrate], got %+v", pod.Containers)
	}
	c := pod.Containers[0]
	if len(c.EnvFrom) > 0 {
		t.Errorf("migrate Job: envFrom %+v; a hook must not depend on non-hook resources", c.EnvFrom)
	}
	inline := map[string]string{}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			inline[e.Name] = e.Value
		}
	}
	for k, v := range cfg.Data {
		if got, ok := inline[k]; !ok || got != v {
			t.Errorf("migrate Job: %s = %q inline, ConfigMap has %q: the hook must run with the same configuration", k, got, v)
		}
	}
	for _, obj := range r.All {
		if _, isHook := obj.Obj.GetAnnotations()["helm.sh/hook"]; isHook && obj.GVK.Kind != "Job" {
			t.Errorf("%s %s is a hook; only the migration Job should be", obj.GVK.Kind, obj.Obj.GetName())
		}
	}
	if pod.ServiceAccountName != "default" && r.Get("ServiceAccount", pod.ServiceAccountName) != nil {
		t.Errorf("migrate Job runs as ServiceAccount %s, which the release itself creates after the hook", pod.ServiceAccountName)
	}
}

func checkHTTPProbe(t *testing.T, what string, p *corev1.Probe, path string) {
	if p == nil || p.HTTPGet == nil {
		t.Errorf("%s: want an HTTP probe on %s, got %+v", what, path, p)
		return
	}
	if p.HTTPGet.Path != path || p.HTTPGet.Port.String() != "http" {
		t.Errorf("%s: probe %s on port %s, want %s on port http", what, p.HTTPGet.Path, p.HTTPGet.Port.String(), path)
	}
}

func checkGrace(t *testing.T, what string, grace *int64, mustExceed time.Duration) {
	if grace == nil || time.Duration(*grace)*time.Second <= mustExceed {
		t.Errorf("%s: terminationGracePeriodSeconds %v must be longer than %v (shutdown timeout + drain)", what, deref(grace), mustExceed)
	}
}

func deref(p *int64) any {
	if p == nil {
		return "unset (30s default)"
	}
	return *p
}

func containerPort(c corev1.Container, name string) int32 {
	for _, p := range c.Ports {
		if p.Name == name {
			return p.ContainerPort
		}
	}
	return 0
}

type podOf struct {
	name string
	spec corev1.PodSpec
}

// pods lists every pod template the chart renders: Deployments and the Job.
func pods(r *rendered) []podOf {
	var out []podOf
	for _, obj := range r.OfKind("Deployment") {
		d := obj.(*appsv1.Deployment)
		out = append(out, podOf{"Deployment " + d.Name, d.Spec.Template.Spec})
	}
	for _, obj := range r.OfKind("Job") {
		j := obj.(*batchv1.Job)
		out = append(out, podOf{"Job " + j.Name, j.Spec.Template.Spec})
	}
	return out
}

func checkPodSecurity(t *testing.T, name string, pod corev1.PodSpec) {
	psc := pod.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		t.Errorf("%s: pod securityContext must run as a non-root UID: %+v", name, psc)
	}
	if psc == nil || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: pod seccomp profile must be RuntimeDefault", name)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Errorf("%s: the pods call no Kubernetes API; automountServiceAccountToken must be false", name)
	}
	if pod.HostNetwork || pod.HostPID || pod.HostIPC {
		t.Errorf("%s: uses a host namespace", name)
	}
	tmp := false
	for _, v := range pod.Volumes {
		if v.HostPath != nil {
			t.Errorf("%s: hostPath volume %s", name, v.Name)
		}
		if v.Name == "tmp" && v.EmptyDir != nil {
			tmp = true
		}
	}
	for _, c := range append(slices.Clone(pod.InitContainers), pod.Containers...) {
		checkContainerSecurity(t, name+" container "+c.Name, c, tmp)
	}
}

func checkContainerSecurity(t *testing.T, name string, c corev1.Container, tmpVolume bool) {
	sc := c.SecurityContext
	if sc == nil {
		t.Errorf("%s: no securityContext", name)
		return
	}
	isTrue := func(b *bool) bool { return b != nil && *b }
	if !isTrue(sc.RunAsNonRoot) {
		t.Errorf("%s: runAsNonRoot must be true", name)
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("%s: allowPrivilegeEscalation must be false", name)
	}
	if !isTrue(sc.ReadOnlyRootFilesystem) {
		t.Errorf("%s: readOnlyRootFilesystem must be true", name)
	}
	if isTrue(sc.Privileged) {
		t.Errorf("%s: privileged", name)
	}
	if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
		t.Errorf("%s: capabilities must drop ALL and add none: %+v", name, sc.Capabilities)
	}
	if sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: seccomp profile must be RuntimeDefault", name)
	}
	mounted := slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.Name == "tmp" && m.MountPath == "/tmp" })
	if !tmpVolume || !mounted {
		t.Errorf("%s: a writable emptyDir must be mounted on /tmp (the root filesystem is read-only)", name)
	}
	req, lim := c.Resources.Requests, c.Resources.Limits
	if req.Cpu().IsZero() || req.Memory().IsZero() || lim.Memory().IsZero() {
		t.Errorf("%s: want cpu and memory requests and a memory limit, got %+v", name, c.Resources)
	}
	if !strings.Contains(c.Image, "/speks") {
		t.Errorf("%s: image %q is not the speks image", name, c.Image)
	}
}

// checkArgs: every container runs a known subcommand, the one of its workload, then flags only.
func checkArgs(t *testing.T, name string, pod corev1.PodSpec) {
	for _, c := range pod.Containers {
		if len(c.Command) > 0 {
			t.Errorf("%s: command %q overrides the image's ENTRYPOINT /speks", name, c.Command)
		}
		if len(c.Args) == 0 {
			t.Errorf("%s: no args: the image's default CMD would run", name)
			continue
		}
		want, known := subcommands[c.Name]
		if !known || c.Args[0] != want {
			t.Errorf("%s: container %s runs %q, want the subcommand %q", name, c.Name, c.Args[0], want)
		}
		for _, a := range c.Args[1:] {
			if !strings.HasPrefix(a, "--") || !strings.Contains(a, "=") {
				t.Errorf("%s: argument %q is not a --flag=value", name, a)
			}
		}
	}
}

// checkSecretRefs: every secret key comes from a named Secret, never a literal.
func checkSecretRefs(t *testing.T, name string, pod corev1.PodSpec) {
	for _, c := range pod.Containers {
		env := map[string]corev1.EnvVar{}
		for _, e := range c.Env {
			env[e.Name] = e
		}
		for _, key := range secretEnv {
			e, ok := env[key]
			switch {
			case !ok:
				t.Errorf("%s: %s is not set; in production the configuration refuses to start without it", name, key)
			case e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil:
				t.Errorf("%s: %s must come from a secretKeyRef, got %+v", name, key, e)
			case e.ValueFrom.SecretKeyRef.Name == "" || e.ValueFrom.SecretKeyRef.Key == "":
				t.Errorf("%s: %s references a Secret without name or key", name, key)
			}
		}
	}
}

// checkNoSecretLiteral: no Secret object, no secret key outside a secretKeyRef, no URL with
// credentials anywhere in the rendered text.
func checkNoSecretLiteral(t *testing.T, r *rendered, cfg *corev1.ConfigMap) {
	for _, m := range r.All {
		if m.GVK.Kind == "Secret" {
			t.Errorf("the chart renders Secret %s; secrets are created outside the chart", m.Obj.GetName())
		}
		if credentialURL.MatchString(m.Raw) {
			t.Errorf("%s %s contains a connection URL: %s", m.GVK.Kind, m.Obj.GetName(), credentialURL.FindString(m.Raw))
		}
		if strings.Contains(m.Raw, "dev-only-") {
			t.Errorf("%s %s contains the development secrets", m.GVK.Kind, m.Obj.GetName())
		}
	}
	for _, key := range secretEnv {
		if _, ok := cfg.Data[key]; ok {
			t.Errorf("ConfigMap holds %s", key)
		}
	}
}

func serviceOf(t *testing.T, r *rendered) *corev1.Service {
	t.Helper()
	obj := r.Get("Service", releaseName)
	if obj == nil {
		t.Fatalf("no Service %s rendered", releaseName)
	}
	return obj.(*corev1.Service)
}

// checkService: the Service selects exactly the serve pods, and every named target port
// exists on them.
func checkService(t *testing.T, r *rendered) {
	svc := serviceOf(t, r)
	sel := labels.SelectorFromSet(svc.Spec.Selector)
	for _, obj := range r.OfKind("Deployment") {
		d := obj.(*appsv1.Deployment)
		selected := sel.Matches(labels.Set(d.Spec.Template.Labels))
		if selected != (d.Name == releaseName+"-serve") {
			t.Errorf("Service %s selects Deployment %s: %v", svc.Name, d.Name, selected)
		}
	}
	c := deploymentOf(t, r, "serve").Spec.Template.Spec.Containers[0]
	for _, p := range svc.Spec.Ports {
		if containerPort(c, p.TargetPort.String()) == 0 {
			t.Errorf("Service port %s targets %s, which the serve container does not expose", p.Name, p.TargetPort.String())
		}
	}
}

func servicePortNames(svc *corev1.Service) []string {
	var names []string
	for _, p := range svc.Spec.Ports {
		names = append(names, p.Name)
	}
	return names
}

func ingressOf(t *testing.T, r *rendered) *networkingv1.Ingress {
	t.Helper()
	obj := r.Get("Ingress", releaseName)
	if obj == nil {
		t.Fatalf("no Ingress %s rendered", releaseName)
	}
	return obj.(*networkingv1.Ingress)
}

// checkIngress: the platform host and every tenant host are routed to the Service's http
// port, and each TLS host is one of them.
func checkIngress(t *testing.T, r *rendered, values map[string]any) {
	if len(r.OfKind("Ingress")) == 0 {
		return
	}
	ing := ingressOf(t, r)
	svc := serviceOf(t, r)
	routed := map[string]bool{}
	for _, rule := range ing.Spec.Rules {
		routed[rule.Host] = true
		if rule.HTTP == nil || len(rule.HTTP.Paths) == 0 {
			t.Errorf("Ingress rule %s has no paths", rule.Host)
			continue
		}
		for _, p := range rule.HTTP.Paths {
			b := p.Backend.Service
			if b == nil || b.Name != svc.Name || !slices.Contains(servicePortNames(svc), b.Port.Name) || b.Port.Name != "http" {
				t.Errorf("Ingress %s%s does not go to Service %s port http: %+v", rule.Host, p.Path, svc.Name, b)
			}
		}
	}
	want := []string{fmt.Sprint(valueAt(values, "config", "platformHost"))}
	if hosts, ok := valueAt(values, "ingress", "hosts").([]any); ok {
		for _, h := range hosts {
			want = append(want, fmt.Sprint(h))
		}
	}
	for _, h := range want {
		if !routed[h] {
			t.Errorf("Ingress does not route host %s (routes %v)", h, ing.Spec.Rules)
		}
	}
	if len(ing.Spec.Rules) != len(routed) {
		t.Errorf("Ingress routes a host twice: %v", ing.Spec.Rules)
	}
	for _, tls := range ing.Spec.TLS {
		if tls.SecretName == "" {
			t.Errorf("Ingress TLS entry %v has no secretName", tls.Hosts)
		}
		for _, h := range tls.Hosts {
			if !routed[h] {
				t.Errorf("Ingress TLS host %s is not routed", h)
			}
		}
	}
}

func valueAt(values map[string]any, path ...string) any {
	var cur any = values
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}

// checkServiceMonitor: scrapes /metrics on a port the Service has, selecting that Service.
func checkServiceMonitor(t *testing.T, r *rendered) {
	svc := serviceOf(t, r)
	for _, obj := range r.OfKind("ServiceMonitor") {
		sm := obj.(*monitoringv1.ServiceMonitor)
		sel, err := metav1.LabelSelectorAsSelector(&sm.Spec.Selector)
		if err != nil || sel.Empty() || !sel.Matches(labels.Set(svc.Labels)) {
			t.Errorf("ServiceMonitor %s does not select Service %s", sm.Name, svc.Name)
		}
		if len(sm.Spec.Endpoints) != 1 {
			t.Fatalf("ServiceMonitor %s: %d endpoints, want 1", sm.Name, len(sm.Spec.Endpoints))
		}
		ep := sm.Spec.Endpoints[0]
		if ep.Path != "/metrics" || !slices.Contains(servicePortNames(svc), ep.Port) {
			t.Errorf("ServiceMonitor %s scrapes %s on port %q; want /metrics on one of %v", sm.Name, ep.Path, ep.Port, servicePortNames(svc))
		}
		if !slices.Contains(sm.Spec.NamespaceSelector.MatchNames, releaseSpace) {
			t.Errorf("ServiceMonitor %s does not look in the release namespace: %+v", sm.Name, sm.Spec.NamespaceSelector)
		}
	}
}

// checkNetworkPolicies: the serve pods accept the web port; background pods accept nothing.
func checkNetworkPolicies(t *testing.T, r *rendered) {
	for _, obj := range r.OfKind("NetworkPolicy") {
		np := obj.(*networkingv1.NetworkPolicy)
		if !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) {
			t.Errorf("NetworkPolicy %s does not restrict ingress", np.Name)
		}
		if len(np.Spec.Egress) > 0 && !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) {
			t.Errorf("NetworkPolicy %s has egress rules but no Egress policy type", np.Name)
		}
		sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
		if err != nil || sel.Empty() {
			t.Errorf("NetworkPolicy %s: empty or invalid pod selector (%v) would cover the whole namespace", np.Name, err)
			continue
		}
		serve := deploymentOf(t, r, "serve").Spec.Template.Labels
		switch np.Name {
		case releaseName + "-serve":
			if !sel.Matches(labels.Set(serve)) || !allowsPort(np, 8080) {
				t.Errorf("NetworkPolicy %s must select the serve pods and allow port 8080", np.Name)
			}
		case releaseName + "-background":
			if sel.Matches(labels.Set(serve)) || len(np.Spec.Ingress) != 0 {
				t.Errorf("NetworkPolicy %s must deny all ingress to worker, scheduler and migrate, and leave serve alone", np.Name)
			}
			for _, c := range []string{"worker", "scheduler"} {
				if !sel.Matches(labels.Set(deploymentOf(t, r, c).Spec.Template.Labels)) {
					t.Errorf("NetworkPolicy %s does not cover the %s pods", np.Name, c)
				}
			}
		default:
			t.Errorf("unexpected NetworkPolicy %s", np.Name)
		}
	}
}

func allowsPort(np *networkingv1.NetworkPolicy, port int) bool {
	for _, rule := range np.Spec.Ingress {
		for _, p := range rule.Ports {
			if p.Port != nil && p.Port.IntValue() == port {
				return true
			}
		}
	}
	return false
}

// checkAutoscalers: each HPA scales a Deployment of the release on CPU, and that
// Deployment leaves replicas to it.
func checkAutoscalers(t *testing.T, r *rendered) {
	for _, obj := range r.OfKind("HorizontalPodAutoscaler") {
		hpa := obj.(*autoscalingv2.HorizontalPodAutoscaler)
		target := r.Get("Deployment", hpa.Spec.ScaleTargetRef.Name)
		if target == nil || hpa.Spec.ScaleTargetRef.Kind != "Deployment" {
			t.Errorf("HorizontalPodAutoscaler %s targets %+v, not a Deployment of the release", hpa.Name, hpa.Spec.ScaleTargetRef)
			continue
		}
		if d := target.(*appsv1.Deployment); d.Spec.Replicas != nil {
			t.Errorf("Deployment %s sets replicas while %s scales it: every upgrade would reset the scale", d.Name, hpa.Name)
		}
		if hpa.Spec.MinReplicas == nil || *hpa.Spec.MinReplicas > hpa.Spec.MaxReplicas {
			t.Errorf("HorizontalPodAutoscaler %s: min %v > max %d", hpa.Name, hpa.Spec.MinReplicas, hpa.Spec.MaxReplicas)
		}
		cpu := slices.ContainsFunc(hpa.Spec.Metrics, func(m autoscalingv2.MetricSpec) bool {
			return m.Resource != nil && m.Resource.Name == corev1.ResourceCPU && m.Resource.Target.AverageUtilization != nil
		})
		if !cpu {
			t.Errorf("HorizontalPodAutoscaler %s does not scale on CPU utilisation", hpa.Name)
		}
	}
}

func checkDisruptionBudget(t *testing.T, r *rendered) {
	pdbs := r.OfKind("PodDisruptionBudget")
	if len(pdbs) != 1 {
		t.Errorf("%d PodDisruptionBudgets, want 1 (serve)", len(pdbs))
		return
	}
	pdb := pdbs[0].(*policyv1.PodDisruptionBudget)
	sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
	if err != nil || !sel.Matches(labels.Set(deploymentOf(t, r, "serve").Spec.Template.Labels)) {
		t.Errorf("PodDisruptionBudget %s does not select the serve pods", pdb.Name)
	}
	if pdb.Spec.MinAvailable == nil && pdb.Spec.MaxUnavailable == nil {
		t.Errorf("PodDisruptionBudget %s sets neither minAvailable nor maxUnavailable", pdb.Name)
	}
}

// checkMemoryLimit: the Go runtime knows the container's memory limit (GOMEMLIMIT), so the
// garbage collector works harder before the kernel kills the pod.
func checkMemoryLimit(t *testing.T, name string, pod corev1.PodSpec) {
	for _, c := range pod.Containers {
		i := slices.IndexFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == "GOMEMLIMIT" })
		if i < 0 {
			t.Errorf("%s: GOMEMLIMIT is not set", name)
			continue
		}
		ref := c.Env[i].ValueFrom
		if ref == nil || ref.ResourceFieldRef == nil || ref.ResourceFieldRef.Resource != "limits.memory" ||
			(!ref.ResourceFieldRef.Divisor.IsZero() && ref.ResourceFieldRef.Divisor.Value() != 1) {
			t.Errorf("%s: GOMEMLIMIT must be the memory limit in bytes (resourceFieldRef limits.memory, divisor 1): %+v", name, c.Env[i])
		}
	}
}
