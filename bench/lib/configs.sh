# shellcheck shell=bash
# Config writers for run.sh (sourced, not executed). Each function writes one file and
# takes everything it needs as arguments, so run.sh is the single place that owns ports
# and directories. The three servers are configured to be as alike as their products allow:
# no access logs, long client keep-alive, pooled keep-alive connections to the upstreams,
# round-robin over the same four upstreams.

# nginx keeps temp files and its pid under its prefix; point everything at the run dir so
# nothing under /var is touched and no system nginx is disturbed.
_nginx_common() { # DIR NAME
    local dir=$1 name=$2
    cat <<CONF
worker_processes ${BENCH_CORES:-1};
daemon off;
pid $dir/$name.pid;
error_log $dir/$name.error.log warn;
events { worker_connections ${NGINX_WORKER_CONNECTIONS:-4096}; }
CONF
}

_nginx_http_common() { # DIR NAME
    local dir=$1 name=$2
    cat <<CONF
    access_log off;
    client_body_temp_path $dir/$name-tmp-body;
    proxy_temp_path $dir/$name-tmp-proxy;
    fastcgi_temp_path $dir/$name-tmp-fastcgi;
    uwsgi_temp_path $dir/$name-tmp-uwsgi;
    scgi_temp_path $dir/$name-tmp-scgi;
    # wrk reuses its connections for the whole run; never make it reconnect.
    keepalive_requests 1000000;
    keepalive_timeout 300s;
    default_type text/plain;
CONF
}

# write_upstreams_conf FILE DIR PORT1 PORT2 PORT3 PORT4
# One nginx, four server blocks: upstream N answers "ok N" so a probe can see the rotation.
write_upstreams_conf() {
    local file=$1 dir=$2; shift 2
    {
        _nginx_common "$dir" upstreams
        echo "http {"
        _nginx_http_common "$dir" upstreams
        local n=1 port
        for port in "$@"; do
            # /close answers like / and then closes the connection, as Gunicorn's sync workers do
            # (BENCH_PATH=/close): the proxy must connect to an upstream for every request.
            echo "    server { listen 127.0.0.1:$port; location / { return 200 \"ok $n\\n\"; }" \
                "location = /close { keepalive_timeout 0; return 200 \"ok $n\\n\"; } }"
            n=$((n + 1))
        done
        echo "}"
    } >"$file"
}

# _nginx_proxy_tail KEEPALIVE LISTEN_PORT UPSTREAM : closes an upstream block with its keep-alive
# pool and adds the server that proxies LISTEN_PORT to it over pooled HTTP/1.1 connections.
_nginx_proxy_tail() {
    cat <<CONF
        keepalive $1;
        keepalive_requests 1000000;
        keepalive_timeout 300s;
    }
    server {
        listen 127.0.0.1:$2${NGINX_LISTEN_EXTRA:+ $NGINX_LISTEN_EXTRA};${NGINX_SERVER_EXTRA:+
        $NGINX_SERVER_EXTRA}
        location / {
            proxy_pass http://$3;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
CONF
}

# write_nginx_proxy_conf FILE DIR LISTEN_PORT KEEPALIVE UPSTREAM_PORT...
# nginx OSS has no active health checks: it only marks a server failed after max_fails
# (default 1) errors within fail_timeout (default 10s). That is left at its defaults.
write_nginx_proxy_conf() {
    local file=$1 dir=$2 listen=$3 keepalive=$4; shift 4
    {
        _nginx_common "$dir" nginx-proxy
        echo "http {"
        _nginx_http_common "$dir" nginx-proxy
        [[ -z ${NGINX_HTTP_EXTRA:-} ]] || echo "    $NGINX_HTTP_EXTRA"
        echo "    upstream backends {"
        local port
        for port in "$@"; do
            echo "        server 127.0.0.1:$port;"
        done
        _nginx_proxy_tail "$keepalive" "$listen" backends
        echo "}"
    } >"$file"
}

# One thread, long client and server keep-alive; "timeout queue" matters only where a server
# has a maxconn.
_haproxy_common() {
    cat <<CONF
global
    nbthread ${BENCH_CORES:-1}
    maxconn ${HAPROXY_MAXCONN:-4096}${HAPROXY_GLOBAL_EXTRA:+
    $HAPROXY_GLOBAL_EXTRA}

defaults
    mode http
    option http-keep-alive
    timeout connect 5s
    timeout client 300s
    timeout server 300s
    timeout queue 5s
    timeout http-keep-alive 300s
CONF
}

# write_haproxy_conf FILE LISTEN_PORT UPSTREAM_PORT...
# Active HTTP checks every 2 s (HAProxy's usual production setup); idle server
# connections are shared between client sessions (http-reuse always), like nginx's pool.
write_haproxy_conf() {
    local file=$1 listen=$2; shift 2
    {
        _haproxy_common
        cat <<CONF

frontend fe
    bind 127.0.0.1:$listen${HAPROXY_BIND_EXTRA:+ $HAPROXY_BIND_EXTRA}${HAPROXY_FRONTEND_EXTRA:+
    $HAPROXY_FRONTEND_EXTRA}
    default_backend backends

backend backends
    balance roundrobin
    http-reuse always
    option httpchk GET ${HAPROXY_CHECK_PATH:-/}
CONF
        local n=1 port
        for port in "$@"; do
            echo "    server u$n 127.0.0.1:$port check inter 2s"
            n=$((n + 1))
        done
    } >"$file"
}

# --- strategies.sh ----------------------------------------------------------------------
# A config is "PROXY:STRATEGY:PORT"; STRATEGY is the proxy's own name for it, with
# "+maxconn" for the variant that caps each upstream at BENCH_WORKERS requests and queues the
# rest in the proxy. Each writer serves every config of its proxy from one process, one
# listener per config, so that one warm process (and one JIT) serves all of them.

# write_nginx_strategies_conf FILE DIR KEEPALIVE "CONFIGS" UPSTREAM_PORT...
# nginx OSS: round-robin (default), least_conn, and "random two least_conn" (power of two
# choices over connection counts, nginx's P2C).
write_nginx_strategies_conf() {
    local file=$1 dir=$2 keepalive=$3 configs=$4; shift 4
    {
        _nginx_common "$dir" nginx-strategies
        echo "http {"
        _nginx_http_common "$dir" nginx-strategies
        local cfg strategy listen n=0 port
        for cfg in $configs; do
            IFS=: read -r _ strategy listen <<<"$cfg"
            n=$((n + 1))
            echo "    upstream u$n {"
            case $strategy in
                round-robin) ;;
                least_conn) echo "        least_conn;" ;;
                random-two-least_conn) echo "        random two least_conn;" ;;
                *) echo "unknown nginx strategy $strategy" >&2; return 1 ;;
            esac
            for port in "$@"; do echo "        server 127.0.0.1:$port;"; done
            _nginx_proxy_tail "$keepalive" "$listen" "u$n"
        done
        echo "}"
    } >"$file"
}

