#!/usr/bin/env bash
# TLS side by side (issue 15, item 9): nginx, HAProxy and Kodiak terminating TLS with the same
# certificate in front of the same four nginx upstreams (plain HTTP), each pinned to the proxy
# CPU, the clients on the load CPU, as in run.sh. For each proxy, in alternating rounds:
#   keep-alive  wrk over TLS at TLS_CONNECTIONS connections for TLS_DURATION s: requests/s and
#               requests per proxy CPU-second (the handshakes are few, the record layer is all);
#   full        openssl s_time -new for TLS_DURATION s: a full handshake per connection (TLS 1.3,
#               the certificate's key type), handshakes per proxy CPU-second;
#   resumed     openssl s_time -reuse: one full handshake, then resumptions (TLS 1.2 session IDs).
# openssl s_time is one client process: it may not fill the proxy's CPU, which is why the
# figure compared is per proxy CPU-second. Not a test; CI never runs it.
#
# Usage: bench/tls.sh    (TLS_KEY=ec|rsa (ec: P-256; rsa: 2048 bits), TLS_ROUNDS=3, TLS_DURATION=10,
#                         TLS_CONNECTIONS=64, TLS_PROXIES="nginx haproxy kodiak", KODIAK_JAVA_OPTS)
# Markdown goes to stdout and to $BENCH_OUT/report.md; progress to stderr.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$BENCH_DIR")
LIB=$BENCH_DIR/lib
# shellcheck source=lib/configs.sh
source "$LIB/configs.sh"
# shellcheck source=lib/common.sh
source "$LIB/common.sh"

TLS_KEY=${TLS_KEY:-ec}
TLS_ROUNDS=${TLS_ROUNDS:-3}
TLS_DURATION=${TLS_DURATION:-10}
TLS_CONNECTIONS=${TLS_CONNECTIONS:-64}
TLS_PROXIES=${TLS_PROXIES:-"nginx haproxy kodiak"}
BENCH_OUT=${BENCH_OUT:-$BENCH_DIR/out/tls-$(date +%Y%m%d-%H%M%S)}

check_tools nginx:nginx-light haproxy:haproxy wrk:wrk openssl:openssl taskset:util-linux python3:python3 \
    java:openjdk-17-jdk-headless
[[ $TLS_KEY == ec || $TLS_KEY == rsa ]] || die "TLS_KEY must be ec or rsa"
cd "$REPO_DIR"
mkdir -p "$BENCH_OUT"
BENCH_OUT=$(cd "$BENCH_OUT" && pwd)
RESULTS=$BENCH_OUT/results.tsv
printf 'test\tround\tproxy\tcount\tseconds\tcpu_s\n' >"$RESULTS"
log "output directory: $BENCH_OUT"

# One self-signed certificate for all three (the clients do not verify: the CA is not the point).
CERT=$BENCH_OUT/cert.pem KEY=$BENCH_OUT/key.pem
if [[ $TLS_KEY == ec ]]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$KEY" -out "$CERT" -days 2 \
        -subj /CN=localhost -addext subjectAltName=DNS:localhost 2>/dev/null
else
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$KEY" -out "$CERT" -days 2 \
        -subj /CN=localhost -addext subjectAltName=DNS:localhost 2>/dev/null
fi
cat "$CERT" "$KEY" >"$BENCH_OUT/haproxy.pem"

mapfile -t ports < <(python3 "$LIB/ports.py" 7)
UPSTREAM_PORTS=("${ports[@]:0:4}")
PORT[nginx]=${ports[4]} PORT[haproxy]=${ports[5]} PORT[kodiak]=${ports[6]}
start_upstreams

