#!/usr/bin/env bash
# Side-by-side benchmark: nginx, HAProxy and Kodiak as reverse proxies in front of the
# same four upstreams, measured with wrk in alternating rounds. Not a test; CI never runs
# it. See bench/README.md for what it measures and how to read the numbers.
#
# Usage: bench/run.sh            (settings through environment variables, listed below)
# The markdown report goes to stdout and to $BENCH_OUT/report.md; progress goes to stderr.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$BENCH_DIR")
LIB=$BENCH_DIR/lib
# shellcheck source=lib/configs.sh
source "$LIB/configs.sh"
# shellcheck source=lib/common.sh
source "$LIB/common.sh"

BENCH_ROUNDS=${BENCH_ROUNDS:-3}
BENCH_DURATION=${BENCH_DURATION:-10}
BENCH_CONNECTIONS=${BENCH_CONNECTIONS:-"64 256"}
BENCH_WARMUP=${BENCH_WARMUP:-5}
BENCH_KODIAK_WARMUP=${BENCH_KODIAK_WARMUP:-15}
BENCH_PROXIES=${BENCH_PROXIES:-"nginx haproxy kodiak"}
BENCH_PAUSE=${BENCH_PAUSE:-1}
BENCH_OUT=${BENCH_OUT:-$BENCH_DIR/out/$(date +%Y%m%d-%H%M%S)}
# Single quotes: the BENCH_* variables are expanded by the shell that starts Kodiak.
# Admin API off and /metrics on a free port, so that the two Kodiaks can run side by side; metrics
# are on (recorded and served) as by default.
KODIAK_CMD=${KODIAK_CMD:-'bin/kodiak proxy --listen $BENCH_LISTEN --to $BENCH_UPSTREAMS --strategy round-robin --admin off --metrics 127.0.0.1:0'}
# kodiak-off (only if BENCH_PROXIES names it): the same Kodiak with metrics off, nothing recorded,
# to measure what metrics cost ("kodiak vs kodiak-off" in the report).
KODIAK_OFF_CMD=${KODIAK_OFF_CMD:-'bin/kodiak proxy --listen $BENCH_LISTEN --to $BENCH_UPSTREAMS --strategy round-robin --admin off --metrics off'}
KODIAK_START_TIMEOUT=${KODIAK_START_TIMEOUT:-60}

# --- settings and tools ---------------------------------------------------------------

check_settings() {
    local name
    for name in BENCH_ROUNDS BENCH_DURATION BENCH_WARMUP BENCH_KODIAK_WARMUP BENCH_CORES \
        BENCH_WRK_THREADS BENCH_PAUSE BENCH_NGINX_KEEPALIVE KODIAK_START_TIMEOUT; do
        [[ ${!name} =~ ^[0-9]+$ ]] || die "$name must be a whole number, got '${!name}'"
    done
    for name in BENCH_PROXY_CPU BENCH_LOAD_CPU; do
        [[ ${!name} =~ ^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$ ]] || die "$name must be a CPU list (1, 0-1), got '${!name}'"
    done
    ((BENCH_CORES >= 1 && BENCH_CORES <= $(nproc))) || die "BENCH_CORES must be between 1 and $(nproc)"
    ((BENCH_ROUNDS >= 1 && BENCH_DURATION >= 1)) || die "BENCH_ROUNDS and BENCH_DURATION must be >= 1"
    local c
    for c in $BENCH_CONNECTIONS; do
        [[ $c =~ ^[0-9]+$ ]] && ((c >= BENCH_WRK_THREADS)) ||
            die "BENCH_CONNECTIONS entries must be numbers >= BENCH_WRK_THREADS, got '$c'"
    done
    local p
    for p in $BENCH_PROXIES; do
        [[ $p == nginx || $p == haproxy || $p == kodiak || $p == kodiak-off ]] ||
            die "BENCH_PROXIES may only name nginx, haproxy, kodiak, kodiak-off; got '$p'"
    done
    ((BENCH_CORES > 1)) || [[ $BENCH_PROXY_CPU != "$BENCH_LOAD_CPU" ]] ||
        die "BENCH_PROXY_CPU and BENCH_LOAD_CPU must differ (BENCH_CORES=2 shares them on purpose)"
}

