"""End to end: compress an ONNX model, inspect it, export it, and run the export in onnxruntime."""
import json
import os

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from compression_util import conv_model, initializers, mlp_model, run_sparrow

pytestmark = pytest.mark.skipif(not os.path.exists(os.environ.get("SPARROW_BIN", ".build/release/sparrow")),
                                reason="release binary not built")


def compress(tmp_path, model, config=None):
    src = tmp_path / "model.onnx"
    onnx.save(model, src)
    args = ["compress", src, "-o", tmp_path / "model.sparrow", "--report", tmp_path / "report.json"]
    if config is not None:
        (tmp_path / "config.json").write_text(json.dumps(config))
        args += ["--config", tmp_path / "config.json"]
    out = run_sparrow(*args)
    return src, tmp_path / "model.sparrow", json.loads((tmp_path / "report.json").read_text()), out.stdout


def test_lenet_300_100_round_trip_runs_in_onnxruntime(tmp_path):
    model = mlp_model([784, 300, 100, 10])
    src, art, report, table = compress(tmp_path, model)
    assert report["compressed_bytes"] == art.stat().st_size
    assert report["original_bytes"] == 4 * sum(a.size for a in initializers(model).values())
    assert report["ratio"] > 20
    names = [l["name"] for l in report["layers"]]
    assert names == ["fc1.weight", "fc2.weight", "fc3.weight"]
    for layer in report["layers"]:
        assert layer["kind"] == "fc" and layer["weight_bits"] == 5 and layer["index_bits"] == 5
        assert abs(layer["density"] - 0.1) < 0.005
    assert "fc1.weight" in table and "gzip -9" in table

    out = tmp_path / "export.onnx"
    run_sparrow("export", art, "-o", out)
    exported = onnx.load(out)
    onnx.checker.check_model(exported)
    original, decoded = initializers(model), initializers(exported)
    assert set(decoded) == set(original)
    for name in ["fc1.bias", "fc2.bias", "fc3.bias"]:
        assert np.array_equal(decoded[name], original[name])
    for name in names:
        w, q = original[name], decoded[name]
        assert q.shape == w.shape
        nz = q != 0
        assert abs(nz.mean() - 0.1) < 0.005
        assert len(np.unique(q[nz])) <= 31
        # Survivors are the largest magnitudes: every kept |w| ≥ every pruned |w|.
        assert np.abs(w[nz]).min() >= np.abs(w[~nz]).max()
        # Each survivor got its nearest shared weight, and k-means keeps the mean error small.
        book = np.unique(q[nz])
        nearest = book[np.abs(w[nz][:, None] - book[None, :]).argmin(axis=1)]
        assert np.allclose(np.abs(nearest - w[nz]), np.abs(q[nz] - w[nz]), atol=1e-7)
        assert np.abs(q[nz] - w[nz]).mean() < 0.02 * np.abs(w[nz]).mean() * 31 / len(book) + 1e-3
    x = np.random.default_rng(1).standard_normal((4, 784)).astype(np.float32)
    y = ort.InferenceSession(str(out)).run(None, {"input": x})[0]
    ref = x
    for i in range(3):
        ref = ref @ decoded[f"fc{i + 1}.weight"] + decoded[f"fc{i + 1}.bias"]
        if i < 2:
            ref = np.maximum(ref, 0)
    np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-4)


def test_inspect_matches_the_compress_report(tmp_path):
    _, art, report, _ = compress(tmp_path, conv_model(), {"min_params": 100, "index_bits": "auto"})
    js = json.loads(run_sparrow("inspect", art, "--json").stdout)
    assert js == report
    kinds = {l["name"]: l["kind"] for l in js["layers"]}
    assert kinds == {"conv.weight": "conv", "fc.weight": "fc"}
    assert {l["name"]: l["weight_bits"] for l in js["layers"]} == {"conv.weight": 8, "fc.weight": 5}
    human = run_sparrow("inspect", art).stdout
    assert "conv.weight" in human and "P+Q+H" in human


def test_same_input_and_config_give_identical_bytes(tmp_path):
    model = conv_model(seed=3)
    cfg = {"quantize": {"init": "kmeans++", "seed": 5}, "min_params": 100}
    a = compress(tmp_path, model, cfg)[1].read_bytes()
    b = compress(tmp_path, model, cfg)[1].read_bytes()
    assert a == b


@pytest.mark.parametrize("config,fragment", [
    ({"prune": {"sparsity": 0.9, "bogus": 1}}, "$.prune.bogus"),
    ({"quantize": {"layers": {"nope": 4}}}, "$.quantize.layers.nope"),
    ({"quantize": {"fc_bits": 0}}, "$.quantize.fc_bits"),
    ({"index_bits": 20}, "$.index_bits"),
])
def test_bad_configs_are_rejected_with_their_path(tmp_path, config, fragment):
    src = tmp_path / "m.onnx"
    onnx.save(mlp_model([20, 30, 5]), src)
    (tmp_path / "c.json").write_text(json.dumps(config))
    out = run_sparrow("compress", src, "-o", tmp_path / "m.sparrow", "--config", tmp_path / "c.json", check=False)
    assert out.returncode != 0
    assert fragment in out.stderr
    assert not (tmp_path / "m.sparrow").exists()


def test_inspect_rejects_a_corrupt_file(tmp_path):
    _, art, _, _ = compress(tmp_path, conv_model(), {"min_params": 100})
    data = bytearray(art.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad = tmp_path / "bad.sparrow"
    bad.write_bytes(bytes(data))
    out = run_sparrow("inspect", bad, check=False)
    assert out.returncode != 0 and "CRC mismatch" in out.stderr
    bad.write_bytes(b"GGUF" + bytes(data[4:]))
    out = run_sparrow("inspect", bad, check=False)
    assert out.returncode != 0 and "bad magic" in out.stderr
