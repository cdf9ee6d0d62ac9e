#!/usr/bin/env python3
"""Turn the results TSV written by strategies.sh into markdown tables.

  strategyreport.py RESULTS_TSV

One row per configuration (proxy and strategy): the median over rounds of requests/s and of
the latency percentiles (from think.lua's summary line), errors summed over rounds, and the
share of requests that went to upstream 4, the slow one. Then Kodiak's p99 over its peers'
for the pairs that answer "does Kodiak's strategy beat the one users would pick in nginx or
HAProxy?": latency-weighted and least-connections against least_conn and leastconn.
"""
import csv
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wrkparse  # noqa: E402

_PERCENTILES = re.compile(r"^percentiles_us p50=(\d+) p90=(\d+) p99=(\d+) p999=(\d+) max=(\d+)$", re.MULTILINE)

# (Kodiak configuration, peer configuration): the comparisons the ratio table shows.
PAIRS = [
    ("kodiak latency-weighted", "haproxy leastconn"),
    ("kodiak latency-weighted", "nginx least_conn"),
    ("kodiak least-connections", "haproxy leastconn"),
    ("kodiak least-connections", "nginx least_conn"),
    ("kodiak least-connections+maxconn", "haproxy leastconn+maxconn"),
    ("kodiak latency-weighted+maxconn", "haproxy leastconn+maxconn"),
    ("kodiak round-robin", "haproxy roundrobin"),
]


def read_run(row):
    with open(row["wrk_file"]) as f:
        text = f.read()
    run = wrkparse.parse(text)
    m = _PERCENTILES.search(text)
    if not m:
        raise ValueError(f"{row['wrk_file']}: no percentiles_us line (was think.lua loaded?)")
    run.update(zip(("p50_us", "p90_us", "p99_us", "p999_us", "max_us"), (float(g) for g in m.groups())))
    counts = [int(row[f"upstream{i}"]) for i in range(1, 5)]
    run["slow_share"] = counts[3] / sum(counts) if sum(counts) else 0.0
    return run


def ms(us):
    return f"{us / 1000:.1f} ms" if us < 100_000 else f"{us / 1e6:.2f} s"


def main(argv):
    if len(argv) != 2:
        sys.exit("usage: strategyreport.py RESULTS_TSV")
    configs, runs, dropped = {}, {}, []
    with open(argv[1]) as f:
        for row in csv.DictReader(f, delimiter="\t"):
            key = f"{row['proxy']} {row['strategy']}"
            configs.setdefault(int(row["index"]), key)
            try:
                runs.setdefault(key, []).append(read_run(row))
            except (OSError, ValueError) as e:
                dropped.append(f"{key} round {row['round']}: {e}")
    summary = {}
    print("| proxy | strategy | req/s | p50 | p90 | p99 | p99.9 | errors | to the slow upstream |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for index in sorted(configs):
        key = configs[index]
        rs = runs.get(key)
        if not rs:
            continue
        med = {k: statistics.median(r[k] for r in rs)
               for k in ("rps", "p50_us", "p90_us", "p99_us", "p999_us", "slow_share")}
        med["errors"] = sum(r["errors"] for r in rs)
        summary[key] = med
        proxy, strategy = key.split(" ", 1)
        print(f"| {proxy} | {strategy} | {med['rps']:,.0f} | {ms(med['p50_us'])} | {ms(med['p90_us'])} | "
              f"{ms(med['p99_us'])} | {ms(med['p999_us'])} | {med['errors']} | {med['slow_share']:.1%} |")
    print()
    print(f"Medians over {max(len(r) for r in runs.values()) if runs else 0} rounds; errors summed.")
    for d in dropped:
        print(f"- dropped: {d}")
    rows = [(k, p) for k, p in PAIRS if k in summary and p in summary]
    if rows:
        print()
        print("| Kodiak | peer | p99 ratio | p99.9 ratio | req/s ratio |")
        print("|---|---|---:|---:|---:|")
        for k, p in rows:
            a, b = summary[k], summary[p]
            print(f"| {k.split(' ', 1)[1]} | {p} | {a['p99_us'] / b['p99_us']:.2f}x | "
                  f"{a['p999_us'] / b['p999_us']:.2f}x | {a['rps'] / b['rps']:.2f}x |")
        print()
        print("Below 1 in the latency columns: Kodiak's tail is lower.")
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
