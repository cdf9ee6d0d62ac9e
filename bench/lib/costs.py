#!/usr/bin/env python3
"""Groups async-profiler collapsed stacks (one 'frame;frame;... COUNT' per line, with the
thread as the first frame) into the categories a request's cost is explained by, and prints a
markdown table: share of the samples and, given the process's CPU microseconds (or bytes) per
request, what each category costs a request.

Usage: costs.py COLLAPSED_FILE PER_REQUEST UNIT [TOP]
  PER_REQUEST  whole-process CPU us per request (cpu profile) or bytes per request (alloc)
  UNIT         'us' or 'bytes', for the column header
  TOP          also list the TOP leaf frames of the data path (default 0)

A sample under a system call goes to that call (a write(2) counts as a socket write wherever
it was called from); any other to the innermost frame (from the leaf up) that matches a
category, so time in java.util code called by the HTTP parser counts as parsing.
"""
import collections
import re
import sys

# System calls first, by any frame of the stack (the JDK's socket writes go through
# FileDispatcherImpl too, so the channel's class says which it is): the kernel time under them is
# theirs, not the caller's.
SYSCALLS = [
    ("socket writes (write/writev, kernel)", r"SocketChannelImpl\.write|SocketDispatcher\.write"),
    ("socket reads (read, kernel)", r"SocketChannelImpl\.read|SocketDispatcher\.read"),
    ("epoll_wait and wake-ups", r"sun/nio/ch/EPoll\.wait|EPollSelectorImpl\.(doSelect|wakeup)|IOUtil\.drain"),
    ("epoll_ctl (interest changes)", r"sun/nio/ch/EPoll\.ctl|EPollSelectorImpl\.processUpdateQueue"),
    ("connect, accept, close", r"Net\.(connect|accept)|SocketChannelImpl\.(connect|implCloseSelectableChannel|kill)|ServerSocketChannelImpl\.accept|closeSilently"),
    ("file writes (access log, temp files)", r"FileChannelImpl\.write"),
]
# Then the innermost frame (from the leaf up) that matches, in this order.
CATEGORIES = [
    ("HTTP parsing (heads, fields)", r"io/kodiak/http/(HeadParser|HeadReader|HeaderFields|FramingFields|RequestHead|ResponseHead)"),
    ("HTTP encoding (heads sent)", r"io/kodiak/http/(RequestEncoder|ResponseEncoder|FieldEdits|Bytes)|ResponseFramingPlan"),
    ("metrics (HdrHistogram, counters)", r"org/HdrHistogram|io/kodiak/metrics|ExchangeMetrics|ProxyMetrics"),
    ("access log (format, queue)", r"io/kodiak/accesslog|ExchangeLog"),
    ("balancer (pick, load metric)", r"io/kodiak/balancer|io/kodiak/upstream"),
    ("Kodiak proxy logic", r"io/kodiak/"),
    ("Grizzly (filter chain, buffers, selector loop)", r"org/glassfish/grizzly"),
]
COMPILED_SYSCALLS = [(name, re.compile(p)) for name, p in SYSCALLS]
COMPILED = [(name, re.compile(p)) for name, p in CATEGORIES]


def category(frames):
    thread = frames[0]
    if re.search(r"C[12] CompilerThre|Sweeper", thread):
        return "JIT compiler threads"
    if re.search(r"GC Thread|VM Thread|G1 |ZGC|Conc", thread):
        return "GC and VM threads"
    if "kodiak-access-log" in thread:
        return "access log writer thread"
    stack = ";".join(frames[1:])
    for name, rx in COMPILED_SYSCALLS:
        if rx.search(stack):
            return name
    for frame in reversed(frames[1:]):
        for name, rx in COMPILED:
            if rx.search(frame):
                return name
    return "other (JVM, libc, kernel)"


def main():
    path, per_request, unit = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    top = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    counts = collections.Counter()
    leaves = collections.Counter()
    total = 0
    with open(path) as f:
        for line in f:
            stack, _, n = line.rstrip("\n").rpartition(" ")
            if not stack or not n.isdigit():
                continue
            frames = stack.split(";")
            counts[category(frames)] += int(n)
            leaves[frames[-1]] += int(n)
            total += int(n)
    if total == 0:
        sys.exit("no samples in " + path)
    print(f"| where | share | {unit} per request |")
    print("|---|---:|---:|")
    for name, n in counts.most_common():
        print(f"| {name} | {100 * n / total:.1f}% | {per_request * n / total:.2f} |")
    print(f"| **total** | 100% | {per_request:.2f} |")
    if top:
        print()
        print(f"Top {top} leaf frames:")
        print()
        for frame, n in leaves.most_common(top):
            print(f"- {100 * n / total:.1f}% `{frame}`")


if __name__ == "__main__":
    main()