check_tools_for_run() {
    # nginx serves the upstreams even when nginx itself is not benchmarked.
    local tools=(nginx:nginx-light wrk:wrk taskset:util-linux python3:python3)
    [[ " $BENCH_PROXIES " != *" haproxy "* ]] || tools+=(haproxy:haproxy)
    check_tools "${tools[@]}"
}

# --- processes ------------------------------------------------------------------------

# wait_proxy NAME TIMEOUT : wait until it answers 200 and check it reaches all upstreams.
wait_proxy() {
    local name=$1 timeout=$2 seen rc=0
    seen=$(wait_ready "$name" "${PORT[$name]}" "$timeout") || rc=$?
    ((rc == 0)) || return "$rc"
    check_rotation "$name" "$seen"
    log "$name ready on 127.0.0.1:${PORT[$name]} (probes saw: $seen)"
}

start_nginx() {
    write_nginx_proxy_conf "$BENCH_OUT/nginx-proxy.conf" "$BENCH_OUT" "${PORT[nginx]}" \
        "$BENCH_NGINX_KEEPALIVE" "${UPSTREAM_PORTS[@]}"
    start_pinned nginx "$BENCH_PROXY_CPU" nginx -p "$BENCH_OUT" -e "$BENCH_OUT/nginx-proxy.error.log" \
        -c "$BENCH_OUT/nginx-proxy.conf"
    wait_proxy nginx 10 || die "nginx failed to start"
}

start_haproxy() {
    write_haproxy_conf "$BENCH_OUT/haproxy.cfg" "${PORT[haproxy]}" "${UPSTREAM_PORTS[@]}"
    haproxy -c -q -f "$BENCH_OUT/haproxy.cfg" || die "haproxy rejected $BENCH_OUT/haproxy.cfg"
    start_pinned haproxy "$BENCH_PROXY_CPU" haproxy -db -f "$BENCH_OUT/haproxy.cfg"
    wait_proxy haproxy 10 || die "haproxy failed to start"
}

start_kodiak() {
    start_kodiak_as kodiak "$KODIAK_CMD"
}

start_kodiak-off() {
    start_kodiak_as kodiak-off "$KODIAK_OFF_CMD"
}

# start_kodiak_as NAME CMD : Kodiak is optional: if it is missing or does not come up, the others still run.
start_kodiak_as() {
    local name=$1 cmd=$2
    if ! kodiak_available "$cmd"; then
        note "$name skipped: $KODIAK_MISSING"
        return 1
    fi
    export BENCH_LISTEN_PORT=${PORT[$name]} BENCH_LISTEN=127.0.0.1:${PORT[$name]}
    export BENCH_UPSTREAMS
    BENCH_UPSTREAMS=$(printf '127.0.0.1:%s,' "${UPSTREAM_PORTS[@]}")
    BENCH_UPSTREAMS=${BENCH_UPSTREAMS%,}
    log "starting $name: $cmd (BENCH_LISTEN=$BENCH_LISTEN BENCH_UPSTREAMS=$BENCH_UPSTREAMS)"
    # The whole JVM (every thread) inherits the affinity, so it sees one CPU.
    start_pinned "$name" "$BENCH_PROXY_CPU" bash -c "$cmd"
    local rc=0
    wait_proxy "$name" "$KODIAK_START_TIMEOUT" || rc=$?
    if ((rc == 2)); then
        note "$name skipped: its command exited during start-up (log: $BENCH_OUT/$name.log)"
    elif ((rc != 0)); then
        note "$name skipped: no 200 from it within ${KODIAK_START_TIMEOUT}s, or probes failed (log: $BENCH_OUT/$name.log)"
    fi
    if ((rc != 0)); then
        stop_one "$name"
        return 1
    fi
}

# --- measuring ------------------------------------------------------------------------

