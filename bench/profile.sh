#!/usr/bin/env bash
# Where a proxied request's CPU goes (issue 14, item 1). Kodiak runs pinned to one CPU under the
# benchmark's load (wrk and four nginx upstreams on the other CPU, as in run.sh), and after a
# warm-up this measures, each over its own window of PROFILE_WINDOW seconds:
#   1. CPU per request, per thread (/proc/PID/task/*/stat before and after);
#   2. where it goes: async-profiler CPU samples, grouped by bench/lib/costs.py;
#   3. allocation per request and where: async-profiler allocation samples (total bytes);
#   4. system calls per request: strace -c -f on Kodiak, and on HAProxy for comparison.
# Not a test; CI never runs it. Prints markdown to stdout; raw files go to $BENCH_OUT.
#
# Usage: bench/profile.sh    (PROFILE_CONNECTIONS=64, PROFILE_WINDOW=15, PROFILE_WARMUP=30,
#                            KODIAK_CMD as in run.sh; async-profiler comes from Maven Central)
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$BENCH_DIR")
LIB=$BENCH_DIR/lib
# shellcheck source=lib/configs.sh
source "$LIB/configs.sh"
# shellcheck source=lib/common.sh
source "$LIB/common.sh"

PROFILE_CONNECTIONS=${PROFILE_CONNECTIONS:-64}
PROFILE_WINDOW=${PROFILE_WINDOW:-15}
PROFILE_WARMUP=${PROFILE_WARMUP:-30}
BENCH_OUT=${BENCH_OUT:-$BENCH_DIR/out/profile-$(date +%Y%m%d-%H%M%S)}
KODIAK_CMD=${KODIAK_CMD:-'bin/kodiak proxy --listen $BENCH_LISTEN --to $BENCH_UPSTREAMS --strategy round-robin --admin off --metrics 127.0.0.1:0'}
ASYNC_PROFILER_VERSION=3.0

check_tools nginx:nginx-light wrk:wrk taskset:util-linux python3:python3 strace:strace java:openjdk-17-jdk-headless
cd "$REPO_DIR"
mkdir -p "$BENCH_OUT"
BENCH_OUT=$(cd "$BENCH_OUT" && pwd)
log "output directory: $BENCH_OUT"

