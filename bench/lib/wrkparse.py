#!/usr/bin/env python3
"""Parse the text output of `wrk --latency` into one tab-separated line:

  requests  duration_s  requests_per_s  p50_us  p99_us  errors

errors = "Non-2xx or 3xx responses" + all socket errors (connect, read, write, timeout).
wrk prints times with a unit (us, ms, s, m, h) and two decimals; they are converted to
microseconds here. Exits 1 with a message if a field is missing, so a crashed or aborted
wrk run never turns into a row of zeros.
"""
import re
import sys

_UNIT_US = {"us": 1.0, "ms": 1e3, "s": 1e6, "m": 60e6, "h": 3600e6}
_TIME = r"([\d.]+)(us|ms|s|m|h)"


def to_us(value, unit):
    return float(value) * _UNIT_US[unit]


def parse(text):
    def need(pattern, what):
        m = re.search(pattern, text, re.MULTILINE)
        if not m:
            raise ValueError(f"wrk output has no {what}")
        return m

    total = need(r"^\s*(\d+) requests in " + _TIME, "request count line")
    p50 = need(r"^\s*50(?:\.0+)?%\s+" + _TIME, "50% latency (was --latency given?)")
    p99 = need(r"^\s*99(?:\.0+)?%\s+" + _TIME, "99% latency (was --latency given?)")
    rps = need(r"^Requests/sec:\s+([\d.]+)", "Requests/sec line")
    errors = 0
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if sock:
        errors += sum(int(g) for g in sock.groups())
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if non2xx:
        errors += int(non2xx.group(1))
    return {
        "requests": int(total.group(1)),
        "duration_s": to_us(total.group(2), total.group(3)) / 1e6,
        "rps": float(rps.group(1)),
        "p50_us": to_us(p50.group(1), p50.group(2)),
        "p99_us": to_us(p99.group(1), p99.group(2)),
        "errors": errors,
    }


def main(argv):
    if len(argv) != 2:
        sys.exit("usage: wrkparse.py WRK_OUTPUT_FILE")
    with open(argv[1]) as f:
        text = f.read()
    try:
        r = parse(text)
    except ValueError as e:
        print(f"{argv[1]}: {e}", file=sys.stderr)
        return 1
    print("\t".join(str(r[k]) for k in
                    ("requests", "duration_s", "rps", "p50_us", "p99_us", "errors")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
