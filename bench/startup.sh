#!/usr/bin/env bash
# Start-up time (issue 14, item 8): from launching each proxy to its first proxied 200, in front
# of the benchmark's four nginx upstreams, STARTUP_RUNS times each, pinned as in run.sh. Kodiak
# must be built already (bin/kodiak rebuilds when sources are newer: one unmeasured start first
# makes sure). Not a test; CI never runs it. Prints markdown to stdout.
#
# Usage: bench/startup.sh    (STARTUP_RUNS=5, BENCH_PROXIES="nginx haproxy kodiak", KODIAK_CMD)
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$BENCH_DIR")
LIB=$BENCH_DIR/lib
# shellcheck source=lib/configs.sh
source "$LIB/configs.sh"
# shellcheck source=lib/common.sh
source "$LIB/common.sh"

STARTUP_RUNS=${STARTUP_RUNS:-5}
BENCH_PROXIES=${BENCH_PROXIES:-"nginx haproxy kodiak"}
BENCH_OUT=${BENCH_OUT:-$BENCH_DIR/out/startup-$(date +%Y%m%d-%H%M%S)}
KODIAK_CMD=${KODIAK_CMD:-'bin/kodiak proxy --listen $BENCH_LISTEN --to $BENCH_UPSTREAMS --strategy round-robin --admin off --metrics 127.0.0.1:0'}

check_tools nginx:nginx-light haproxy:haproxy taskset:util-linux python3:python3
cd "$REPO_DIR"
mkdir -p "$BENCH_OUT"
BENCH_OUT=$(cd "$BENCH_OUT" && pwd)
log "output directory: $BENCH_OUT"

mapfile -t UPSTREAM_PORTS < <(python3 "$LIB/ports.py" 4)
start_upstreams
BENCH_UPSTREAMS=$(printf '127.0.0.1:%s,' "${UPSTREAM_PORTS[@]}")
export BENCH_UPSTREAMS=${BENCH_UPSTREAMS%,}

# command NAME PORT : the command line that starts proxy NAME on PORT, pinned as in run.sh.
command_for() {
    local name=$1 port=$2
    case $name in
        nginx)
            write_nginx_proxy_conf "$BENCH_OUT/nginx.conf" "$BENCH_OUT" "$port" "$BENCH_NGINX_KEEPALIVE" "${UPSTREAM_PORTS[@]}"
            echo "nginx -p $BENCH_OUT -e $BENCH_OUT/nginx.error.log -c $BENCH_OUT/nginx.conf" ;;
        haproxy)
            write_haproxy_conf "$BENCH_OUT/haproxy.cfg" "$port" "${UPSTREAM_PORTS[@]}"
            echo "haproxy -db -f $BENCH_OUT/haproxy.cfg" ;;
        kodiak)
            BENCH_LISTEN=127.0.0.1:$port eval "echo \"$KODIAK_CMD\"" ;;
    esac
}

# one NAME : launches NAME on a free port, prints ms to its first 200, stops it by PID.
one() {
    local port ms pid cmd
    port=$(python3 "$LIB/ports.py" 1)
    read -r -a cmd <<<"$(command_for "$1" "$port")"
    ms=$(python3 "$LIB/firstok.py" "http://127.0.0.1:$port/" 60 "$BENCH_OUT/run.pid" "$BENCH_OUT/$1.log" \
        taskset -c "$BENCH_PROXY_CPU" "${cmd[@]}") || { tail -n 15 "$BENCH_OUT/$1.log" >&2; die "$1 gave no 200"; }
    pid=$(<"$BENCH_OUT/run.pid")
    python3 "$LIB/proctree.py" stop "$pid" 5 || true
    echo "$ms"
}

[[ " $BENCH_PROXIES " != *" kodiak "* ]] || { log "an unmeasured Kodiak start (builds it if needed)"; one kodiak >/dev/null; }

echo "## Start-up: launch to first proxied 200 ($(date -u +%Y-%m-%d), $STARTUP_RUNS runs each, ms)"
echo
echo "| proxy | median | min | max |"
echo "|---|---:|---:|---:|"
for name in $BENCH_PROXIES; do
    times=()
    for ((i = 0; i < STARTUP_RUNS; i++)); do
        times+=("$(one "$name")")
    done
    printf '%s\n' "${times[@]}" | sort -n | awk -v n="$name" '{a[NR] = $1} END {printf "| %s | %d | %d | %d |\n", n, a[int((NR + 1) / 2)], a[1], a[NR]}'
done
echo
echo "Kodiak's command: \`$KODIAK_CMD\`; reproduce: \`bench/startup.sh\`"
