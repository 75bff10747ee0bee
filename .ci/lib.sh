# shellcheck shell=bash
# Helpers shared by the .ci scripts; sourced, not run.

if [[ -t 2 ]]; then
	_bold=$'\033[1m' _red=$'\033[31m' _reset=$'\033[0m'
else
	_bold='' _red='' _reset=''
fi

log() { printf '%s==> %s%s\n' "$_bold" "$*" "$_reset" >&2; }

die() {
	printf '%serror:%s %s\n' "$_red" "$_reset" "$*" >&2
	exit 1
}

# as_root runs a command as root: directly when we are root, otherwise through sudo, which
# only asks for a password when there is a terminal to ask on (CI has none: sudo -n).
as_root() {
	if [[ $(id -u) -eq 0 ]]; then
		"$@"
	elif ! command -v sudo >/dev/null 2>&1; then
		die "need root for: $* — run as root or install sudo"
	elif [[ -t 0 ]]; then
		sudo "$@"
	else
		sudo -n "$@" || die "need root for: $* — passwordless sudo is not available here"
	fi
}

_apt_updated=''

# apt_install installs Debian/Ubuntu packages; it fails (status 1) where there is no apt.
apt_install() {
	command -v apt-get >/dev/null 2>&1 || return 1
	if [[ -z $_apt_updated ]]; then
		log "apt-get update"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
		_apt_updated=1
	fi
	log "apt-get install $*"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

# tcp_open HOST PORT succeeds when something accepts connections there (bash's /dev/tcp, so
# no extra tool is needed).
tcp_open() {
	# shellcheck disable=SC2016 # expanded by the inner bash
	timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null
}

# wait_for SECONDS COMMAND… retries COMMAND once a second until it succeeds.
wait_for() {
	local seconds=$1 i
	shift
	for ((i = 0; i < seconds; i++)); do
		"$@" && return 0
		sleep 1
	done
	return 1
}

# is_local_host HOST: only servers on this machine are installed, started or configured.
is_local_host() {
	[[ $1 == 127.0.0.1 || $1 == localhost || $1 == ::1 || $1 == '[::1]' ]]
}
