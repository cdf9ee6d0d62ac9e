"""A small auth service for Kodiak's forward-auth tests (ForwardAuthTest), as oauth2-proxy or
Authelia answer nginx's auth_request and Traefik's ForwardAuth: it reads the credential Kodiak
passes on and answers 200 with the user in X-User, 401 with WWW-Authenticate, 302 to a login page
for a browser, or 403.

  GET /verify   the check; tokens (Authorization: Bearer TOKEN, or Cookie: session=TOKEN):
                good*     200, X-User: alice, X-Email: alice@example.com (good-* are distinct credentials)
                forbidden 403 with a body
                chunked   401 with a chunked body
                big       401 with a 100 KiB body
                teapot    418 (not an answer forward-auth passes on)
                slow      sleeps 3 s, then 200
                none      a browser (Accept: text/html) gets 302 to /login; others 401, but
                          200 with X-User: anonymous when the target has "public=1"
                app1-only 200 for X-Forwarded-Host app1.example, else 403
                path-open 200 when the target has "open=1", else 403
  GET /health   200 (the pool's health check)
  GET /count    how many /verify requests came
  GET /last     the last /verify request: its target, then its headers, one "Name: value" line each

Run it with one gthread worker, so that /count and /last see every /verify.
"""
import os
import threading
import time

from flask import Flask, Response, request

INSTANCE = os.environ.get("KODIAK_INSTANCE", "?")
app = Flask(__name__)
_lock = threading.Lock()
_count = 0
_last = ""


def _token():
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        return auth[len("Bearer "):]
    return request.cookies.get("session")


@app.route("/verify")
def verify():
    global _count, _last
    with _lock:
        _count += 1
        _last = request.full_path.rstrip("?") + "\n" + "".join(
            "%s: %s\n" % (k, v) for k, v in request.headers.items())
    token = _token()
    if token is not None and token.startswith("good"):
        return "", 200, {"X-User": "alice", "X-Email": "alice@example.com", "X-Other": "not copied"}
    uri = request.headers.get("X-Forwarded-Uri", "")
    if token is None and "public=1" in uri:
        return "", 200, {"X-User": "anonymous"}
    if token == "app1-only":
        if request.headers.get("X-Forwarded-Host") == "app1.example":
            return "", 200, {"X-User": "app1-user"}
        return "not on this host\n", 403, {"Content-Type": "text/plain"}
    if token == "path-open":
        if "open=1" in uri:
            return "", 200, {"X-User": "opener"}
        return "not this path\n", 403, {"Content-Type": "text/plain"}
    if token == "slow":
        time.sleep(3)
        return "", 200, {"X-User": "slow"}
    if token == "forbidden":
        return "no entry for you\n", 403, {"Content-Type": "text/plain"}
    if token == "chunked":
        def parts():
            yield "part one, "
            yield "part two\n"
        return Response(parts(), status=401, headers={"WWW-Authenticate": 'Bearer realm="chunks"'},
                        content_type="text/plain")
    if token == "big":
        return "x" * (100 * 1024), 401, {"Content-Type": "text/plain"}
    if token == "teapot":
        return "short and stout\n", 418
    if token is None and "text/html" in request.headers.get("Accept", ""):
        rd = request.headers.get("X-Forwarded-Uri", "/")
        return "", 302, {"Location": "https://login.example/?rd=" + rd, "Set-Cookie": "rd=" + rd + "; Path=/"}
    return "login required\n", 401, {"WWW-Authenticate": 'Bearer realm="kodiak"', "Content-Type": "text/plain",
                                     "X-Other": "not for the client"}


@app.route("/health")
def health():
    return "ok\n"


@app.route("/count")
def count():
    with _lock:
        return "%d\n" % _count


@app.route("/last")
def last():
    with _lock:
        return _last, 200, {"Content-Type": "text/plain"}


# Ready once imported: the line the Gunicorn fixture waits for, one write(2) as the tests' own app does.
os.write(2, ("kodiak_test_app ready pid=%d instance=%s\n" % (os.getpid(), INSTANCE)).encode())
