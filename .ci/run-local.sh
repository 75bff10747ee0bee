#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The body of `make run` (after the services are up and bin/speks is built): migrate, create
# the demo states, then run serve, worker and scheduler side by side until Ctrl-C or SIGTERM,
# which stops all three and waits for their graceful shutdown. If one of them fails, the
# others are stopped too and its status is returned. Needs bash 5.1 or newer (wait -n -p).
#
# Usage: .ci/run-local.sh [path/to/speks]   (configuration: SPEKS_* environment, see
# docs/CONFIGURATION.md; e.g. SPEKS_HTTP_LISTEN=:18080 for another port)
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

speks=${1:-bin/speks}
[[ -x $speks ]] || die "$speks is not built: run make build"

log "speks migrate"
"$speks" migrate
log "speks demo"
"$speks" demo
# The port and hosts as the configuration resolves them; the demo is idempotent, so asking
# again for the JSON changes nothing.
demo_json=$("$speks" demo --json)
port=$(sed -n 's/^  "port": \([0-9]*\),$/\1/p' <<<"$demo_json")
platform_host=$(sed -n 's/^  "platform_host": "\(.*\)",$/\1/p' <<<"$demo_json")
mapfile -t tenant_hosts < <(sed -n 's/^      "host": "\(.*\)",$/\1/p' <<<"$demo_json")
[[ -n $port ]] || die "cannot read the port from speks demo --json"

declare -A names=()
pids=()
start() {
	"$speks" "$1" &
	pids+=($!)
	names[$!]=$1
}

stop() {
	trap - INT TERM
	log "stopping serve, worker and scheduler"
	kill -TERM "${pids[@]}" 2>/dev/null || true
	wait "${pids[@]}" 2>/dev/null || true
}
trap 'stop; exit 0' INT # Ctrl-C is how make run is meant to end
trap 'stop; exit 0' TERM

start serve
start worker
start scheduler

# Ready when /readyz says PostgreSQL and Redis are reachable (without curl: when it listens).
# shellcheck disable=SC2317 # called through wait_for
ready() {
	if command -v curl >/dev/null 2>&1; then
		curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/readyz" 2>/dev/null
	else
		tcp_open 127.0.0.1 "$port"
	fi
}
if ! wait_for 30 ready; then
	stop
	die "the server did not become ready on port $port within 30 s (see the log above)"
fi

url() { if [[ $port == 80 ]]; then echo "http://$1"; else echo "http://$1:$port"; fi; }
{
	printf '\n%sSPEKS Portal is running%s: serve, worker and scheduler (pids %s). Ctrl-C stops all three.\n' \
		"$_bold" "$_reset" "${pids[*]}"
	for host in "${tenant_hosts[@]}"; do
		printf '  %s\n' "$(url "$host")"
	done
	printf '  %s   platform console (JANM); dev mail sink at /dev/mail\n' "$(url "$platform_host")"
	printf "  try: curl -s -H 'Host: selangor.localhost' http://127.0.0.1:%s/api/v1/tenant\n\n" "$port"
} >&2

# They end only when asked to (Ctrl-C reaches all three: the group shares the terminal) or on
# an error. Either way, whichever ends first takes the others down with it; a non-zero status
# is the error to report.
set +e
wait -n -p exited "${pids[@]}"
status=$?
set -e
if ((status != 0)); then
	log "speks ${names[${exited:-0}]:-?} failed (status $status); stopping the others"
fi
stop
exit "$status"
