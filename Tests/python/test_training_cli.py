"""End-to-end checks of `sparrow train`, `sparrow dsd` and `sparrow compress --dataset` on a tiny
learnable problem, with onnxruntime as the oracle for the written models."""
import json
import os
import subprocess

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("SPARROW_BIN", os.path.join(ROOT, ".build", "release", "sparrow"))


def sparrow(*args):
    p = subprocess.run([BIN, *map(str, args)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    return p


@pytest.fixture(scope="module")
def problem(tmp_path_factory):
    d = tmp_path_factory.mktemp("train")
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(400, 12)).astype(np.float32)
    y = np.argmax(x[:, :4], axis=1).astype(np.int64)
    np.savez(d / "data.npz", x=x, y=y)
    inits = [numpy_helper.from_array(a, n) for n, a in [
        ("fc1.weight", rng.uniform(-0.3, 0.3, (32, 12)).astype(np.float32)), ("fc1.bias", np.zeros(32, np.float32)),
        ("fc2.weight", rng.uniform(-0.3, 0.3, (4, 32)).astype(np.float32)), ("fc2.bias", np.zeros(4, np.float32))]]
    nodes = [helper.make_node("Gemm", ["x", "fc1.weight", "fc1.bias"], ["h"], transB=1),
             helper.make_node("Relu", ["h"], ["a"]),
             helper.make_node("Gemm", ["a", "fc2.weight", "fc2.bias"], ["logits"], transB=1),
             helper.make_node("Softmax", ["logits"], ["probs"], axis=1)]
    graph = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 12])],
                              [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["N", 4])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, d / "mlp.onnx")
    return d, x, y


def accuracy(path, x, y):
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return float((sess.run(None, {"x": x})[0].argmax(axis=1) == y).mean())


def test_train_writes_a_better_onnx_model(problem):
    d, x, y = problem
    before = accuracy(d / "mlp.onnx", x, y)
    p = sparrow("train", d / "mlp.onnx", "--dataset", d / "data.npz", "--eval", d / "data.npz", "--epochs", 6,
                "--lr", 0.1, "--seed", 3, "-o", d / "trained.onnx")
    assert "epoch 6/6" in p.stderr and "ETA" in p.stderr and "sparsity" in p.stderr
    after = accuracy(d / "trained.onnx", x, y)
    assert after > before + 0.3, (before, after)
    # Held-out accuracy printed by sparrow is what onnxruntime measures on the written file.
    assert f"{100 * after:.2f}%" in p.stdout


def test_train_is_deterministic_for_a_seed(problem):
    d, _, _ = problem
    for name in ("a", "b"):
        sparrow("train", d / "mlp.onnx", "--dataset", d / "data.npz", "--epochs", 2, "--seed", 9, "-o", d / f"{name}.onnx")
    a, b = onnx.load(d / "a.onnx"), onnx.load(d / "b.onnx")
    for ta, tb in zip(a.graph.initializer, b.graph.initializer):
        assert np.array_equal(numpy_helper.to_array(ta), numpy_helper.to_array(tb))


def test_compress_with_finetuning_reports_accuracy(problem):
    d, x, y = problem
    sparrow("train", d / "mlp.onnx", "--dataset", d / "data.npz", "--epochs", 6, "--lr", 0.1, "-o", d / "base.onnx")
    config = {"prune": {"sparsity": 0.7}, "quantize": {"fc_bits": 4}, "min_params": 64,
              "finetune": {"epochs": 3, "learning_rate": 0.05, "schedule": "gradual"}}
    (d / "cfg.json").write_text(json.dumps(config))
    p = sparrow("compress", d / "base.onnx", "-o", d / "m.sparrow", "--config", d / "cfg.json",
                "--dataset", d / "data.npz", "--eval", d / "data.npz", "--report", d / "r.json")
    assert "finetune-centroids" in p.stderr
    report = json.loads((d / "r.json").read_text())
    assert set(report["accuracy"]) == {"before", "after"}
    assert report["accuracy"]["after"] > 0.6
    for layer in report["layers"]:
        assert abs(layer["density"] - 0.3) < 0.02


def artifact_meta(path):
    """The META section's JSON, read by the byte layout docs/FORMAT.md gives."""
    import struct
    data = path.read_bytes()
    assert data[:4] == b"SPRW"
    (count,) = struct.unpack_from("<I", data, 12)
    for i in range(count):
        kind, _, offset, length = struct.unpack_from("<IIQQ", data, 16 + 32 * i)
        if kind == 1:
            return json.loads(data[offset:offset + length])
    raise AssertionError("no META section")


