#!/usr/bin/env python3
"""Prints each ember benchmark next to its yardstick, from a Google Benchmark JSON file.

A benchmark named <op>_<dtype>/ember/<n> is compared with <op>_<dtype>/openblas/<n> when that
exists (GEMM: by the FLOPS counter when both report it, else by real time), otherwise with
memcpy/<n> (memory-bound ops: by bytes_per_second). The ratio is always ember's speed over the
yardstick's: above 1 ember is faster; for memory-bound ops it is the fraction of copy bandwidth.

Usage: python3 bench/ratios.py bench/results/cpu-latest.json
"""
import argparse
import json
import sys

TIME_UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def strip_modifiers(name):
    """'memcpy/4096/real_time' -> 'memcpy/4096': drops the suffixes Google Benchmark appends
    (real_time, manual_time, threads:2, min_time:..., repeats:...)."""
    parts = name.split("/")
    while len(parts) > 1 and (parts[-1] in ("real_time", "manual_time") or ":" in parts[-1]):
        parts.pop()
    return "/".join(parts)


def load_runs(path):
    """{benchmark name without modifiers: run}, one run per benchmark: the median aggregate when
    the file has repetitions, else the mean of its iteration runs."""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    iterations, aggregates = {}, {}
    for run in data.get("benchmarks", []):
        if run.get("error_occurred"):
            continue
        key = strip_modifiers(run.get("run_name", run["name"]))
        if run.get("run_type") == "aggregate":
            aggregates.setdefault(key, {})[run.get("aggregate_name")] = run
        else:
            iterations.setdefault(key, []).append(run)
    runs = {}
    for key, group in iterations.items():
        agg = aggregates.get(key, {})
        if "median" in agg or "mean" in agg:
            runs[key] = agg.get("median", agg.get("mean"))
            continue
        merged = dict(group[0])
        for field in ("real_time", "bytes_per_second", "FLOPS"):
            values = [r[field] for r in group if field in r]
            if values:
                merged[field] = sum(values) / len(values)
        runs[key] = merged
    return runs


def seconds(run):
    return run["real_time"] * TIME_UNIT_NS.get(run.get("time_unit", "ns"), 1.0) * 1e-9


def rate(value, unit):
    for scale, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= scale:
            return f"{value / scale:.2f} {prefix}{unit}"
    return f"{value:.2f} {unit}"


def duration(s):
    for scale, unit in ((1.0, "s"), (1e-3, "ms"), (1e-6, "us")):
        if s >= scale:
            return f"{s / scale:.2f} {unit}"
    return f"{s * 1e9:.1f} ns"


def compare(ember, yard, prefer):
    """(metric, ember value text, yardstick value text, ratio) for two runs."""
    if prefer in ember and prefer in yard and yard[prefer] > 0:
        unit, metric = ("FLOP/s", "flop/s") if prefer == "FLOPS" else ("B/s", "bytes/s")
        ratio = ember[prefer] / yard[prefer]
        return metric, rate(ember[prefer], unit), rate(yard[prefer], unit), ratio
    return "time", duration(seconds(ember)), duration(seconds(yard)), seconds(yard) / seconds(ember)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("results", help="Google Benchmark JSON (--benchmark_out_format=json)")
    args = parser.parse_args()
    try:
        runs = load_runs(args.results)
    except (OSError, ValueError, KeyError) as e:
        print(f"ratios.py: cannot read {args.results}: {e}", file=sys.stderr)
        return 1

    rows = []
    for key, run in runs.items():
        parts = key.split("/")
        if len(parts) != 3 or parts[1] != "ember":
            continue
        op, _, n = parts
        blas = runs.get(f"{op}/openblas/{n}")
        copy = runs.get(f"memcpy/{n}")
        if blas is not None:
            metric, mine, theirs, ratio = compare(run, blas, "FLOPS")
            rows.append((key, metric, mine, "openblas " + theirs, f"{ratio:.2f}"))
        elif copy is not None:
            metric, mine, theirs, ratio = compare(run, copy, "bytes_per_second")
            rows.append((key, metric, mine, "memcpy " + theirs, f"{ratio:.2f}"))
        else:
            rows.append((key, "time", duration(seconds(run)), "no yardstick", "-"))

    if not rows:
        print(f"no <op>_<dtype>/ember/<n> benchmarks in {args.results}")
        return 0
    header = ("benchmark", "metric", "ember", "yardstick", "ratio")
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    line = "  ".join(f"{{:<{w}}}" for w in widths[:-1]) + "  {:>" + str(widths[-1]) + "}"
    print(line.format(*header))
    for r in rows:
        print(line.format(*r))
    print("ratio: ember's speed / the yardstick's (above 1: ember is faster; against memcpy: "
          "the fraction of copy bandwidth reached)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
