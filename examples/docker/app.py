"""A small WSGI app for the docker-compose demo: fast pages, a slow one, errors, and a health view."""
import os
import random
import time

# Each replica of "docker compose up --scale app=N" names itself by its container's host name.
INSTANCE = os.environ.get("INSTANCE") or os.uname().nodename


def application(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    if path == "/health":
        status, body = "200 OK", "ok\n"
    elif path == "/slow":
        time.sleep(random.uniform(0.2, 0.8))
        status, body = "200 OK", "slow answer from %s\n" % INSTANCE
    elif path == "/error":
        status, body = "500 Internal Server Error", "failed on %s\n" % INSTANCE
    else:
        time.sleep(random.expovariate(1 / 0.01))  # about 10 ms, with a tail
        status, body = "200 OK", "hello from %s\n" % INSTANCE
    data = body.encode()
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(data))),
                            ("X-Instance", INSTANCE)])
    return [data]