def test_the_artifact_records_the_finetuning_that_ran(problem):
    d, _, _ = problem
    # Fine-tuning from flags alone, no config file: META's config names every value used.
    sparrow("compress", d / "mlp.onnx", "-o", d / "flags.sparrow", "--dataset", d / "data.npz", "--epochs", 3,
            "--lr", 0.05, "--schedule", "iterative", "-q")
    finetune = artifact_meta(d / "flags.sparrow")["config"]["finetune"]
    assert finetune == {"dataset": str(d / "data.npz"), "epochs": 3, "learning_rate": 0.05, "schedule": "iterative"}
    # From a config with only a dataset and epochs: the defaults are written out.
    (d / "ft.json").write_text(json.dumps({"finetune": {"dataset": str(d / "data.npz"), "epochs": 2}}))
    sparrow("compress", d / "mlp.onnx", "-o", d / "cfg.sparrow", "--config", d / "ft.json", "-q")
    finetune = artifact_meta(d / "cfg.sparrow")["config"]["finetune"]
    assert finetune["learning_rate"] == 0.01 and finetune["schedule"] == "oneshot" and finetune["epochs"] == 2


def test_compress_with_only_a_held_out_set_measures_data_free_accuracy(problem):
    d, x, y = problem
    sparrow("train", d / "mlp.onnx", "--dataset", d / "data.npz", "--epochs", 6, "--lr", 0.1, "-o", d / "base.onnx")
    config = {"prune": {"sparsity": 0.5}, "min_params": 64}
    (d / "half.json").write_text(json.dumps(config))
    p = sparrow("compress", d / "base.onnx", "-o", d / "e.sparrow", "--config", d / "half.json", "--eval", d / "data.npz",
                "--report", d / "e.json")
    assert "epoch" not in p.stderr  # nothing retrained
    report = json.loads((d / "e.json").read_text())
    assert report["accuracy"]["before"] == accuracy(d / "base.onnx", x, y)
    # "after" is the artifact's own accuracy, as onnxruntime measures its export.
    sparrow("export", d / "e.sparrow", "-o", d / "e.onnx")
    assert abs(report["accuracy"]["after"] - accuracy(d / "e.onnx", x, y)) < 1e-9
    for layer in report["layers"]:
        assert abs(layer["density"] - 0.5) < 0.02
    assert artifact_meta(d / "e.sparrow")["config"]["finetune"] == {"epochs": 0, "eval_dataset": str(d / "data.npz")}
    # Training settings in the config with nothing to train on are refused, not recorded.
    (d / "lr.json").write_text(json.dumps({"finetune": {"learning_rate": 0.1, "epochs": 0}}))
    p = subprocess.run([BIN, "compress", d / "base.onnx", "-o", d / "lr.sparrow", "--config", d / "lr.json",
                        "--eval", d / "data.npz"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and "learning_rate need a training set" in p.stderr, p.stderr


def test_dsd_runs_three_phases(problem):
    d, x, y = problem
    p = sparrow("dsd", d / "mlp.onnx", "--dataset", d / "data.npz", "--eval", d / "data.npz", "--epochs", 2,
                "--lr", 0.1, "-o", d / "dsd.onnx")
    for stage in ("dsd dense", "dsd sparse", "dsd re-dense"):
        assert stage in p.stderr
    assert accuracy(d / "dsd.onnx", x, y) > 0.6


def test_a_model_without_weights_is_not_trained(problem, tmp_path):
    d, _, _ = problem
    graph = helper.make_graph([helper.make_node("Softmax", ["x"], ["y"], axis=1)], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 12])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 12])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, tmp_path / "none.onnx")
    for cmd in ("train", "dsd"):
        p = subprocess.run([BIN, cmd, tmp_path / "none.onnx", "--dataset", d / "data.npz", "-o", tmp_path / "o.onnx"],
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 1 and "no weights to train" in p.stderr, (cmd, p.stderr)
    assert not (tmp_path / "o.onnx").exists()


def test_bad_dataset_is_a_clear_error(problem):
    d, _, _ = problem
    np.savez(d / "wrong.npz", x=np.zeros((5, 7), np.float32), y=np.zeros(5, np.int64))
    p = subprocess.run([BIN, "train", d / "mlp.onnx", "--dataset", d / "wrong.npz", "-o", d / "x.onnx"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode != 0
    assert "do not fit the model input" in p.stderr
