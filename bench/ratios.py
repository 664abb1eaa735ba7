#!/usr/bin/env python3
"""Prints each ember benchmark next to its yardstick, from a Google Benchmark JSON file.

A benchmark named <op>/ember/<n> is compared with its yardstick of the same op and size,
<op>/<yardstick>/<n> (openblas: CPU GEMM; cublas: GPU GEMM; copy: a device-to-device copy of
the same bytes, for GPU memory-bound ops), else with memcpy/<n> (CPU memory-bound ops). The
metric is FLOPS when both report it, else bytes_per_second when both do, else time. The ratio
is always ember's speed over the yardstick's: above 1 ember is faster; against a copy it is the
fraction of copy bandwidth reached.

With repetitions the median aggregate of each benchmark is used (with or without
--benchmark_report_aggregates_only), otherwise the mean of its runs. Benchmarks that reported an
error (an op not implemented on a device, no GPU) are listed apart.

Usage: python3 bench/ratios.py bench/results/cpu-latest.json
       python3 bench/ratios.py RESULTS.json --markdown OUT.md --title T --meta 'commit: abc' ...
"""
import argparse
import json
import sys

TIME_UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
YARDSTICKS = ("openblas", "cublas", "copy")


def strip_modifiers(name):
    """'memcpy/4096/real_time' -> 'memcpy/4096': drops the suffixes Google Benchmark appends
    (real_time, manual_time, threads:2, min_time:..., repeats:...)."""
    parts = name.split("/")
    while len(parts) > 1 and (parts[-1] in ("real_time", "manual_time") or ":" in parts[-1]):
        parts.pop()
    return "/".join(parts)


def load(path):
    """(context, runs, errors): runs maps a benchmark name without modifiers to one run (the
    median aggregate when there are repetitions, else the mean of its iteration runs); errors
    maps a benchmark that reported an error to its message."""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    iterations, aggregates, errors = {}, {}, {}
    for run in data.get("benchmarks", []):
        key = strip_modifiers(run.get("run_name", run["name"]))
        if run.get("error_occurred"):
            errors[key] = run.get("error_message", "error")
            continue
        if run.get("run_type") == "aggregate":
            aggregates.setdefault(key, {})[run.get("aggregate_name")] = run
        else:
            iterations.setdefault(key, []).append(run)
    runs = {}
    for key in list(iterations) + [k for k in aggregates if k not in iterations]:
        agg = aggregates.get(key, {})
        if "median" in agg or "mean" in agg:
            runs[key] = agg.get("median", agg.get("mean"))
            continue
        group = iterations.get(key)
        if not group:
            continue
        merged = dict(group[0])
        for field in ("real_time", "bytes_per_second", "FLOPS"):
            values = [r[field] for r in group if field in r]
            if values:
                merged[field] = sum(values) / len(values)
        runs[key] = merged
    for key in runs:
        errors.pop(key, None)
    return data.get("context", {}), runs, errors


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


def speed(run):
    """(metric, text) of a run's rate: FLOP/s, else bytes/s, else none."""
    if "FLOPS" in run:
        return "flop/s", rate(run["FLOPS"], "FLOP/s")
    if "bytes_per_second" in run:
        return "bytes/s", rate(run["bytes_per_second"], "B/s")
    return "time", "-"


def compare(ember, yard):
    """(metric, ratio) for two runs: by FLOPS or bytes/s when both report it, else by time."""
    for field, metric in (("FLOPS", "flop/s"), ("bytes_per_second", "bytes/s")):
        if field in ember and field in yard and yard[field] > 0:
            return metric, ember[field] / yard[field]
    return "time", seconds(yard) / seconds(ember)


def find_yardstick(runs, op, n):
    """(name, run) of the yardstick of <op>/ember/<n>, or (None, None)."""
    for impl in YARDSTICKS:
        key = f"{op}/{impl}/{n}"
        if key in runs:
            return impl, runs[key]
    if f"memcpy/{n}" in runs:
        return "memcpy", runs[f"memcpy/{n}"]
    return None, None


