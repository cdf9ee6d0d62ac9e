#!/usr/bin/env python3
"""Read the CPU counters that bracket one measured run, in one go.

  sample.py PID LOAD_CPU PROXY_CPU     one sample
  sample.py --serve                    one sample per input line "PID LOAD_CPU PROXY_CPU"

LOAD_CPU and PROXY_CPU are CPU lists as taskset takes them: 1, 0-1, 0,2.

A sample is four numbers in seconds: CPU time of PID's process tree (see proctree.py),
the busy time so far of LOAD_CPU and of PROXY_CPU from /proc/stat, and CLOCK_MONOTONIC.
run.sh takes the difference of two samples. run.sh keeps one --serve process running,
because starting Python takes a second or more on a busy machine, which would put idle
time into the window; the clock is read here, next to the counters, for the same reason.
The per-CPU figures show what the proxy's own number cannot: whether the load side
(wrk + upstreams) was saturated, and whether some other process on this shared machine
ran on the proxy's CPU during the run.
"""
import os
import sys
import time

import proctree

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_list(text):
    """The CPUs of a taskset list: "1", "0-1", "0,2-3"."""
    cpus = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        cpus.extend(range(int(first), int(last or first) + 1))
    return cpus


def cpu_busy_seconds(cpus):
    """Non-idle time of the CPUs: user, nice, system, irq, softirq, steal (guest is in user)."""
    names = {f"cpu{c}" for c in cpus}
    busy = 0
    with open("/proc/stat") as f:
        for line in f:
            fields = line.split()
            if fields[0] in names:
                names.discard(fields[0])
                user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[1:9])
                busy += user + nice + system + irq + softirq + steal
    if names:
        raise ValueError(f"{sorted(names)} not found in /proc/stat")
    return busy / CLK_TCK


def sample(pid, load_cpu, proxy_cpu):
    tree = proctree.cpu_seconds(pid)
    load, proxy = cpu_busy_seconds(cpu_list(load_cpu)), cpu_busy_seconds(cpu_list(proxy_cpu))
    return f"{tree:.2f} {load:.2f} {proxy:.2f} {time.monotonic():.3f}"


def main(argv):
    if argv[1:] == ["--serve"]:
        for line in sys.stdin:
            pid, load_cpu, proxy_cpu = line.split()
            print(sample(int(pid), load_cpu, proxy_cpu), flush=True)
        return 0
    if len(argv) != 4:
        sys.exit("usage: sample.py PID LOAD_CPU PROXY_CPU | sample.py --serve")
    print(sample(int(argv[1]), argv[2], argv[3]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