warm_up() {
    local proxy=$1 secs=$BENCH_WARMUP conns
    [[ $proxy == kodiak* ]] && secs=$BENCH_KODIAK_WARMUP
    ((secs > 0)) || return 0
    conns=$(tr ' ' '\n' <<<"$BENCH_CONNECTIONS" | sort -n | tail -n 1)
    log "warm-up $proxy: ${secs}s at $conns connections (discarded)"
    run_wrk "${PORT[$proxy]}" "$conns" "$secs" "$BENCH_OUT/warmup-$proxy.txt" || true
}

# One long-lived sampler (lib/sample.py --serve) on the load CPU: a fresh Python per
# sample would add its start-up time, seconds on a busy machine, to the window.
start_sampler() {
    coproc SAMPLER { exec taskset -c "$BENCH_LOAD_CPU" python3 -u "$LIB/sample.py" --serve; }
    SAMPLER_PID_SAVED=$SAMPLER_PID
}

# take_sample VAR PROXY : store a counter sample for PROXY's process tree in VAR.
take_sample() {
    local line
    echo "${PID[$2]} $BENCH_LOAD_CPU $BENCH_PROXY_CPU" >&"${SAMPLER[1]}"
    IFS= read -r -t 30 line <&"${SAMPLER[0]}" || die "CPU sampler did not answer"
    printf -v "$1" '%s' "$line"
}

# measure PROXY CONNS ROUND : one measured run; appends a row to results.tsv. CPU counters
# (proxy tree, load CPU, proxy CPU) are sampled right before wrk starts and right after it exits.
measure() {
    local proxy=$1 conns=$2 round=$3
    local file=$BENCH_OUT/wrk-$proxy-c$conns-r$round.txt before after row
    take_sample before "$proxy"
    run_wrk "${PORT[$proxy]}" "$conns" "$BENCH_DURATION" "$file" || log "wrk exited non-zero for $proxy (see $file)"
    take_sample after "$proxy"
    if ! alive "$proxy"; then
        note "$proxy exited during c=$conns round $round; run dropped, no further runs (log: $BENCH_OUT/$proxy.log)"
        GONE[$proxy]=1
        return 0
    fi
    if ! row=$(python3 "$LIB/wrkparse.py" "$file"); then
        note "$proxy c=$conns round $round: unreadable wrk output, run dropped ($file)"
        return 0
    fi
    local deltas
    # proxy tree CPU, load CPU busy, proxy CPU busy, wall: seconds over the same window
    deltas=$(awk -v b="$before" -v a="$after" 'BEGIN {
        split(b, x, " "); split(a, y, " ")
        printf "%.2f\t%.2f\t%.2f\t%.3f\n", y[1] - x[1], y[2] - x[2], y[3] - x[3], y[4] - x[4] }')
    printf '%s\t%s\t%s\t%s\t%s\n' "$conns" "$round" "$proxy" "$row" "$deltas" >>"$RESULTS"
    local -a f d
    IFS=$'\t' read -r -a f <<<"$row"
    IFS=$'\t' read -r -a d <<<"$deltas"
    log "$(printf '%-8s c=%-4s round %s: %8.0f req/s  p99 %7.0f us  errors %s  proxy cpu %5.2fs  load cpu %5.2fs  wall %ss' \
        "$proxy" "$conns" "$round" "${f[2]}" "${f[4]}" "${f[5]}" "${d[0]}" "${d[1]}" "${d[3]}")"
}

# --- main -----------------------------------------------------------------------------

check_settings
check_tools_for_run
cd "$REPO_DIR"
mkdir -p "$BENCH_OUT"
BENCH_OUT=$(cd "$BENCH_OUT" && pwd)
export BENCH_OUT # bench/lib/kodiak-routes.sh writes its config there
RESULTS=$BENCH_OUT/results.tsv
printf 'conns\tround\tproxy\trequests\tduration_s\trps\tp50_us\tp99_us\terrors\tcpu_s\tload_cpu_busy_s\tproxy_cpu_busy_s\twall_s\n' >"$RESULTS"
log "output directory: $BENCH_OUT"

mapfile -t ports < <(python3 "$LIB/ports.py" 8)
UPSTREAM_PORTS=("${ports[@]:0:4}")
PORT[nginx]=${ports[4]} PORT[haproxy]=${ports[5]} PORT[kodiak]=${ports[6]} PORT[kodiak-off]=${ports[7]}

