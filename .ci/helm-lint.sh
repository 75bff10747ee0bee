#!/usr/bin/env bash
# helm lint --strict for charts/speks, offline.
#
# Uses `helm` from PATH when it is Helm 3; otherwise installs the Helm CLI of the same version
# as the Helm SDK that charts/chartest renders with (its go.mod), with `go install`, into
# $(go env GOPATH)/bin. The chart is linted with every value set in charts/speks/ci/, against
# the oldest Kubernetes the chart supports (deprecated APIs fail).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
chart="$root/charts/speks"
min_kube="1.30.0" # keep in step with kubeVersion in charts/speks/Chart.yaml

# The Helm version the Go test uses, so the CLI and the SDK agree on what is valid.
helm_version="$(awk '$1 == "helm.sh/helm/v3" { print $2; exit }' "$root/charts/chartest/go.mod")"
if [[ -z "$helm_version" ]]; then
	echo "helm-lint: cannot read the helm.sh/helm/v3 version from charts/chartest/go.mod" >&2
	exit 1
fi

is_helm3() { "$1" version --short 2>/dev/null | grep -q '^v3\.'; }

helm_bin=""
if command -v helm >/dev/null 2>&1 && is_helm3 "$(command -v helm)"; then
	helm_bin="$(command -v helm)"
else
	gobin="$(go env GOPATH)/bin"
	if [[ -x "$gobin/helm" ]] && is_helm3 "$gobin/helm"; then
		helm_bin="$gobin/helm"
	else
		echo "helm-lint: installing helm $helm_version into $gobin (go install)" >&2
		GOBIN="$gobin" go install "helm.sh/helm/v3/cmd/helm@$helm_version"
		helm_bin="$gobin/helm"
	fi
fi
echo "helm-lint: $("$helm_bin" version --short) ($helm_bin)"

# The chart's defaults alone do not render (the Secret names and the platform host are
# required), so it is linted with each CI value set: defaults plus the required values, and
# the schema validates the merged values.
shopt -s nullglob
value_sets=("$chart"/ci/*.yaml)
if ((${#value_sets[@]} == 0)); then
	echo "helm-lint: no value sets in $chart/ci" >&2
	exit 1
fi
for values in "${value_sets[@]}"; do
	"$helm_bin" lint --strict --kube-version "$min_kube" --values "$values" "$chart"
done
