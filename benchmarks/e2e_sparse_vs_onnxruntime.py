#!/usr/bin/env python3
"""End to end: compressed LeNet-300-100 and LeNet-5 on Sparrow's sparse engine beside onnxruntime
running the dense originals, same machine, same run, batch 1 and 64.

Models: Tests/python/models/lenet.py (RANDOM weights, fixed seed — no trained LeNets are in the repo),
compressed by `sparrow compress` with per-layer pruning to the Deep Compression paper's LeNet densities
(LeNet-300-100: 8%, 9%, 26%; LeNet-5: conv1 66%, conv2 12%, fc1 8%, fc2 19%) and the default bit
widths (conv 8, fc 5). Inputs are MNIST test images (so first-layer activations are as sparse as real
digits). Each round times, in turn: onnxruntime on the dense .onnx (InferenceSession.run from Python),
`sparrow bench-model` on the .sparrow with --engine sparse and --engine dense (the runtime's run()
timed in-process). Reported: medians over rounds of each round's median, and the median of the per-round
ratios. Before timing, the sparse engine's outputs are checked against onnxruntime on the exported
(decoded) model.

Usage: .venv/bin/python benchmarks/e2e_sparse_vs_onnxruntime.py [--rounds 5] [--iterations 200] [--json]
"""
import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnxruntime as ort

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Tests", "python", "models"))
from lenet import lenet5, mlp784  # noqa: E402

DENSITIES = {
    "LeNet-300-100": {"fc1.w": 0.08, "fc2.w": 0.09, "fc3.w": 0.26},
    "LeNet-5": {"conv1.w": 0.66, "conv2.w": 0.12, "fc1.w": 0.08, "fc2.w": 0.19},
}


def sparrow_bin():
    return os.environ.get("SPARROW_BIN", os.path.join(ROOT, ".build", "release", "sparrow"))


def sparrow(*args):
    out = subprocess.run([sparrow_bin(), *map(str, args)], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"sparrow {' '.join(map(str, args))} failed:\n{out.stderr}")
    return out.stdout


def mnist_images(count):
    for d in [os.environ.get("SPARROW_MNIST_DIR"), os.path.join(ROOT, "..", "shared", "datasets", "mnist"),
              "/work/shared/datasets/mnist"]:
        if d and os.path.exists(os.path.join(d, "t10k-images-idx3-ubyte.gz")):
            with gzip.open(os.path.join(d, "t10k-images-idx3-ubyte.gz")) as fh:
                data = np.frombuffer(fh.read(), dtype=np.uint8, offset=16)
            return (data.reshape(-1, 784)[:count].astype(np.float32) / 255.0)
    print("MNIST not found; using random inputs with 19% non-zero pixels", file=sys.stderr)
    rng = np.random.default_rng(0)
    x = rng.random((count, 784), dtype=np.float32)
    return np.where(rng.random((count, 784)) < 0.19, x, 0).astype(np.float32)


def prepare(work, name, model):
    onnx_path = os.path.join(work, name + ".onnx")
    with open(onnx_path, "wb") as fh:
        fh.write(model.SerializeToString())
    config = {"prune": {"layers": {k: 1 - v for k, v in DENSITIES[name].items()}}}
    config_path = os.path.join(work, name + ".json")
    with open(config_path, "w") as fh:
        json.dump(config, fh)
    sparrow_path = os.path.join(work, name + ".sparrow")
    sparrow("compress", onnx_path, "-o", sparrow_path, "--config", config_path, "--quiet", "--no-gzip")
    exported = os.path.join(work, name + ".exported.onnx")
    sparrow("export", sparrow_path, "-o", exported)
    return onnx_path, sparrow_path, exported


def check_equal(work, name, sparrow_path, exported, x):
    """Sparse engine vs onnxruntime on the exported (decoded) model: max error relative to max |y|."""
    inp = os.path.join(work, name + ".check.npz")
    np.savez(inp, input=x)
    out = os.path.join(work, name + ".check.out.npz")
    sparrow("infer", sparrow_path, "-i", inp, "-o", out, "--engine", "sparse")
    ys = np.load(out)["probabilities"]
    sess = ort.InferenceSession(exported, providers=["CPUExecutionProvider"])
    yo = sess.run(None, {"input": x})[0]
    return float(np.max(np.abs(ys - yo)) / max(np.max(np.abs(yo)), 1e-30))


def time_ort(sess, x, iterations, warmup=10):
    for _ in range(warmup):
        sess.run(None, {"input": x})
    times = []
    for _ in range(iterations):
        t = time.perf_counter()
        sess.run(None, {"input": x})
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times)


def time_sparrow(path, inp, engine, iterations):
    out = sparrow("bench-model", path, "--input", inp, "--engine", engine, "--iterations", iterations,
                  "--warmup", 10, "--json")
    return json.loads(out)["median_ms"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--iterations", type=int, default=200)
    ap.add_argument("--batches", default="1,64")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    batches = [int(b) for b in args.batches.split(",")]
    images = mnist_images(max(batches) + 64)
    results = []
    with tempfile.TemporaryDirectory() as work:
        for name, model in [("LeNet-300-100", mlp784()), ("LeNet-5", lenet5())]:
            onnx_path, sparrow_path, exported = prepare(work, name, model)
            shape = (-1, 784) if name == "LeNet-300-100" else (-1, 1, 28, 28)
            err = check_equal(work, name, sparrow_path, exported, images[64:64 + 16].reshape(shape))
            sess = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
            for batch in batches:
                x = np.ascontiguousarray(images[:batch].reshape(shape))
                inp = os.path.join(work, f"{name}.b{batch}.npz")
                np.savez(inp, input=x)
                ort_ms, sparse_ms, dense_ms, ratios = [], [], [], []
                for _ in range(args.rounds):
                    o = time_ort(sess, x, args.iterations)
                    s = time_sparrow(sparrow_path, inp, "sparse", args.iterations)
                    d = time_sparrow(sparrow_path, inp, "dense", args.iterations)
                    ort_ms.append(o); sparse_ms.append(s); dense_ms.append(d); ratios.append(o / s)
                r = {"model": name, "batch": batch,
                     "onnxruntime_dense_us": statistics.median(ort_ms) * 1e3,
                     "sparrow_sparse_us": statistics.median(sparse_ms) * 1e3,
                     "sparrow_dense_us": statistics.median(dense_ms) * 1e3,
                     "speedup_vs_onnxruntime": statistics.median(ratios),
                     "max_relative_error_vs_exported": err,
                     "onnx_bytes": os.path.getsize(onnx_path), "sparrow_bytes": os.path.getsize(sparrow_path)}
                results.append(r)
                if not args.json:
                    print(f"{name:14} batch {batch:3}: onnxruntime dense {r['onnxruntime_dense_us']:9.1f} µs, "
                          f"Sparrow sparse {r['sparrow_sparse_us']:9.1f} µs, Sparrow dense {r['sparrow_dense_us']:9.1f} µs, "
                          f"ORT/sparse {r['speedup_vs_onnxruntime']:5.2f}×, max rel err {err:.1e}", flush=True)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(f"onnxruntime {ort.__version__}, threads: default; weights random (not trained); "
              f"{args.rounds} rounds × {args.iterations} iterations, medians")


if __name__ == "__main__":
    main()
