#!/usr/bin/env bash
# Starts Kodiak for the benches whose Kodiak needs routes the quick mode cannot express
# (bench/local.sh, bench/static.sh): the quick mode's proxy (round-robin over $BENCH_UPSTREAMS on
# $BENCH_LISTEN, admin off, metrics on a free port) with the routes of $BENCH_KODIAK_ROUTES (YAML
# flow mappings, one per line) before its catch-all route to the upstreams, and the top-level
# sections of $BENCH_KODIAK_TOP (YAML lines, e.g. rate-limit zones; bench/protect.sh), if any.
set -euo pipefail
: "${BENCH_LISTEN:?}" "${BENCH_UPSTREAMS:?}" "${BENCH_OUT:?}" "${BENCH_KODIAK_ROUTES:?}"
conf=$BENCH_OUT/kodiak-routes.yaml
{
    [[ -z ${BENCH_KODIAK_TOP:-} ]] || echo "$BENCH_KODIAK_TOP"
    echo "admin: {listen: off}"
    echo "metrics: {listen: 127.0.0.1:0}"
    echo "listeners:"
    echo "  - address: $BENCH_LISTEN"
    echo "    routes:"
    while IFS= read -r route; do
        [[ -z $route ]] || echo "      - $route"
    done <<<"$BENCH_KODIAK_ROUTES"
    echo "      - pool: app"
    echo "pools:"
    echo "  app:"
    echo "    strategy: round-robin"
    echo "    upstreams:"
    for u in ${BENCH_UPSTREAMS//,/ }; do echo "      - $u"; done
} >"$conf"
exec bin/kodiak run -c "$conf"
