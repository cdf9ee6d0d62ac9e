#!/usr/bin/env bash
# Compression side by side (issue 16, item 6): what compressing a response costs in proxy CPU,
# nginx (gzip module) against Kodiak (compression section), at the same gzip level, on the same
# compressible body. One upstream nginx serves one text file (COMP_SIZE bytes of HTML table rows,
# its own gzip off) on the load CPU; each proxy, pinned to the proxy CPU, fetches it over pooled
# keep-alive connections and compresses it for wrk (Accept-Encoding: gzip), which runs on the load
# CPU. Each case runs COMP_DURATION seconds; cases alternate between the proxies.
#
#   identity   no Accept-Encoding: the proxying alone (the baseline)
#   gzip-N     Accept-Encoding: gzip, level N for both (COMP_LEVELS)
#   br-Q       Accept-Encoding: br, Kodiak only (nginx-light has no brotli module)
#
# The figure compared is proxy CPU per MB of body (uncompressed bytes), and the compression's own
# share: that minus the identity baseline. Not a test; CI never runs it.
#
# Usage: bench/compression.sh   (COMP_DURATION=3, COMP_ROUNDS=3, COMP_LEVELS="1 6", COMP_BROTLI="4",
#                                COMP_SIZE=262144, COMP_CONNECTIONS=8, COMP_PROXIES="nginx kodiak",
#                                KODIAK_JAVA_OPTS)
# Markdown goes to stdout and to $BENCH_OUT/report.md; progress to stderr.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$BENCH_DIR")
LIB=$BENCH_DIR/lib
# shellcheck source=lib/configs.sh
source "$LIB/configs.sh"
# shellcheck source=lib/common.sh
source "$LIB/common.sh"

COMP_DURATION=${COMP_DURATION:-3}
COMP_ROUNDS=${COMP_ROUNDS:-3}
COMP_LEVELS=${COMP_LEVELS:-"1 6"}
COMP_BROTLI=${COMP_BROTLI:-4}
COMP_SIZE=${COMP_SIZE:-262144}
COMP_CONNECTIONS=${COMP_CONNECTIONS:-8}
COMP_PROXIES=${COMP_PROXIES:-"nginx kodiak"}
BENCH_OUT=${BENCH_OUT:-$BENCH_DIR/out/compression-$(date +%Y%m%d-%H%M%S)}

check_tools nginx:nginx-light wrk:wrk curl:curl taskset:util-linux python3:python3 java:openjdk-17-jdk-headless
cd "$REPO_DIR"
mkdir -p "$BENCH_OUT/www"
BENCH_OUT=$(cd "$BENCH_OUT" && pwd)
RESULTS=$BENCH_OUT/results.tsv
printf 'case\tround\tproxy\trequests\tseconds\tcpu_s\twire_bytes\n' >"$RESULTS"
log "output directory: $BENCH_OUT"

# The body: HTML table rows whose numbers change, so it compresses like a real page (about 6x
# at gzip level 1), not like a run of one byte.
python3 - "$BENCH_OUT/www/page.html" "$COMP_SIZE" <<'PY'
import sys
path, size = sys.argv[1], int(sys.argv[2])
rows, i = ["<!doctype html><table>\n"], 0
while sum(map(len, rows)) < size:
    rows.append(f"<tr><td class=\"n\">{i}</td><td>{(i * 7919) % 100003}</td><td>item {i * 31 % 977} of the list</td></tr>\n")
    i += 1
open(path, "w").write("".join(rows)[:size])
PY

mapfile -t ports < <(python3 "$LIB/ports.py" 3)
UPSTREAM_PORT=${ports[0]}
PORT[nginx]=${ports[1]} PORT[kodiak]=${ports[2]}

# The upstream: the file, uncompressed, with a Content-Length.
{
    _nginx_common "$BENCH_OUT" upstream
    echo "http {"
    _nginx_http_common "$BENCH_OUT" upstream
    echo "    types { text/html html; }"
    echo "    server { listen 127.0.0.1:$UPSTREAM_PORT; gzip off; root $BENCH_OUT/www; }"
    echo "}"
} >"$BENCH_OUT/upstream.conf"
start_pinned upstream "$BENCH_LOAD_CPU" nginx -p "$BENCH_OUT" -e "$BENCH_OUT/upstream.error.log" -c "$BENCH_OUT/upstream.conf"
python3 "$LIB/waitready.py" "http://127.0.0.1:$UPSTREAM_PORT/page.html" 10 "${PID[upstream]}" 1 >/dev/null ||
    { log_tail upstream; die "upstream nginx did not come up"; }

