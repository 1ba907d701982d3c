#!/usr/bin/env python3
"""DenseRuntime vs onnxruntime on MLP 784-300-100-10 and LeNet-5, batch 1 and 64.

Anchor: onnxruntime (CPU provider) on graphs of the same architecture and op forms as the Swift driver
(benchmarks/DenseRuntimeBenchmark builds them in code: Gemm transB=1 + Relu; Conv/MaxPool/Flatten/Gemm).
Both run in this process's environment, so OPENBLAS_NUM_THREADS applies to Sparrow and
--threads to onnxruntime's intra-op pool. Prints a markdown table of median latencies and ratios.

Usage: .venv/bin/python benchmarks/dense_runtime_vs_onnxruntime.py [--threads N] [--bin PATH]
"""
import argparse
import os
import subprocess
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(0)


def init(name, shape, scale):
    return numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name)


def mlp():
    sizes = [784, 300, 100, 10]
    nodes, inits, cur = [], [], "x"
    for i in range(3):
        inits += [init(f"w{i}", (sizes[i + 1], sizes[i]), 0.05), init(f"b{i}", (sizes[i + 1],), 0.05)]
        nodes.append(helper.make_node("Gemm", [cur, f"w{i}", f"b{i}"], [f"fc{i}"], transB=1))
        cur = f"fc{i}"
        if i < 2:
            nodes.append(helper.make_node("Relu", [cur], [f"r{i}"]))
            cur = f"r{i}"
    g = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 784])],
                          [helper.make_tensor_value_info(cur, TensorProto.FLOAT, ["N", 10])], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), (784,)


def lenet():
    inits = [init("c1w", (20, 1, 5, 5), 0.2), init("c1b", (20,), 0.1), init("c2w", (50, 20, 5, 5), 0.05),
             init("c2b", (50,), 0.1), init("f1w", (500, 800), 0.03), init("f1b", (500,), 0.1),
             init("f2w", (10, 500), 0.05), init("f2b", (10,), 0.1)]
    nodes = [
        helper.make_node("Conv", ["x", "c1w", "c1b"], ["c1"], kernel_shape=[5, 5]),
        helper.make_node("MaxPool", ["c1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "c2w", "c2b"], ["c2"], kernel_shape=[5, 5]),
        helper.make_node("MaxPool", ["c2"], ["p2"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["p2"], ["f"]),
        helper.make_node("Gemm", ["f", "f1w", "f1b"], ["h"], transB=1),
        helper.make_node("Relu", ["h"], ["hr"]),
        helper.make_node("Gemm", ["hr", "f2w", "f2b"], ["y"], transB=1),
    ]
    g = helper.make_graph(nodes, "lenet", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 28, 28])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 10])], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), (1, 28, 28)


def time_ort(model, shape, batch, threads, budget=1.0):
    opts = ort.SessionOptions()
    if threads:
        opts.intra_op_num_threads = threads
    sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    x = rng.standard_normal((batch,) + shape).astype(np.float32)
    for _ in range(5):
        sess.run(None, {"x": x})
    times = []
    start = time.perf_counter()
    while time.perf_counter() - start < budget or len(times) < 20:
        t0 = time.perf_counter()
        sess.run(None, {"x": x})
        times.append(time.perf_counter() - t0)
    return float(np.median(times)) * 1e6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=0, help="onnxruntime intra-op threads (0 = default)")
    ap.add_argument("--bin", default=".build/release/DenseRuntimeBenchmark")
    args = ap.parse_args()
    out = subprocess.run([args.bin, "1", "64"], check=True, capture_output=True, text=True).stdout
    sparrow = {(m, int(b)): float(med) for m, b, med, _ in (line.split() for line in out.splitlines())}
    print(f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'default')}, "
          f"onnxruntime threads={args.threads or 'default'}, onnxruntime {ort.__version__}")
    print("| model | batch | onnxruntime median µs | Sparrow dense median µs | Sparrow / ORT |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, (model, shape) in [("mlp", mlp()), ("lenet", lenet())]:
        onnx.checker.check_model(model)
        for batch in (1, 64):
            o = time_ort(model, shape, batch, args.threads)
            s = sparrow[(name, batch)]
            print(f"| {name} | {batch} | {o:.1f} | {s:.1f} | {s / o:.2f}× |")


if __name__ == "__main__":
    main()
