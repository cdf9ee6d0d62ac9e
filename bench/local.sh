#!/usr/bin/env bash
# Answers without an upstream: nginx's "location /perftest/ { return 200; }", HAProxy's
# "http-request return status 200", and a Kodiak route with "respond: 200", side by side under
# bench/run.sh (same rounds, pinning and CPU accounting; see bench/README.md). The proxies still
# front the four upstreams (run.sh checks that "/" reaches all of them before measuring), but
# wrk only asks for /perftest/, which each answers itself.
#
# Usage: bench/local.sh          (run.sh's settings apply: BENCH_ROUNDS, BENCH_DURATION, ...)
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export BENCH_PATH=/perftest/
export NGINX_SERVER_EXTRA='location /perftest/ { return 200; }'
export HAPROXY_FRONTEND_EXTRA='http-request return status 200 if { path_beg /perftest/ }'
export BENCH_KODIAK_ROUTES='{path-prefix: /perftest/, respond: 200}'
export KODIAK_CMD=${KODIAK_CMD:-'bench/lib/kodiak-routes.sh'}
exec "$BENCH_DIR/run.sh" "$@"