# One proxy per gzip level and brotli quality would mean restarts; instead each proxy listens on
# one port per case (nginx: a server per level; Kodiak: a route per level by path).
GZIP_LEVELS=($COMP_LEVELS)
start_nginx() {
    local lvl
    {
        _nginx_common "$BENCH_OUT" nginx-proxy
        echo "http {"
        _nginx_http_common "$BENCH_OUT" nginx-proxy
        echo "    upstream app { server 127.0.0.1:$UPSTREAM_PORT; keepalive 16; }"
        echo "    gzip on; gzip_types text/html; gzip_min_length 256; gzip_vary on; gzip_proxied any;"
        echo "    server {"
        echo "        listen 127.0.0.1:${PORT[nginx]};"
        for lvl in "${GZIP_LEVELS[@]}"; do
            echo "        location /gzip-$lvl/ { gzip_comp_level $lvl; proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection \"\"; }"
        done
        echo "        location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection \"\"; }"
        echo "    }"
        echo "}"
    } >"$BENCH_OUT/nginx-proxy.conf"
    start_pinned nginx "$BENCH_PROXY_CPU" nginx -p "$BENCH_OUT" -e "$BENCH_OUT/nginx.error.log" -c "$BENCH_OUT/nginx-proxy.conf"
}
start_kodiak() {
    local lvl q
    {
        echo "admin: {listen: off, state-file: off}"
        echo "metrics: off"
        echo "listeners:"
        echo "  - name: front"
        echo "    address: 127.0.0.1:${PORT[kodiak]}"
        echo "    routes:"
        for lvl in "${GZIP_LEVELS[@]}"; do
            echo "      - {path-prefix: /gzip-$lvl/, pool: app, compression: {gzip: $lvl, brotli: false, types: [text/html]}}"
        done
        for q in $COMP_BROTLI; do
            echo "      - {path-prefix: /br-$q/, pool: app, compression: {gzip: false, brotli: $q, types: [text/html]}}"
        done
        echo "      - {pool: app}"
        echo "pools:"
        echo "  app: {health-check: {type: none}, upstreams: [127.0.0.1:$UPSTREAM_PORT]}"
    } >"$BENCH_OUT/kodiak.yaml"
    start_pinned kodiak "$BENCH_PROXY_CPU" bin/kodiak run -c "$BENCH_OUT/kodiak.yaml"
}
# Each case has its own path prefix (a location or route per level); the upstream serves the same
# file under every prefix (symlinks), so both proxies forward paths unchanged and fetch the same bytes.
for lvl in "${GZIP_LEVELS[@]}"; do ln -sfn . "$BENCH_OUT/www/gzip-$lvl"; done
for q in $COMP_BROTLI; do ln -sfn . "$BENCH_OUT/www/br-$q"; done

for proxy in $COMP_PROXIES; do
    "start_$proxy"
    python3 "$LIB/waitready.py" "http://127.0.0.1:${PORT[$proxy]}/page.html" 60 "${PID[$proxy]}" 1 >/dev/null ||
        { log_tail "$proxy"; die "$proxy did not come up"; }
    log "$proxy ready on 127.0.0.1:${PORT[$proxy]}"
done

# case -> path and Accept-Encoding
CASES=(identity)
for lvl in "${GZIP_LEVELS[@]}"; do CASES+=("gzip-$lvl"); done
for q in $COMP_BROTLI; do CASES+=("br-$q"); done
path_of() { [[ $1 == identity ]] && echo /page.html || echo "/$1/page.html"; }
accept_of() { case $1 in identity) echo identity ;; gzip-*) echo gzip ;; br-*) echo br ;; esac; }

# Each response is checked once: the encoding asked for, and the body decodes to the file.
check_case() { # PROXY CASE -> compressed size, or dies
    local proxy=$1 c=$2 enc out
    out=$BENCH_OUT/check-$proxy-$c
    enc=$(curl -s --max-time 10 -H "Accept-Encoding: $(accept_of "$c")" -o "$out" -w '%header{content-encoding}' \
        "http://127.0.0.1:${PORT[$proxy]}$(path_of "$c")")
    python3 - "$out" "$BENCH_OUT/www/page.html" "$enc" "$(accept_of "$c")" <<'PY' || die "$proxy $c: wrong body or encoding"
import gzip, sys
body, want, enc, asked = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read(), sys.argv[3], sys.argv[4]
if asked == "identity":
    assert enc == "" and body == want, enc
elif asked == "gzip":
    assert enc == "gzip" and gzip.decompress(body) == want, enc
else:
    assert enc == "br", enc  # no brotli decoder in the standard library: the encoding is checked
PY
    stat -c %s "$out"
}