# write_haproxy_strategies_conf FILE WORKERS "CONFIGS" UPSTREAM_PORT...
# HAProxy: roundrobin, leastconn, random(2) (P2C over connection counts), and leastconn with
# "maxconn WORKERS" per server: requests beyond it wait in HAProxy's queue (timeout queue).
write_haproxy_strategies_conf() {
    local file=$1 workers=$2 configs=$3; shift 3
    {
        _haproxy_common
        local cfg strategy listen n=0 port balance maxconn i
        for cfg in $configs; do
            IFS=: read -r _ strategy listen <<<"$cfg"
            n=$((n + 1))
            maxconn=""
            case $strategy in
                roundrobin | leastconn | "random(2)") balance=$strategy ;;
                leastconn+maxconn) balance=leastconn maxconn=" maxconn $workers" ;;
                *) echo "unknown haproxy strategy $strategy" >&2; return 1 ;;
            esac
            cat <<CONF

frontend fe$n
    bind 127.0.0.1:$listen
    default_backend be$n

backend be$n
    balance $balance
    http-reuse always
    option httpchk GET /__health
CONF
            i=1
            for port in "$@"; do
                echo "    server u$i 127.0.0.1:$port check inter 2s$maxconn"
                i=$((i + 1))
            done
        done
    } >"$file"
}

# write_kodiak_strategies_conf FILE WORKERS "CONFIGS" UPSTREAM_PORT...
# Kodiak: any of its strategies; "+maxconn" sets max-connections to WORKERS, so requests beyond
# it wait in the pool's queue.
write_kodiak_strategies_conf() {
    local file=$1 workers=$2 configs=$3; shift 3
    local cfg strategy listen n=0 port
    {
        echo "listeners:"
        for cfg in $configs; do
            IFS=: read -r _ strategy listen <<<"$cfg"
            n=$((n + 1))
            echo "  - {name: l$n, address: 127.0.0.1:$listen, routes: [{pool: p$n}]}"
        done
        echo "pools:"
        n=0
        for cfg in $configs; do
            IFS=: read -r _ strategy listen <<<"$cfg"
            n=$((n + 1))
            echo "  p$n:"
            echo "    strategy: ${strategy%+maxconn}"
            if [[ $strategy == *+maxconn ]]; then
                echo "    max-connections: $workers"
                echo "    queue: {max-length: 4096, timeout: 5s}"
            fi
            echo "    upstreams:"
            for port in "$@"; do echo "      - 127.0.0.1:$port"; done
        done
    } >"$file"
}
