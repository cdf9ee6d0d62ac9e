#!/usr/bin/env bash
# Memory per client connection (issue 14, item 7): nginx, HAProxy and Kodiak, one at a time,
# each pinned to the proxy CPU, each measured in two scenarios with IDLE_CONNECTIONS clients:
#   idle  every client sends one request, reads the answer and stays connected, silent
#         (keep-alive connections a browser or an SDK leaves behind); upstreams: four nginx.
#   hold  every client sends one request that the upstream holds (lib/slowupstream.py, no worker
#         limit, IDLE_HOLD_MS): a request in flight per client, so an upstream connection each.
# For each: start the proxy, warm it up with wrk (IDLE_WARMUP s at 64 connections), read its resident
# memory (VmRSS of the process tree), open the connections (lib/idleclients.py), wait until they
# are all open (hold: until the upstream sees them all), let it settle, read RSS again. The
# growth divided by the connections is the cost of one connection. Not a test; CI never runs it.
#
# Usage: bench/idle.sh    (IDLE_CONNECTIONS=10000, IDLE_SCENARIOS="idle hold",
#                          IDLE_PROXIES="nginx haproxy kodiak", IDLE_HOLD_MS=45000, IDLE_WARMUP=5,
#                          KODIAK_JAVA_OPTS as for bin/kodiak)
# Markdown goes to stdout and to $BENCH_OUT/report.md; progress to stderr.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$BENCH_DIR")
LIB=$BENCH_DIR/lib
# shellcheck source=lib/configs.sh
source "$LIB/configs.sh"
# shellcheck source=lib/common.sh
source "$LIB/common.sh"

IDLE_CONNECTIONS=${IDLE_CONNECTIONS:-10000}
IDLE_SCENARIOS=${IDLE_SCENARIOS:-"idle hold"}
IDLE_PROXIES=${IDLE_PROXIES:-"nginx haproxy kodiak"}
IDLE_HOLD_MS=${IDLE_HOLD_MS:-45000}
IDLE_SETTLE=${IDLE_SETTLE:-3}
# Seconds of wrk before the first reading; 0 measures from a cold start, where a JVM's first
# touch of its young generation (the garbage of the first requests) counts as growth too.
IDLE_WARMUP=${IDLE_WARMUP:-5}
BENCH_OUT=${BENCH_OUT:-$BENCH_DIR/out/idle-$(date +%Y%m%d-%H%M%S)}
# Client and upstream connections for every proxy: raise the limits the peers' configs and this
# shell's children run under, as far as the hard limit allows (containers often cap it at 20,000).
ulimit -Hn $((IDLE_CONNECTIONS * 2 + 1024)) 2>/dev/null || true
ulimit -n "$(ulimit -Hn)"
# HAProxy reserves two descriptors per maxconn and by default refuses to start when the limit
# is lower; the idle clients need one each, so it may go on with a warning.
export NGINX_WORKER_CONNECTIONS=$((IDLE_CONNECTIONS * 2 + 1024)) HAPROXY_MAXCONN=$((IDLE_CONNECTIONS * 2 + 1024))
export HAPROXY_GLOBAL_EXTRA="no strict-limits"

check_tools nginx:nginx-light haproxy:haproxy wrk:wrk taskset:util-linux python3:python3 ss:iproute2 \
    java:openjdk-17-jdk-headless
FD_LIMIT=$(ulimit -n)
((FD_LIMIT >= IDLE_CONNECTIONS + 1024)) || die "open files limit $FD_LIMIT < $((IDLE_CONNECTIONS + 1024)) needed; lower IDLE_CONNECTIONS"
# hold: the proxy has a client and an upstream socket per connection.
HOLD_CONNECTIONS=$IDLE_CONNECTIONS
if ((FD_LIMIT < IDLE_CONNECTIONS * 2 + 1024)); then
    HOLD_CONNECTIONS=$(((FD_LIMIT - 1024) / 2))
    note "hold: $HOLD_CONNECTIONS connections, not $IDLE_CONNECTIONS: the open files limit is $FD_LIMIT and cannot be raised here"
fi
cd "$REPO_DIR"
mkdir -p "$BENCH_OUT"
BENCH_OUT=$(cd "$BENCH_OUT" && pwd)
RESULTS=$BENCH_OUT/results.tsv
printf 'scenario\tproxy\topen\tfailed\trss_before_kib\trss_after_kib\tlive_before_b\tlive_after_b\trss_after_gc_kib\n' >"$RESULTS"
log "output directory: $BENCH_OUT"

