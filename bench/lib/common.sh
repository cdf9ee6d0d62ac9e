# shellcheck shell=bash
# Shared by the benchmark scripts (sourced, not executed): logging, notes for the report,
# processes started pinned to a CPU and stopped by PID on exit, readiness probes, wrk runs
# and the versions block. The sourcing script sets BENCH_DIR, LIB and BENCH_OUT before it
# starts anything.

# Settings every script shares (bench/README.md lists them), from the environment or these.
# BENCH_CORES=1: each proxy on one CPU with one worker (nginx worker_processes 1, HAProxy
# nbthread 1, Kodiak one selector), wrk and the upstreams on the other. BENCH_CORES=N > 1:
# the proxy may use CPUs 0..N-1 with N workers, and wrk and the upstreams share those CPUs
# (this machine has two), so the peers meet on the same ground as with more cores.
BENCH_CORES=${BENCH_CORES:-1}
if [[ $BENCH_CORES =~ ^[0-9]+$ ]] && ((BENCH_CORES > 1)); then
    BENCH_PROXY_CPU=${BENCH_PROXY_CPU:-0-$((BENCH_CORES - 1))}
    BENCH_LOAD_CPU=${BENCH_LOAD_CPU:-0-$((BENCH_CORES - 1))}
    BENCH_WRK_THREADS=${BENCH_WRK_THREADS:-$BENCH_CORES}
fi
BENCH_PROXY_CPU=${BENCH_PROXY_CPU:-1}
BENCH_LOAD_CPU=${BENCH_LOAD_CPU:-0}
BENCH_WRK_THREADS=${BENCH_WRK_THREADS:-1}
BENCH_WRK_TIMEOUT=${BENCH_WRK_TIMEOUT:-5s}
BENCH_NGINX_KEEPALIVE=${BENCH_NGINX_KEEPALIVE:-64}

