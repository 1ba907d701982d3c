#!/usr/bin/env python3
"""Repeated runs of `sparrow bench-layers` at batch 1, summarised against issue #6's targets.

One run of bench-layers takes the median of 7 rounds; on a shared VM a whole run can land in a
slow minute. This script runs it `--runs` times, `--pause` seconds apart, and prints per layer the
minimum / median / maximum of each figure over the runs and how many runs met each target:

  ×OpenBLAS = dense µs / sparse µs (median of per-round ratios)   target ≥ 8
  ×floor    = sparse µs / floor µs (bandwidth timed at start)      target ≤ 3
  same-round ×floor (bandwidth timed right before each sparse call)
  fastest round / floor

With `--against OLD_BINARY` the two binaries run in turn instead (old, new, old, new, ...), and the
script prints per layer the median over the pairs of new sparse µs / old sparse µs with its
quartiles: the same minutes of a noisy machine for both, which is how kernel changes are compared
in docs/DEVELOPING.md.

Usage: benchmarks/eie_layers_runs.py [--runs 16] [--pause 25] [--layers Alex-6,Alex-7,VGG-6,VGG-7]
       [--binary .build/release/sparrow] [--against OLD_BINARY] [--raw runs.json]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

SPEEDUP_TARGET = 8.0
FLOOR_TARGET = 3.0


def run_once(binary, layers):
    out = subprocess.run([binary, "bench-layers", "--batches", "1", "--json", "--layers", layers],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def spread(values, fmt):
    return " / ".join(fmt.format(v) for v in (min(values), statistics.median(values), max(values)))


def summarise(runs):
    """Markdown table rows, one per layer, from a list of runs (each a bench-layers JSON list)."""
    by_layer = {}
    for run in runs:
        for r in run:
            by_layer.setdefault(r["layer"], []).append(r)
    n = len(runs)
    lines = ["| layer | sparse µs min / median / max | ×OpenBLAS min / median / max (≥ 8×), runs met "
             "| ×floor min / median / max (≤ 3×), runs met | ×floor, same-round bandwidth, runs met "
             "| fastest round / floor, median |",
             "|---|---|---|---|---|---|"]
    for layer, rows in by_layer.items():
        sparse = [r["sparse_us"] for r in rows]
        speedup = [r["speedup"] for r in rows]
        floor = [r["sparse_us"] / r["floor_us"] for r in rows]
        same = [r["per_floor_same_round"] for r in rows if r.get("per_floor_same_round") is not None]
        best = [r["sparse_best_us"] / r["floor_us"] for r in rows]
        met_speedup = sum(s >= SPEEDUP_TARGET for s in speedup)
        met_floor = sum(f <= FLOOR_TARGET for f in floor)
        same_cell = (f"{spread(same, '{:.2f}')}, {sum(f <= FLOOR_TARGET for f in same)} of {len(same)}"
                     if same else "-")
        lines.append(f"| {layer} | {spread(sparse, '{:.0f}')} | {spread(speedup, '{:.1f}')}, {met_speedup} of {n} "
                     f"| {spread(floor, '{:.2f}')}, {met_floor} of {n} | {same_cell} "
                     f"| {statistics.median(best):.2f} |")
    bandwidths = [r["compressed_bytes"] / r["floor_us"] / 1e3 for run in runs for r in run[:1]]
    lines.append("")
    lines.append(f"{n} runs; bandwidth readings {min(bandwidths):.1f}–{max(bandwidths):.1f} GB/s.")
    return "\n".join(lines)


def quartiles(values):
    q = statistics.quantiles(values, n=4) if len(values) > 1 else [values[0]] * 3
    return q[0], statistics.median(values), q[2]


def compare(old_runs, new_runs):
    """Markdown rows: per layer, new/old sparse µs over pairs of runs in the same minutes."""
    lines = ["| layer | new / old sparse µs, median [q1–q3] | median sparse µs, old → new |", "|---|---|---|"]
    for layer in [r["layer"] for r in old_runs[0]]:
        old = [r["sparse_us"] for run in old_runs for r in run if r["layer"] == layer]
        new = [r["sparse_us"] for run in new_runs for r in run if r["layer"] == layer]
        q1, med, q3 = quartiles([b / a for a, b in zip(old, new)])
        lines.append(f"| {layer} | {med:.3f} [{q1:.3f}–{q3:.3f}] | {statistics.median(old):.0f} → "
                     f"{statistics.median(new):.0f} |")
    lines.append("")
    lines.append(f"{len(old_runs)} pairs of runs, the old binary first in each.")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=16)
    parser.add_argument("--pause", type=float, default=25.0, help="seconds between runs")
    parser.add_argument("--layers", default="Alex-6,Alex-7,VGG-6,VGG-7")
    parser.add_argument("--binary", default=os.path.join(".build", "release", "sparrow"))
    parser.add_argument("--against", help="an older sparrow binary to alternate with --binary")
    parser.add_argument("--raw", help="also write every run's JSON here")
    parser.add_argument("--summarise", help="summarise a --raw file instead of running")
    args = parser.parse_args()
    if args.summarise:
        with open(args.summarise) as f:
            print(summarise(json.load(f)))
        return 0
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    for binary in [args.binary] + ([args.against] if args.against else []):
        if not os.access(binary, os.X_OK):
            parser.error(f"{binary} is not an executable; build it with `swift build -c release --product sparrow`")
    if args.against:
        old_runs, new_runs = [], []
        for i in range(args.runs):
            if i:
                time.sleep(args.pause)
            old_runs.append(run_once(args.against, args.layers))
            new_runs.append(run_once(args.binary, args.layers))
            print(f"pair {i + 1} of {args.runs}: " + ", ".join(
                f"{a['layer']} {a['sparse_us']:.0f} → {b['sparse_us']:.0f} µs" for a, b in zip(old_runs[-1], new_runs[-1])),
                file=sys.stderr, flush=True)
        if args.raw:
            with open(args.raw, "w") as f:
                json.dump({"old": old_runs, "new": new_runs}, f)
        print(compare(old_runs, new_runs))
        return 0
    runs = []
    for i in range(args.runs):
        if i:
            time.sleep(args.pause)
        runs.append(run_once(args.binary, args.layers))
        print(f"run {i + 1} of {args.runs}: " + ", ".join(
            f"{r['layer']} {r['speedup']:.1f}× {r['sparse_us'] / r['floor_us']:.2f}×fl" for r in runs[-1]),
            file=sys.stderr, flush=True)
    if args.raw:
        with open(args.raw, "w") as f:
            json.dump(runs, f)
    print(summarise(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