# Kodiak's JIT needs longer than nginx needs to fill its caches (as in tls.sh).
for proxy in $COMP_PROXIES; do
    secs=2
    [[ $proxy == kodiak ]] && secs=6
    log "warm-up $proxy: ${secs}s per case"
    for c in "${CASES[@]}"; do
        [[ $proxy == nginx && $c == br-* ]] && continue
        check_case "$proxy" "$c" >/dev/null
        taskset -c "$BENCH_LOAD_CPU" wrk -t1 -c "$COMP_CONNECTIONS" -d "${secs}s" -H "Accept-Encoding: $(accept_of "$c")" \
            "http://127.0.0.1:${PORT[$proxy]}$(path_of "$c")" >/dev/null 2>&1 || true
    done
done

cpu() { python3 "$LIB/proctree.py" cpu "${PID[$1]}"; }

for ((round = 1; round <= COMP_ROUNDS; round++)); do
    for c in "${CASES[@]}"; do
        for proxy in $COMP_PROXIES; do
            [[ $proxy == nginx && $c == br-* ]] && continue
            wire=$(check_case "$proxy" "$c")
            sleep 0.5
            out=$BENCH_OUT/$c-$proxy-r$round.txt
            before=$(cpu "$proxy")
            start=$(date +%s.%N)
            BENCH_PATH=$(path_of "$c") run_wrk "${PORT[$proxy]}" "$COMP_CONNECTIONS" "$COMP_DURATION" "$out" \
                -H "Accept-Encoding: $(accept_of "$c")" || true
            end=$(date +%s.%N)
            after=$(cpu "$proxy")
            requests=$(awk '/requests in/ { print $1 }' "$out")
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$c" "$round" "$proxy" "${requests:-0}" \
                "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')" \
                "$(awk -v a="$before" -v b="$after" 'BEGIN { printf "%.2f", b - a }')" "$wire" >>"$RESULTS"
            log "$(printf '%-9s round %s %-7s %8s requests, proxy cpu %ss' "$c" "$round" "$proxy" "${requests:-0}" \
                "$(awk -v a="$before" -v b="$after" 'BEGIN { printf "%.2f", b - a }')")"
        done
    done
done

{
    echo "## Compression benchmark ($(date -u +%Y-%m-%dT%H:%MZ))"
    echo
    print_versions
    echo "- body: $COMP_SIZE bytes of HTML table rows (text/html) from one upstream nginx with gzip off, Content-Length known"
    echo "- proxies pinned to CPU $BENCH_PROXY_CPU; wrk (-t1, $COMP_CONNECTIONS connections) and the upstream on CPU $BENCH_LOAD_CPU"
    echo "- ${COMP_DURATION}s per case and proxy, $COMP_ROUNDS round(s), proxies alternating; medians"
    echo "- CPU ms/MB: proxy CPU per MB (10^6 bytes) of uncompressed body; compression ms/MB: that minus the identity case's"
    echo "- nginx: gzip_comp_level N, gzip_min_length 256; Kodiak: compression {gzip: N} (flush per upstream read); br only for Kodiak"
    echo
    python3 - "$RESULTS" "$COMP_SIZE" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
size = int(sys.argv[2])
cases = list(dict.fromkeys(r["case"] for r in rows))
proxies = list(dict.fromkeys(r["proxy"] for r in rows))
def med(c, p, f):
    v = [f(r) for r in rows if r["case"] == c and r["proxy"] == p and int(r["requests"]) > 0 and float(r["cpu_s"]) > 0]
    return statistics.median(v) if v else None
ms_per_mb = lambda r: 1000 * float(r["cpu_s"]) / (int(r["requests"]) * size / 1e6)
print("| case | proxy | requests/s | MB/s in | wire bytes | ratio | proxy CPU | CPU ms/MB | compression ms/MB |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
for c in cases:
    for p in proxies:
        rps = med(c, p, lambda r: int(r["requests"]) / float(r["seconds"]))
        if rps is None:
            continue
        wire = int(med(c, p, lambda r: int(r["wire_bytes"])))
        cpu = med(c, p, lambda r: 100 * float(r["cpu_s"]) / float(r["seconds"]))
        ms = med(c, p, ms_per_mb)
        base = med("identity", p, ms_per_mb)
        extra = f"{ms - base:.2f}" if c != "identity" and base is not None else "-"
        print(f"| {c} | {p} | {rps:,.0f} | {rps * size / 1e6:,.1f} | {wire:,} | {size / wire:.1f}x | {cpu:.0f}% | {ms:.2f} | {extra} |")
PY
    echo
    echo "Raw files: $BENCH_OUT"
} | tee "$BENCH_OUT/report.md"
