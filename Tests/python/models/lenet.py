"""LeNet-5-like CNN and a 784-300-100-10 MLP, built with onnx.helper (random weights, fixed seed).

LeNet (Caffe variant, as in Deep Compression): conv 20 5×5, max-pool 2, conv 50 5×5, max-pool 2,
fc 500 + ReLU, fc 10, softmax. Input [N, 1, 28, 28].
Run as a script: python lenet.py OUT_DIR  (writes lenet5.onnx and mlp_784.onnx)
"""
import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

OPSET = 13


def _init(rng, name, *shape):
    fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else shape[0]
    return numpy_helper.from_array((rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32), name)


def _model(name, nodes, inits, input_shape):
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, input_shape)
    y = helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 10])
    graph = helper.make_graph(nodes, name, [x], [y], initializer=inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=7,
                             producer_name="sparrow-tests")


def lenet5(seed=0):
    rng = np.random.default_rng(seed)
    n = helper.make_node
    inits = [_init(rng, "conv1.w", 20, 1, 5, 5), _init(rng, "conv1.b", 20),
             _init(rng, "conv2.w", 50, 20, 5, 5), _init(rng, "conv2.b", 50),
             _init(rng, "fc1.w", 500, 800), _init(rng, "fc1.b", 500),
             _init(rng, "fc2.w", 10, 500), _init(rng, "fc2.b", 10)]
    nodes = [n("Conv", ["input", "conv1.w", "conv1.b"], ["c1"], name="conv1", kernel_shape=[5, 5]),
             n("MaxPool", ["c1"], ["p1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
             n("Conv", ["p1", "conv2.w", "conv2.b"], ["c2"], name="conv2", kernel_shape=[5, 5]),
             n("MaxPool", ["c2"], ["p2"], name="pool2", kernel_shape=[2, 2], strides=[2, 2]),
             n("Flatten", ["p2"], ["f"], name="flatten"),
             n("Gemm", ["f", "fc1.w", "fc1.b"], ["h"], name="fc1", transB=1),
             n("Relu", ["h"], ["r"], name="relu1"),
             n("Gemm", ["r", "fc2.w", "fc2.b"], ["logits"], name="fc2", transB=1),
             n("Softmax", ["logits"], ["probabilities"], name="softmax", axis=1)]
    return _model("lenet5", nodes, inits, ["N", 1, 28, 28])


def mlp784(seed=0):
    rng = np.random.default_rng(seed)
    n = helper.make_node
    inits = [_init(rng, "fc1.w", 300, 784), _init(rng, "fc1.b", 300),
             _init(rng, "fc2.w", 100, 300), _init(rng, "fc2.b", 100),
             _init(rng, "fc3.w", 10, 100), _init(rng, "fc3.b", 10)]
    nodes = [n("Gemm", ["input", "fc1.w", "fc1.b"], ["h1"], name="fc1", transB=1),
             n("Relu", ["h1"], ["r1"], name="relu1"),
             n("Gemm", ["r1", "fc2.w", "fc2.b"], ["h2"], name="fc2", transB=1),
             n("Relu", ["h2"], ["r2"], name="relu2"),
             n("Gemm", ["r2", "fc3.w", "fc3.b"], ["logits"], name="fc3", transB=1),
             n("Softmax", ["logits"], ["probabilities"], name="softmax", axis=1)]
    return _model("mlp784", nodes, inits, ["N", 784])


if __name__ == "__main__":
    os.makedirs(sys.argv[1], exist_ok=True)
    for name, m in [("lenet5", lenet5()), ("mlp_784", mlp784())]:
        with open(os.path.join(sys.argv[1], name + ".onnx"), "wb") as fh:
            fh.write(m.SerializeToString())