mapfile -t ports < <(python3 "$LIB/ports.py" 6)
UPSTREAM_PORTS=("${ports[@]:0:4}")
SLOW_PORT=${ports[4]}
LISTEN_PORT=${ports[5]}

start_upstreams
start_pinned slow "$BENCH_LOAD_CPU" python3 "$LIB/slowupstream.py" "$SLOW_PORT" slow "$IDLE_HOLD_MS" 0
python3 "$LIB/waitready.py" "http://127.0.0.1:$SLOW_PORT/__health" 10 "${PID[slow]}" 1 >/dev/null ||
    { log_tail slow; die "slow upstream did not come up on port $SLOW_PORT"; }

# start_proxy PROXY SCENARIO : the proxy on LISTEN_PORT in front of the scenario's upstreams.
start_proxy() {
    local proxy=$1 scenario=$2 upstreams=("${UPSTREAM_PORTS[@]}")
    [[ $scenario == hold ]] && upstreams=("$SLOW_PORT")
    case $proxy in
    nginx)
        write_nginx_proxy_conf "$BENCH_OUT/nginx-$scenario.conf" "$BENCH_OUT" "$LISTEN_PORT" \
            "$BENCH_NGINX_KEEPALIVE" "${upstreams[@]}"
        start_pinned nginx "$BENCH_PROXY_CPU" nginx -p "$BENCH_OUT" -e "$BENCH_OUT/nginx.error.log" \
            -c "$BENCH_OUT/nginx-$scenario.conf"
        ;;
    haproxy)
        # Its active check must not ask for a held path.
        HAPROXY_CHECK_PATH=$( [[ $scenario == hold ]] && echo /__health || echo / ) \
            write_haproxy_conf "$BENCH_OUT/haproxy-$scenario.cfg" "$LISTEN_PORT" "${upstreams[@]}"
        start_pinned haproxy "$BENCH_PROXY_CPU" haproxy -db -f "$BENCH_OUT/haproxy-$scenario.cfg"
        ;;
    kodiak)
        # As it ships (metrics on, health checks, retries), with room for the connections: the
        # listener's default max-connections is 10,000.
        {
            echo "admin: {listen: off}"
            echo "metrics: {listen: 127.0.0.1:0}"
            echo "listeners:"
            echo "  - address: 127.0.0.1:$LISTEN_PORT"
            echo "    limits: {max-connections: $((IDLE_CONNECTIONS * 2))}"
            echo "pools:"
            echo "  default:"
            echo "    upstreams:"
            local port
            for port in "${upstreams[@]}"; do echo "      - 127.0.0.1:$port"; done
        } >"$BENCH_OUT/kodiak-$scenario.yaml"
        start_pinned kodiak "$BENCH_PROXY_CPU" bin/kodiak run -c "$BENCH_OUT/kodiak-$scenario.yaml"
        ;;
    esac
    local path=/
    [[ $scenario == hold ]] && path=/__health
    python3 "$LIB/waitready.py" "http://127.0.0.1:$LISTEN_PORT$path" 60 "${PID[$proxy]}" 1 >/dev/null ||
        { log_tail "$proxy"; die "$proxy did not come up on port $LISTEN_PORT"; }
    if ((IDLE_WARMUP > 0)); then
        log "warm-up $proxy ($scenario): ${IDLE_WARMUP}s at 64 connections"
        BENCH_PATH=$path run_wrk "$LISTEN_PORT" 64 "$IDLE_WARMUP" "$BENCH_OUT/warmup-$proxy-$scenario.txt" || true
    fi
    sleep 2
}

# live_heap PID : bytes of live objects in a JVM, after the full collection a class histogram
# forces. A JVM's resident memory right after the connections open holds them in the young
# generation, touched already; only a collection (or later load) moves them to the old one.
live_heap() {
    jcmd "$1" GC.class_histogram 2>/dev/null | awk '/^Total/ { print $3 }'
}

# established PORT : client connections established to 127.0.0.1:PORT (as the server side sees them).
established() {
    ss -Htn state established "( sport = :$1 )" | wc -l
}

