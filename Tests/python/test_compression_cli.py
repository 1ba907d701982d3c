"""End to end: compress an ONNX model, inspect it, export it, and run the export in onnxruntime."""
import json
import os

import numpy as np
import onnx
import onnxruntime as ort
import pytest

import subprocess

from compression_util import conv_model, initializers, mlp_model, run_sparrow, sparrow_bin

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
    ({"quantize": {"seed": 2 ** 53 + 1}}, "out of range 0...9007199254740991"),  # reads as 2^53, not silently kept
    ({"quantize": {"seed": 2 ** 53 + 2}}, "out of range 0...9007199254740991"),
])
def test_bad_configs_are_rejected_with_their_path(tmp_path, config, fragment):
    src = tmp_path / "m.onnx"
    onnx.save(mlp_model([20, 30, 5]), src)
    (tmp_path / "c.json").write_text(json.dumps(config))
    out = run_sparrow("compress", src, "-o", tmp_path / "m.sparrow", "--config", tmp_path / "c.json", check=False)
    assert out.returncode != 0
    assert fragment in out.stderr
    assert not (tmp_path / "m.sparrow").exists()


def test_an_override_compresses_a_layer_below_min_params_and_seeds_reach_2_pow_53_minus_1(tmp_path):
    # fc2 (30×5 = 150 weights) is below the default min_params of 256: left dense unless named.
    model = mlp_model([20, 30, 5])
    _, _, plain, _ = compress(tmp_path, model)
    assert [l["name"] for l in plain["layers"]] == ["fc1.weight"]
    _, _, named, _ = compress(tmp_path, model, {"quantize": {"layers": {"fc2.weight": 3}, "seed": 2 ** 53 - 1}})
    assert [(l["name"], l["weight_bits"]) for l in named["layers"]] == [("fc1.weight", 5), ("fc2.weight", 3)]


def test_nothing_to_compress_is_an_error_not_an_empty_artifact(tmp_path):
    from onnx import TensorProto, helper
    relu = helper.make_model(helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                             [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                             [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])]),
                             opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    onnx.save(relu, tmp_path / "relu.onnx")
    out = run_sparrow("compress", tmp_path / "relu.onnx", "-o", tmp_path / "r.sparrow", check=False)
    assert out.returncode == 1 and "no float32 Gemm, MatMul or Conv weight" in out.stderr, out.stderr
    onnx.save(mlp_model([8, 4]), tmp_path / "small.onnx")  # 32 weights, below min_params
    out = run_sparrow("compress", tmp_path / "small.onnx", "-o", tmp_path / "s.sparrow", check=False)
    assert out.returncode == 1 and "lower min_params" in out.stderr and "fc1.weight, has 32" in out.stderr, out.stderr
    assert not (tmp_path / "r.sparrow").exists() and not (tmp_path / "s.sparrow").exists()


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


def test_outputs_never_replace_inputs_links_or_devices(tmp_path):
    src = tmp_path / "m.onnx"
    onnx.save(mlp_model([64, 32, 10]), src)
    original = src.read_bytes()
    # An output naming the input (or another output) is refused before any work, input intact.
    for args, fragment in [(["compress", src, "-o", src], "over the input"),
                           (["compress", src, "-o", tmp_path / "r.sparrow", "--report", tmp_path / "r.sparrow"], "same file"),
                           (["compress", src, "-o", tmp_path / "nodir" / "m.sparrow"], "does not exist")]:
        out = run_sparrow(*args, check=False)
        assert out.returncode == 1 and fragment in out.stderr, (args, out.stderr)
        assert "Usage" not in out.stderr
    assert src.read_bytes() == original
    # A symlink is followed: the file it names is written, the link stays a link.
    (tmp_path / "real").mkdir()
    link = tmp_path / "link.sparrow"
    link.symlink_to(tmp_path / "real" / "t.sparrow")
    run_sparrow("compress", src, "-o", link)
    assert link.is_symlink() and (tmp_path / "real" / "t.sparrow").stat().st_size > 0
    # A FIFO is written through, not replaced by a regular file.
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    import threading
    received = []
    reader = threading.Thread(target=lambda: received.append(open(fifo, "rb").read()))
    reader.start()
    run_sparrow("export", link, "-o", fifo)
    reader.join(timeout=30)
    assert fifo.is_fifo() and received and len(received[0]) > 1000
    # /dev/stdout into a pipe: /proc's magic link names no file, but opening it writes the pipe.
    piped = subprocess.run(f"{sparrow_bin()} compress {src} -o {tmp_path / 'p.sparrow'} -q --report /dev/stdout | cat",
                           shell=True, capture_output=True, text=True, timeout=120)
    assert piped.returncode == 0 and json.loads(piped.stdout)["layers"], piped.stderr
    exported = onnx.load_from_string(received[0])
    assert "fc1.weight" in {i.name for i in exported.graph.initializer}