# Each as alike as the products allow: TLS 1.2 and 1.3, a session cache, ALPN http/1.1, pooled
# keep-alive connections to the plain upstreams.
start_nginx() {
    NGINX_LISTEN_EXTRA=ssl NGINX_SERVER_EXTRA="ssl_certificate $CERT; ssl_certificate_key $KEY; ssl_protocols TLSv1.2 TLSv1.3; ssl_session_cache shared:SSL:10m;" \
        write_nginx_proxy_conf "$BENCH_OUT/nginx-tls.conf" "$BENCH_OUT" "${PORT[nginx]}" "$BENCH_NGINX_KEEPALIVE" "${UPSTREAM_PORTS[@]}"
    start_pinned nginx "$BENCH_PROXY_CPU" nginx -p "$BENCH_OUT" -e "$BENCH_OUT/nginx.error.log" -c "$BENCH_OUT/nginx-tls.conf"
}
start_haproxy() {
    HAPROXY_BIND_EXTRA="ssl crt $BENCH_OUT/haproxy.pem alpn http/1.1 ssl-min-ver TLSv1.2" \
        write_haproxy_conf "$BENCH_OUT/haproxy-tls.cfg" "${PORT[haproxy]}" "${UPSTREAM_PORTS[@]}"
    start_pinned haproxy "$BENCH_PROXY_CPU" haproxy -db -f "$BENCH_OUT/haproxy-tls.cfg"
}
start_kodiak() {
    local upstreams
    upstreams=$(printf '127.0.0.1:%s,' "${UPSTREAM_PORTS[@]}")
    start_pinned kodiak "$BENCH_PROXY_CPU" bin/kodiak proxy --listen "127.0.0.1:${PORT[kodiak]}" --to "${upstreams%,}" \
        --strategy round-robin --admin off --metrics 127.0.0.1:0 --tls-cert "$CERT" --tls-key "$KEY"
}

# ready PROXY : an HTTPS 200 within 60 s.
ready() {
    local i
    for ((i = 0; i < 120; i++)); do
        alive "$1" || { log_tail "$1"; die "$1 exited during start-up"; }
        if curl -sk --max-time 2 -o /dev/null -w '%{http_code}' "https://localhost:${PORT[$1]}/" 2>/dev/null | grep -q 200; then
            return 0
        fi
        sleep 0.5
    done
    log_tail "$1"
    die "$1 gave no HTTPS 200 within 60 s"
}

for proxy in $TLS_PROXIES; do
    "start_$proxy"
    ready "$proxy"
    log "$proxy ready on https://localhost:${PORT[$proxy]}"
done
for proxy in $TLS_PROXIES; do
    secs=5
    [[ $proxy == kodiak ]] && secs=15
    log "warm-up $proxy: ${secs}s"
    taskset -c "$BENCH_LOAD_CPU" wrk -t1 -c "$TLS_CONNECTIONS" -d "${secs}s" "https://localhost:${PORT[$proxy]}/" \
        >"$BENCH_OUT/warmup-$proxy.txt" 2>&1 || true
    taskset -c "$BENCH_LOAD_CPU" openssl s_time -connect "localhost:${PORT[$proxy]}" -new -time 3 >/dev/null 2>&1 || true
done

cpu() { python3 "$LIB/proctree.py" cpu "${PID[$1]}"; }

