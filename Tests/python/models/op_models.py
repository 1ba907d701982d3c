"""Small ONNX graphs covering each operator of Sparrow's dense runtime, built with onnx.helper.

cases() returns (name, ModelProto, feeds) triples with deterministic inputs. Run as a script to write
them into a directory: python op_models.py OUT_DIR
"""
import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

FLOAT = TensorProto.FLOAT
INT64 = TensorProto.INT64
IR_FOR_OPSET = {9: 4, 10: 5, 11: 6, 12: 7, 13: 7, 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9, 20: 9, 21: 10}


def model(name, nodes, inputs, outputs, initializers=(), opset=13, ml=False):
    """inputs/outputs: lists of (name, elem_type, shape) with None for a dynamic dim."""
    vi = lambda n, t, s: helper.make_tensor_value_info(n, t, s)
    graph = helper.make_graph(nodes, name, [vi(*i) for i in inputs], [vi(*o) for o in outputs],
                              initializer=[numpy_helper.from_array(v, k) for k, v in initializers])
    opsets = [helper.make_opsetid("", opset)] + ([helper.make_opsetid("ai.onnx.ml", 1)] if ml else [])
    return helper.make_model(graph, opset_imports=opsets, ir_version=IR_FOR_OPSET[opset],
                             producer_name="sparrow-tests")


def node(op, inputs, outputs, **attrs):
    return helper.make_node(op, inputs, outputs, name=f"{op}_{outputs[0]}", **attrs)


def const(name, values, dtype=np.int64):
    return (name, np.asarray(values, dtype=dtype))


