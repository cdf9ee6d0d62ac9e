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
worker_processes 1;
daemon off;
pid $dir/$name.pid;
error_log $dir/$name.error.log warn;
events { worker_connections 4096; }
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
            echo "    server { listen 127.0.0.1:$port; location / { return 200 \"ok $n\\n\"; } }"
            n=$((n + 1))
        done
        echo "}"
    } >"$file"
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
        echo "    upstream backends {"
        local port
        for port in "$@"; do
            echo "        server 127.0.0.1:$port;"
        done
        cat <<CONF
        keepalive $keepalive;
        keepalive_requests 1000000;
        keepalive_timeout 300s;
    }
    server {
        listen 127.0.0.1:$listen;
        location / {
            proxy_pass http://backends;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
CONF
    } >"$file"
}

# write_haproxy_conf FILE LISTEN_PORT UPSTREAM_PORT...
# Active HTTP checks every 2 s (HAProxy's usual production setup); idle server
# connections are shared between client sessions (http-reuse always), like nginx's pool.
write_haproxy_conf() {
    local file=$1 listen=$2; shift 2
    {
        cat <<CONF
global
    nbthread 1
    maxconn 4096

defaults
    mode http
    option http-keep-alive
    timeout connect 5s
    timeout client 300s
    timeout server 300s
    timeout http-keep-alive 300s

frontend fe
    bind 127.0.0.1:$listen
    default_backend backends

backend backends
    balance roundrobin
    http-reuse always
    option httpchk GET /
CONF
        local n=1 port
        for port in "$@"; do
            echo "    server u$n 127.0.0.1:$port check inter 2s"
            n=$((n + 1))
        done
    } >"$file"
}
