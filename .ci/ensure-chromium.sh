#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Ensure the Chromium the browser tests drive (modules/foundation/web/webtest) is installed: the binary
# in SPEKS_CHROMIUM, by default Debian's /usr/bin/chromium, installed with apt when missing.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

chromium=${SPEKS_CHROMIUM:-/usr/bin/chromium}

if [[ -x $chromium ]]; then
	log "Chromium ready: $("$chromium" --version 2>/dev/null || echo "$chromium")"
	exit 0
fi
if [[ -n ${SPEKS_CHROMIUM:-} ]]; then
	die "SPEKS_CHROMIUM=$SPEKS_CHROMIUM is not an executable file"
fi
log "Chromium is not installed: installing Debian's chromium"
# Ubuntu's chromium package only points at the snap, which containers and CI cannot run.
apt_install chromium fonts-liberation ||
	die "cannot install Chromium with apt here: install Chromium or Chrome and set SPEKS_CHROMIUM to its binary"
[[ -x $chromium ]] ||
	die "the chromium package did not provide $chromium (on Ubuntu it is a snap): install Chromium or Chrome and set SPEKS_CHROMIUM"
log "Chromium ready: $("$chromium" --version 2>/dev/null || echo "$chromium")"
