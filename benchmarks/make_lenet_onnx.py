#!/usr/bin/env python3
"""Writes LeNet-300-100 and LeNet-5 (Caffe's) as ONNX graphs with random (He-uniform) weights.

These are the untrained starting points of benchmarks/mnist_deep_compression.sh: Sparrow trains
the baselines from them. Input is [N, 1, 28, 28] float pixels in [0, 1]; output is the logits.

    python make_lenet_onnx.py OUT_DIR [--seed S]
"""
import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def he_uniform(rng, shape, fan_in):
    bound = np.sqrt(6.0 / fan_in)
    return rng.uniform(-bound, bound, size=shape).astype(np.float32)


def model(name, nodes, inits):
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, 28, 28])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])],
        [numpy_helper.from_array(v, k) for k, v in inits.items()])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="sparrow-benchmarks")
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def lenet_300_100(rng):
    inits = {
        "fc1.weight": he_uniform(rng, (300, 784), 784), "fc1.bias": np.zeros(300, np.float32),
        "fc2.weight": he_uniform(rng, (100, 300), 300), "fc2.bias": np.zeros(100, np.float32),
        "fc3.weight": he_uniform(rng, (10, 100), 100), "fc3.bias": np.zeros(10, np.float32),
    }
    nodes = [
        helper.make_node("Flatten", ["input"], ["flat"], axis=1),
        helper.make_node("Gemm", ["flat", "fc1.weight", "fc1.bias"], ["h1"], transB=1),
        helper.make_node("Relu", ["h1"], ["a1"]),
        helper.make_node("Gemm", ["a1", "fc2.weight", "fc2.bias"], ["h2"], transB=1),
        helper.make_node("Relu", ["h2"], ["a2"]),
        helper.make_node("Gemm", ["a2", "fc3.weight", "fc3.bias"], ["logits"], transB=1),
    ]
    return model("lenet_300_100", nodes, inits)


def lenet_5(rng):
    # Caffe's examples/mnist/lenet_train_test.prototxt: conv 20 5x5, pool 2, conv 50 5x5, pool 2,
    # ip 500, relu, ip 10 (no activation after the convolutions). 430,500 weights + 580 biases.
    inits = {
        "conv1.weight": he_uniform(rng, (20, 1, 5, 5), 25), "conv1.bias": np.zeros(20, np.float32),
        "conv2.weight": he_uniform(rng, (50, 20, 5, 5), 500), "conv2.bias": np.zeros(50, np.float32),
        "fc1.weight": he_uniform(rng, (500, 800), 800), "fc1.bias": np.zeros(500, np.float32),
        "fc2.weight": he_uniform(rng, (10, 500), 500), "fc2.bias": np.zeros(10, np.float32),
    }
    nodes = [
        helper.make_node("Conv", ["input", "conv1.weight", "conv1.bias"], ["c1"], kernel_shape=[5, 5]),
        helper.make_node("MaxPool", ["c1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "conv2.weight", "conv2.bias"], ["c2"], kernel_shape=[5, 5]),
        helper.make_node("MaxPool", ["c2"], ["p2"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["p2"], ["flat"], axis=1),
        helper.make_node("Gemm", ["flat", "fc1.weight", "fc1.bias"], ["h1"], transB=1),
        helper.make_node("Relu", ["h1"], ["a1"]),
        helper.make_node("Gemm", ["a1", "fc2.weight", "fc2.bias"], ["logits"], transB=1),
    ]
    return model("lenet_5", nodes, inits)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    for name, build in [("lenet_300_100", lenet_300_100), ("lenet_5", lenet_5)]:
        m = build(rng)
        path = os.path.join(args.out_dir, name + ".onnx")
        onnx.save(m, path)
        weights = sum(int(np.prod(t.dims)) for t in m.graph.initializer)
        print(f"{path}: {weights} parameters")


if __name__ == "__main__":
    main()
