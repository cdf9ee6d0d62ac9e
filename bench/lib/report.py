#!/usr/bin/env python3
"""Turn the per-run results TSV written by run.sh into markdown tables.

  report.py RESULTS_TSV [SUBJECT]

One table per connection count: for each proxy the median over rounds of requests/s,
p50, p99, requests per proxy CPU-second and CPU use (proxy, load CPU, others on the
proxy's CPU), the spread of requests/s over rounds and the summed errors. Then, if SUBJECT (default "kodiak") was measured, its ratio
to every other proxy. Medians are taken per metric, so a row may mix rounds; with an odd
round count each median is one real run.
"""
import csv
import os
import statistics
import sys

# Above this share of the proxy's CPU used by other processes, throughput and latency of
# a run say more about the machine than about the proxy.
OTHER_WARN_PCT = 10


def fmt_latency(us):
    if us < 1000:
        return f"{us:.0f} us"
    if us < 1e6:
        return f"{us / 1e3:.2f} ms"
    return f"{us / 1e6:.2f} s"


def fmt_ratio(x):
    return "n/a" if x is None else f"{x:.2f}x"


def _per_cpu_s(run):
    cpu = float(run["cpu_s"])
    return int(run["requests"]) / cpu if cpu > 0 else None


def _median_pct(runs, seconds):
    return statistics.median(100 * seconds(r) / float(r["wall_s"]) for r in runs)


def summarize(runs):
    rps = [float(r["rps"]) for r in runs]
    per_cpu = [v for v in (_per_cpu_s(r) for r in runs) if v is not None]
    med = statistics.median(rps)
    return {
        "rounds": len(runs),
        "rps": med,
        "spread": (max(rps) - min(rps)) / med if med > 0 else 0.0,
        "p50": statistics.median(float(r["p50_us"]) for r in runs),
        "p99": statistics.median(float(r["p99_us"]) for r in runs),
        "errors": sum(int(r["errors"]) for r in runs),
        "cpu_pct": _median_pct(runs, lambda r: float(r["cpu_s"])),
        "load_pct": _median_pct(runs, lambda r: float(r["load_cpu_busy_s"])),
        # Busy time on the proxy's CPU that the proxy itself did not use: other tenants.
        "other_pct": statistics.median(_other_pct(r) for r in runs),
        "per_cpu": statistics.median(per_cpu) if per_cpu else None,
    }


def _other_pct(run):
    other = max(0.0, float(run["proxy_cpu_busy_s"]) - float(run["cpu_s"]))
    return 100 * other / float(run["wall_s"])


def _disturbed_runs(runs_by_proxy):
    """Runs where other processes used the proxy's CPU, as "proxy rN"."""
    return [f"{p} r{r['round']}" for p, runs in runs_by_proxy.items() for r in runs
            if _other_pct(r) > OTHER_WARN_PCT]


def _div(a, b):
    return a / b if a is not None and b else None


def render(rows, subject):
    by_conns = {}
    for r in rows:
        by_conns.setdefault(int(r["conns"]), {}).setdefault(r["proxy"], []).append(r)
    out = []
    for conns in sorted(by_conns):
        stats = {p: summarize(runs) for p, runs in by_conns[conns].items()}
        rounds = max(s["rounds"] for s in stats.values())
        out.append(f"### {conns} connections (median of {rounds} rounds)\n")
        out.append("| proxy | req/s | spread | p50 | p99 | errors | req per CPU-s "
                   "| proxy CPU | load CPU | other |")
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for proxy, s in stats.items():
            per_cpu = "n/a" if s["per_cpu"] is None else f"{s['per_cpu']:,.0f}"
            out.append(f"| {proxy} | {s['rps']:,.0f} | {100 * s['spread']:.0f}% "
                       f"| {fmt_latency(s['p50'])} | {fmt_latency(s['p99'])} | {s['errors']} "
                       f"| {per_cpu} | {s['cpu_pct']:.0f}% | {s['load_pct']:.0f}% "
                       f"| {s['other_pct']:.0f}% |")
        out.append("")
        # With the CPUs shared on purpose (run.sh BENCH_CORES > 1), the "others" are the load.
        disturbed = [] if os.environ.get("BENCH_SHARED_CPUS") else _disturbed_runs(by_conns[conns])
        if disturbed:
            total = sum(len(runs) for runs in by_conns[conns].values())
            out.append(f"Warning: in {len(disturbed)} of {total} runs other processes took more "
                       f"than {OTHER_WARN_PCT}% of the proxy CPU ({', '.join(disturbed)}). Their "
                       "req/s and latency are unreliable; the medians hold only if most rounds "
                       "were quiet (req per CPU-s is less affected).\n")
        if subject in stats and len(stats) > 1:
            me = stats[subject]
            out.append(f"| {subject} vs | req per CPU-s ratio (>1: {subject} cheaper) "
                       f"| p99 ratio (<1: {subject} faster) | req/s ratio |")
            out.append("|---|---:|---:|---:|")
            for peer, s in stats.items():
                if peer == subject:
                    continue
                out.append(f"| {peer} | {fmt_ratio(_div(me['per_cpu'], s['per_cpu']))} "
                           f"| {fmt_ratio(_div(me['p99'], s['p99']))} "
                           f"| {fmt_ratio(_div(me['rps'], s['rps']))} |")
            out.append("")
    return "\n".join(out)


def main(argv):
    if len(argv) not in (2, 3):
        sys.exit("usage: report.py RESULTS_TSV [SUBJECT]")
    with open(argv[1]) as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    if not rows:
        print("(no measured runs)")
        return 0
    print(render(rows, argv[2] if len(argv) == 3 else "kodiak"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