def cases():
    rng = np.random.default_rng(1234)
    f = lambda *shape: rng.standard_normal(shape).astype(np.float32)
    out = []

    def add(name, m, feeds):
        out.append((name, m, feeds))

    def unary(op, opset=13, **attrs):
        add(f"{op.lower()}_op{opset}", model(op, [node(op, ["x"], ["y"], **attrs)],
            [("x", FLOAT, [2, 3, 4])], [("y", FLOAT, None)], opset=opset), {"x": f(2, 3, 4) * 3})

    # Gemm: plain, transposed operands, alpha/beta, bias broadcast from [N] and [1].
    add("gemm_transb", model("gemm", [node("Gemm", ["x", "w", "b"], ["y"], transB=1)],
        [("x", FLOAT, [None, 5])], [("y", FLOAT, [None, 3])], [("w", f(3, 5)), ("b", f(3))]), {"x": f(4, 5)})
    add("gemm_transa_alpha_beta", model("gemm", [node("Gemm", ["x", "w", "b"], ["y"], transA=1, alpha=0.5, beta=2.0)],
        [("x", FLOAT, [5, 4])], [("y", FLOAT, [4, 3])], [("w", f(5, 3)), ("b", f(1))]), {"x": f(5, 4)})
    add("gemm_no_bias_op11", model("gemm", [node("Gemm", ["x", "w"], ["y"])],
        [("x", FLOAT, [2, 5])], [("y", FLOAT, [2, 3])], [("w", f(5, 3))], opset=11), {"x": f(2, 5)})

    # MatMul: 2-D, batched × 2-D, 1-D × 2-D.
    add("matmul_2d", model("mm", [node("MatMul", ["x", "w"], ["y"])],
        [("x", FLOAT, [None, 6])], [("y", FLOAT, None)], [("w", f(6, 4))]), {"x": f(3, 6)})
    add("matmul_batched", model("mm", [node("MatMul", ["x", "w"], ["y"])],
        [("x", FLOAT, [2, 3, 6])], [("y", FLOAT, None)], [("w", f(6, 4))]), {"x": f(2, 3, 6)})
    add("matmul_two_inputs", model("mm", [node("MatMul", ["a", "b"], ["y"])],
        [("a", FLOAT, [2, 3, 4]), ("b", FLOAT, [2, 4, 5])], [("y", FLOAT, None)]), {"a": f(2, 3, 4), "b": f(2, 4, 5)})

    # Element-wise arithmetic with broadcasting.
    for op in ["Add", "Sub", "Mul", "Div"]:
        add(f"{op.lower()}_broadcast", model(op, [node(op, ["x", "c"], ["t"]), node(op, ["t", "s"], ["u"]),
                                                  node(op, ["r", "u"], ["y"])],
            [("x", FLOAT, [2, 3, 4]), ("r", FLOAT, [3, 1])], [("y", FLOAT, None)],
            [("c", f(4) + 3), ("s", np.array(1.5, dtype=np.float32))]),
            {"x": f(2, 3, 4), "r": f(3, 1) + 4})
    add("add_int64", model("addi", [node("Add", ["x", "c"], ["y"])],
        [("x", INT64, [2, 3])], [("y", INT64, None)], [const("c", [1, -2, 3])]),
        {"x": np.arange(6, dtype=np.int64).reshape(2, 3)})

    # Activations.
    for op in ["Relu", "Sigmoid", "Tanh", "Identity"]:
        unary(op)
    unary("LeakyRelu", alpha=0.1)
    unary("Softmax", opset=13, axis=-1)
    unary("Softmax", opset=11, axis=1)  # opset < 13: coerced to 2-D at axis
    unary("LogSoftmax", opset=13, axis=1)
    unary("LogSoftmax", opset=11)
    unary("Dropout", opset=12, seed=3)
    unary("Dropout", opset=9, ratio=0.3)

    # Clip: attributes before opset 11, optional inputs after.
    unary("Clip", opset=9, min=-0.5, max=0.7)
    add("clip_op13_inputs", model("clip", [node("Clip", ["x", "lo", "hi"], ["y"])],
        [("x", FLOAT, [2, 3, 4])], [("y", FLOAT, None)],
        [("lo", np.array(-0.5, np.float32)), ("hi", np.array(0.25, np.float32))]), {"x": f(2, 3, 4)})
    add("clip_op13_min_only", model("clip", [node("Clip", ["x", "lo"], ["y"])],
        [("x", FLOAT, [2, 3, 4])], [("y", FLOAT, None)], [("lo", np.array(0.1, np.float32))]), {"x": f(2, 3, 4)})
    add("clip_op13_max_only", model("clip", [node("Clip", ["x", "", "hi"], ["y"])],
        [("x", FLOAT, [2, 3, 4])], [("y", FLOAT, None)], [("hi", np.array(0.1, np.float32))]), {"x": f(2, 3, 4)})

    # Conv variants (NCHW).
    def conv(name, x_shape, w_shape, bias=True, **attrs):
        inputs = ["x", "w"] + (["b"] if bias else [])
        inits = [("w", f(*w_shape))] + ([("b", f(w_shape[0]))] if bias else [])
        add(name, model("conv", [node("Conv", inputs, ["y"], **attrs)], [("x", FLOAT, list(x_shape))],
            [("y", FLOAT, None)], inits), {"x": f(*x_shape)})
    conv("conv_basic", (2, 3, 8, 8), (4, 3, 3, 3))
    conv("conv_no_bias", (1, 2, 6, 6), (3, 2, 3, 3), bias=False)
    conv("conv_pads_strides", (1, 3, 9, 7), (5, 3, 3, 2), pads=[1, 0, 2, 1], strides=[2, 3])
    conv("conv_dilations", (1, 2, 10, 10), (3, 2, 3, 3), dilations=[2, 3], pads=[1, 1, 1, 1])
    conv("conv_group", (2, 4, 7, 7), (6, 2, 3, 3), group=2, pads=[1, 1, 1, 1])
    conv("conv_depthwise", (1, 3, 6, 6), (3, 1, 3, 3), group=3, strides=[2, 2])
    conv("conv_same_upper", (1, 2, 7, 7), (2, 2, 4, 4), auto_pad="SAME_UPPER", strides=[2, 2])
    conv("conv_same_lower", (1, 2, 7, 7), (2, 2, 4, 4), auto_pad="SAME_LOWER")
    conv("conv_valid", (1, 2, 7, 6), (2, 2, 3, 3), auto_pad="VALID")
    conv("conv_1d", (2, 3, 11), (4, 3, 3), pads=[1, 1], strides=[2])
    conv("conv_1x1", (1, 8, 5, 5), (4, 8, 1, 1))

    # Pooling.
    def pool(name, op, x_shape, opset=13, **attrs):
        add(name, model(op, [node(op, ["x"], ["y"], **attrs)], [("x", FLOAT, list(x_shape))],
            [("y", FLOAT, None)], opset=opset), {"x": f(*x_shape)})
    pool("maxpool_2x2", "MaxPool", (2, 3, 8, 8), kernel_shape=[2, 2], strides=[2, 2])
    pool("maxpool_pads", "MaxPool", (1, 2, 7, 7), kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    pool("maxpool_ceil", "MaxPool", (1, 2, 7, 7), kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1)
    pool("maxpool_same_upper", "MaxPool", (1, 2, 7, 7), kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_UPPER")
    pool("maxpool_dilations", "MaxPool", (1, 1, 8, 8), kernel_shape=[2, 2], dilations=[2, 2])
    pool("maxpool_op9", "MaxPool", (1, 2, 6, 6), opset=9, kernel_shape=[2, 2], strides=[2, 2])
    pool("avgpool_2x2", "AveragePool", (2, 3, 8, 8), kernel_shape=[2, 2], strides=[2, 2])
    pool("avgpool_pads_exclude", "AveragePool", (1, 2, 7, 7), kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    pool("avgpool_pads_include", "AveragePool", (1, 2, 7, 7), kernel_shape=[3, 3], pads=[1, 1, 1, 1],
         count_include_pad=1)
    pool("avgpool_ceil", "AveragePool", (1, 1, 7, 7), kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)
    pool("global_avgpool", "GlobalAveragePool", (2, 3, 5, 4))

    # Normalisation.
    add("batchnorm", model("bn", [node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], epsilon=1e-3)],
        [("x", FLOAT, [2, 3, 4, 4])], [("y", FLOAT, None)],
        [("s", f(3)), ("b", f(3)), ("m", f(3)), ("v", np.abs(f(3)) + 0.5)]), {"x": f(2, 3, 4, 4)})
    add("batchnorm_op9", model("bn", [node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"])],
        [("x", FLOAT, [2, 3, 4])], [("y", FLOAT, None)],
        [("s", f(3)), ("b", f(3)), ("m", f(3)), ("v", np.abs(f(3)) + 0.5)], opset=9), {"x": f(2, 3, 4)})
    add("lrn", model("lrn", [node("LRN", ["x"], ["y"], size=3, alpha=1e-3, beta=0.75, bias=2.0)],
        [("x", FLOAT, [1, 5, 4, 4])], [("y", FLOAT, None)]), {"x": f(1, 5, 4, 4)})

    # Shape manipulation.
    add("flatten_axis1", model("fl", [node("Flatten", ["x"], ["y"])], [("x", FLOAT, [2, 3, 4])], [("y", FLOAT, None)]),
        {"x": f(2, 3, 4)})
    add("flatten_axis2", model("fl", [node("Flatten", ["x"], ["y"], axis=2)], [("x", FLOAT, [2, 3, 4, 5])],
        [("y", FLOAT, None)]), {"x": f(2, 3, 4, 5)})
    add("flatten_axis0", model("fl", [node("Flatten", ["x"], ["y"], axis=0)], [("x", FLOAT, [2, 3])],
        [("y", FLOAT, None)]), {"x": f(2, 3)})
    add("reshape_zero_minus1", model("rs", [node("Reshape", ["x", "s"], ["y"])], [("x", FLOAT, [2, 3, 4])],
        [("y", FLOAT, None)], [const("s", [0, -1])]), {"x": f(2, 3, 4)})
    add("transpose_perm", model("tr", [node("Transpose", ["x"], ["y"], perm=[2, 0, 1])], [("x", FLOAT, [2, 3, 4])],
        [("y", FLOAT, None)]), {"x": f(2, 3, 4)})
    add("transpose_default", model("tr", [node("Transpose", ["x"], ["y"])], [("x", FLOAT, [2, 3, 4])],
        [("y", FLOAT, None)]), {"x": f(2, 3, 4)})
    add("concat_axis1", model("cc", [node("Concat", ["a", "b", "c"], ["y"], axis=1)],
        [("a", FLOAT, [2, 1, 3]), ("b", FLOAT, [2, 4, 3])], [("y", FLOAT, None)], [("c", f(2, 2, 3))]),
        {"a": f(2, 1, 3), "b": f(2, 4, 3)})
    add("concat_negative_axis", model("cc", [node("Concat", ["a", "b"], ["y"], axis=-1)],
        [("a", FLOAT, [2, 3]), ("b", FLOAT, [2, 2])], [("y", FLOAT, None)]), {"a": f(2, 3), "b": f(2, 2)})
    add("squeeze_unsqueeze_op11", model("sq", [node("Squeeze", ["x"], ["s"], axes=[1, 3]),
                                             node("Unsqueeze", ["s"], ["y"], axes=[0, 3])],
        [("x", FLOAT, [2, 1, 3, 1])], [("y", FLOAT, None)], opset=11), {"x": f(2, 1, 3, 1)})
    add("squeeze_unsqueeze_op13", model("sq", [node("Squeeze", ["x", "a"], ["s"]),
                                             node("Unsqueeze", ["s", "b"], ["y"])],
        [("x", FLOAT, [2, 1, 3, 1])], [("y", FLOAT, None)], [const("a", [-1, 1]), const("b", [0, -1])]),
        {"x": f(2, 1, 3, 1)})
    add("squeeze_all_op13", model("sq", [node("Squeeze", ["x"], ["y"])], [("x", FLOAT, [1, 3, 1])],
        [("y", FLOAT, None)]), {"x": f(1, 3, 1)})

    # Cast, ArgMax, constants.
    add("cast_roundtrip", model("cast", [node("Cast", ["x"], ["i"], to=INT64), node("Cast", ["i"], ["y"], to=FLOAT)],
        [("x", FLOAT, [3, 4])], [("y", FLOAT, None), ("i", INT64, None)]), {"x": f(3, 4) * 5})
    add("argmax_axis1", model("am", [node("ArgMax", ["x"], ["y"], axis=1)], [("x", FLOAT, [3, 5, 2])],
        [("y", INT64, None)]), {"x": f(3, 5, 2)})
    add("argmax_keepdims0", model("am", [node("ArgMax", ["x"], ["y"], axis=-1, keepdims=0)], [("x", FLOAT, [3, 5])],
        [("y", INT64, None)]), {"x": f(3, 5)})
    add("argmax_select_last", model("am", [node("ArgMax", ["x"], ["y"], axis=1, select_last_index=1)],
        [("x", FLOAT, [2, 4])], [("y", INT64, None)]),
        {"x": np.array([[1, 3, 3, 0], [2, 2, 2, 2]], np.float32)})
    add("constant_tensor", model("c", [
        helper.make_node("Constant", [], ["c"], name="k", value=numpy_helper.from_array(f(3, 4), "c")),
        node("Add", ["x", "c"], ["y"])], [("x", FLOAT, [3, 4])], [("y", FLOAT, None)]), {"x": f(3, 4)})
    add("constant_value_float_op13", model("c", [
        helper.make_node("Constant", [], ["c"], name="k", value_float=2.5),
        node("Mul", ["x", "c"], ["y"])], [("x", FLOAT, [3])], [("y", FLOAT, None)]), {"x": f(3)})
    add("constant_of_shape", model("cos", [
        node("Shape", ["x"], ["s"]),
        node("ConstantOfShape", ["s"], ["z"], value=numpy_helper.from_array(np.array([0.5], np.float32))),
        node("Add", ["x", "z"], ["y"])], [("x", FLOAT, [2, 3])], [("y", FLOAT, None)]), {"x": f(2, 3)})

    # Pad: attributes at opset 9, inputs from opset 11.
    add("pad_op9_constant", model("pad", [node("Pad", ["x"], ["y"], pads=[0, 1, 2, 0, 2, 1], value=1.5)],
        [("x", FLOAT, [2, 3, 4])], [("y", FLOAT, None)], opset=9), {"x": f(2, 3, 4)})
    add("pad_op13_constant", model("pad", [node("Pad", ["x", "p", "v"], ["y"])],
        [("x", FLOAT, [2, 3, 4])], [("y", FLOAT, None)],
        [const("p", [0, 1, 2, 0, 2, 1]), ("v", np.array(-1.0, np.float32))]), {"x": f(2, 3, 4)})
    for mode in ["reflect", "edge"]:
        add(f"pad_op13_{mode}", model("pad", [node("Pad", ["x", "p"], ["y"], mode=mode)],
            [("x", FLOAT, [1, 3, 4])], [("y", FLOAT, None)], [const("p", [0, 1, 2, 0, 2, 1])]), {"x": f(1, 3, 4)})

    # ReduceMean: axes attribute before opset 18, input after.
    add("reducemean_op13", model("rm", [node("ReduceMean", ["x"], ["y"], axes=[1, -1])],
        [("x", FLOAT, [2, 3, 4])], [("y", FLOAT, None)]), {"x": f(2, 3, 4)})
    add("reducemean_op13_nokeep", model("rm", [node("ReduceMean", ["x"], ["y"], axes=[2], keepdims=0)],
        [("x", FLOAT, [2, 3, 4])], [("y", FLOAT, None)]), {"x": f(2, 3, 4)})
    add("reducemean_op13_all", model("rm", [node("ReduceMean", ["x"], ["y"])],
        [("x", FLOAT, [2, 3, 4])], [("y", FLOAT, None)]), {"x": f(2, 3, 4)})
    add("reducemean_op18_input", model("rm", [node("ReduceMean", ["x", "a"], ["y"], keepdims=0)],
        [("x", FLOAT, [2, 3, 4])], [("y", FLOAT, None)], [const("a", [0, 2])], opset=18), {"x": f(2, 3, 4)})

    # Slice: attributes at opset 9, inputs (with steps) from opset 10.
    add("slice_op9_attrs", model("sl", [node("Slice", ["x"], ["y"], starts=[1, 0], ends=[3, -1], axes=[0, 2])],
        [("x", FLOAT, [4, 3, 5])], [("y", FLOAT, None)], opset=9), {"x": f(4, 3, 5)})
    add("slice_op13_steps", model("sl", [node("Slice", ["x", "st", "en", "ax", "sp"], ["y"])],
        [("x", FLOAT, [4, 3, 6])], [("y", FLOAT, None)],
        [const("st", [-1, 1]), const("en", [-1000, 6]), const("ax", [0, 2]), const("sp", [-2, 2])]),
        {"x": f(4, 3, 6)})
    add("slice_op13_clamped", model("sl", [node("Slice", ["x", "st", "en"], ["y"])],
        [("x", FLOAT, [4, 3])], [("y", FLOAT, None)], [const("st", [1, -10]), const("en", [100, 2])]),
        {"x": f(4, 3)})

    # Shape arithmetic, as exporters emit for flattening: Shape → Gather → Unsqueeze → Concat → Reshape.
    add("shape_gather_concat_reshape", model("sa", [
        node("Shape", ["x"], ["s"]),
        node("Gather", ["s", "zero"], ["n"], axis=0),
        node("Unsqueeze", ["n", "axes0"], ["n1"]),
        node("Concat", ["n1", "minus1"], ["target"], axis=0),
        node("Reshape", ["x", "target"], ["y"])],
        [("x", FLOAT, [None, 3, 4])], [("y", FLOAT, None)],
        [const("zero", 0), const("axes0", [0]), const("minus1", [-1])]), {"x": f(5, 3, 4)})
    add("shape_slice_op13", model("ss", [
        node("Shape", ["x"], ["s"]),
        node("Slice", ["s", "b", "e"], ["tail"]),
        node("Concat", ["minus1", "tail"], ["target"], axis=0),
        node("Reshape", ["x", "target"], ["y"])],
        [("x", FLOAT, [2, 3, 4, 5])], [("y", FLOAT, None), ("s", INT64, None)],
        [const("b", [2]), const("e", [4]), const("minus1", [-1])]), {"x": f(2, 3, 4, 5)})
    add("gather_rows", model("g", [node("Gather", ["x", "i"], ["y"], axis=1)],
        [("x", FLOAT, [2, 5, 3])], [("y", FLOAT, None)], [const("i", [[4, 0], [-1, 2]])]), {"x": f(2, 5, 3)})

    # Element-wise math: positive inputs where the domain needs them, edge values included.
    for op in ["Exp", "Erf", "Floor", "Ceil", "Softsign", "Softplus", "HardSwish", "Neg", "Abs", "Sign"]:
        unary(op, opset=14)
    unary("HardSigmoid", alpha=0.3, beta=0.4)
    unary("Elu", alpha=0.7)
    unary("Selu")
    unary("Gelu", opset=20)
    unary("Gelu", opset=21, approximate="tanh")
    edge = np.array([[0.0, -0.0, 1e-30, -1.0, 2.5, -2.5, 0.5, 1.5, 1e30, -1e30, np.inf, -np.inf, np.nan]], np.float32)
    for op in ["Log", "Sqrt", "Reciprocal", "Round", "Exp", "Softplus", "HardSigmoid", "HardSwish", "Elu"]:
        add(f"{op.lower()}_edges", model(op, [node(op, ["x"], ["y"])], [("x", FLOAT, [1, 13])], [("y", FLOAT, None)],
                                         opset=14), {"x": edge})
    nan_edge = np.array([[np.nan, 1e10, -1e10, 3e9, -3e9, 2.0**63, 1e19, 1.8e19, 2.0**64 * 2, -1.5, 255.7, 0.0]], np.float32)
    for to, name in [(TensorProto.UINT64, "uint64"), (TensorProto.INT64, "int64"), (TensorProto.INT32, "int32"),
                     (TensorProto.UINT32, "uint32"), (TensorProto.INT16, "int16"), (TensorProto.INT8, "int8"),
                     (TensorProto.UINT8, "uint8")]:
        # onnxruntime's x86 conversions: NaN and out-of-range floats, uint64 above 2^63.
        add(f"cast_float_to_{name}_edges", model("castx", [node("Cast", ["x"], ["y"], to=to)],
            [("x", FLOAT, [1, nan_edge.shape[1]])], [("y", to, None)]), {"x": nan_edge})
    ints = np.array([[0, 5, -7, 2**62, -(2**63)]], np.int64)
    for op in ["Neg", "Abs", "Sign"]:
        add(f"{op.lower()}_int64", model(op, [node(op, ["x"], ["y"])], [("x", INT64, [1, 5])], [("y", INT64, None)]),
            {"x": ints})
    add("pow_float_and_int_exponent", model("pow", [node("Pow", ["x", "e"], ["t"]), node("Pow", ["t", "k"], ["y"])],
        [("x", FLOAT, [2, 3])], [("y", FLOAT, None)], [("e", f(3)), const("k", 2)]), {"x": np.abs(f(2, 3)) + 0.1})
    add("prelu_channel_slope", model("prelu", [node("PRelu", ["x", "s"], ["y"])],
        [("x", FLOAT, [2, 3, 4, 4])], [("y", FLOAT, None)], [("s", f(3, 1, 1))]), {"x": f(2, 3, 4, 4)})

    # Variadic Min/Max/Sum/Mean with broadcasting, floats and int64.
    for op in ["Min", "Max", "Sum", "Mean"]:
        add(f"{op.lower()}_three_inputs", model(op, [node(op, ["a", "b", "c"], ["y"])],
            [("a", FLOAT, [2, 3, 4]), ("b", FLOAT, [3, 1]), ("c", FLOAT, [4])], [("y", FLOAT, None)]),
            {"a": f(2, 3, 4), "b": f(3, 1), "c": f(4)})
    add("max_int64", model("maxi", [node("Max", ["a", "b"], ["y"])], [("a", INT64, [2, 3]), ("b", INT64, [3])],
        [("y", INT64, None)]), {"a": np.arange(-3, 3, dtype=np.int64).reshape(2, 3), "b": np.array([0, -5, 9], np.int64)})
    add("min_single_input", model("min1", [node("Min", ["a"], ["y"])], [("a", FLOAT, [2, 3])], [("y", FLOAT, None)]),
        {"a": f(2, 3)})

    # Comparisons → bool, logic, Where, Expand: the masking patterns exporters emit.
    BOOL = TensorProto.BOOL
    for op in ["Equal", "Greater", "GreaterOrEqual", "Less", "LessOrEqual"]:
        a = np.round(f(2, 3, 4))
        add(f"{op.lower()}_broadcast", model(op, [node(op, ["a", "b"], ["y"])],
            [("a", FLOAT, [2, 3, 4]), ("b", FLOAT, [4])], [("y", BOOL, None)], opset=16),
            {"a": a, "b": np.array([0, 1, -1, np.nan], np.float32)})
    add("equal_int64", model("eqi", [node("Equal", ["a", "b"], ["y"])], [("a", INT64, [2, 3]), ("b", INT64, [2, 1])],
        [("y", BOOL, None)]), {"a": np.arange(6, dtype=np.int64).reshape(2, 3), "b": np.array([[1], [5]], np.int64)})
    for op in ["And", "Or", "Xor"]:
        add(f"{op.lower()}_bool", model(op, [node(op, ["a", "b"], ["y"])], [("a", BOOL, [2, 3]), ("b", BOOL, [3])],
            [("y", BOOL, None)]), {"a": np.array([[1, 0, 1], [0, 0, 1]], bool), "b": np.array([1, 1, 0], bool)})
    add("not_and_where_mask", model("mask", [
        node("Greater", ["x", "zero"], ["pos"]), node("Not", ["pos"], ["neg"]),
        node("Where", ["neg", "fill", "x"], ["y"]),
        node("Where", ["pos", "i1", "i0"], ["which"])],
        [("x", FLOAT, [2, 3, 4])], [("y", FLOAT, None), ("which", INT64, None)],
        [("zero", np.array(0, np.float32)), ("fill", np.full((3, 1), -9, np.float32)),
         const("i1", [1]), const("i0", 0)]), {"x": f(2, 3, 4)})
    add("expand_both_ways", model("expand", [node("Expand", ["x", "s"], ["y"])],
        [("x", FLOAT, [3, 1])], [("y", FLOAT, None)], [const("s", [2, 1, 4])]), {"x": f(3, 1)})

    # Newest supported opset.
    add("mlp_op21", model("mlp21", [node("Gemm", ["x", "w1", "b1"], ["h"], transB=1), node("Relu", ["h"], ["r"]),
                                     node("Gemm", ["r", "w2", "b2"], ["z"], transB=1), node("Softmax", ["z"], ["y"])],
        [("x", FLOAT, [None, 8])], [("y", FLOAT, None)],
        [("w1", f(16, 8)), ("b1", f(16)), ("w2", f(4, 16)), ("b2", f(4))], opset=21), {"x": f(3, 8)})
    return out


if __name__ == "__main__":
    os.makedirs(sys.argv[1], exist_ok=True)
    for name, m, feeds in cases():
        with open(os.path.join(sys.argv[1], name + ".onnx"), "wb") as fh:
            fh.write(m.SerializeToString())
        np.savez(os.path.join(sys.argv[1], name + ".npz"), **feeds)
