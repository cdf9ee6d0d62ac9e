#!/usr/bin/env python3
"""Wait until an HTTP URL answers 200, then check it spreads requests over the upstreams.

  waitready.py URL TIMEOUT_SECONDS [WATCH_PID] [PROBES]

Polls URL until it returns 200 or the timeout passes (exit 1). If WATCH_PID is given and
that process exits first, gives up at once (exit 2) instead of waiting out the timeout.
Once ready, sends PROBES (default 8) sequential requests and prints the distinct bodies
seen: each benchmark upstream answers "ok N", so a round-robin proxy must show all of
them. A missing upstream is reported, not fatal; the caller decides.
"""
import os
import sys
import time
import urllib.error
import urllib.request


def _get(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status, resp.read().decode("utf-8", "replace").strip()
    except urllib.error.HTTPError as e:  # a 4xx/5xx answer: the listener is up but unhealthy
        return e.code, ""


def _process_gone(pid):
    if pid is None:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def wait_ready(url, timeout, watch_pid):
    deadline = time.monotonic() + timeout
    last = "no attempt"
    while time.monotonic() < deadline:
        if _process_gone(watch_pid):
            print(f"process {watch_pid} exited before {url} was ready", file=sys.stderr)
            return 2
        try:
            status, _ = _get(url)
            if status == 200:
                return 0
            last = f"HTTP {status}"
        except (OSError, urllib.error.URLError) as e:
            last = str(e)
        time.sleep(0.2)
    print(f"{url} not ready after {timeout}s (last: {last})", file=sys.stderr)
    return 1


def main(argv):
    if len(argv) < 3:
        sys.exit("usage: waitready.py URL TIMEOUT_SECONDS [WATCH_PID] [PROBES]")
    url, timeout = argv[1], float(argv[2])
    watch_pid = int(argv[3]) if len(argv) > 3 and argv[3] else None
    probes = int(argv[4]) if len(argv) > 4 else 8
    rc = wait_ready(url, timeout, watch_pid)
    if rc != 0:
        return rc
    bodies = set()
    for _ in range(probes):
        status, body = _get(url)
        if status != 200:
            print(f"probe got HTTP {status}", file=sys.stderr)
            return 1
        bodies.add(body)
    print(" ".join(sorted(bodies)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
