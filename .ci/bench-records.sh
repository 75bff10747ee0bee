#!/usr/bin/env bash
# bench-records.sh — the JSON payslip endpoint under load, next to pgbench running the same
# SQL on the same machine in the same run (docs/BENCHMARKS.md "Records").
#
# It builds and starts the real `speks serve` on a private database filled by
# `speks demo --staff N`, gives BENCH_USERS Kelantan staff an account (the demo account's
# password hash and phrase, copied as `speks demo` writes its own), logs each in through
# POST /api/v1/auth/login, and then runs, one after the other for the same duration:
#   - pgbench: the endpoint's statements in the request's shape: one transaction for the
#     session and account reads, one for the payslip, lines, token lookup and audit insert,
#     each opened with BEGIN + SET LOCAL search_path in one round trip as the portal's pool
#     does (tenant.DB), with as many clients as the server has database connections;
#   - wrk: GET /api/v1/payslips/<last month> over BENCH_CONNS connections, a Lua script
#     rotating the users' session cookies so every request is a different person in turn.
# It prints requests/s, p50 and p99 of both and the portal's share of the pgbench rate.
#
# Environment (defaults): BENCH_CONNS (256), BENCH_USERS (256; the login limit is 300 per IP
# in 15 minutes), BENCH_DURATION (30s), BENCH_THREADS (2), BENCH_STAFF (2000),
# BENCH_DB_CONNS (10, the server's connection budget database.max_conns and pgbench's
# clients), BENCH_PORT
# (18090), BENCH_DB (speks_bench_records, dropped and created), PGHOST/PGPORT/PGUSER.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$here/lib.sh"
root=$(cd "$here/.." && pwd)

conns=${BENCH_CONNS:-256}
users=${BENCH_USERS:-256}
duration=${BENCH_DURATION:-30s}
threads=${BENCH_THREADS:-2}
staff=${BENCH_STAFF:-2000}
db_conns=${BENCH_DB_CONNS:-10}
port=${BENCH_PORT:-18090}
db=${BENCH_DB:-speks_bench_records}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
host=kelantan.localhost
base=http://127.0.0.1:$port

((users <= 290)) || die "BENCH_USERS=$users: logins are limited to 300 per IP in 15 minutes"

ensure_tools() {
	command -v wrk >/dev/null || apt_install wrk || die "wrk is missing and apt is not available"
	command -v pgbench >/dev/null || apt_install postgresql-client || true
	command -v pgbench >/dev/null || apt_install postgresql-contrib || die "pgbench is missing"
	command -v psql >/dev/null || die "psql is missing"
	command -v curl >/dev/null || apt_install curl || die "curl is missing"
}

