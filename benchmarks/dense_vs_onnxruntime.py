#!/usr/bin/env python3
"""Sparrow's dense runtime beside onnxruntime on an MLP (784-300-100-10) and LeNet-5, batch 1 and 64.

Sparrow is timed in-process by `sparrow bench-model` (only run() is timed); onnxruntime by timing
session.run in this process. Both: same warm-up, same iteration count, median latency reported.
Two thread settings, each measured in the same run:
  1 thread  — OPENBLAS_NUM_THREADS=1 for sparrow, intra_op_num_threads=1 for onnxruntime
  all cores — OPENBLAS_NUM_THREADS=<cpu count> for sparrow, onnxruntime's default pool (all cores)
The anchor is onnxruntime: ratio = sparrow median / onnxruntime median (lower is better, 1.0 = parity).

Usage: benchmarks/dense_vs_onnxruntime.py [--iterations N] [--write docs/benchmarks/dense.md]
Needs the release binary (SPARROW_BIN, default .build/release/sparrow) and the repo's .venv.
"""
import argparse
import datetime
import json
import os
import pathlib
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnxruntime as ort

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "Tests" / "python" / "models"))
import lenet  # noqa: E402


def sparrow_median_ms(binary, model, batch, iterations, warmup, threads):
    env = dict(os.environ)
    # The runtime pins OpenBLAS to one thread unless the environment chooses, so choose explicitly.
    env["OPENBLAS_NUM_THREADS"] = str(threads or os.cpu_count())
    out = subprocess.run([binary, "bench-model", str(model), "--batch", str(batch), "--iterations", str(iterations),
                          "--warmup", str(warmup), "--json"], capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout)["median_ms"]


def ort_median_ms(model, input_shape, batch, iterations, warmup, threads):
    opts = ort.SessionOptions()
    if threads == 1:
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
    session = ort.InferenceSession(str(model), opts, providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).random([batch] + input_shape, dtype=np.float32)
    name = session.get_inputs()[0].name
    for _ in range(warmup):
        session.run(None, {name: x})
    times = []
    for _ in range(iterations):
        start = time.perf_counter_ns()
        session.run(None, {name: x})
        times.append((time.perf_counter_ns() - start) / 1e6)
    return float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--write", help="also write the markdown report to this path")
    args = parser.parse_args()
    binary = os.environ.get("SPARROW_BIN", str(REPO / ".build" / "release" / "sparrow"))

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        models = [("MLP 784-300-100-10", lenet.mlp784(), [784]), ("LeNet-5", lenet.lenet5(), [1, 28, 28])]
        for label, proto, shape in models:
            path = pathlib.Path(tmp) / (label.split()[0] + ".onnx")
            path.write_bytes(proto.SerializeToString())
            for batch in (1, 64):
                for threads in (1, None):
                    # Fewer iterations at batch 64 keep the whole run to a couple of minutes.
                    n = args.iterations if batch == 1 else max(args.iterations // 4, 10)
                    s = sparrow_median_ms(binary, path, batch, n, args.warmup, threads)
                    o = ort_median_ms(path, shape, batch, n, args.warmup, threads)
                    rows.append((label, batch, "1" if threads == 1 else "all", s, o, s / o))
                    print(f"{label:20} batch {batch:3} threads {rows[-1][2]:7}: sparrow {s:8.3f} ms  "
                          f"onnxruntime {o:8.3f} ms  ratio {s / o:5.2f}", file=sys.stderr)

    lines = [
        "| model | batch | threads | sparrow (ms) | onnxruntime (ms) | ratio sparrow/ORT |",
        "| --- | ---: | --- | ---: | ---: | ---: |",
    ]
    for label, batch, threads, s, o, r in rows:
        lines.append(f"| {label} | {batch} | {threads} | {s:.3f} | {o:.3f} | {r:.2f} |")
    table = "\n".join(lines)
    print(table)
    if args.write:
        header = (f"Measured {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC on "
                  f"{platform.machine()}, {os.cpu_count()} CPUs, onnxruntime {ort.__version__}; median of "
                  f"{args.iterations} iterations at batch 1, {max(args.iterations // 4, 10)} at batch 64, after "
                  f"{args.warmup} warm-up runs. Command: `benchmarks/dense_vs_onnxruntime.py --write {args.write}`.")
        path = pathlib.Path(args.write)
        text = path.read_text() if path.exists() else ""
        marker = "<!-- table -->"
        if marker in text:
            before, _, rest = text.partition(marker)
            after = rest.partition("<!-- /table -->")[2]
            text = f"{before}{marker}\n{header}\n\n{table}\n<!-- /table -->{after}"
        else:
            text = f"# Dense runtime vs onnxruntime\n\n{marker}\n{header}\n\n{table}\n<!-- /table -->\n"
        path.write_text(text)


if __name__ == "__main__":
    main()
