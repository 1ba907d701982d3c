"""Whole models against onnxruntime: an skl2onnx MLP classifier, LeNet-5 and a 784-300-100-10 MLP,
plus `sparrow eval` accuracy against accuracy computed from onnxruntime's predictions."""
import gzip
import json
import os

import numpy as np
import pytest

from oracle_util import (assert_matches_onnxruntime, mnist_dir, onnxruntime_outputs, run_sparrow, save_model)
import lenet
import mlp_sklearn


def test_sklearn_mlp_matches_onnxruntime(tmp_path):
    model, x, _ = mlp_sklearn.build()
    assert_matches_onnxruntime(tmp_path, model, {"X": x[:64]}, stem="sk_mlp")


def test_lenet5_matches_onnxruntime(tmp_path):
    rng = np.random.default_rng(7)
    x = rng.random((8, 1, 28, 28), dtype=np.float32)
    assert_matches_onnxruntime(tmp_path, lenet.lenet5(), {"input": x}, stem="lenet5")


def test_mlp784_matches_onnxruntime(tmp_path):
    rng = np.random.default_rng(8)
    x = rng.random((16, 784), dtype=np.float32)
    assert_matches_onnxruntime(tmp_path, lenet.mlp784(), {"input": x}, stem="mlp784")


def test_single_input_npy_and_int_conversion(tmp_path):
    # An .npy feeds a single-input model; int64 values are converted to the declared float.
    path = save_model(lenet.mlp784(), tmp_path / "m.onnx")
    x = np.random.default_rng(9).integers(0, 2, (3, 784)).astype(np.int64)
    np.save(tmp_path / "x.npy", x)
    result = run_sparrow("infer", path, "--input", tmp_path / "x.npy", "--output", tmp_path / "y.npz")
    assert result.returncode == 0, result.stderr
    want = onnxruntime_outputs(path, {"input": x.astype(np.float32)})["probabilities"]
    np.testing.assert_allclose(np.load(tmp_path / "y.npz")["probabilities"], want, rtol=1e-4, atol=1e-5)


def test_eval_sklearn_label_output_matches_onnxruntime(tmp_path):
    model, x, y = mlp_sklearn.build()
    path = save_model(model, tmp_path / "sk.onnx")
    np.savez(tmp_path / "data.npz", x=x, y=y)
    result = run_sparrow("eval", path, "--dataset", tmp_path / "data.npz", "--json", "--batch-size", "100")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    labels = onnxruntime_outputs(path, {"X": x})["label"]
    assert report["samples"] == len(y)
    assert report["accuracy"] == pytest.approx(float(np.mean(labels == y)), abs=1e-12)
    assert report["accuracy"] > 0.8  # a trained classifier, so labels line up with predictions


def _read_idx_gz(path):
    with gzip.open(path, "rb") as fh:
        data = fh.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


@pytest.mark.skipif(mnist_dir() is None, reason="MNIST not found (set SPARROW_MNIST_DIR)")
def test_eval_mnist_idx_nearest_centroid(tmp_path):
    # A linear nearest-centroid classifier computed in closed form from 10k training images: accuracy
    # well above chance proves the IDX reader, the /255 scaling and the label alignment.
    d = mnist_dir()
    train_x = _read_idx_gz(os.path.join(d, "train-images-idx3-ubyte.gz"))[:10000].reshape(-1, 784) / 255.0
    train_y = _read_idx_gz(os.path.join(d, "train-labels-idx1-ubyte.gz"))[:10000]
    centroids = np.stack([train_x[train_y == c].mean(axis=0) for c in range(10)]).astype(np.float32)
    # argmin |x - c|² = argmax (x·c - |c|²/2)
    from onnx import TensorProto, helper, numpy_helper
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["input", "w", "b"], ["scores"], transB=1)], "centroid",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 784])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["N", 10])],
        initializer=[numpy_helper.from_array(centroids, "w"),
                     numpy_helper.from_array((-0.5 * (centroids ** 2).sum(axis=1)).astype(np.float32), "b")])
    path = save_model(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=7),
                      tmp_path / "centroid.onnx")
    test_x = _read_idx_gz(os.path.join(d, "t10k-images-idx3-ubyte.gz"))[:2000].reshape(-1, 784).astype(np.float32) / 255
    test_y = _read_idx_gz(os.path.join(d, "t10k-labels-idx1-ubyte.gz"))[:2000]
    want = float(np.mean(onnxruntime_outputs(path, {"input": test_x})["scores"].argmax(axis=1) == test_y))

    by_files = run_sparrow("eval", path, "--dataset", os.path.join(d, "t10k-images-idx3-ubyte.gz"),
                           "--labels", os.path.join(d, "t10k-labels-idx1-ubyte.gz"), "--limit", "2000", "--json")
    assert by_files.returncode == 0, by_files.stderr
    by_dir = run_sparrow("eval", path, "--dataset", d, "--split", "test", "--limit", "2000", "--json")
    assert by_dir.returncode == 0, by_dir.stderr
    for result in (by_files, by_dir):
        report = json.loads(result.stdout)
        assert report["samples"] == 2000
        assert report["accuracy"] == pytest.approx(want, abs=1e-12)
    assert want > 0.7


def test_infer_writes_npy_and_compressed_npz(tmp_path):
    path = save_model(lenet.mlp784(), tmp_path / "m.onnx")
    x = np.random.default_rng(3).random((2, 784), dtype=np.float32)
    np.save(tmp_path / "x.npy", x)
    want = onnxruntime_outputs(path, {"input": x})["probabilities"]
    npy = run_sparrow("infer", path, "--input", tmp_path / "x.npy", "--output", tmp_path / "y.npy")
    assert npy.returncode == 0, npy.stderr
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), want, rtol=1e-4, atol=1e-5)
    npz = run_sparrow("infer", path, "--input", tmp_path / "x.npy", "--output", tmp_path / "y.npz", "--compress")
    assert npz.returncode == 0, npz.stderr
    np.testing.assert_allclose(np.load(tmp_path / "y.npz")["probabilities"], want, rtol=1e-4, atol=1e-5)


def test_bench_model_reports_json(tmp_path):
    path = save_model(lenet.lenet5(), tmp_path / "lenet.onnx")
    result = run_sparrow("bench-model", path, "--batch", "2", "--iterations", "3", "--warmup", "1", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["batch"] == 2 and report["iterations"] == 3
    assert 0 < report["min_ms"] <= report["median_ms"]