work=$(mktemp -d)
server_pid=''
cleanup() {
	if [[ -n $server_pid ]]; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

ensure_tools
"$here/ensure-services.sh" >/dev/null

log "build speks"
(cd "$root" && go build -o "$work/speks" ./cmd/speks)

export SPEKS_MODE=dev
export SPEKS_DATABASE_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$db?sslmode=disable"
export SPEKS_HTTP_LISTEN=127.0.0.1:$port
export SPEKS_DATABASE_MAX_CONNS=$db_conns
export SPEKS_LOG_LEVEL=warn

log "fresh database $db with speks demo --staff $staff"
psql -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
"$work/speks" demo --staff "$staff" --json >"$work/demo.json" 2>"$work/demo.log" || {
	tail -20 "$work/demo.log"
	die "speks demo failed"
}

schema=$(psql -d "$db" -Atc "SELECT schema_name FROM public.tenants WHERE code = 'kelantan'")
demo_id=$(sed -n '/"kelantan"/,/"password"/s/.*"id": "\([0-9]*\)".*/\1/p' "$work/demo.json" | head -1)
[[ -n $schema && -n $demo_id ]] || die "no Kelantan demo state or demo staff account"
# The payslip month: the demo's latest, the month before this one.
read -r year month < <(date -u -d "$(date -u +%Y-%m-01) -1 day" '+%Y %-m')

log "accounts for $users Kelantan staff with a payslip for $year-$month"
psql -q -d "$db" -v ON_ERROR_STOP=1 -v n="$users" -v demo="$demo_id" -v y="$year" -v m="$month" <<SQL
SET search_path = $schema;
INSERT INTO users (category, login_id, name, email, status, password_hash, secret_phrase, activated_at,
	password_changed_at, employee_ic, department_code, ptj_code)
SELECT 'staff', e.ic_no, e.name, e.email, 'active', d.password_hash, d.secret_phrase, now(), now(),
	e.ic_no, e.department_code, e.ptj_code
FROM employees e, (SELECT password_hash, secret_phrase FROM users WHERE login_id = :'demo') d
WHERE e.status = 'active'
	AND EXISTS (SELECT 1 FROM payslips p WHERE p.ic_no = e.ic_no AND p.year = :y AND p.month = :m)
	AND NOT EXISTS (SELECT 1 FROM users u WHERE u.login_id = e.ic_no)
ORDER BY e.salary_no
LIMIT :n - 1;
SQL

log "start speks serve on $base"
"$work/speks" serve >"$work/serve.log" 2>&1 &
server_pid=$!
wait_for 30 tcp_open 127.0.0.1 "$port" || {
	tail -20 "$work/serve.log"
	die "speks serve did not start"
}

# login ID → session cookie value, through the real login API (argon2id with the production
# parameters, so this takes a while).
login() {
	curl -sS -o /dev/null -D - -H "Host: $host" -H 'Content-Type: application/json' \
		-d "{\"id\":\"$1\",\"password\":\"Demo-Kakitangan-2026\"}" "$base/api/v1/auth/login" |
		sed -n 's/^[Ss]et-[Cc]ookie: speks_session=\([^;]*\);.*/\1/p'
}
export -f login
export host base

log "log in $users users"
psql -d "$db" -Atc "SELECT login_id FROM $schema.users WHERE category = 'staff' AND status = 'active' ORDER BY id LIMIT $users" |
	xargs -P 4 -I{} bash -c 'login {}' | grep -v '^$' >"$work/cookies"
got=$(wc -l <"$work/cookies")
((got == users)) || die "logged in $got of $users users (see $work/serve.log)"

path=/api/v1/payslips/$year/$month
log "warm up: each user's payslip once (its verification token is issued on first view)"
while read -r cookie; do
	status=$(curl -s -o /dev/null -w '%{http_code}' -H "Host: $host" -b "speks_session=$cookie" "$base$path")
	[[ $status == 200 ]] || die "warm-up $path: $status"
done <"$work/cookies"

# pgbench finds a session by its hash as the middleware does; bench_sessions only maps a
# random number to one of the logged-in sessions (one more primary-key probe in the same
# statement).
psql -q -d "$db" -c "CREATE TABLE $schema.bench_sessions AS
	SELECT row_number() OVER (ORDER BY id_hash) AS n, id_hash FROM $schema.sessions" \
	-c "ALTER TABLE $schema.bench_sessions ADD PRIMARY KEY (n)"
ntok=$(printf '0%.0s' {1..64})
cat >"$work/payslip.sql" <<SQL
\\set n random(1, $users)
BEGIN \\; SET LOCAL search_path TO $schema;
SELECT user_id, csrf_token, purpose, created_at, last_seen_at FROM sessions WHERE id_hash = (SELECT id_hash FROM bench_sessions WHERE n = :n) \\gset
SELECT id, category, login_id, alt_login_id, name, email, phone, status, employee_ic, supplier_id, password_hash, must_change_password, secret_phrase, roles, totp_secret, totp_enabled, department_code, ptj_code FROM users WHERE id = :user_id \\gset
COMMIT;
BEGIN \\; SET LOCAL search_path TO $schema;
SELECT p.year, p.month, to_char(p.pay_date, 'YYYY-MM-DD') AS pay_date, p.gross, p.total_deductions, p.net, e.ic_no, e.name, e.salary_no, e.position, e.grade, e.bank_name, e.bank_account, coalesce(d.name, e.department_code) AS department, coalesce(t.name, e.ptj_code) AS ptj, y.gross AS ytd_gross, y.deductions AS ytd_deductions, y.net AS ytd_net FROM payslips p JOIN employees e ON e.ic_no = p.ic_no LEFT JOIN departments d ON d.code = e.department_code LEFT JOIN ptjs t ON t.code = e.ptj_code CROSS JOIN LATERAL ( SELECT sum(gross) AS gross, sum(total_deductions) AS deductions, sum(net) AS net FROM payslips WHERE ic_no = p.ic_no AND year = p.year AND month <= p.month) y WHERE p.ic_no = ':employee_ic' AND p.year = $year AND p.month = $month;
SELECT kind, code, description, amount FROM payslip_lines WHERE ic_no = ':employee_ic' AND year = $year AND month = $month ORDER BY seq;
SELECT token FROM document_tokens WHERE doc_type = 'payslip' AND doc_key = ':employee_ic/$year/$month' AND content_hash = '$ntok';
INSERT INTO audit_log (actor_user_id, action, subject, detail) VALUES (:user_id, 'payslip.view', 'payslip $year-$(printf %02d "$month")', '{"year": $year, "month": $month, "ip": "127.0.0.1"}');
COMMIT;
SQL

cat >"$work/rotate.lua" <<'LUA'
-- Each connection's requests go out as the logged-in users in turn (threads start at
-- different users), so the server sees many distinct sessions, not one hot row.
local cookies, i, path, host = {}, 0, nil, nil
local threads = 0