def rows_of(runs):
    """One row per <op>/ember/<n>: benchmark, metric, ember time and speed, yardstick name, its
    time and speed, ratio (text)."""
    rows = []
    for key, run in runs.items():
        parts = key.split("/")
        if len(parts) != 3 or parts[1] != "ember":
            continue
        op, _, n = parts
        name, yard = find_yardstick(runs, op, n)
        if yard is None:
            metric, mine = speed(run)
            rows.append((key, metric, duration(seconds(run)), mine, "none", "-", "-", "-"))
            continue
        metric, ratio = compare(run, yard)
        rows.append((key, metric, duration(seconds(run)), speed(run)[1], name,
                     duration(seconds(yard)), speed(yard)[1], f"{ratio:.2f}"))
    return rows


RATIO_NOTE = ("ratio: ember's speed / the yardstick's (above 1: ember is faster; against a copy: "
              "the fraction of copy bandwidth reached)")


def print_text(rows):
    table = [(r[0], r[1], r[3] if r[3] != "-" else r[2],
              r[4] if r[4] == "none" else f"{r[4]} {r[6] if r[6] != '-' else r[5]}", r[7])
             for r in rows]
    header = ("benchmark", "metric", "ember", "yardstick", "ratio")
    widths = [max(len(r[i]) for r in table + [header]) for i in range(len(header))]
    line = "  ".join(f"{{:<{w}}}" for w in widths[:-1]) + "  {:>" + str(widths[-1]) + "}"
    print(line.format(*header))
    for r in table:
        print(line.format(*r))
    print(RATIO_NOTE)


CONTEXT_FIELDS = (
    ("device", "card"), ("compute_capability", "compute capability"),
    ("multiprocessors", "multiprocessors"), ("l2_bytes", "L2 bytes"),
    ("driver_cuda_version", "driver's CUDA version"), ("cuda_runtime", "CUDA runtime"),
    ("cublas", "cuBLAS"), ("ember_build_type", "ember build"), ("host_name", "host"),
    ("date", "run started"),
)


def markdown(path, title, meta, context, rows, errors):
    out = [f"# {title}", ""]
    out += [f"- {m}" for m in meta]
    for field, label in CONTEXT_FIELDS:
        if context.get(field):
            out.append(f"- {label}: {context[field]}")
    out += ["", "| benchmark | ember time | ember speed | yardstick | yardstick time | "
                "yardstick speed | ratio |", "|---|---:|---:|---|---:|---:|---:|"]
    for r in rows:
        out.append(f"| {r[0]} | {r[2]} | {r[3]} | {r[4]} | {r[5]} | {r[6]} | {r[7]} |")
    out += ["", RATIO_NOTE + ". With repetitions, each number is their median.", ""]
    if errors:
        out += ["Did not run (the benchmark reported an error):", ""]
        out += [f"- {k}: {v}" for k, v in sorted(errors.items())]
        out.append("")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out).rstrip("\n") + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("results", help="Google Benchmark JSON (--benchmark_out_format=json)")
    parser.add_argument("--markdown", metavar="FILE", help="also write a markdown report")
    parser.add_argument("--title", default="Benchmarks", help="the report's heading")
    parser.add_argument("--meta", action="append", default=[],
                        help="a 'key: value' line for the report's header (repeatable)")
    parser.add_argument("--strict", action="store_true",
                        help="exit 1 when a benchmark reported an error or none ran")
    args = parser.parse_args()
    try:
        context, runs, errors = load(args.results)
    except (OSError, ValueError, KeyError) as e:
        print(f"ratios.py: cannot read {args.results}: {e}", file=sys.stderr)
        return 1

    rows = rows_of(runs)
    if rows:
        print_text(rows)
    else:
        print(f"no <op>_<dtype>/ember/<n> benchmarks in {args.results}")
    for key, message in sorted(errors.items()):
        print(f"error: {key}: {message}")
    if args.markdown:
        markdown(args.markdown, args.title, args.meta, context, rows, errors)
        print(f"wrote {args.markdown}")
    if args.strict and (errors or not runs):
        print(f"ratios.py: {len(errors)} benchmark(s) reported an error" if errors
              else "ratios.py: no benchmark ran", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
