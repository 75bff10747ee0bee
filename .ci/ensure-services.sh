#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Ensure PostgreSQL and Redis answer where SPEKS looks for them (make run, make test, make bench).
#
# By default that is postgres://postgres@127.0.0.1:5432/ (user postgres, no password) and
# redis://127.0.0.1:6379; SPEKS_DATABASE_URL, SPEKS_TEST_DATABASE_URL and SPEKS_REDIS_URL
# point elsewhere. Servers already running are reused. On this machine (127.0.0.1/localhost)
# a missing server is installed from Debian/Ubuntu packages (postgresql, redis-server) with
# apt, through sudo when not root, and started; a PostgreSQL cluster this script started (or
# any local cluster under CI=true) gets loopback trust for the postgres user, which is what
# the password-less default URL needs. Servers on other hosts are only checked. Anything that
# cannot be fixed ends with one clear message and a non-zero status.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly default_pg_url='postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable'
readonly default_redis_url='redis://127.0.0.1:6379/0'
readonly hba_marker='# added by speks .ci/ensure-services.sh'

# parse_url URL DEFAULT_PORT sets url_scheme, url_authority, url_query, url_host, url_port.
parse_url() {
	local url=$1 rest hostport
	[[ $url == *://* ]] || url="redis://$url" # redis.url also accepts a bare host:port
	url_scheme=${url%%://*}
	rest=${url#*://}
	url_authority=${rest%%[/?]*}
	url_query=''
	[[ $rest == *\?* ]] && url_query="?${rest#*\?}"
	hostport=${url_authority##*@}
	if [[ $hostport == \[* ]]; then # [::1]:5432
		url_host=${hostport%%]*}]
		url_port=${hostport#"$url_host"}
		url_port=${url_port#:}
	elif [[ $hostport == *:* ]]; then
		url_host=${hostport%:*}
		url_port=${hostport##*:}
	else
		url_host=$hostport
		url_port=''
	fi
	url_host=${url_host:-127.0.0.1}
	url_port=${url_port:-$2}
}

# ---------------------------------------------------------------- PostgreSQL

pg_started=''

# pg_check URL: can we log in with this URL? (Its server's maintenance database, since the
# application database is created by `speks` itself on first use.)
pg_check() {
	PGCONNECT_TIMEOUT=5 psql -w "$1" -XAtqc 'SELECT 1' >/dev/null
}

pg_install() {
	log "PostgreSQL is not installed: installing Debian's postgresql"
	apt_install postgresql ||
		die "PostgreSQL is not installed and this is not a Debian/Ubuntu machine with apt: install PostgreSQL 14 or newer, or set SPEKS_DATABASE_URL and SPEKS_TEST_DATABASE_URL to a server you have"
}

# pg_start PORT starts the Debian cluster listening on PORT, creating one when there is none.
pg_start() {
	local port=$1 cluster version
	command -v pg_lsclusters >/dev/null 2>&1 ||
		die "PostgreSQL is installed without Debian's cluster tools (pg_lsclusters): start it on port $port yourself"
	cluster=$(pg_lsclusters -h | awk -v p="$port" '$3 == p { print $1, $2; exit }')
	if [[ -n $cluster ]]; then
		log "starting PostgreSQL cluster $cluster (port $port)"
		# shellcheck disable=SC2086 # "version name" are two arguments
		as_root pg_ctlcluster $cluster start
	elif [[ -z $(pg_lsclusters -h) ]]; then
		version=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n 1)
		log "creating and starting PostgreSQL $version cluster main on port $port"
		as_root pg_createcluster --start --port "$port" "$version" main
	else
		die "no PostgreSQL cluster listens on port $port (see pg_lsclusters); start one there or set SPEKS_DATABASE_URL / SPEKS_TEST_DATABASE_URL"
	fi
	pg_started=1
}

# pg_as_postgres PORT SQL runs SQL as the postgres superuser over the local socket (peer auth).
pg_as_postgres() {
	as_root runuser -u postgres -- psql -XAtq -p "$1" -c "$2"
}

# pg_trust_loopback PORT lets the postgres user log in from 127.0.0.1 and ::1 without a
# password (first matching pg_hba.conf line wins, so the lines go on top), then reloads.
pg_trust_loopback() {
	local port=$1 hba tmp
	hba=$(pg_as_postgres "$port" 'SHOW hba_file') || die "cannot reach the PostgreSQL cluster on port $port as the postgres system user"
	if ! as_root grep -qF "$hba_marker" "$hba"; then
		log "allowing password-less login for user postgres from loopback in $hba"
		tmp=$(mktemp)
		{
			printf 'host all postgres 127.0.0.1/32 trust %s\n' "$hba_marker"
			printf 'host all postgres ::1/128 trust %s\n' "$hba_marker"
			as_root cat "$hba"
		} >"$tmp"
		as_root cp "$tmp" "$hba" # cp onto the file keeps its owner and mode
		rm -f "$tmp"
	fi
	pg_as_postgres "$port" 'SELECT pg_reload_conf()' >/dev/null
}

ensure_postgres() {
	local url=$1 check_url
	parse_url "$url" 5432
	local host=$url_host port=$url_port
	check_url="$url_scheme://$url_authority/postgres$url_query"
	if ! tcp_open "$host" "$port"; then
		is_local_host "$host" || die "PostgreSQL at $host:$port does not accept connections"
		if ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
			pg_install
		fi
		tcp_open "$host" "$port" || pg_start "$port"
		wait_for 30 tcp_open "$host" "$port" || die "PostgreSQL did not start on port $port (see /var/log/postgresql/)"
	fi
	if ! command -v psql >/dev/null 2>&1; then
		log "PostgreSQL answers on $host:$port (psql is not installed, so the login is not checked)"
		return
	fi
	if pg_check "$check_url" 2>/dev/null; then
		log "PostgreSQL ready on $host:$port"
		return
	fi
	if is_local_host "$host" && [[ -n $pg_started || ${CI:-} == true ]] && command -v pg_lsclusters >/dev/null 2>&1; then
		pg_trust_loopback "$port"
		pg_check "$check_url" && log "PostgreSQL ready on $host:$port" && return
	fi
	pg_check "$check_url" || true # show PostgreSQL's own reason
	die "PostgreSQL on $host:$port refuses $(printf '%s' "${check_url}" | sed -E 's#://([^:@/]+):[^@/]*@#://\1:***@#'):
  allow the postgres user from 127.0.0.1 without a password (a 'host all postgres 127.0.0.1/32 trust'
  line at the top of pg_hba.conf), or set SPEKS_DATABASE_URL and SPEKS_TEST_DATABASE_URL to URLs with credentials"
}

# ---------------------------------------------------------------- PgBouncer

# The tests run the tenant isolation tests a second time through PgBouncer in transaction
# mode (SPEKS_TEST_POOLER_URL, set by the Makefile), the way production may run. This
# PgBouncer is the tests' own: every database gets ONE server connection
# (default_pool_size = 1), so clients of different tenants take turns on the same server
# session, which is what those tests need to be strict.
readonly pooler_port=${SPEKS_TEST_POOLER_PORT:-6432}

pooler_ping() {
	PGCONNECT_TIMEOUT=3 psql -w "postgres://postgres@127.0.0.1:$pooler_port/postgres?sslmode=disable" -XAtqc 'SELECT 1' >/dev/null 2>&1
}

# ensure_pgbouncer PG_HOST PG_PORT: a PgBouncer on 127.0.0.1:$pooler_port in front of that
# server, reused when one answers there; installed from Debian's pgbouncer when missing.
ensure_pgbouncer() {
	local pg_host=$1 pg_port=$2 dir bin run_as=()
	if tcp_open 127.0.0.1 "$pooler_port"; then
		command -v psql >/dev/null 2>&1 && ! pooler_ping && die "something on 127.0.0.1:$pooler_port is not a PgBouncer that lets user postgres in: stop it or set SPEKS_TEST_POOLER_PORT"
		log "PgBouncer ready on 127.0.0.1:$pooler_port"
		return
	fi
	bin=$(command -v pgbouncer || true)
	[[ -z $bin && -x /usr/sbin/pgbouncer ]] && bin=/usr/sbin/pgbouncer
	if [[ -z $bin ]]; then
		log "PgBouncer is not installed: installing Debian's pgbouncer"
		apt_install pgbouncer ||
			die "PgBouncer is not installed and this is not a Debian/Ubuntu machine with apt: install pgbouncer 1.18 or newer"
		bin=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
	fi
	dir=${TMPDIR:-/tmp}/speks-pgbouncer-$pooler_port
	mkdir -p "$dir"
	printf '"postgres" ""\n' >"$dir/userlist.txt"
	cat >"$dir/pgbouncer.ini" <<INI
; written by speks .ci/ensure-services.sh: the tests' PgBouncer (transaction pooling)
[databases]
* = host=$pg_host port=$pg_port
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $pooler_port
unix_socket_dir = $dir
auth_type = trust
auth_file = $dir/userlist.txt
admin_users = postgres
pool_mode = transaction
default_pool_size = 1
max_client_conn = 1000
max_db_connections = 0
query_wait_timeout = 60
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
INI
	# PgBouncer refuses to run as root: then it runs as the postgres system user.
	if [[ $(id -u) -eq 0 ]]; then
		run_as=(-u postgres)
		chown -R postgres "$dir"
	fi
	log "starting PgBouncer (transaction mode) on 127.0.0.1:$pooler_port (config and log in $dir)"
	"$bin" -d "${run_as[@]}" "$dir/pgbouncer.ini" >/dev/null
	wait_for 15 tcp_open 127.0.0.1 "$pooler_port" || die "PgBouncer did not start on port $pooler_port (see $dir/pgbouncer.log)"
	log "PgBouncer ready on 127.0.0.1:$pooler_port"
}

# ---------------------------------------------------------------- Redis

redis_ping() {
	if command -v redis-cli >/dev/null 2>&1; then
		[[ $(timeout 3 redis-cli -u "$1" ping 2>/dev/null) == PONG ]]
	else
		parse_url "$1" 6379
		# shellcheck disable=SC2016 # expanded by the inner bash
		timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"; printf "PING\r\n" >&3; IFS= read -r line <&3; [[ $line == +PONG* ]]' \
			"$url_host" "$url_port" 2>/dev/null
	fi
}

ensure_redis() {
	local url=$1 dir
	[[ $url == *://* ]] || url="redis://$url"
	parse_url "$url" 6379
	local host=$url_host port=$url_port
	if redis_ping "$url"; then
		log "Redis ready on $host:$port"
		return
	fi
	is_local_host "$host" || die "Redis at $host:$port does not answer PING"
	if ! command -v redis-server >/dev/null 2>&1; then
		log "Redis is not installed: installing Debian's redis-server"
		apt_install redis-server ||
			die "Redis is not installed and this is not a Debian/Ubuntu machine with apt: install Redis 6 or newer, or set SPEKS_REDIS_URL"
	fi
	# The package's service may have started it already.
	if ! wait_for 3 redis_ping "$url"; then
		dir=${TMPDIR:-/tmp}
		log "starting redis-server on 127.0.0.1:$port (no persistence; log $dir/speks-redis-$port.log)"
		redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
			--dir "$dir" --logfile "$dir/speks-redis-$port.log" --pidfile "$dir/speks-redis-$port.pid" >/dev/null
	fi
	wait_for 15 redis_ping "$url" || die "Redis did not start on port $port (see ${TMPDIR:-/tmp}/speks-redis-$port.log)"
	log "Redis ready on $host:$port"
}

main() {
	local -A seen=()
	local url
	for url in "${SPEKS_TEST_DATABASE_URL:-}" "${SPEKS_DATABASE_URL:-}"; do
		[[ -n $url ]] || continue
		parse_url "$url" 5432
		[[ -n ${seen[$url_host:$url_port]:-} ]] && continue
		seen[$url_host:$url_port]=1
		ensure_postgres "$url"
	done
	((${#seen[@]} > 0)) || ensure_postgres "$default_pg_url"
	parse_url "${SPEKS_TEST_DATABASE_URL:-$default_pg_url}" 5432
	if is_local_host "$url_host"; then
		ensure_pgbouncer "$url_host" "$url_port"
	fi
	ensure_redis "${SPEKS_REDIS_URL:-$default_redis_url}"
}

main "$@"
