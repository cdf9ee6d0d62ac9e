"""A small Flask app, as a Python shop runs one under Gunicorn, for FlaskBehindKodiakTest.

It does what such apps do that a reverse proxy in front is hired to tidy up: it announces its
framework (X-Powered-By), serves pages worth compressing, and runs with Werkzeug's debugger
left on, so an exception shows the whole traceback, secrets included, to whoever asked.
"""
import os

from flask import Flask, request
from werkzeug.debug import DebuggedApplication

INSTANCE = os.environ.get("KODIAK_INSTANCE", "?")
app = Flask(__name__)
app.config["PROPAGATE_EXCEPTIONS"] = True  # as app.debug does: the debugger below gets the exception


@app.after_request
def announce(response):
    response.headers["X-Powered-By"] = "Flask"
    response.headers["X-Instance"] = INSTANCE
    return response


@app.route("/")
def index():
    rows = "".join(f"<li>item {i}: lorem ipsum dolor sit amet</li>\n" for i in range(200))
    return f"<!doctype html><html><body><h1>shop {INSTANCE}</h1><ul>\n{rows}</ul></body></html>\n"


@app.route("/new/<path:rest>")
def new(rest):
    return f"new page {rest} query={request.query_string.decode()}\n", 200, {"Content-Type": "text/plain"}


@app.route("/items/<int:n>")
def item(n):
    return {"item": n, "path": request.path, "query": request.query_string.decode()}


@app.route("/admin/")
def admin():
    # Behind examples/protect.yaml: only users basic-auth let through get here, named by Kodiak.
    user = request.headers.get("X-Forwarded-User", "-")
    password = "yes" if "Authorization" in request.headers else "no"
    return f"admin {INSTANCE} user={user} password-seen={password}\n", 200, {"Content-Type": "text/plain"}


@app.route("/api/items")
def api_items():
    return {"items": [1, 2, 3], "instance": INSTANCE, "forwarded_for": request.headers.get("X-Forwarded-For")}


@app.route("/boom")
def boom():
    raise RuntimeError("cannot reach postgres://admin:hunter2@db.internal/shop")


application = DebuggedApplication(app, evalex=False)

# The test fixture (testing/Gunicorn) waits for this line from every worker before it calls the
# instance ready: the same line the tests' own app writes once it is imported.
os.write(2, ("kodiak_test_app ready pid=%d instance=%s\n" % (os.getpid(), INSTANCE)).encode())