start_upstreams
ACTIVE=()
for proxy in $BENCH_PROXIES; do
    if "start_$proxy"; then ACTIVE+=("$proxy"); fi
done
((${#ACTIVE[@]} > 0)) || die "no proxy to measure"

for proxy in "${ACTIVE[@]}"; do warm_up "$proxy"; done

declare -A GONE=()   # proxies that exited; noted once, then skipped
start_sampler

for conns in $BENCH_CONNECTIONS; do
    for ((round = 1; round <= BENCH_ROUNDS; round++)); do
        for proxy in "${ACTIVE[@]}"; do
            if ! alive "$proxy"; then
                [[ -n ${GONE[$proxy]:-} ]] ||
                    note "$proxy exited before c=$conns round $round; no further runs (log: $BENCH_OUT/$proxy.log)"
                GONE[$proxy]=1
                continue
            fi
            sleep "$BENCH_PAUSE"
            measure "$proxy" "$conns" "$round"
        done
    done
done

{
    echo "## Kodiak proxy benchmark ($(date -u +%Y-%m-%dT%H:%MZ))"
    echo
    print_versions
    if ((BENCH_CORES > 1)); then
        echo "- setup: $BENCH_CORES cores: proxies on CPUs $BENCH_PROXY_CPU with $BENCH_CORES workers/threads/selectors each (nginx worker_processes, HAProxy nbthread, Kodiak one selector per CPU), sharing them with wrk (-t$BENCH_WRK_THREADS) and the 4 upstreams (one nginx, $BENCH_CORES workers) on CPUs $BENCH_LOAD_CPU"
    else
        echo "- setup: proxies pinned to CPU $BENCH_PROXY_CPU (one worker/thread each), wrk (-t$BENCH_WRK_THREADS) and the 4 upstreams (one nginx) on CPU $BENCH_LOAD_CPU"
    fi
    echo "- runs: $BENCH_ROUNDS rounds x ${BENCH_DURATION}s per proxy and connection count, proxies alternating within each round; warm-up ${BENCH_WARMUP}s (kodiak ${BENCH_KODIAK_WARMUP}s) discarded"
    echo "- health checks: haproxy active (httpchk GET / every 2s); nginx OSS passive only (max_fails=1, fail_timeout=10s defaults)"
    echo "- nginx upstream keepalive pool: $BENCH_NGINX_KEEPALIVE idle connections; haproxy http-reuse always"
    echo "- path: ${BENCH_PATH:-/}$([[ ${BENCH_PATH:-/} == /close ]] && echo ' (the upstreams close every connection after their answer)')"
    if [[ " ${ACTIVE[*]} " == *" kodiak "* ]]; then echo "- kodiak command: $KODIAK_CMD"; fi
    if [[ " ${ACTIVE[*]} " == *" kodiak-off "* ]]; then echo "- kodiak-off command: $KODIAK_OFF_CMD"; fi
    echo "- errors = non-2xx/3xx responses + socket errors, summed over rounds; spread = (max-min)/median of req/s"
    echo "- proxy CPU = CPU time of the proxy's process tree / wall time (100% = one core); load CPU = busy share of CPU $BENCH_LOAD_CPU (wrk + upstreams + anything else); other = busy share of CPU $BENCH_PROXY_CPU not used by the proxy (other tenants$( ((BENCH_CORES > 1)) && echo "; here mostly wrk and the upstreams, which share the CPUs"))"
    echo "- read req/s and latency as proxy limits only where proxy CPU is near 100%; req per CPU-s is the steadier comparison, best between proxies at similar proxy CPU"
    for n in "${NOTES[@]}"; do echo "- NOTE: $n"; done
    echo
    BENCH_SHARED_CPUS=$( ((BENCH_CORES > 1)) && echo 1) python3 "$LIB/report.py" "$RESULTS" kodiak
    echo "Raw wrk output and logs: $BENCH_OUT"
} | tee "$BENCH_OUT/report.md"
