#!/usr/bin/env bash
# Static files: nginx ("location /static/ { alias DIR/; }" with sendfile) and a Kodiak route with
# "static: DIR" serving the same files, side by side under bench/run.sh (same rounds, pinning and
# CPU accounting; see bench/README.md), once per file size. The proxies still front the four
# upstreams (run.sh checks that "/" reaches all of them before measuring), but wrk only asks for
# the file, which each serves itself. HAProxy has no file server, so it is not measured.
#
# Usage: bench/static.sh         (run.sh's settings apply: BENCH_ROUNDS, BENCH_DURATION, ...)
#   BENCH_STATIC_SIZES  file sizes to measure, in bytes (default "10240 1048576": 10 KiB and 1 MiB)
# Prints run.sh's report per size, then one table: requests/s and requests per proxy CPU-second.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_STATIC_SIZES=${BENCH_STATIC_SIZES:-"10240 1048576"}
OUT=${BENCH_OUT:-$BENCH_DIR/out/static-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT/site"
OUT=$(cd "$OUT" && pwd)
export BENCH_STATIC_ROOT=$OUT/site
export BENCH_PROXIES=${BENCH_PROXIES:-"nginx kodiak"}
export NGINX_SERVER_EXTRA="location /static/ { alias $BENCH_STATIC_ROOT/; sendfile on; tcp_nopush on; }"
export BENCH_KODIAK_ROUTES="{path-prefix: /static/, pool: app, static: '$BENCH_STATIC_ROOT'}"
export KODIAK_CMD=${KODIAK_CMD:-'bench/lib/kodiak-routes.sh'}

for size in $BENCH_STATIC_SIZES; do
    [[ $size =~ ^[0-9]+$ ]] || { echo "BENCH_STATIC_SIZES: not a byte count: $size" >&2; exit 2; }
    head -c "$size" /dev/urandom >"$BENCH_STATIC_ROOT/$size.bin"
done
for size in $BENCH_STATIC_SIZES; do
    export BENCH_PATH=/static/$size.bin BENCH_OUT=$OUT/$size
    "$BENCH_DIR/run.sh" "$@"
done

echo
echo "## Static files: requests per proxy CPU-second (sums over all rounds and connection counts)"
echo
echo "| file | proxy | requests | req/s (mean of runs) | proxy CPU-s | req per CPU-s | errors |"
echo "|---|---|---|---|---|---|---|"
for size in $BENCH_STATIC_SIZES; do
    awk -F'\t' -v size="$size" 'NR > 1 { req[$3] += $4; rps[$3] += $6; runs[$3]++; cpu[$3] += $10; err[$3] += $9 }
        END {
            for (p in req) {
                per = 0
                if (cpu[p] > 0) per = req[p] / cpu[p]
                printf "| %s B | %s | %d | %.0f | %.2f | %.0f | %d |\n", size, p, req[p], rps[p] / runs[p], cpu[p], per, err[p]
            }
        }' "$OUT/$size/results.tsv" | sort
done
echo
echo "Reports and raw output: $OUT"
