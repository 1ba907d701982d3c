"""Bad input to `sparrow infer` / `eval`: every case exits with status 1 and a clear message, never a
crash (signal) or a hang (timeout)."""
import numpy as np
import pytest
from onnx import TensorProto, helper

from oracle_util import assert_clean_failure, run_sparrow, save_model
import lenet


@pytest.fixture
def mlp(tmp_path):
    return save_model(lenet.mlp784(), tmp_path / "mlp.onnx")


def _infer(model, tmp_path, **feeds):
    np.savez(tmp_path / "in.npz", **feeds)
    return run_sparrow("infer", model, "--input", tmp_path / "in.npz", "--output", tmp_path / "out.npz", timeout=60)


def test_truncated_model(tmp_path, mlp):
    data = mlp.read_bytes()
    for cut in (1, 17, len(data) // 2, len(data) - 3):
        bad = tmp_path / f"cut{cut}.onnx"
        bad.write_bytes(data[:cut])
        result = run_sparrow("infer", bad, "--input", tmp_path / "unused.npz", "--output", tmp_path / "o.npz",
                             timeout=60)
        assert_clean_failure(result)
        assert "ONNX" in result.stderr or "model" in result.stderr


def test_garbage_model(tmp_path):
    bad = tmp_path / "garbage.onnx"
    bad.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    assert_clean_failure(run_sparrow("eval", bad, "--dataset", tmp_path / "x.npz", timeout=60))
    empty = tmp_path / "empty.onnx"
    empty.write_bytes(b"")
    assert_clean_failure(run_sparrow("eval", empty, "--dataset", tmp_path / "x.npz", timeout=60), "empty")


def test_missing_model_file(tmp_path):
    assert_clean_failure(run_sparrow("infer", tmp_path / "nope.onnx", "--input", "a.npz", "--output", "b.npz"),
                         "nope.onnx")


def test_missing_input(tmp_path, mlp):
    assert_clean_failure(_infer(mlp, tmp_path, other=np.zeros((1, 784), np.float32)), "'other'")
    np.savez(tmp_path / "none.npz")
    result = run_sparrow("infer", mlp, "--input", tmp_path / "none.npz", "--output", tmp_path / "o.npz")
    assert_clean_failure(result, "missing input 'input'")


def test_extra_input(tmp_path, mlp):
    result = _infer(mlp, tmp_path, input=np.zeros((1, 784), np.float32), extra=np.zeros(3, np.float32))
    assert_clean_failure(result, "unexpected input 'extra'")


def test_wrong_shape(tmp_path, mlp):
    assert_clean_failure(_infer(mlp, tmp_path, input=np.zeros((2, 783), np.float32)), "'input'", "[2, 783]")
    assert_clean_failure(_infer(mlp, tmp_path, input=np.zeros((784,), np.float32)), "'input'")


def test_wrong_dtype(tmp_path, mlp):
    assert_clean_failure(_infer(mlp, tmp_path, input=np.array([["a"] * 784])), "input")
    assert_clean_failure(_infer(mlp, tmp_path, input=np.zeros((1, 784), np.complex64)), "dtype")


def test_non_integer_values_for_int64_input(tmp_path):
    graph = helper.make_graph([helper.make_node("Identity", ["i"], ["o"])], "g",
                              [helper.make_tensor_value_info("i", TensorProto.INT64, [2])],
                              [helper.make_tensor_value_info("o", TensorProto.INT64, [2])])
    model = save_model(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=7),
                       tmp_path / "id.onnx")
    assert_clean_failure(_infer(model, tmp_path, i=np.array([1.5, 2], np.float32)), "'i'", "1.5")


def test_unsupported_op_names_op_and_node(tmp_path):
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["r"], name="first"),
                               helper.make_node("Hardmax", ["r"], ["y"], name="the_hardmax_node")], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    model = save_model(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=7),
                       tmp_path / "hardmax.onnx")
    assert_clean_failure(_infer(model, tmp_path, x=np.zeros(2, np.float32)), "Hardmax", "the_hardmax_node")


def test_unsupported_opset(tmp_path):
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    model = save_model(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 7)], ir_version=3),
                       tmp_path / "old.onnx")
    assert_clean_failure(_infer(model, tmp_path, x=np.zeros(2, np.float32)), "opset 7")


def test_external_data(tmp_path):
    from onnx import numpy_helper
    w = numpy_helper.from_array(np.ones((2, 2), np.float32), "w")
    w.ClearField("raw_data")
    w.data_location = TensorProto.EXTERNAL
    entry = w.external_data.add()
    entry.key, entry.value = "location", "weights.bin"
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])], initializer=[w])
    model = save_model(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=7),
                       tmp_path / "ext.onnx")
    assert_clean_failure(_infer(model, tmp_path, x=np.zeros((1, 2), np.float32)), "external data not supported: tensor 'w'")


def test_corrupt_npz(tmp_path, mlp):
    x = np.random.default_rng(1).integers(0, 4, (1, 784)).astype(np.float32)
    np.savez_compressed(tmp_path / "good.npz", input=x)
    data = bytearray((tmp_path / "good.npz").read_bytes())
    middle = len(data) // 3  # inside the deflated member data
    cases = {"truncated": bytes(data[: len(data) // 2]), "garbage": b"PK" + bytes(100),
             "flipped": bytes(data[:middle]) + bytes([data[middle] ^ 0x55]) + bytes(data[middle + 1:])}
    for name, content in cases.items():
        bad = tmp_path / f"{name}.npz"
        bad.write_bytes(content)
        result = run_sparrow("infer", mlp, "--input", bad, "--output", tmp_path / "o.npz", timeout=60)
        assert_clean_failure(result, f"{name}.npz")


def test_corrupt_dataset(tmp_path, mlp):
    np.savez(tmp_path / "nolabels.npz", x=np.zeros((2, 784), np.float32))
    assert_clean_failure(run_sparrow("eval", mlp, "--dataset", tmp_path / "nolabels.npz"), "'y'")
    (tmp_path / "images.idx").write_bytes(b"\x00\x00\x08\x03\x00\x00\x00\x02")
    (tmp_path / "labels.idx").write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x02\x01\x02")
    assert_clean_failure(run_sparrow("eval", mlp, "--dataset", tmp_path / "images.idx", "--labels",
                                     tmp_path / "labels.idx"), "truncated")
    np.savez(tmp_path / "mismatch.npz", x=np.zeros((3, 784), np.float32), y=np.zeros(2, np.int64))
    assert_clean_failure(run_sparrow("eval", mlp, "--dataset", tmp_path / "mismatch.npz"), "labels")
    np.savez(tmp_path / "wrongsize.npz", x=np.zeros((3, 700), np.float32), y=np.zeros(3, np.int64))
    assert_clean_failure(run_sparrow("eval", mlp, "--dataset", tmp_path / "wrongsize.npz"), "784")


def test_an_op_newer_than_the_models_opset_is_refused(tmp_path):
    # Gelu joined the default domain in opset 20; onnxruntime refuses it at 17 too.
    graph = helper.make_graph([helper.make_node("Gelu", ["x"], ["y"], name="g")], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    model = save_model(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8),
                       tmp_path / "gelu17.onnx")
    assert_clean_failure(_infer(model, tmp_path, x=np.zeros(2, np.float32)), "Gelu", "opset 20", "opset 17")