def test_runtime_errors_exit_1_without_usage(tmp_path):
    src = tmp_path / "m.onnx"
    onnx.save(mlp_model([64, 32, 10]), src)
    for args, fragment in [(["compress", tmp_path / "missing.onnx", "-o", tmp_path / "o.sparrow"], "no such file"),
                           (["compress", src, "-o", tmp_path / "o.sparrow", "--epochs", "3"], "need a training set"),
                           (["compress", src, "-o", tmp_path / "o.sparrow", "--eval", src, "--epochs", "2"], "--epochs need a training set"),
                           (["compress", src, "-o", tmp_path / "o.sparrow", "--eval", src, "--lr", "0.1"], "--lr need a training set"),
                           (["compress", src, "-o", tmp_path / "o.sparrow", "--eval-labels", src], "--eval-labels"),
                           (["compress", src, "-o", tmp_path / "o.sparrow", "--optimizer", "adam", "--seed", "3"],
                            "--optimizer, --seed need a training set"),
                           (["bench-layer", "--rows", "10", "--cols", "10", "--sparsity", "nan"], "--sparsity"),
                           (["bench-layer", "--rows", "100000000", "--cols", "100000000"], "--rows and --cols"),
                           (["bench-layer", "--bits", "30"], "--bits"),
                           (["bench-layer", "--index-bits", "13"], "--index-bits"),
                           (["dsd", src, "--dataset", tmp_path / "d.npz", "-o", tmp_path / "o.onnx", "--sparsity", "1.5"], "--sparsity"),
                           (["dsd", src, "--dataset", tmp_path / "d.npz", "-o", tmp_path / "o.onnx", "--sparsity", "nan"], "--sparsity")]:
        out = run_sparrow(*args, check=False)
        assert out.returncode == 1, (args, out.returncode, out.stderr)
        assert fragment in out.stderr, (args, out.stderr)
    assert not (tmp_path / "o.sparrow").exists()


def test_eval_counts_nan_scores_as_wrong(tmp_path):
    src = tmp_path / "m.onnx"
    onnx.save(mlp_model([64, 32, 10]), src)
    np.savez(tmp_path / "d.npz", x=np.full((20, 64), np.nan, np.float32), y=np.zeros(20, np.int64))
    out = run_sparrow("eval", src, "--dataset", tmp_path / "d.npz", "--json")
    assert json.loads(out.stdout) == {"samples": 20, "accuracy": 0}


def forged_artifact(rows, cols):
    """A valid .sparrow file (docs/FORMAT.md, byte by byte) whose one layer, the B of a Gemm, claims
    rows × cols weights but stores no entry: a few hundred bytes that decode to rows × cols floats."""
    import struct
    import zlib
    from onnx import TensorProto, helper
    graph = helper.make_graph([helper.make_node("Gemm", ["x", "w"], ["y"], transB=1)], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, cols])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, rows])])
    onnx_bytes = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8).SerializeToString()
    meta = json.dumps({"producer": "forger", "original_bytes": 4 * rows * cols}).encode()
    name = b"w"
    layer = struct.pack("<H", len(name)) + name + bytes([0, 0, 1, 1, 2]) + struct.pack("<QQ", rows, cols)
    layer += struct.pack("<ff", 0.0, 1.0) + struct.pack("<QQ", 0, 0)  # codebook; no entries
    layer += bytes([0]) + struct.pack("<Q", 0) + bytes([0]) + struct.pack("<Q", 0)  # two empty fixed-width streams
    sections = [(1, meta), (2, onnx_bytes), (3, layer)]
    n = len(sections)
    table, offset = b"", 20 + 32 * n
    for kind, data in sections:
        table += struct.pack("<IIQQII", kind, 0, offset, len(data), zlib.crc32(data), 0)
        offset += len(data)
    head = b"SPRW" + struct.pack("<III", 1, 0, n) + table
    return head + struct.pack("<I", zlib.crc32(head)) + b"".join(d for _, d in sections)


def test_a_forged_layer_larger_than_memory_is_refused_not_allocated(tmp_path):
    art = tmp_path / "forged.sparrow"
    art.write_bytes(forged_artifact(32768, 32768))  # 2^30 weights: 4 GiB as dense floats
    assert art.stat().st_size < 1000
    # Packed for the sparse engine it is tiny (no entries); decoded dense it is 4 GiB.
    np.savez(tmp_path / "x.npz", x=np.ones((1, 32768), np.float32))
    sparse = run_sparrow("infer", art, "--input", tmp_path / "x.npz", "--output", tmp_path / "y.npz")
    assert sparse.returncode == 0
    with np.load(tmp_path / "y.npz") as y:
        assert y["y"].shape == (1, 32768) and not y["y"].any()
    # Under a 2 GiB address-space limit, as on a small edge box, dense decoding is refused cleanly.
    for args in (["export", art, "-o", tmp_path / "d.onnx"],
                 ["infer", art, "--engine", "dense", "--input", tmp_path / "x.npz", "--output", tmp_path / "z.npz"]):
        cmd = " ".join(str(a) for a in [sparrow_bin(), *args])
        out = subprocess.run(["bash", "-c", f"ulimit -v 2097152 && exec {cmd}"], capture_output=True, text=True, timeout=60)
        assert out.returncode == 1, (args, out.returncode, out.stderr)
        assert "needs 16.0 GiB" in out.stderr and "ulimit -v" in out.stderr, out.stderr
    assert not (tmp_path / "d.onnx").exists() and not (tmp_path / "z.npz").exists()
    # The same limit lets a real artifact through: the check refuses by size, not by reflex.
    onnx.save(mlp_model([256, 128, 10]), tmp_path / "small.onnx")
    run_sparrow("compress", tmp_path / "small.onnx", "-o", tmp_path / "small.sparrow")
    cmd = f"{sparrow_bin()} export {tmp_path / 'small.sparrow'} -o {tmp_path / 'small-dense.onnx'}"
    out = subprocess.run(["bash", "-c", f"ulimit -v 2097152 && exec {cmd}"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and (tmp_path / "small-dense.onnx").stat().st_size > 4 * 256 * 128, out.stderr