# measure PROXY SCENARIO : one row of results.tsv.
measure() {
    local proxy=$1 scenario=$2 before after line open failed path=/ mode=idle count=$IDLE_CONNECTIONS
    [[ $scenario == hold ]] && mode=hold count=$HOLD_CONNECTIONS
    local live_before=- live_after=- after_gc=-
    [[ $proxy == kodiak ]] && live_before=$(live_heap "${PID[$proxy]}")
    before=$(python3 "$LIB/proctree.py" rss "${PID[$proxy]}")
    log "$proxy ($scenario): RSS $((before / 1024)) MiB; opening $count connections"
    coproc CLIENTS { exec taskset -c "$BENCH_LOAD_CPU" python3 -u "$LIB/idleclients.py" "$LISTEN_PORT" \
        "$count" "$path" "$mode" 2>>"$BENCH_OUT/clients.log"; }
    local clients_pid=$CLIENTS_PID clients_in=${CLIENTS[1]}
    IFS= read -r -t 300 line <&"${CLIENTS[0]}" || die "$proxy ($scenario): the clients did not report within 300 s"
    read -r _ open failed <<<"$line"
    if [[ $scenario == hold ]]; then
        # Each held request has reached the upstream once the upstream holds that many connections.
        local waited=0
        while (($(established "$SLOW_PORT") < open && waited < 120)); do
            sleep 0.5
            waited=$((waited + 1))
        done
        log "$proxy ($scenario): the upstream holds $(established "$SLOW_PORT") connections"
    fi
    sleep "$IDLE_SETTLE"
    after=$(python3 "$LIB/proctree.py" rss "${PID[$proxy]}")
    log "$proxy ($scenario): $open open, $failed failed; RSS $((after / 1024)) MiB"
    if [[ $proxy == kodiak ]]; then
        live_after=$(live_heap "${PID[$proxy]}")
        after_gc=$(python3 "$LIB/proctree.py" rss "${PID[$proxy]}")
        log "$proxy ($scenario): live heap $((live_before / 1024)) -> $((live_after / 1024)) KiB; RSS after a full GC $((after_gc / 1024)) MiB"
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scenario" "$proxy" "$open" "$failed" "$before" "$after" \
        "$live_before" "$live_after" "$after_gc" >>"$RESULTS"
    exec {clients_in}>&-
    wait "$clients_pid" 2>/dev/null || true
}

for scenario in $IDLE_SCENARIOS; do
    for proxy in $IDLE_PROXIES; do
        start_proxy "$proxy" "$scenario"
        measure "$proxy" "$scenario"
        stop_one "$proxy"
        # Let the closed connections' upstream sides go before the next proxy binds the port.
        sleep 2
    done
done

{
    echo "## Memory per connection ($(date -u +%Y-%m-%dT%H:%MZ))"
    echo
    print_versions
    echo "- $IDLE_CONNECTIONS client connections per proxy and scenario (see the table's open column); proxies pinned to CPU $BENCH_PROXY_CPU, one at a time, each $( ((IDLE_WARMUP > 0)) && echo "warmed up with wrk (${IDLE_WARMUP} s, 64 connections)" || echo "cold (no warm-up)") before the first reading"
    echo "- idle: one request answered, then the connection stays open and silent; hold: one request each, held by the upstream for ${IDLE_HOLD_MS} ms (an upstream connection each)"
    echo "- RSS: VmRSS of the proxy's process tree (nginx: master + worker), before the connections and ${IDLE_SETTLE} s after they are all open"
    echo "- kodiak: bin/kodiak run, metrics on, admin off${KODIAK_JAVA_OPTS:+, KODIAK_JAVA_OPTS=$KODIAK_JAVA_OPTS}; live heap from jcmd GC.class_histogram (a full collection) before the connections and after the RSS reading, then RSS once more: where the connections' objects end up under load"
    for n in "${NOTES[@]}"; do echo "- NOTE: $n"; done
    echo
    echo "| scenario | proxy | open | failed | RSS before (MiB) | RSS after (MiB) | growth (MiB) | per connection (KiB) | JVM: live heap per connection (KiB) | JVM: RSS growth after a full GC (MiB) |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    awk -F'\t' 'NR > 1 {
        g = $6 - $5
        live = $7 == "-" ? "-" : sprintf("%.2f", ($8 - $7) / 1024 / ($3 ? $3 : 1))
        gc = $9 == "-" ? "-" : sprintf("%.1f", ($9 - $5) / 1024)
        printf "| %s | %s | %d | %d | %.1f | %.1f | %.1f | %.2f | %s | %s |\n", $1, $2, $3, $4, $5 / 1024, $6 / 1024, g / 1024, $3 ? g / $3 : 0, live, gc
    }' "$RESULTS"
    echo
    echo "Raw files: $BENCH_OUT"
} | tee "$BENCH_OUT/report.md"
