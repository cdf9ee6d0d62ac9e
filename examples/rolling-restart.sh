#!/usr/bin/env bash
# Rolling restart of every upstream of a Kodiak pool, one at a time, without failing a request.
# It talks to Kodiak only through `kodiak ctl`; restarting an instance is your command.
#
#   examples/rolling-restart.sh POOL 'RESTART-COMMAND' [--drain-timeout 60s] [--up-timeout 60s]
#
# RESTART-COMMAND runs with bash -c, once per upstream, with {upstream} replaced by the upstream's
# name, and must return once the instance has been restarted (listening again). For example:
#   examples/rolling-restart.sh app 'sudo systemctl restart gunicorn@{upstream}'
#
# For each upstream in turn (the order of `kodiak ctl list POOL`):
#   1. drain:  no new requests go to it; requests in flight finish          (kodiak ctl drain --wait)
#   2. maint:  once nothing is in flight, no traffic and no health checks   (kodiak ctl maint)
#   3. restart it with RESTART-COMMAND
#   4. ready:  back in rotation once its first health check passes, then slow start
#                                                                          (kodiak ctl ready --wait)
# Gunicorn stops accepting on SIGTERM and resets what waits in its backlog (gunicorn#3397): that is
# why the instance is drained before it is signalled. Step 4 needs an active health check on the
# pool; without one, READY sends traffic at once, and a request that finds the port closed is
# retried on another upstream only if retries are on.
#
# It stops at the first upstream that does not drain, restart or come back, leaving it out of
# rotation (drained or in maint) so that the rest of the pool keeps serving: fix it, then
# `kodiak ctl ready POOL UPSTREAM`. Exit codes: 0 all restarted; 1 a restart command failed or
# Kodiak refused; 2 usage; 3 an upstream did not drain or come back in time; 4 no admin API.
# Environment: KODIAK (the launcher, default: bin/kodiak next to this script), KODIAK_ADMIN,
# KODIAK_ADMIN_TOKEN (as for kodiak ctl).
set -uo pipefail

usage() {
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

[ $# -ge 2 ] || usage
POOL=$1
RESTART=$2
shift 2
DRAIN_TIMEOUT=60s
UP_TIMEOUT=60s
while [ $# -gt 0 ]; do
    case "$1" in
        --drain-timeout) DRAIN_TIMEOUT=${2:?--drain-timeout needs a value}; shift 2 ;;
        --up-timeout) UP_TIMEOUT=${2:?--up-timeout needs a value}; shift 2 ;;
        *) echo "rolling-restart: unknown option $1" >&2; usage ;;
    esac
done
KODIAK=${KODIAK:-"$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)/bin/kodiak"}

ctl() {
    "$KODIAK" ctl "$@"
}

log() {
    echo "rolling-restart: $*"
}

upstreams=$(ctl list "$POOL") || exit $?
[ -n "$upstreams" ] || { log "pool $POOL has no upstreams" >&2; exit 1; }

for u in $upstreams; do
    log "$u: draining"
    ctl drain "$POOL" "$u" --wait --timeout "$DRAIN_TIMEOUT"
    code=$?
    if [ $code -ne 0 ]; then
        log "$u: did not drain (exit $code); stopping here, it stays drained" >&2
        exit $code
    fi
    log "$u: drained"
    ctl maint "$POOL" "$u" || exit $?
    log "$u: restarting"
    if ! bash -c "${RESTART//\{upstream\}/$u}"; then
        log "$u: the restart command failed; stopping here, it stays in maint" >&2
        exit 1
    fi
    log "$u: restarted; waiting for its health check"
    ctl ready "$POOL" "$u" --wait --timeout "$UP_TIMEOUT"
    code=$?
    if [ $code -ne 0 ]; then
        log "$u: not UP again (exit $code); stopping here (it is ready, and gets traffic once its check passes)" >&2
        exit $code
    fi
    log "$u: up"
done
log "all upstreams of $POOL restarted"