log() { printf '[bench] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

NOTES=()
note() { NOTES+=("$*"); log "note: $*"; }

declare -A PID=() PORT=()
STARTED=()   # names in start order, stopped in reverse
WRK_PID=""
SAMPLER_PID_SAVED=""

cleanup() {
    local rc=$? i name
    trap - EXIT INT TERM
    if [[ -n $WRK_PID ]]; then
        kill "$WRK_PID" 2>/dev/null || true
        wait "$WRK_PID" 2>/dev/null || true
    fi
    if [[ -n $SAMPLER_PID_SAVED ]]; then
        kill "$SAMPLER_PID_SAVED" 2>/dev/null || true
        wait "$SAMPLER_PID_SAVED" 2>/dev/null || true
    fi
    for ((i = ${#STARTED[@]} - 1; i >= 0; i--)); do
        name=${STARTED[i]}
        python3 "$LIB/proctree.py" stop "${PID[$name]}" 5 || true
        wait "${PID[$name]}" 2>/dev/null || true
    done
    ((${#STARTED[@]} == 0)) || log "stopped: ${STARTED[*]}"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_pinned NAME CPU CMD... : run CMD pinned to CPU, output to $BENCH_OUT/NAME.log.
# taskset execs CMD, so the recorded PID is the server itself (or its launcher).
start_pinned() {
    local name=$1 cpu=$2
    shift 2
    taskset -c "$cpu" "$@" >"$BENCH_OUT/$name.log" 2>&1 &
    PID[$name]=$!
    STARTED+=("$name")
}

stop_one() {
    python3 "$LIB/proctree.py" stop "${PID[$1]}" 5 || true
    wait "${PID[$1]}" 2>/dev/null || true
    local kept=() n
    for n in "${STARTED[@]}"; do [[ $n == "$1" ]] || kept+=("$n"); done
    STARTED=("${kept[@]}")
}

alive() { [[ -d /proc/${PID[$1]} ]] && ! grep -q '^[0-9]* (.*) Z' "/proc/${PID[$1]}/stat" 2>/dev/null; }

log_tail() { tail -n 15 "$BENCH_OUT/$1.log" 2>/dev/null | sed 's/^/    /' >&2 || true; }

# wait_ready NAME PORT TIMEOUT : wait until 127.0.0.1:PORT answers 200 (giving up at once if
# NAME's process exits), then print the distinct bodies of 8 sequential probes.
wait_ready() {
    local name=$1 port=$2 timeout=$3 seen rc=0
    seen=$(python3 "$LIB/waitready.py" "http://127.0.0.1:$port/" "$timeout" "${PID[$name]}" 8) || rc=$?
    if ((rc != 0)); then
        log "$name did not come up on port $port; last lines of $BENCH_OUT/$name.log:"
        log_tail "$name"
        return "$rc"
    fi
    printf '%s\n' "$seen"
}

# check_rotation WHAT SEEN : note it if the probes did not reach all four upstreams.
check_rotation() {
    if [[ $2 != "ok 1 ok 2 ok 3 ok 4" ]]; then
        note "$1: 8 sequential probes reached only [$2], not all four upstreams"
    fi
}

# run_wrk PORT CONNS SECONDS FILE [WRK_ARGS...] : load 127.0.0.1:PORT from the load CPU; wrk
# runs in the background so an interrupt reaches the EXIT trap at once. BENCH_WRK_HEADER, if
# set, is one request field wrk sends with every request (bench/protect.sh: the credentials).
run_wrk() {
    local port=$1 conns=$2 secs=$3 file=$4
    shift 4
    taskset -c "$BENCH_LOAD_CPU" wrk -t "$BENCH_WRK_THREADS" -c "$conns" -d "${secs}s" \
        --timeout "$BENCH_WRK_TIMEOUT" --latency ${BENCH_WRK_HEADER:+-H "$BENCH_WRK_HEADER"} "$@" \
        "http://127.0.0.1:$port${BENCH_PATH:-/}" >"$file" 2>&1 &
    WRK_PID=$!
    local rc=0
    wait "$WRK_PID" || rc=$?
    WRK_PID=""
    return "$rc"
}

# kodiak_available CMD : whether the first word of CMD is runnable (paths are relative to the
# repository root); if not, KODIAK_MISSING says why.
kodiak_available() {
    local first
    read -r first _ <<<"$1"
    if [[ -z $first ]]; then
        KODIAK_MISSING="the Kodiak command is empty"
    elif [[ $first == */* ]]; then
        [[ -x $first ]] && return 0
        KODIAK_MISSING="'$first' is not an executable file (build Kodiak first, or point KODIAK_CMD elsewhere)"
    else
        command -v "$first" >/dev/null && return 0
        KODIAK_MISSING="'$first' is not on PATH"
    fi
    return 1
}

# check_tools ENTRY... : each ENTRY is TOOL:DEBIAN_PACKAGE; dies listing the missing ones,
# and if BENCH_PROXY_CPU or BENCH_LOAD_CPU cannot be pinned to.
check_tools() {
    local missing=() entry tool pkg
    for entry in "$@"; do
        tool=${entry%%:*} pkg=${entry#*:}
        command -v "$tool" >/dev/null || missing+=("$tool (apt-get install $pkg)")
    done
    ((${#missing[@]} == 0)) || die "missing tools: ${missing[*]}"
    local cpu
    for cpu in "$BENCH_PROXY_CPU" "$BENCH_LOAD_CPU"; do
        taskset -c "$cpu" true 2>/dev/null || die "cannot pin to CPU $cpu (this machine has $(nproc) CPUs)"
    done
}

print_versions() {
    echo "- nginx: $(nginx -v 2>&1 | sed 's/^nginx version: //')"
    if command -v haproxy >/dev/null; then
        echo "- haproxy: $(haproxy -v 2>&1 | head -n 1 | sed 's/^HAProxy version //')"
    fi
    echo "- wrk: $(wrk -v 2>&1 | head -n 1 | sed 's/ Copyright.*//')"
    if command -v java >/dev/null; then
        echo "- java: $(java -version 2>&1 | head -n 1)"
    else
        echo "- java: not found"
    fi
    echo "- kernel: $(uname -r); CPU: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1) x $(nproc)"
}

# start_upstreams : the four nginx upstreams (UPSTREAM_PORTS) on the load CPU, waited for.
start_upstreams() {
    write_upstreams_conf "$BENCH_OUT/upstreams.conf" "$BENCH_OUT" "${UPSTREAM_PORTS[@]}"
    start_pinned upstreams "$BENCH_LOAD_CPU" nginx -p "$BENCH_OUT" -e "$BENCH_OUT/upstreams.error.log" \
        -c "$BENCH_OUT/upstreams.conf"
    local port
    for port in "${UPSTREAM_PORTS[@]}"; do
        python3 "$LIB/waitready.py" "http://127.0.0.1:$port/" 10 "${PID[upstreams]}" 1 >/dev/null ||
            { log_tail upstreams; die "upstream nginx did not come up on port $port"; }
    done
    log "upstreams ready on 127.0.0.1:${UPSTREAM_PORTS[*]}"
}
