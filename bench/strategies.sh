#!/usr/bin/env bash
# Strategy benchmark: nginx, HAProxy and Kodiak, each with its balancing strategies, in front
# of the same four Gunicorn-like upstreams, one of them 10x slower, measured with wrk in
# alternating rounds. Not a test; CI never runs it. See bench/README.md.
#
# Usage: bench/strategies.sh     (settings through environment variables, listed below)
# The markdown report goes to stdout and to $BENCH_OUT/report.md; progress goes to stderr.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$BENCH_DIR")
LIB=$BENCH_DIR/lib
# shellcheck source=lib/configs.sh
source "$LIB/configs.sh"
# shellcheck source=lib/common.sh
source "$LIB/common.sh"

BENCH_CONFIGS=${BENCH_CONFIGS:-"nginx:round-robin nginx:least_conn nginx:random-two-least_conn
    haproxy:roundrobin haproxy:leastconn haproxy:random(2) haproxy:leastconn+maxconn
    kodiak:round-robin kodiak:least-connections kodiak:latency-weighted
    kodiak:least-connections+maxconn kodiak:latency-weighted+maxconn"}
BENCH_FAST_MS=${BENCH_FAST_MS:-1}
BENCH_SLOW_MS=${BENCH_SLOW_MS:-10}
BENCH_WORKERS=${BENCH_WORKERS:-4}
BENCH_THINK_MS=${BENCH_THINK_MS:-15}
BENCH_CONNECTIONS=${BENCH_CONNECTIONS:-64}
BENCH_ROUNDS=${BENCH_ROUNDS:-3}
BENCH_DURATION=${BENCH_DURATION:-10}
BENCH_WARMUP=${BENCH_WARMUP:-3}
BENCH_KODIAK_WARMUP=${BENCH_KODIAK_WARMUP:-10}
BENCH_PAUSE=${BENCH_PAUSE:-2}
BENCH_OUT=${BENCH_OUT:-$BENCH_DIR/out/strategies-$(date +%Y%m%d-%H%M%S)}
# Single quotes: BENCH_KODIAK_CONFIG is expanded by the shell that starts Kodiak.
KODIAK_CMD=${KODIAK_CMD:-'bin/kodiak run -c $BENCH_KODIAK_CONFIG'}
KODIAK_START_TIMEOUT=${KODIAK_START_TIMEOUT:-60}

check_settings() {
    local name
    for name in BENCH_FAST_MS BENCH_SLOW_MS BENCH_WORKERS BENCH_THINK_MS BENCH_CONNECTIONS BENCH_ROUNDS \
        BENCH_DURATION BENCH_WARMUP BENCH_KODIAK_WARMUP BENCH_PROXY_CPU BENCH_LOAD_CPU BENCH_WRK_THREADS \
        BENCH_PAUSE BENCH_NGINX_KEEPALIVE KODIAK_START_TIMEOUT; do
        [[ ${!name} =~ ^[0-9]+$ ]] || die "$name must be a whole number, got '${!name}'"
    done
    ((BENCH_ROUNDS >= 1 && BENCH_DURATION >= 1)) || die "BENCH_ROUNDS and BENCH_DURATION must be >= 1"
    ((BENCH_CONNECTIONS >= BENCH_WRK_THREADS)) || die "BENCH_CONNECTIONS must be >= BENCH_WRK_THREADS"
    ((BENCH_PROXY_CPU != BENCH_LOAD_CPU)) || die "BENCH_PROXY_CPU and BENCH_LOAD_CPU must differ"
    local cfg
    for cfg in $BENCH_CONFIGS; do
        [[ $cfg =~ ^(nginx|haproxy|kodiak):[^:]+$ ]] ||
            die "BENCH_CONFIGS entries are PROXY:STRATEGY with PROXY nginx, haproxy or kodiak; got '$cfg'"
    done
}

# --- processes ------------------------------------------------------------------------

# CONFIGS: "PROXY:STRATEGY:PORT", one listener each; PROXIES: the proxies they need.
CONFIGS=()
PROXIES=()

uses() { [[ " ${PROXIES[*]} " == *" $1 "* ]]; }

configs_of() { # PROXY : its configs, space-separated
    local cfg out=()
    for cfg in "${CONFIGS[@]}"; do [[ $cfg == "$1":* ]] && out+=("$cfg"); done
    echo "${out[*]}"
}

start_upstreams() {
    local n=1 port delay
    for port in "${UPSTREAM_PORTS[@]}"; do
        delay=$BENCH_FAST_MS
        ((n < 4)) || delay=$BENCH_SLOW_MS
        start_pinned "upstream$n" "$BENCH_LOAD_CPU" python3 "$LIB/slowupstream.py" "$port" "$n" "$delay" "$BENCH_WORKERS"
        n=$((n + 1))
    done
    n=1
    for port in "${UPSTREAM_PORTS[@]}"; do
        wait_ready "upstream$n" "$port" 10 >/dev/null || die "upstream $n did not come up on port $port"
        n=$((n + 1))
    done
    log "upstreams ready on 127.0.0.1:${UPSTREAM_PORTS[*]}: 1-3 answer in ${BENCH_FAST_MS} ms, 4 in ${BENCH_SLOW_MS} ms, $BENCH_WORKERS at a time each"
}

# wait_configs PROXY TIMEOUT : every listener of PROXY answers; round-robin ones must rotate.
wait_configs() {
    local proxy=$1 timeout=$2 cfg strategy port seen
    for cfg in $(configs_of "$proxy"); do
        IFS=: read -r _ strategy port <<<"$cfg"
        seen=$(wait_ready "$proxy" "$port" "$timeout") || return $?
        [[ $strategy != round* ]] || check_rotation "$proxy $strategy" "$seen"
    done
    log "$proxy ready: $(configs_of "$proxy")"
}

start_nginx() {
    write_nginx_strategies_conf "$BENCH_OUT/nginx-strategies.conf" "$BENCH_OUT" "$BENCH_NGINX_KEEPALIVE" \
        "$(configs_of nginx)" "${UPSTREAM_PORTS[@]}"
    start_pinned nginx "$BENCH_PROXY_CPU" nginx -p "$BENCH_OUT" -e "$BENCH_OUT/nginx-strategies.error.log" \
        -c "$BENCH_OUT/nginx-strategies.conf"
    wait_configs nginx 10 || die "nginx failed to start"
}

start_haproxy() {
    write_haproxy_strategies_conf "$BENCH_OUT/haproxy-strategies.cfg" "$BENCH_WORKERS" "$(configs_of haproxy)" \
        "${UPSTREAM_PORTS[@]}"
    haproxy -c -q -f "$BENCH_OUT/haproxy-strategies.cfg" || die "haproxy rejected $BENCH_OUT/haproxy-strategies.cfg"
    start_pinned haproxy "$BENCH_PROXY_CPU" haproxy -db -f "$BENCH_OUT/haproxy-strategies.cfg"
    wait_configs haproxy 10 || die "haproxy failed to start"
}

start_kodiak() {
    kodiak_available "$KODIAK_CMD" || die "kodiak: $KODIAK_MISSING"
    export BENCH_KODIAK_CONFIG=$BENCH_OUT/kodiak-strategies.yaml
    write_kodiak_strategies_conf "$BENCH_KODIAK_CONFIG" "$BENCH_WORKERS" "$(configs_of kodiak)" "${UPSTREAM_PORTS[@]}"
    log "starting kodiak: $KODIAK_CMD (BENCH_KODIAK_CONFIG=$BENCH_KODIAK_CONFIG)"
    # The whole JVM (every thread) inherits the affinity, so it sees one CPU.
    start_pinned kodiak "$BENCH_PROXY_CPU" bash -c "$KODIAK_CMD"
    wait_configs kodiak "$KODIAK_START_TIMEOUT" || die "kodiak failed to start (log: $BENCH_OUT/kodiak.log)"
}

# --- measuring ------------------------------------------------------------------------

export BENCH_THINK_MS

# measure INDEX ROUND : one measured run of config INDEX; appends a row to results.tsv with
# the wrk output file and how many requests each upstream served during the run.
measure() {
    local index=$1 round=$2 proxy strategy port file before after
    IFS=: read -r proxy strategy port <<<"${CONFIGS[index]}"
    alive "$proxy" || die "$proxy exited (log: $BENCH_OUT/$proxy.log)"
    file=$BENCH_OUT/wrk-$index-$proxy-r$round.txt
    before=$(python3 "$LIB/counts.py" "${UPSTREAM_PORTS[@]}")
    run_wrk "$port" "$BENCH_CONNECTIONS" "$BENCH_DURATION" "$file" -s "$LIB/think.lua" ||
        log "wrk exited non-zero for $proxy $strategy (see $file)"
    after=$(python3 "$LIB/counts.py" "${UPSTREAM_PORTS[@]}")
    local shares
    shares=$(awk -v b="$before" -v a="$after" 'BEGIN {
        split(b, x, " "); split(a, y, " ")
        printf "%d\t%d\t%d\t%d", y[1] - x[1], y[2] - x[2], y[3] - x[3], y[4] - x[4] }')
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$index" "$proxy" "$strategy" "$round" "$file" "$shares" >>"$RESULTS"
    log "$(printf '%-8s %-28s round %s: upstream requests %s' "$proxy" "$strategy" "$round" "${shares//$'\t'/ }") $(tail -n 1 "$file")"
}

# --- main -----------------------------------------------------------------------------

check_settings
check_tools nginx:nginx-light haproxy:haproxy wrk:wrk taskset:util-linux python3:python3
cd "$REPO_DIR"
mkdir -p "$BENCH_OUT"
BENCH_OUT=$(cd "$BENCH_OUT" && pwd)
RESULTS=$BENCH_OUT/results.tsv
printf 'index\tproxy\tstrategy\tround\twrk_file\tupstream1\tupstream2\tupstream3\tupstream4\n' >"$RESULTS"
log "output directory: $BENCH_OUT"

read -r -a wanted <<<"$(echo $BENCH_CONFIGS)"
mapfile -t ports < <(python3 "$LIB/ports.py" $((4 + ${#wanted[@]})))
UPSTREAM_PORTS=("${ports[@]:0:4}")
for ((i = 0; i < ${#wanted[@]}; i++)); do
    CONFIGS+=("${wanted[i]}:${ports[4 + i]}")
    proxy=${wanted[i]%%:*}
    uses "$proxy" || PROXIES+=("$proxy")
done

start_upstreams
for proxy in "${PROXIES[@]}"; do "start_$proxy"; done

for ((i = 0; i < ${#CONFIGS[@]}; i++)); do
    IFS=: read -r proxy strategy port <<<"${CONFIGS[i]}"
    secs=$BENCH_WARMUP
    [[ $proxy == kodiak ]] && secs=$BENCH_KODIAK_WARMUP
    ((secs > 0)) || continue
    log "warm-up $proxy $strategy: ${secs}s (discarded)"
    run_wrk "$port" "$BENCH_CONNECTIONS" "$secs" "$BENCH_OUT/warmup-$i.txt" -s "$LIB/think.lua" || true
    sleep "$BENCH_PAUSE"
done

for ((round = 1; round <= BENCH_ROUNDS; round++)); do
    for ((i = 0; i < ${#CONFIGS[@]}; i++)); do
        sleep "$BENCH_PAUSE"
        measure "$i" "$round"
    done
done

{
    echo "## Kodiak strategy benchmark ($(date -u +%Y-%m-%dT%H:%MZ))"
    echo
    print_versions
    echo "- upstreams: four slowupstream.py (asyncio) on CPU $BENCH_LOAD_CPU; 1-3 hold each request ${BENCH_FAST_MS} ms, upstream 4 ${BENCH_SLOW_MS} ms; each runs at most $BENCH_WORKERS requests at once (a sync Gunicorn with $BENCH_WORKERS workers) and queues the rest"
    echo "- load: wrk -t$BENCH_WRK_THREADS -c$BENCH_CONNECTIONS on CPU $BENCH_LOAD_CPU, ${BENCH_THINK_MS} ms think time per connection between a response and its next request; $BENCH_ROUNDS rounds x ${BENCH_DURATION}s per configuration, configurations alternating within each round; warm-up ${BENCH_WARMUP}s per configuration (kodiak ${BENCH_KODIAK_WARMUP}s) discarded"
    echo "- proxies pinned to CPU $BENCH_PROXY_CPU, one process (one worker, one thread) per product serving all of its configurations; pooled keep-alive to the upstreams (nginx keepalive $BENCH_NGINX_KEEPALIVE, haproxy http-reuse always); haproxy active checks (GET /__health every 2s)"
    echo "- +maxconn: at most $BENCH_WORKERS requests in flight per upstream, the rest queued in the proxy (haproxy maxconn, timeout queue 5s; kodiak max-connections, queue timeout 5s)"
    echo "- kodiak command: $KODIAK_CMD"
    for n in "${NOTES[@]}"; do echo "- NOTE: $n"; done
    echo
    python3 "$LIB/strategyreport.py" "$RESULTS"
    echo "Raw wrk output and logs: $BENCH_OUT"
} | tee "$BENCH_OUT/report.md"