# async-profiler's agent, from its Maven Central jar (the machine reaches Maven Central only).
profiler_lib() {
    local jar=$HOME/.m2/repository/tools/profiler/async-profiler/$ASYNC_PROFILER_VERSION/async-profiler-$ASYNC_PROFILER_VERSION.jar
    if [[ ! -f $jar ]]; then
        ./mvnw -q -B dependency:get -Dartifact="tools.profiler:async-profiler:$ASYNC_PROFILER_VERSION" >&2 ||
            die "could not fetch async-profiler $ASYNC_PROFILER_VERSION from Maven Central"
    fi
    local dir=$BENCH_OUT/async-profiler
    mkdir -p "$dir"
    (cd "$dir" && python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract("linux-x64/libasyncProfiler.so")' "$jar")
    echo "$dir/linux-x64/libasyncProfiler.so"
}

# profiler PID OPTIONS : loads the agent into PID with OPTIONS (start,... or stop,...).
profiler() {
    java "$LIB/Attach.java" "$1" "$AP_LIB" "$2" >&2
}

# thread_cpu PID : "thread-name ticks" per thread group (digits and #N folded into one name).
thread_cpu() {
    python3 - "$1" <<'PY'
import glob, re, sys, collections
ticks = collections.Counter()
for f in glob.glob(f"/proc/{sys.argv[1]}/task/*/stat"):
    try:
        s = open(f).read()
    except OSError:
        continue  # the thread ended
    name = re.sub(r"[#(].*|\d+$", "", s[s.index("(") + 1:s.rindex(")")]).strip().replace(" ", "_")
    rest = s[s.rindex(")") + 2:].split()
    ticks[name] += int(rest[11]) + int(rest[12])  # utime + stime
for k, v in ticks.items():
    print(k, v)
PY
}

# window NAME : wrk for PROFILE_WINDOW seconds against Kodiak; prints the requests it completed.
window() {
    run_wrk "$KODIAK_PORT" "$PROFILE_CONNECTIONS" "$PROFILE_WINDOW" "$BENCH_OUT/wrk-$1.txt" || true
    python3 "$LIB/wrkparse.py" "$BENCH_OUT/wrk-$1.txt" | cut -f1
}

mapfile -t ports < <(python3 "$LIB/ports.py" 6)
UPSTREAM_PORTS=("${ports[@]:0:4}")
KODIAK_PORT=${ports[4]} HAPROXY_PORT=${ports[5]}
start_upstreams

AP_LIB=$(profiler_lib)
export BENCH_LISTEN=127.0.0.1:$KODIAK_PORT
BENCH_UPSTREAMS=$(printf '127.0.0.1:%s,' "${UPSTREAM_PORTS[@]}")
export BENCH_UPSTREAMS=${BENCH_UPSTREAMS%,}
log "starting kodiak: $KODIAK_CMD"
start_pinned kodiak "$BENCH_PROXY_CPU" bash -c "exec $KODIAK_CMD"
python3 "$LIB/waitready.py" "http://127.0.0.1:$KODIAK_PORT/" 60 "${PID[kodiak]}" 4 >/dev/null ||
    { log_tail kodiak; die "kodiak did not come up"; }
JPID=$(pgrep -P "${PID[kodiak]}" java || echo "${PID[kodiak]}")
[[ $(readlink "/proc/$JPID/exe") == */java ]] || die "no JVM found under PID ${PID[kodiak]}"

log "warm-up: ${PROFILE_WARMUP}s at $PROFILE_CONNECTIONS connections"
run_wrk "$KODIAK_PORT" "$PROFILE_CONNECTIONS" "$PROFILE_WARMUP" "$BENCH_OUT/wrk-warmup.txt" || true

log "window 1: CPU per thread"
thread_cpu "$JPID" >"$BENCH_OUT/threads.before"
n=$(window threads)
thread_cpu "$JPID" >"$BENCH_OUT/threads.after"
hz=$(getconf CLK_TCK)
read -r CPU_US THREAD_TABLE < <(python3 - "$BENCH_OUT/threads.before" "$BENCH_OUT/threads.after" "$n" "$hz" <<'PY'
import sys
before = dict(l.split() for l in open(sys.argv[1]))
after = dict(l.split() for l in open(sys.argv[2]))
n, hz = int(sys.argv[3]), int(sys.argv[4])
us = {k: (int(v) - int(before.get(k, 0))) * 1e6 / hz / n for k, v in after.items()}
total = sum(us.values())
rows = " ".join(f"{k}={v:.2f}" for k, v in sorted(us.items(), key=lambda kv: -kv[1]) if v >= 0.01)
print(f"{total:.2f} {rows}")
PY
)

log "window 2: CPU samples"
profiler "$JPID" "start,event=cpu,interval=100us,threads"
n2=$(window cpu)
profiler "$JPID" "stop,file=$BENCH_OUT/cpu.collapsed,collapsed"

log "window 3: allocation samples"
profiler "$JPID" "start,event=alloc,threads,total"
n3=$(window alloc)
profiler "$JPID" "stop,file=$BENCH_OUT/alloc.collapsed,collapsed,total"
ALLOC_BYTES=$(awk '{n += $NF} END {printf "%.0f\n", n}' "$BENCH_OUT/alloc.collapsed") # %d stops at 2^31 in mawk

log "window 4: system calls (strace slows Kodiak down; the counts per request are what matter)"
strace -c -f -p "$JPID" -o "$BENCH_OUT/strace-kodiak.txt" &
STRACE_PID=$!
sleep 1
n4=$(window strace)
kill -INT "$STRACE_PID"; wait "$STRACE_PID" 2>/dev/null || true

HAPROXY_NOTE="HAProxy not installed: no comparison"
if command -v haproxy >/dev/null; then
    write_haproxy_conf "$BENCH_OUT/haproxy.cfg" "$HAPROXY_PORT" "${UPSTREAM_PORTS[@]}"
    start_pinned haproxy "$BENCH_PROXY_CPU" haproxy -db -f "$BENCH_OUT/haproxy.cfg"
    python3 "$LIB/waitready.py" "http://127.0.0.1:$HAPROXY_PORT/" 10 "${PID[haproxy]}" 4 >/dev/null || die "haproxy did not come up"
    run_wrk "$HAPROXY_PORT" "$PROFILE_CONNECTIONS" 5 "$BENCH_OUT/wrk-haproxy-warmup.txt" || true
    strace -c -f -p "${PID[haproxy]}" -o "$BENCH_OUT/strace-haproxy.txt" &
    STRACE_PID=$!
    sleep 1
    run_wrk "$HAPROXY_PORT" "$PROFILE_CONNECTIONS" "$PROFILE_WINDOW" "$BENCH_OUT/wrk-haproxy-strace.txt" || true
    n5=$(python3 "$LIB/wrkparse.py" "$BENCH_OUT/wrk-haproxy-strace.txt" | cut -f1)
    kill -INT "$STRACE_PID"; wait "$STRACE_PID" 2>/dev/null || true
    HAPROXY_NOTE=""
fi

# strace_table FILE REQUESTS : calls per request by system call, the busiest first.
strace_table() {
    # Columns: % time, seconds, usecs/call, calls, [errors,] syscall: calls is the fourth either way.
    awk -v n="$2" '$1 ~ /^[0-9.]+$/ && NF >= 5 {printf "%s %.2f\n", $NF, $4 / n}' "$1" |
        sort -k2 -rn | head -12
}

{
    echo "## Where a request's CPU goes ($(date -u +%Y-%m-%d), $PROFILE_CONNECTIONS connections, GET ${BENCH_PATH:-/})"
    echo
    echo "- command: \`$KODIAK_CMD\`; java: $("$(readlink "/proc/$JPID/exe")" -version 2>&1 | head -1)"
    echo "- Kodiak pinned to CPU $BENCH_PROXY_CPU, wrk and 4 nginx upstreams on CPU $BENCH_LOAD_CPU; ${PROFILE_WARMUP}s warm-up, then windows of ${PROFILE_WINDOW}s"
    echo "- reproduce: \`bench/profile.sh\` (raw files: $BENCH_OUT)"
    echo
    echo "CPU per request, by thread (us, window 1, $n requests): **$CPU_US us** in all"
    echo
    tr ' ' '\n' <<<"$THREAD_TABLE" | sed 's/=/: /; s/^/- /'
    echo
    echo "Where it goes (async-profiler CPU samples, window 2, $n2 requests), scaled to $CPU_US us:"
    echo
    python3 "$LIB/costs.py" "$BENCH_OUT/cpu.collapsed" "$CPU_US" us 15
    echo
    echo "Allocation (async-profiler, window 3, $n3 requests): $((ALLOC_BYTES / (n3 > 0 ? n3 : 1))) bytes per request"
    echo
    python3 "$LIB/costs.py" "$BENCH_OUT/alloc.collapsed" "$((ALLOC_BYTES / (n3 > 0 ? n3 : 1)))" bytes 10
    echo
    echo "System calls per request (strace -c -f, window 4, $n4 requests):"
    echo
    echo "| call | Kodiak | HAProxy |"
    echo "|---|---:|---:|"
    # HAProxy's sendto/recvfrom are its write/read: the rows stay apart, as strace names them.
    join -a1 -a2 -e - -o 0,1.2,2.2 <(strace_table "$BENCH_OUT/strace-kodiak.txt" "$n4" | sort) \
        <( [[ -z $HAPROXY_NOTE ]] && strace_table "$BENCH_OUT/strace-haproxy.txt" "$n5" | sort) |
        sort -k2 -rn | awk '{printf "| %s | %s | %s |\n", $1, $2, $3}'
    [[ -z $HAPROXY_NOTE ]] || echo "($HAPROXY_NOTE)"
} | tee "$BENCH_OUT/profile.md"
