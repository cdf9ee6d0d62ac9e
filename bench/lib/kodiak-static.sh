#!/usr/bin/env bash
# Starts Kodiak for bench/static.sh: the quick mode's proxy (round-robin over $BENCH_UPSTREAMS on
# $BENCH_LISTEN, admin off, metrics on a free port) plus a route that serves /static/ from
# $BENCH_STATIC_ROOT itself.
set -euo pipefail
: "${BENCH_LISTEN:?}" "${BENCH_UPSTREAMS:?}" "${BENCH_OUT:?}" "${BENCH_STATIC_ROOT:?}"
conf=$BENCH_OUT/kodiak-static.yaml
{
    echo "admin: {listen: off}"
    echo "metrics: {listen: 127.0.0.1:0}"
    echo "listeners:"
    echo "  - address: $BENCH_LISTEN"
    echo "    routes:"
    echo "      - path-prefix: /static/"
    echo "        pool: app"
    echo "        static: $BENCH_STATIC_ROOT"
    echo "      - pool: app"
    echo "pools:"
    echo "  app:"
    echo "    strategy: round-robin"
    echo "    upstreams:"
    for u in ${BENCH_UPSTREAMS//,/ }; do echo "      - $u"; done
} >"$conf"
exec bin/kodiak run -c "$conf"
