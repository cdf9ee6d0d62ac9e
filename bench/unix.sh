#!/usr/bin/env bash
# What a Unix-domain socket saves between Kodiak and Gunicorn: wrk -> Kodiak -> Gunicorn, with
# Kodiak reaching the same Gunicorn (gthread workers, bound to both) over unix:/PATH in one
# instance and over 127.0.0.1:PORT in the other, measured in alternating rounds as bench/protect.sh
# and bench/run.sh alternate proxies (the order flips every round, so drift in the machine's load
# falls on both). Prints a markdown table: requests per second and requests per CPU-second of
# Kodiak, and of Kodiak and Gunicorn together (Gunicorn's side of the socket counts too: that is
# where a Unix socket saves most, in the kernel's TCP stack on both ends).
#
# Not pinned to CPUs (bench/run.sh pins; here both variants share whatever the machine gives,
# alike). Not a test; CI never runs it.
#
# Usage: bench/unix.sh   (BENCH_ROUNDS=8, BENCH_DURATION=10 seconds per round, BENCH_CONNECTIONS=32,
#                         BENCH_WORKERS=2 Gunicorn workers of BENCH_THREADS=4 threads, BENCH_WARMUP=5)
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$BENCH_DIR")
LIB=$BENCH_DIR/lib
ROUNDS=${BENCH_ROUNDS:-8}
DURATION=${BENCH_DURATION:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
WORKERS=${BENCH_WORKERS:-2}
THREADS=${BENCH_THREADS:-4}
WARMUP=${BENCH_WARMUP:-5}
for name in ROUNDS DURATION CONNECTIONS WORKERS THREADS WARMUP; do
    [[ ${!name} =~ ^[0-9]+$ ]] && ((${!name} >= 1)) || { echo "BENCH_$name must be a whole number >= 1" >&2; exit 1; }
done
for tool in gunicorn wrk python3 curl; do
    command -v "$tool" >/dev/null || { echo "bench/unix.sh needs $tool" >&2; exit 1; }
done

# Short, under /tmp: a socket's path must fit in 108 bytes.
dir=$(mktemp -d /tmp/kub.XXXXXX)
socket=$dir/g.sock
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do python3 "$LIB/proctree.py" stop "$p" 5 || true; done
    rm -rf "$dir"
}
trap cleanup EXIT
log() { echo "[unix.sh] $*" >&2; }

cat >"$dir/app.py" <<'PY'
def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "3")])
    return [b"ok\n"]
PY
mapfile -t ports < <(python3 "$LIB/ports.py" 3)
gport=${ports[0]}
declare -A PORT=([unix]=${ports[1]} [tcp]=${ports[2]}) PID=()

setsid gunicorn --bind "127.0.0.1:$gport" --bind "unix:$socket" --workers "$WORKERS" --worker-class gthread \
    --threads "$THREADS" --keep-alive 60 --chdir "$dir" --log-level warning app:application >"$dir/gunicorn.log" 2>&1 &
gunicorn_pid=$!
pids+=("$gunicorn_pid")

for mode in unix tcp; do
    if [[ $mode == unix ]]; then upstream="unix:$socket"; else upstream="127.0.0.1:$gport"; fi
    cat >"$dir/$mode.yaml" <<YAML
admin: {listen: off, state-file: off}
metrics: {listen: 127.0.0.1:0}
listeners:
  - address: 127.0.0.1:${PORT[$mode]}
pools:
  app:
    upstreams:
      - "$upstream"
YAML
    (cd "$REPO_DIR" && exec bin/kodiak run -c "$dir/$mode.yaml") >"$dir/kodiak-$mode.log" 2>&1 &
    PID[$mode]=$!
    pids+=("${PID[$mode]}")
done

for mode in unix tcp; do
    python3 "$LIB/waitready.py" "http://127.0.0.1:${PORT[$mode]}/" 60 "${PID[$mode]}" 1 >/dev/null ||
        { log "kodiak ($mode) did not answer; its log:"; cat "$dir/kodiak-$mode.log" >&2; exit 1; }
    log "kodiak ($mode) ready on 127.0.0.1:${PORT[$mode]}"
    wrk -t 2 -c "$CONNECTIONS" -d "${WARMUP}s" "http://127.0.0.1:${PORT[$mode]}/" >/dev/null
done

cpu() { python3 "$LIB/proctree.py" cpu "$1"; }
rows=$dir/rows.tsv
: >"$rows"
for ((r = 1; r <= ROUNDS; r++)); do
    if ((r % 2)); then order="unix tcp"; else order="tcp unix"; fi
    for mode in $order; do
        k0=$(cpu "${PID[$mode]}") g0=$(cpu "$gunicorn_pid")
        wrk -t 2 -c "$CONNECTIONS" -d "${DURATION}s" --latency "http://127.0.0.1:${PORT[$mode]}/" >"$dir/wrk.txt"
        k1=$(cpu "${PID[$mode]}") g1=$(cpu "$gunicorn_pid")
        read -r requests seconds rps p50 p99 errors < <(python3 "$LIB/wrkparse.py" "$dir/wrk.txt")
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$mode" "$requests" "$rps" "$p99" "$errors" \
            "$(python3 -c "print($k1 - $k0)")" "$(python3 -c "print($g1 - $g0)")" >>"$rows"
        log "round $r $mode: $rps req/s, errors $errors"
    done
done

python3 - "$rows" "$ROUNDS" "$DURATION" "$CONNECTIONS" "$WORKERS" "$THREADS" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
rounds, duration, conns, workers, threads = sys.argv[2:7]
print(f"{rounds} alternating rounds of {duration} s, wrk -t 2 -c {conns}, Gunicorn {workers} gthread workers x {threads} threads, GET / -> 3 bytes\n")
print("| round | upstream | req/s | p99 ms | errors | Kodiak CPU-s | req per Kodiak CPU-s | Gunicorn CPU-s | req per CPU-s (both) |")
print("|---|---|---|---|---|---|---|---|---|")
per = {"unix": [], "tcp": []}
for r, mode, n, rps, p99, err, kcpu, gcpu in rows:
    n, rps, kcpu, gcpu = int(n), float(rps), float(kcpu), float(gcpu)
    k = n / kcpu if kcpu else float("nan")
    both = n / (kcpu + gcpu) if kcpu + gcpu else float("nan")
    per[mode].append((rps, k, both))
    print(f"| {r} | {mode} | {rps:.0f} | {float(p99) / 1000:.1f} | {err} | {kcpu:.2f} | {k:.0f} | {gcpu:.2f} | {both:.0f} |")
print()
print("| upstream | median req/s | median req per Kodiak CPU-s | median req per CPU-s (both) |")
print("|---|---|---|---|")
for mode in ("unix", "tcp"):
    v = per[mode]
    print(f"| {mode} | {statistics.median(x[0] for x in v):.0f} | {statistics.median(x[1] for x in v):.0f} | {statistics.median(x[2] for x in v):.0f} |")
u, t = per["unix"], per["tcp"]
print(f"\nunix / tcp, medians: req/s {statistics.median(x[0] for x in u) / statistics.median(x[0] for x in t):.2f}, "
      f"req per Kodiak CPU-s {statistics.median(x[1] for x in u) / statistics.median(x[1] for x in t):.2f}, "
      f"req per CPU-s (both) {statistics.median(x[2] for x in u) / statistics.median(x[2] for x in t):.2f}")
PY
