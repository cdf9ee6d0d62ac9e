#!/usr/bin/env python3
"""Print how many requests each benchmark upstream has served, in argument order.

  counts.py PORT...

Asks each slowupstream.py for /__count directly (not through a proxy). The benchmark reads
the counts before and after a run; the differences are each upstream's share of that run.
"""
import sys
import urllib.request


def count(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/__count", timeout=5) as resp:
        return int(resp.read().decode().strip())


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: counts.py PORT...")
    print(" ".join(str(count(int(p))) for p in sys.argv[1:]))
