package chartest

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/releaseutil"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

const (
	chartDir     = "../speks"
	releaseName  = "speks"
	releaseSpace = "speks-prod"
)

// kinds maps every apiVersion/kind the chart may render to its typed object. A manifest of
// any other kind fails the test, so a new template must be registered (and decoded) here.
var kinds = map[schema.GroupVersionKind]func() object{
	{Version: "v1", Kind: "ConfigMap"}:                                                    func() object { return &corev1.ConfigMap{} },
	{Version: "v1", Kind: "Service"}:                                                      func() object { return &corev1.Service{} },
	{Version: "v1", Kind: "ServiceAccount"}:                                               func() object { return &corev1.ServiceAccount{} },
	{Group: "apps", Version: "v1", Kind: "Deployment"}:                                    func() object { return &appsv1.Deployment{} },
	{Group: "batch", Version: "v1", Kind: "Job"}:                                          func() object { return &batchv1.Job{} },
	{Group: "autoscaling", Version: "v2", Kind: "HorizontalPodAutoscaler"}:                func() object { return &autoscalingv2.HorizontalPodAutoscaler{} },
	{Group: "policy", Version: "v1", Kind: "PodDisruptionBudget"}:                         func() object { return &policyv1.PodDisruptionBudget{} },
	{Group: "networking.k8s.io", Version: "v1", Kind: "Ingress"}:                          func() object { return &networkingv1.Ingress{} },
	{Group: "networking.k8s.io", Version: "v1", Kind: "NetworkPolicy"}:                    func() object { return &networkingv1.NetworkPolicy{} },
	{Group: monitoringv1.SchemeGroupVersion.Group, Version: "v1", Kind: "ServiceMonitor"}: func() object { return &monitoringv1.ServiceMonitor{} },
}

// object is what every typed Kubernetes object offers: its metadata.
type object interface {
	GetName() string
	GetLabels() map[string]string
	GetAnnotations() map[string]string
}

// manifest is one rendered document, decoded.
type manifest struct {
	Source string // template file it came from
	GVK    schema.GroupVersionKind
	Obj    object
	Raw    string
}

// rendered is the whole output of one render, by kind and name.
type rendered struct {
	All   []manifest
	Notes string
}

// Get returns the object of the given kind and name, or nil.
func (r *rendered) Get(kind, name string) object {
	for _, m := range r.All {
		if m.GVK.Kind == kind && m.Obj.GetName() == name {
			return m.Obj
		}
	}
	return nil
}

// OfKind returns every object of a kind, in render order.
func (r *rendered) OfKind(kind string) []object {
	var out []object
	for _, m := range r.All {
		if m.GVK.Kind == kind {
			out = append(out, m.Obj)
		}
	}
	return out
}

// loadChart loads ../speks as `helm install` would (honouring .helmignore).
func loadChart(t *testing.T) *chart.Chart {
	t.Helper()
	chrt, err := loader.Load(chartDir)
	if err != nil {
		t.Fatalf("load chart %s: %v", chartDir, err)
	}
	return chrt
}

// render validates values against values.schema.json, renders every template in strict mode
// (a template reading a value that does not exist fails) and returns the raw documents by
// template file. The error is the schema's or the template's, as `helm install` reports it.
func render(t *testing.T, values map[string]any) (map[string]string, error) {
	t.Helper()
	chrt := loadChart(t)
	opts := chartutil.ReleaseOptions{Name: releaseName, Namespace: releaseSpace, Revision: 1, IsInstall: true}
	vals, err := chartutil.ToRenderValues(chrt, values, opts, chartutil.DefaultCapabilities)
	if err != nil {
		return nil, err
	}
	return engine.Engine{Strict: true}.Render(chrt, vals)
}

// mustRender renders values that must be accepted and decodes every manifest strictly.
func mustRender(t *testing.T, values map[string]any) *rendered {
	t.Helper()
	files, err := render(t, values)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	out, err := decodeAll(files)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// decodeAll splits each template's output into documents and decodes each one strictly into
// its Kubernetes type: duplicate keys (YAML and JSON), unknown fields and wrong types fail.
func decodeAll(files map[string]string) (*rendered, error) {
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)

	out := &rendered{}
	for _, name := range names {
		if strings.HasSuffix(name, "NOTES.txt") {
			out.Notes = files[name]
			continue
		}
		docs := releaseutil.SplitManifests(files[name])
		keys := make([]string, 0, len(docs))
		for k := range docs {
			keys = append(keys, k)
		}
		sort.Sort(releaseutil.BySplitManifestsOrder(keys))
		for _, k := range keys {
			if onlyComments(docs[k]) {
				continue
			}
			m, err := decode(name, docs[k])
			if err != nil {
				return nil, err
			}
			out.All = append(out.All, m)
		}
	}
	return out, nil
}

func decode(source, doc string) (manifest, error) {
	data, err := yaml.YAMLToJSONStrict([]byte(doc))
	if err != nil {
		return manifest{}, fmt.Errorf("%s: not valid YAML: %w\n%s", source, err, doc)
	}
	var head metav1.TypeMeta
	if err := kjson.UnmarshalCaseSensitivePreserveInts(data, &head); err != nil {
		return manifest{}, fmt.Errorf("%s: read apiVersion/kind: %w", source, err)
	}
	gvk := schema.FromAPIVersionAndKind(head.APIVersion, head.Kind)
	newObj, ok := kinds[gvk]
	if !ok {
		return manifest{}, fmt.Errorf("%s: %s is not a kind this test knows; register it in kinds", source, gvk)
	}
	obj := newObj()
	strictErrs, err := kjson.UnmarshalStrict(data, obj)
	if err != nil {
		return manifest{}, fmt.Errorf("%s: decode %s: %w", source, gvk.Kind, err)
	}
	if len(strictErrs) > 0 {
		return manifest{}, fmt.Errorf("%s: %s %q is not a valid %s: %v", source, gvk.Kind, obj.GetName(), gvk, strictErrs)
	}
	return manifest{Source: source, GVK: gvk, Obj: obj, Raw: doc}, nil
}

func onlyComments(doc string) bool {
	for _, line := range strings.Split(doc, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			return false
		}
	}
	return true
}

// readValues reads a values file of the chart (e.g. ci/lint-values.yaml).
func readValues(t *testing.T, rel string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(chartDir, rel))
	if err != nil {
		t.Fatalf("read %s: %v", rel, err)
	}
	vals, err := chartutil.ReadValues(data)
	if err != nil {
		t.Fatalf("parse %s: %v", rel, err)
	}
	return vals.AsMap()
}

// with returns a deep copy of base with the YAML overlay merged in (maps merge, the rest
// replaces), the way a second `-f values.yaml` would.
func with(t *testing.T, base map[string]any, overlay string) map[string]any {
	t.Helper()
	var top map[string]any
	if err := yaml.Unmarshal([]byte(overlay), &top); err != nil {
		t.Fatalf("overlay is not YAML: %v\n%s", err, overlay)
	}
	return merge(deepCopy(base), top)
}

func merge(dst, src map[string]any) map[string]any {
	for k, v := range src {
		if sv, ok := v.(map[string]any); ok {
			if dv, ok := dst[k].(map[string]any); ok {
				dst[k] = merge(dv, sv)
				continue
			}
		}
		dst[k] = v
	}
	return dst
}

func deepCopy(in map[string]any) map[string]any {
	out := make(map[string]any, len(in))
	for k, v := range in {
		if m, ok := v.(map[string]any); ok {
			out[k] = deepCopy(m)
			continue
		}
		out[k] = v
	}
	return out
}
