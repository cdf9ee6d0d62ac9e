"""The Unix-socket tests' upstream: a WSGI app Gunicorn serves on ``--bind unix:PATH``.

Endpoints (every response carries ``X-Instance`` and ``X-Connection: <worker pid>-<n>``, where n
numbers the client connections a worker has seen, so two requests on one kept-alive connection
show the same value):

  GET  /          the instance name
  POST /echo      ``sha256=<hex> len=<n>`` of the request body
  GET  /health    ``ok``, with ``X-Kodiak-State: <text>`` when the file ``node-state`` in the
                  working directory (the instance's directory) holds text
  GET  /headers   the request's Host header
"""

import hashlib
import itertools
import os
import weakref

INSTANCE = os.environ.get("KODIAK_INSTANCE", "unnamed")
_serial = itertools.count(1)
_connections = weakref.WeakKeyDictionary()


def _connection(environ):
    sock = environ.get("gunicorn.socket")
    if sock is None:
        return "%d-?" % os.getpid()
    n = _connections.get(sock)
    if n is None:
        n = next(_serial)
        _connections[sock] = n
    return "%d-%d" % (os.getpid(), n)


def application(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    headers = [("Content-Type", "text/plain"), ("X-Instance", INSTANCE), ("X-Connection", _connection(environ))]
    if path == "/echo":
        digest = hashlib.sha256()
        total = 0
        stream = environ["wsgi.input"]
        while True:
            piece = stream.read(65536)
            if not piece:
                break
            digest.update(piece)
            total += len(piece)
        body = ("sha256=%s len=%d\n" % (digest.hexdigest(), total)).encode()
    elif path == "/health":
        try:
            with open("node-state") as f:
                state = f.read().strip()
        except FileNotFoundError:
            state = ""
        if state:
            headers.append(("X-Kodiak-State", state))
        body = b"ok\n"
    elif path == "/headers":
        body = ("Host: %s\n" % environ.get("HTTP_HOST", "")).encode()
    else:
        body = (INSTANCE + "\n").encode()
    headers.append(("Content-Length", str(len(body))))
    start_response("200 OK", headers)
    return [body]


# One write(2) per line, as the tests' own app: the fixture waits for one per worker.
os.write(2, ("kodiak_test_app ready pid=%d instance=%s\n" % (os.getpid(), INSTANCE)).encode())