function setup(thread)
	thread:set("thread_no", threads) -- a global of the thread's own Lua state
	threads = threads + 1
end

function init(args)
	path, host = args[2], args[3]
	for line in io.lines(args[1]) do cookies[#cookies + 1] = line end
	i = (thread_no * 97) % #cookies
end

function request()
	i = i % #cookies + 1
	return wrk.format("GET", path, { Host = host, Cookie = "speks_session=" .. cookies[i] })
end

function done(summary, latency, requests)
	io.write(string.format("WRK %d %.1f %.2f %.2f %d %d\n", summary.requests,
		summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
		latency:percentile(99) / 1000, summary.errors.status,
		summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA

secs=${duration%s}
log "pgbench: $db_conns clients, ${secs}s"
(cd "$work" && pgbench -n -c "$db_conns" -j "$threads" -T "$secs" \
	-f payslip.sql --log --log-prefix=pgb "$db" >pgbench.out 2>&1) || {
	cat "$work/pgbench.out"
	die "pgbench failed"
}
# Per-transaction log: the third field is the latency in microseconds.
read -r pg_rate < <(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$work/pgbench.out")
read -r pg_p50 pg_p99 < <(cat "$work"/pgb.* | awk '{print $3}' | sort -n |
	awk '{a[NR]=$1} END {printf "%.2f %.2f\n", a[int(NR*0.50)]/1000, a[int(NR*0.99)]/1000}')

log "wrk: $conns connections, $threads threads, $users users, $duration"
wrk -t "$threads" -c "$conns" -d "$duration" --timeout 10s -s "$work/rotate.lua" "$base$path" \
	-- "$work/cookies" "$path" "$host" >"$work/wrk.out"
read -r _ wrk_n wrk_rate wrk_p50 wrk_p99 wrk_bad wrk_err < <(grep '^WRK ' "$work/wrk.out")
((wrk_bad == 0 && wrk_err == 0)) || {
	cat "$work/wrk.out"
	die "wrk saw $wrk_bad non-2xx answers and $wrk_err socket errors"
}

share=$(awk -v a="$wrk_rate" -v b="$pg_rate" 'BEGIN {printf "%.0f", 100 * a / b}')
met=no
awk -v p="$wrk_p99" 'BEGIN {exit !(p < 50)}' && met=yes
printf '\n%-28s %10s %9s %9s\n' "GET $path" "req/s" "p50 ms" "p99 ms"
printf '%-28s %10.0f %9s %9s\n' "pgbench ($db_conns clients)" "$pg_rate" "$pg_p50" "$pg_p99"
printf '%-28s %10.0f %9s %9s\n' "portal (wrk, $conns conns)" "$wrk_rate" "$wrk_p50" "$wrk_p99"
printf '\nportal/pgbench: %s %%   p99 < 50 ms at %s connections: %s   (%s requests, %s users, %s, %s cores)\n' \
	"$share" "$conns" "$met" "$wrk_n" "$users" "$duration" "$(nproc)"
