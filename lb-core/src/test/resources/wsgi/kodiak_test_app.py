"""Kodiak's test upstream: a tiny WSGI app that Gunicorn serves in integration tests.

Endpoints (every response carries ``X-Instance: <KODIAK_INSTANCE>``):

  GET  /                  the instance name
  POST /echo              ``sha256=<hex> len=<n>`` of the request body, read in 64 KiB pieces
                          (Content-Length or chunked; Gunicorn 20.1 decodes chunked itself)
  GET  /bytes?n=N[&seed=S][&framing=length|chunked]
                          N bytes of the deterministic sequence (see ``deterministic_blocks``),
                          streamed; with ``framing=chunked`` no Content-Length is sent, so Gunicorn
                          chunks the body on HTTP/1.1
  GET  /sleep?ms=N        waits N milliseconds, then ``slept N``
  GET  /status?code=N     responds with status N
  GET  /headers           the request headers, one ``Name: value`` line each; the response headers
                          ``X-Remote-Addr`` and ``X-Url-Scheme`` report what Gunicorn derived

/headers rebuilds names from the WSGI environ, so they come out capitalised (``X-Forwarded-For``)
and repeated headers arrive joined by commas, as Gunicorn puts them in the environ.
"""

import hashlib
import os
import sys
import time
import traceback
from http import HTTPStatus
from urllib.parse import parse_qs

INSTANCE = os.environ.get("KODIAK_INSTANCE", "unnamed")

# Must match io.kodiak.testing.DeterministicBytes: a 64 KiB base block of SHA-256(seed || i) for
# i = 0..2047, and block k of the stream is the base rotated left by k * STRIDE bytes.
BLOCK = 65536
STRIDE = 40503
PIECE = 65536

_base_blocks = {}


def base_block(seed):
    block = _base_blocks.get(seed)
    if block is None:
        prefix = seed.to_bytes(8, "big", signed=True)
        block = b"".join(hashlib.sha256(prefix + i.to_bytes(4, "big")).digest() for i in range(BLOCK // 32))
        _base_blocks[seed] = block
    return block


def deterministic_blocks(seed, length):
    """Yields the first ``length`` bytes of the sequence for ``seed``, one block at a time."""
    base = base_block(seed)
    k = 0
    remaining = length
    while remaining > 0:
        rotation = (k * STRIDE) % BLOCK
        block = base[rotation:] + base[:rotation]
        if remaining < BLOCK:
            block = block[:remaining]
        remaining -= len(block)
        k += 1
        yield block


def _int_param(query, name, default=None):
    values = query.get(name)
    if not values:
        if default is None:
            raise ValueError("missing query parameter " + name)
        return default
    return int(values[0])


def _respond(start_response, status, body, extra_headers=()):
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("X-Instance", INSTANCE)]
    headers.extend(extra_headers)
    if status >= 200 and status not in (204, 304):
        data = body.encode("utf-8")
        headers.append(("Content-Length", str(len(data))))
    else:
        data = b""
    start_response("%d %s" % (status, phrase), headers)
    return [data]


def _echo(environ, start_response):
    stream = environ["wsgi.input"]
    digest = hashlib.sha256()
    total = 0
    while True:
        piece = stream.read(PIECE)
        if not piece:
            break
        digest.update(piece)
        total += len(piece)
    return _respond(start_response, 200, "sha256=%s len=%d" % (digest.hexdigest(), total))


def _bytes(query, start_response):
    n = _int_param(query, "n")
    seed = _int_param(query, "seed", 0)
    headers = [("Content-Type", "application/octet-stream"), ("X-Instance", INSTANCE)]
    if query.get("framing", ["length"])[0] != "chunked":
        headers.append(("Content-Length", str(n)))
    start_response("200 OK", headers)
    return deterministic_blocks(seed, n)


def _headers(environ, start_response):
    lines = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = "-".join(part.capitalize() for part in key[5:].split("_"))
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            name = "-".join(part.capitalize() for part in key.split("_"))
        else:
            continue
        lines.append("%s: %s\n" % (name, value))
    extra = [("X-Remote-Addr", environ.get("REMOTE_ADDR", "")), ("X-Url-Scheme", environ["wsgi.url_scheme"])]
    return _respond(start_response, 200, "".join(lines), extra)


def application(environ, start_response):
    method = environ["REQUEST_METHOD"]
    path = environ.get("PATH_INFO", "")
    query = parse_qs(environ.get("QUERY_STRING", ""))
    try:
        if path == "/" and method in ("GET", "HEAD"):
            return _respond(start_response, 200, INSTANCE)
        if path == "/echo" and method in ("POST", "PUT"):
            return _echo(environ, start_response)
        if path == "/bytes":
            return _bytes(query, start_response)
        if path == "/sleep":
            ms = _int_param(query, "ms")
            time.sleep(ms / 1000.0)
            return _respond(start_response, 200, "slept %d" % ms)
        if path == "/status":
            code = _int_param(query, "code")
            return _respond(start_response, code, "status %d" % code)
        if path == "/headers":
            return _headers(environ, start_response)
        if path == "/traceback":
            # What a Django or Flask app in debug mode sends when a view raises.
            try:
                raise KeyError("SECRET_KEY=%s" % INSTANCE)
            except KeyError:
                return _respond(start_response, 500, traceback.format_exc(), [("X-Powered-By", "Django")])
    except ValueError as e:
        return _respond(start_response, 400, str(e))
    return _respond(start_response, 404, "no route for %s %s" % (method, path))


# The Gunicorn fixture waits for one such line per worker before it lets a test send traffic.
# One write(2) per line: workers share stderr, and print() may write the text and the newline
# separately, which lets two workers' lines run together and hides one from the fixture.
os.write(2, ("kodiak_test_app ready pid=%d instance=%s\n" % (os.getpid(), INSTANCE)).encode())
