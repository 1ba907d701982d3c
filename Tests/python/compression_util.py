"""Helpers for the compression tests and benchmarks: random ONNX models of Gemm/Conv layers."""
import os
import subprocess

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def sparrow_bin():
    return os.environ.get("SPARROW_BIN", os.path.abspath(".build/release/sparrow"))


def run_sparrow(*args, check=True):
    return subprocess.run([sparrow_bin(), *map(str, args)], capture_output=True, text=True, check=check)


def mlp_model(sizes, seed=0, std=None):
    """An MLP of Gemm+Relu layers, e.g. LeNet-300-100 = [784, 300, 100, 10]."""
    rng = np.random.default_rng(seed)
    nodes, inits = [], []
    x = "input"
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        scale = std if std is not None else np.sqrt(2.0 / a)
        w = (rng.standard_normal((a, b)) * scale).astype(np.float32)
        bias = (rng.standard_normal(b) * 0.01).astype(np.float32)
        inits += [numpy_helper.from_array(w, f"fc{i + 1}.weight"), numpy_helper.from_array(bias, f"fc{i + 1}.bias")]
        y = f"h{i + 1}" if i < len(sizes) - 2 else "output"
        g = y if i == len(sizes) - 2 else f"g{i + 1}"
        nodes.append(helper.make_node("Gemm", [x, f"fc{i + 1}.weight", f"fc{i + 1}.bias"], [g], name=f"fc{i + 1}"))
        if i < len(sizes) - 2:
            nodes.append(helper.make_node("Relu", [g], [y], name=f"relu{i + 1}"))
        x = y
    graph = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", sizes[0]])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", sizes[-1]])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def conv_model(seed=0):
    """Conv(1→8, 5×5) + Relu + Flatten + Gemm: a small model with both layer kinds."""
    rng = np.random.default_rng(seed)
    cw = (rng.standard_normal((8, 1, 5, 5)) * 0.2).astype(np.float32)
    cb = (rng.standard_normal(8) * 0.01).astype(np.float32)
    fw = (rng.standard_normal((8 * 24 * 24, 10)) * 0.05).astype(np.float32)
    fb = np.zeros(10, np.float32)
    nodes = [helper.make_node("Conv", ["input", "conv.weight", "conv.bias"], ["c"], name="conv"),
             helper.make_node("Relu", ["c"], ["r"]),
             helper.make_node("Flatten", ["r"], ["f"]),
             helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["output"], name="fc")]
    inits = [numpy_helper.from_array(a, n) for a, n in [(cw, "conv.weight"), (cb, "conv.bias"), (fw, "fc.weight"), (fb, "fc.bias")]]
    graph = helper.make_graph(nodes, "convnet", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, 28, 28])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 10])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def initializers(model):
    return {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