# measure TEST ROUND PROXY : one row of results.tsv (count of requests or handshakes, wall seconds, proxy CPU).
measure() {
    local test=$1 round=$2 proxy=$3 before after out count secs start end
    before=$(cpu "$proxy")
    start=$(date +%s.%N)
    out=$BENCH_OUT/$test-$proxy-r$round.txt
    case $test in
    keepalive)
        taskset -c "$BENCH_LOAD_CPU" wrk -t1 -c "$TLS_CONNECTIONS" -d "${TLS_DURATION}s" "https://localhost:${PORT[$proxy]}/" >"$out" 2>&1 || true
        count=$(awk '/requests in/ { print $1 }' "$out")
        ;;
    full)
        taskset -c "$BENCH_LOAD_CPU" openssl s_time -connect "localhost:${PORT[$proxy]}" -new -time "$TLS_DURATION" >"$out" 2>&1 || true
        count=$(awk '/connections in [0-9.]+s;/ { print $1; exit }' "$out")
        ;;
    resumed)
        taskset -c "$BENCH_LOAD_CPU" openssl s_time -connect "localhost:${PORT[$proxy]}" -reuse -tls1_2 -time "$TLS_DURATION" >"$out" 2>&1 || true
        count=$(awk '/connections in [0-9.]+s;/ { print $1; exit }' "$out")
        ;;
    esac
    end=$(date +%s.%N)
    after=$(cpu "$proxy")
    secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$test" "$round" "$proxy" "${count:-0}" "$secs" \
        "$(awk -v a="$before" -v b="$after" 'BEGIN { printf "%.2f", b - a }')" >>"$RESULTS"
    log "$(printf '%-9s round %s %-8s %8s in %ss, proxy cpu %ss' "$test" "$round" "$proxy" "${count:-0}" "$secs" \
        "$(awk -v a="$before" -v b="$after" 'BEGIN { printf "%.2f", b - a }')")"
}

for test in keepalive full resumed; do
    for ((round = 1; round <= TLS_ROUNDS; round++)); do
        for proxy in $TLS_PROXIES; do
            sleep 1
            measure "$test" "$round" "$proxy"
        done
    done
done

{
    echo "## TLS benchmark ($(date -u +%Y-%m-%dT%H:%MZ))"
    echo
    print_versions
    echo "- openssl: $(openssl version)"
    echo "- certificate: $([[ $TLS_KEY == ec ]] && echo 'ECDSA P-256' || echo 'RSA 2048'), self-signed, the same file for all three"
    echo "- proxies pinned to CPU $BENCH_PROXY_CPU; wrk (-t1, $TLS_CONNECTIONS connections) and openssl s_time (one process) on CPU $BENCH_LOAD_CPU with the 4 upstreams"
    echo "- $TLS_ROUNDS rounds x ${TLS_DURATION}s per test and proxy, proxies alternating; medians; per CPU-s = count / proxy CPU seconds"
    echo "- keepalive: wrk over TLS (requests); full: s_time -new (TLS 1.3 full handshakes); resumed: s_time -reuse -tls1_2 (session resumption)"
    echo
    python3 - "$RESULTS" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
tests = ["keepalive", "full", "resumed"]
proxies = list(dict.fromkeys(r["proxy"] for r in rows))
def med(test, proxy, f):
    v = [f(r) for r in rows if r["test"] == test and r["proxy"] == proxy and float(r["cpu_s"]) > 0]
    return statistics.median(v) if v else None
print("| test | proxy | per second | per proxy CPU-s | proxy CPU |")
print("|---|---|---:|---:|---:|")
for t in tests:
    for p in proxies:
        rate = med(t, p, lambda r: int(r["count"]) / float(r["seconds"]))
        per_cpu = med(t, p, lambda r: int(r["count"]) / float(r["cpu_s"]))
        cpu = med(t, p, lambda r: 100 * float(r["cpu_s"]) / float(r["seconds"]))
        if rate is None:
            print(f"| {t} | {p} | n/a | n/a | n/a |")
        else:
            print(f"| {t} | {p} | {rate:,.0f} | {per_cpu:,.0f} | {cpu:.0f}% |")
print()
if "kodiak" in proxies:
    print("| kodiak vs | keepalive per CPU-s | full handshakes per CPU-s | resumed per CPU-s |")
    print("|---|---:|---:|---:|")
    for p in proxies:
        if p == "kodiak":
            continue
        cells = []
        for t in tests:
            a = med(t, "kodiak", lambda r: int(r["count"]) / float(r["cpu_s"]))
            b = med(t, p, lambda r: int(r["count"]) / float(r["cpu_s"]))
            cells.append(f"{a / b:.2f}x" if a and b else "n/a")
        print(f"| {p} | " + " | ".join(cells) + " |")
    print()
PY
    echo "Raw files: $BENCH_OUT"
} | tee "$BENCH_OUT/report.md"
