#!/usr/bin/env bash
# What protection costs on a proxied request: the typical set users put in front of an app (an
# allow list of client networks, a per-address rate limit that the load stays under, and basic
# authentication from an htpasswd file) on a path prefix, measured side by side with nginx
# (allow/deny, limit_req, auth_basic) and HAProxy (src ACL, stick-table rate, http-request auth)
# under bench/run.sh (same rounds, pinning and CPU accounting; see bench/README.md). Compare with
# a plain bench/run.sh of the same settings for the cost of the set itself.
#
# The readiness probes ask for "/", which is not protected; wrk asks for /p/ with the credentials.
# The users file holds one user made by htpasswd with its default hash (APR1: what `htpasswd`
# writes without -B); BENCH_AUTH_HASH=-B makes it bcrypt (nginx and HAProxy then run bcrypt on
# every request; Kodiak remembers a success for 5 minutes). The allow list and the rate limit are
# checked on every request; the rate is one the load stays under, so none is refused.
#
# BENCH_PROTECT_AUTH=off leaves authentication out: the allow list and the rate limit alone, the
# part every proxy does per request the same way (no password check to remember or not).
#
# Usage: bench/protect.sh          (run.sh's settings apply: BENCH_ROUNDS, BENCH_DURATION, ...)
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
command -v htpasswd >/dev/null || { echo "bench/protect.sh needs htpasswd (apt-get install apache2-utils)" >&2; exit 1; }
dir=$(mktemp -d /tmp/kodiak-bench-protect.XXXXXX)
chmod 755 "$dir" # nginx's workers read the users file as their own user
users=$dir/htpasswd
htpasswd -cb ${BENCH_AUTH_HASH:-} "$users" bench bench 2>/dev/null
chmod 644 "$users"
# HAProxy checks with the system's crypt(3), which has no APR1: it gets MD5-crypt ($1$, the same
# thousand MD5 rounds) for the default, and the same bcrypt line with BENCH_AUTH_HASH=-B.
if [[ ${BENCH_AUTH_HASH:-} == -B ]]; then
    haproxy_hash=$(cut -d: -f2- "$users")
else
    haproxy_hash=$(openssl passwd -1 bench)
fi

export BENCH_PATH=/p/
export BENCH_WRK_HEADER="Authorization: Basic $(printf 'bench:bench' | base64)"
# A rate the load stays under: the limit is looked up and charged on every request, never refused.
export NGINX_HTTP_EXTRA='limit_req_zone $binary_remote_addr zone=perip:10m rate=1000000r/s;'
export NGINX_SERVER_EXTRA="location /p/ { allow 127.0.0.0/8; deny all; limit_req zone=perip burst=1000000 nodelay; auth_basic bench; auth_basic_user_file $users; proxy_pass http://backends; proxy_http_version 1.1; proxy_set_header Connection \"\"; }"
export HAPROXY_GLOBAL_EXTRA="
userlist benchusers
    user bench password $haproxy_hash"
export HAPROXY_FRONTEND_EXTRA="acl prot path_beg /p/
    stick-table type ip size 100k expire 30s store http_req_rate(1s)
    http-request deny if prot !{ src 127.0.0.0/8 }
    http-request track-sc0 src if prot
    http-request deny deny_status 429 if prot { sc_http_req_rate(0) gt 1000000 }
    http-request auth realm bench if prot !{ http_auth(benchusers) }"
if [[ ${BENCH_PROTECT_AUTH:-on} == off ]]; then
    unset BENCH_WRK_HEADER
    NGINX_SERVER_EXTRA=${NGINX_SERVER_EXTRA/ auth_basic bench; auth_basic_user_file $users;/}
    HAPROXY_FRONTEND_EXTRA=${HAPROXY_FRONTEND_EXTRA%$'\n'*}
fi
export BENCH_KODIAK_TOP='rate-limits: {perip: {key: "$remote_addr", rate: 1000000r/s}}'
export BENCH_KODIAK_ROUTES="{path-prefix: /p/, pool: app, access: [{action: allow, source: 127.0.0.0/8}, deny], rate-limit: {zone: perip, burst: 1000000, nodelay: true}, basic-auth: {realm: bench, users-file: $users}}"
if [[ ${BENCH_PROTECT_AUTH:-on} == off ]]; then
    BENCH_KODIAK_ROUTES=${BENCH_KODIAK_ROUTES/, basic-auth: \{realm: bench, users-file: $users\}/}
fi
export KODIAK_CMD=${KODIAK_CMD:-'bench/lib/kodiak-routes.sh'}
exec "$BENCH_DIR/run.sh" "$@"
