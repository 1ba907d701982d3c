"""Edge cases of the dense runtime's kernels against onnxruntime: attribute combinations that exercise
im2col padding/dilation/group paths, pooling window arithmetic (ceil_mode, count_include_pad, SAME_*),
broadcast collapsing, integer arithmetic, slicing clamps and opset-dependent forms.
(Per-op coverage lives in test_oracle_ops.py; these are the corners.)"""
import numpy as np
import pytest

from oracle_util import assert_matches_onnxruntime  # also puts models/ on sys.path
from op_models import FLOAT, INT64, const, model, node

rng = np.random.default_rng(77)


def f(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def cases():
    out = []

    def add(name, nodes, inputs, feeds, initializers=(), opset=13, outputs=(("y", FLOAT, None),)):
        out.append((name, model(name, nodes, inputs, list(outputs), initializers, opset=opset), feeds))

    def conv(name, x_shape, w_shape, bias=True, **attrs):
        inits = [("w", f(*w_shape))] + ([("b", f(w_shape[0]))] if bias else [])
        add(name, [node("Conv", ["x", "w"] + (["b"] if bias else []), ["y"], **attrs)],
            [("x", FLOAT, list(x_shape))], {"x": f(*x_shape)}, inits)

    conv("conv_same_lower_stride2", (2, 3, 9, 8), (4, 3, 3, 2), auto_pad="SAME_LOWER", strides=[2, 2])
    conv("conv_same_upper_even_kernel", (1, 2, 7, 7), (3, 2, 2, 4), auto_pad="SAME_UPPER")
    conv("conv_group_dilation_asym_pads", (2, 6, 10, 9), (9, 2, 3, 2), group=3, dilations=[2, 3],
         pads=[1, 0, 2, 3], strides=[1, 2])
    conv("conv_depthwise", (3, 4, 6, 6), (4, 1, 3, 3), group=4, pads=[1, 1, 1, 1])
    conv("conv_pointwise_batch", (4, 5, 3, 7), (6, 5, 1, 1))
    conv("conv_pointwise_grouped", (2, 4, 3, 3), (6, 2, 1, 1), bias=False, group=2)
    conv("conv_1d_same_upper", (2, 3, 11), (5, 3, 4), auto_pad="SAME_UPPER", strides=[3])
    conv("conv_valid_stride", (1, 1, 10, 7), (2, 1, 4, 3), auto_pad="VALID", strides=[3, 2])

    def pool(name, op, x_shape, opset=13, **attrs):
        add(name, [node(op, ["x"], ["y"], **attrs)], [("x", FLOAT, list(x_shape))], {"x": f(*x_shape)}, opset=opset)

    pool("maxpool_ceil_pads_dilations", "MaxPool", (2, 3, 9, 10), kernel_shape=[3, 2], strides=[2, 3],
         pads=[1, 1, 1, 0], dilations=[2, 2], ceil_mode=1)
    pool("maxpool_same_lower", "MaxPool", (1, 2, 7, 6), kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_LOWER")
    pool("avgpool_ceil_include_pad", "AveragePool", (2, 2, 7, 8), kernel_shape=[3, 3], strides=[2, 2],
         pads=[1, 1, 1, 1], ceil_mode=1, count_include_pad=1)
    pool("avgpool_ceil_exclude_pad", "AveragePool", (2, 2, 7, 8), kernel_shape=[3, 3], strides=[2, 2],
         pads=[1, 0, 0, 1], ceil_mode=1)
    pool("avgpool_same_upper", "AveragePool", (1, 3, 5, 5), kernel_shape=[2, 2], auto_pad="SAME_UPPER")
    pool("avgpool_1d", "AveragePool", (2, 3, 9), kernel_shape=[4], strides=[2], pads=[1, 2], count_include_pad=1)
    pool("avgpool_dilated_op19", "AveragePool", (1, 2, 9, 9), opset=19, kernel_shape=[2, 2], dilations=[2, 3])

    add("gemm_transA_scalarC", [node("Gemm", ["a", "b", "c"], ["y"], transA=1, alpha=0.7, beta=-1.5)],
        [("a", FLOAT, [4, 3])], {"a": f(4, 3)}, [("b", f(4, 5)), ("c", f())])
    add("gemm_column_bias", [node("Gemm", ["a", "b", "c"], ["y"], transB=1)],
        [("a", FLOAT, [3, 4])], {"a": f(3, 4)}, [("b", f(5, 4)), ("c", f(3, 1))])
    add("matmul_broadcast_batches", [node("MatMul", ["a", "b"], ["y"])],
        [("a", FLOAT, [2, 1, 3, 4]), ("b", FLOAT, [3, 4, 5])], {"a": f(2, 1, 3, 4), "b": f(3, 4, 5)})
    add("matmul_vector_by_batch", [node("MatMul", ["a", "b"], ["y"])],
        [("a", FLOAT, [4]), ("b", FLOAT, [2, 4, 3])], {"a": f(4), "b": f(2, 4, 3)})
    add("add_broadcast_middle", [node("Add", ["a", "b"], ["y"])],
        [("a", FLOAT, [2, 1, 4, 1]), ("b", FLOAT, [3, 1, 5])], {"a": f(2, 1, 4, 1), "b": f(3, 1, 5)})
    add("div_scalar_first", [node("Div", ["a", "b"], ["y"])],
        [("a", FLOAT, []), ("b", FLOAT, [2, 3])], {"a": np.array(2.5, dtype=np.float32), "b": f(2, 3) + 3})
    ints = np.array([[7, -7, 9], [-9, 100, -100]], dtype=np.int64)
    for op in ("Add", "Sub", "Mul", "Div"):
        add(f"int64_{op.lower()}", [node(op, ["a", "b"], ["y"])],
            [("a", INT64, [2, 3]), ("b", INT64, [3])], {"a": ints, "b": np.array([2, -3, 4], dtype=np.int64)},
            outputs=(("y", INT64, None),))

    add("softmax_op11_axis2", [node("Softmax", ["x"], ["y"], axis=2)], [("x", FLOAT, [2, 3, 4, 2])],
        {"x": f(2, 3, 4, 2)}, opset=11)
    add("logsoftmax_op13_axis0", [node("LogSoftmax", ["x"], ["y"], axis=0)], [("x", FLOAT, [3, 4])], {"x": f(3, 4)})
    add("lrn_size5", [node("LRN", ["x"], ["y"], size=5, alpha=0.01, beta=0.6, bias=1.5)],
        [("x", FLOAT, [2, 6, 3, 3])], {"x": f(2, 6, 3, 3)})

    add("slice_negative_steps_clamped", [node("Slice", ["x", "s", "e", "a", "st"], ["y"])],
        [("x", FLOAT, [5, 6, 4])], {"x": f(5, 6, 4)},
        [const("s", [-1, 100]), const("e", [-1000, 1]), const("a", [1, 0]), const("st", [-2, -1])])
    add("slice_int64_max_end", [node("Slice", ["x", "s", "e"], ["y"])], [("x", FLOAT, [3, 4])], {"x": f(3, 4)},
        [const("s", [1, -3]), const("e", [np.iinfo(np.int64).max, np.iinfo(np.int64).max])])
    add("pad_reflect_op18_axes", [node("Pad", ["x", "p", "", "ax"], ["y"], mode="reflect")],
        [("x", FLOAT, [2, 4, 5])], {"x": f(2, 4, 5)}, [const("p", [2, 3, 1, 3]), const("ax", [-1, 1])], opset=18)
    add("pad_edge_negative", [node("Pad", ["x", "p"], ["y"], mode="edge")], [("x", FLOAT, [3, 4])], {"x": f(3, 4)},
        [const("p", [-1, 2, 1, -2])])
    add("gather_axis1_2d_negative", [node("Gather", ["x", "i"], ["y"], axis=1)], [("x", FLOAT, [3, 5])], {"x": f(3, 5)},
        [const("i", [[-1, 0], [2, -5]])])
    add("argmax_last_index_ties", [node("ArgMax", ["x"], ["y"], axis=0, keepdims=0, select_last_index=1)],
        [("x", FLOAT, [4, 3])], {"x": np.array([[1, 2, 3], [3, 2, 1], [3, 0, 3], [0, 2, 1]], dtype=np.float32)},
        opset=12, outputs=(("y", INT64, None),))
    add("cast_float_to_int64", [node("Cast", ["x"], ["y"], to=INT64)], [("x", FLOAT, [6])],
        {"x": np.array([2.7, -2.7, 0.4, -0.4, 1e6, -3], dtype=np.float32)}, outputs=(("y", INT64, None),))
    add("reshape_allowzero_empty", [node("Reshape", ["x", "s"], ["y"], allowzero=1)], [("x", FLOAT, [0, 4])],
        {"x": np.zeros((0, 4), np.float32)}, [const("s", [4, 0])], opset=15)
    add("reducemean_negative_axes_keep0", [node("ReduceMean", ["x"], ["y"], axes=[-1, 0], keepdims=0)],
        [("x", FLOAT, [2, 3, 4])], {"x": f(2, 3, 4)})
    add("transpose_4d", [node("Transpose", ["x"], ["y"], perm=[2, 0, 3, 1])], [("x", FLOAT, [2, 3, 4, 5])],
        {"x": f(2, 3, 4, 5)})
    return out


CASES = cases()


@pytest.mark.parametrize("name,model,feeds", CASES, ids=[c[0] for c in CASES])
def test_edge_case_matches_onnxruntime(tmp_path, name, model, feeds):
    assert_matches_onnxruntime(tmp_path, model, feeds, stem=name)
