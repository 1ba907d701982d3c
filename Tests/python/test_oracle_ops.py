"""Each operator of the dense runtime, in small graphs, against onnxruntime."""
import pytest

from oracle_util import assert_matches_onnxruntime  # also puts models/ on sys.path
import op_models

CASES = op_models.cases()


@pytest.mark.parametrize("name,model,feeds", CASES, ids=[c[0] for c in CASES])
def test_op_matches_onnxruntime(tmp_path, name, model, feeds):
    assert_matches_onnxruntime(tmp_path, model, feeds, stem=name)


def test_covers_every_runtime_op():
    used = {n.op_type for _, m, _ in CASES for n in m.graph.node}
    expected = {"Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Clip",
                "Softmax", "LogSoftmax", "Conv", "MaxPool", "AveragePool", "GlobalAveragePool",
                "BatchNormalization", "LRN", "Identity", "Dropout", "Flatten", "Reshape", "Squeeze", "Unsqueeze",
                "Shape", "Constant", "ConstantOfShape", "Cast", "Transpose", "Concat", "Gather", "Slice", "Pad",
                "ArgMax", "ReduceMean", "Exp", "Log", "Sqrt", "Reciprocal", "Erf", "Floor", "Ceil", "Round",
                "Softsign", "Softplus", "HardSwish", "HardSigmoid", "Elu", "Selu", "Gelu", "Neg", "Abs", "Sign",
                "Pow", "PRelu", "Min", "Max", "Sum", "Mean", "Equal", "Greater", "GreaterOrEqual", "Less",
                "LessOrEqual", "And", "Or", "Xor", "Not", "Where", "Expand"}
    assert expected <= used, f"not covered: {sorted(expected - used)}"
