#!/usr/bin/env python3
"""Process-tree helpers for the benchmark, keyed by the PID run.sh started.

  proctree.py cpu PID        CPU seconds (user+system) used so far by PID and all its
                             descendants, including children they already reaped.
  proctree.py pids PID       PID and its live descendants, one per line.
  proctree.py rss PID        resident memory in KiB of PID and its live descendants (VmRSS
                             summed: nginx's master and worker, a launcher and its JVM).
  proctree.py stop PID [S]   SIGTERM the tree, wait up to S seconds (default 5), then
                             SIGKILL whatever is left. Only this tree is touched.

Why the whole tree: nginx does its work in a worker that is a child of the master we start,
and a launcher script may run the JVM as its child. /proc/PID/stat already sums all threads
of a process, so JVM GC and JIT threads are counted.
"""
import os
import signal
import sys
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid):
    """Fields of /proc/PID/stat after the command name, or None if the process is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name is in parentheses and may itself contain spaces or ')'.
    return data[data.rindex(")") + 2:].split()


def _children_map():
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fields = _stat_fields(entry)
        if fields is None:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))  # fields[1] is ppid
    return children


def tree_pids(root):
    children = _children_map()
    result, stack = [], [root]
    while stack:
        pid = stack.pop()
        if _stat_fields(pid) is None:
            continue
        result.append(pid)
        stack.extend(children.get(pid, []))
    return result


def cpu_seconds(root):
    ticks = 0
    for pid in tree_pids(root):
        fields = _stat_fields(pid)
        if fields is None:
            continue
        # utime, stime, cutime, cstime are stat fields 14-17, i.e. indexes 11-14 here.
        # cutime/cstime only hold children already waited for, so nothing is counted twice.
        ticks += sum(int(v) for v in fields[11:15])
    return ticks / CLK_TCK


def rss_kib(root):
    total = 0
    for pid in tree_pids(root):
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


def _signal_all(pids, sig):
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def _alive(pid):
    fields = _stat_fields(pid)
    return fields is not None and fields[0] != "Z"


def stop(root, grace):
    pids = tree_pids(root)
    _signal_all(pids, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not any(_alive(p) for p in pids):
            return
        time.sleep(0.1)
    left = [p for p in pids if _alive(p)]
    if left:
        print(f"proctree: SIGKILL {left} (still alive {grace}s after SIGTERM)", file=sys.stderr)
        _signal_all(left, signal.SIGKILL)


def main(argv):
    if len(argv) < 3 or argv[1] not in ("cpu", "pids", "rss", "stop"):
        sys.exit("usage: proctree.py cpu|pids|rss|stop PID [GRACE_SECONDS]")
    root = int(argv[2])
    if argv[1] == "cpu":
        print(f"{cpu_seconds(root):.2f}")
    elif argv[1] == "rss":
        print(rss_kib(root))
    elif argv[1] == "pids":
        for pid in tree_pids(root):
            print(pid)
    else:
        stop(root, float(argv[3]) if len(argv) > 3 else 5.0)


if __name__ == "__main__":
    main(sys.argv)
