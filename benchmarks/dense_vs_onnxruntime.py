#!/usr/bin/env python3
"""Sparrow's dense runtime beside onnxruntime on an MLP (784-300-100-10) and LeNet-5, batch 1 and 64.

Sparrow is timed in-process by `sparrow bench-model` (only DenseRuntime.run is timed); onnxruntime by
timing session.run in this process. Both: same warm-up, same iteration count, median latency per call.
Three thread settings, each measured in the same run:
  default — Sparrow as shipped (OPENBLAS_NUM_THREADS unset: the runtime pins OpenBLAS to one thread),
            onnxruntime's default intra-op pool (all cores)
  1       — OPENBLAS_NUM_THREADS=1 for Sparrow, intra_op_num_threads=1 for onnxruntime
  all     — OPENBLAS_NUM_THREADS=<cpu count> for Sparrow, onnxruntime's default pool
The engines alternate case by case for --rounds rounds; each cell is the best per-round median of that
engine (robust on a shared, noisy host). The anchor is onnxruntime: ratio = Sparrow / onnxruntime
(lower is better, 1.0 = parity).

Usage: benchmarks/dense_vs_onnxruntime.py [--iterations N] [--rounds R] [--write docs/benchmarks/dense.md]
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
    # The runtime pins OpenBLAS to one thread unless the environment chooses; "default" leaves it so.
    env.pop("OPENBLAS_NUM_THREADS", None)
    if threads != "default":
        env["OPENBLAS_NUM_THREADS"] = str(os.cpu_count() if threads == "all" else threads)
    out = subprocess.run([binary, "bench-model", str(model), "--batch", str(batch), "--iterations", str(iterations),
                          "--warmup", str(warmup), "--json"], capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout)["median_ms"]


def ort_median_ms(model, input_shape, batch, iterations, warmup, threads):
    opts = ort.SessionOptions()
    if threads == "1":
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
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; best median of each engine")
    parser.add_argument("--write", help="also write the markdown report to this path")
    args = parser.parse_args()
    binary = os.environ.get("SPARROW_BIN", str(REPO / ".build" / "release" / "sparrow"))

    configs = ("default", "1", "all")
    best_sparrow, best_ort = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        models = [("MLP 784-300-100-10", lenet.mlp784(), [784]), ("LeNet-5", lenet.lenet5(), [1, 28, 28])]
        cases = []
        for label, proto, shape in models:
            path = pathlib.Path(tmp) / (label.split()[0] + ".onnx")
            path.write_bytes(proto.SerializeToString())
            cases += [(label, path, shape, batch, threads) for batch in (1, 64) for threads in configs]
        for round_index in range(args.rounds):
            for label, path, shape, batch, threads in cases:
                # Fewer iterations at batch 64 keep the whole run to a few minutes.
                n = args.iterations if batch == 1 else max(args.iterations // 4, 10)
                key = (label, batch, threads)
                s = sparrow_median_ms(binary, path, batch, n, args.warmup, threads)
                o = ort_median_ms(path, shape, batch, n, args.warmup, threads)
                best_sparrow[key] = min(best_sparrow.get(key, float("inf")), s)
                best_ort[key] = min(best_ort.get(key, float("inf")), o)
                print(f"round {round_index + 1} {label:20} batch {batch:3} threads {threads:7}: "
                      f"sparrow {s:8.3f} ms  onnxruntime {o:8.3f} ms", file=sys.stderr)
    rows = [(label, batch, threads, best_sparrow[(label, batch, threads)], best_ort[(label, batch, threads)])
            for label, _, _, batch, threads in cases]
    rows = [(label, batch, threads, s, o, s / o) for label, batch, threads, s, o in rows]

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
                  f"{platform.machine()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, onnxruntime "
                  f"{ort.__version__}; best of {args.rounds} alternating rounds of the median of "
                  f"{args.iterations} iterations at batch 1, {max(args.iterations // 4, 10)} at batch 64, after "
                  f"{args.warmup} warm-up runs. Command: `benchmarks/dense_vs_onnxruntime.py --rounds {args.rounds} --write {args.write}`.")
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
