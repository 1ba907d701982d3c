"""The sparse engine through the CLI: `.sparrow` artifacts run on it by default and agree with
onnxruntime on the exported (decoded) model and with `--engine dense`, for an MLP and a CNN."""
import json
import os
import subprocess
import sys

import numpy as np
import onnxruntime as ort
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "models"))
from lenet import lenet5, mlp784  # noqa: E402

SPARROW = os.environ.get("SPARROW_BIN", os.path.abspath(".build/release/sparrow"))
DENSITIES = {"mlp": {"fc1.w": 0.08, "fc2.w": 0.09, "fc3.w": 0.26},
             "lenet5": {"conv1.w": 0.66, "conv2.w": 0.12, "fc1.w": 0.08, "fc2.w": 0.19}}


def sparrow(*args):
    out = subprocess.run([SPARROW, *map(str, args)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.fixture(scope="module", params=["mlp", "lenet5"])
def artifact(request, tmp_path_factory):
    work = tmp_path_factory.mktemp(request.param)
    model = mlp784() if request.param == "mlp" else lenet5()
    onnx_path, sparrow_path, exported = work / "m.onnx", work / "m.sparrow", work / "exported.onnx"
    onnx_path.write_bytes(model.SerializeToString())
    (work / "c.json").write_text(json.dumps({"prune": {"layers": {k: 1 - v for k, v in DENSITIES[request.param].items()}}}))
    sparrow("compress", onnx_path, "-o", sparrow_path, "--config", work / "c.json", "--quiet", "--no-gzip")
    sparrow("export", sparrow_path, "-o", exported)
    shape = (784,) if request.param == "mlp" else (1, 28, 28)
    return work, sparrow_path, exported, shape


@pytest.mark.parametrize("batch", [1, 7, 64])
def test_sparse_engine_matches_onnxruntime_on_exported_model(artifact, batch):
    work, sparrow_path, exported, shape = artifact
    rng = np.random.default_rng(batch)
    # ReLU-like inputs: about a fifth non-zero, as MNIST pixels are.
    x = np.where(rng.random((batch, *shape)) < 0.2, rng.random((batch, *shape)), 0).astype(np.float32)
    np.savez(work / "in.npz", input=x)
    expected = ort.InferenceSession(str(exported), providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]
    outputs = {}
    for engine in ["sparse", "dense"]:
        sparrow("infer", sparrow_path, "-i", work / "in.npz", "-o", work / f"{engine}.npz", "--engine", engine)
        outputs[engine] = np.load(work / f"{engine}.npz")["probabilities"]
    sparrow("infer", sparrow_path, "-i", work / "in.npz", "-o", work / "default.npz")
    np.testing.assert_array_equal(np.load(work / "default.npz")["probabilities"], outputs["sparse"])
    scale = np.max(np.abs(expected))
    for engine, y in outputs.items():
        assert y.shape == expected.shape
        assert np.max(np.abs(y - expected)) <= 1e-4 * scale, engine


def test_unknown_engine_is_rejected(artifact):
    _, sparrow_path, _, _ = artifact
    out = subprocess.run([SPARROW, "bench-model", str(sparrow_path), "--engine", "fast"], capture_output=True, text=True)
    assert out.returncode != 0 and "engine" in out.stderr


def test_bench_layers_json_shape():
    out = sparrow("bench-layers", "--json", "--layers", "NT-LSTM", "--batches", "1,3", "--repeats", "1")
    rows = json.loads(out)
    assert [(r["layer"], r["batch"]) for r in rows] == [("NT-LSTM", 1), ("NT-LSTM", 3)]
    for r in rows:
        assert r["dense_us"] > 0 and r["sparse_us"] > 0 and r["floor_us"] > 0
        assert 0 < r["dense_best_us"] <= r["dense_us"] and 0 < r["sparse_best_us"] <= r["sparse_us"]
        # Cold caches with helpers awake: each round also times its own bandwidth.
        assert r["per_floor_same_round"] > 0
        assert r["max_relative_error"] < 1e-4
    # A layer's random weights do not depend on which other layers were selected.
    pair = json.loads(sparrow("bench-layers", "--json", "--layers", "NT-We,NT-LSTM", "--batches", "1", "--repeats", "1"))
    assert [r["compressed_bytes"] for r in pair if r["layer"] == "NT-LSTM"] == [rows[0]["compressed_bytes"]]


def test_bench_layers_helper_modes():
    # Helpers parked before each call (a request at an idle server) and, with --warm, kept awake by
    # busy work instead of the sweep: both modes still compute what dense BLAS computes.
    for flags, said in [(["--idle-helpers"], "helpers parked"), (["--warm"], "helpers awake")]:
        out = sparrow("bench-layers", "--layers", "Alex-8", "--batches", "1", "--repeats", "1", *flags)
        assert said in out.splitlines()[0]
        rows = json.loads(sparrow("bench-layers", "--json", "--layers", "Alex-8", "--batches", "1",
                                  "--repeats", "1", *flags))
        assert len(rows) == 1 and rows[0]["max_relative_error"] < 1e-4
        # No sweep on the engine's workers in these modes, so no same-round floor (the key is left out).
        assert rows[0].get("per_floor_same_round") is None


def test_bench_layers_engine_only():
    rows = json.loads(sparrow("bench-layers", "--engine-only", "--json", "--layers", "NT-LSTM", "--batches", "1,2"))
    assert [(r["layer"], r["batch"]) for r in rows] == [("NT-LSTM", 1), ("NT-LSTM", 2)]
    for r in rows:
        assert 0 < r["warm_best_us"] <= r["warm_median_us"]
        assert 0 < r["cold_best_us"] <= r["cold_q1_us"] <= r["cold_median_us"]
        # All of NT-LSTM's inputs are non-zero, so batch 1 reads the rows: no scatter bound.
        assert r.get("scattered_words") is None and r.get("scatter_bound_us") is None
    text = sparrow("bench-layers", "--engine-only", "--layers", "NT-LSTM", "--batches", "1")
    assert "warm best" in text and "NT-LSTM" in text
    # VGG-8 at batch 1 scatters a sparse input's columns: their words and the time of their y updates.
    rows = json.loads(sparrow("bench-layers", "--engine-only", "--json", "--layers", "VGG-8", "--batches", "1,2"))
    one, two = rows
    stored = 4096 * 1000 * 0.23  # non-zero weights alone; fillers come on top
    assert 0.3 * stored < one["scattered_words"] < 0.6 * stored  # 41 % of the columns are active
    assert 0 < one["scatter_bound_us"] < 10 * one["warm_best_us"]
    assert two.get("scattered_words") is None and two.get("scatter_bound_us") is None


def test_bench_layers_kernel_sets():
    # The baseline kernels run everywhere and must agree with dense BLAS like the default set does.
    out = sparrow("bench-layers", "--json", "--layers", "NT-We", "--batches", "1,17", "--repeats", "1",
                  "--kernels", "baseline")
    rows = json.loads(out)
    assert [r["batch"] for r in rows] == [1, 17]
    assert all(r["max_relative_error"] < 1e-4 for r in rows)
    bad = subprocess.run([SPARROW, "bench-layers", "--kernels", "avx9000"], capture_output=True, text=True)
    assert bad.returncode != 0 and "Please provide one of 'baseline' and 'avx2'" in bad.stderr


def test_eie_layers_runs_summary(tmp_path):
    # benchmarks/eie_layers_runs.py: repeated bench-layers runs, summarised against #6's targets.
    script = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks", "eie_layers_runs.py")
    raw = tmp_path / "runs.json"
    out = subprocess.run([sys.executable, script, "--runs", "2", "--pause", "0", "--layers", "NT-LSTM,Alex-8",
                          "--binary", SPARROW, "--raw", str(raw)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    runs = json.loads(raw.read_text())
    assert len(runs) == 2 and [r["layer"] for r in runs[0]] == ["Alex-8", "NT-LSTM"]  # Table III's order
    rows = [line for line in out.stdout.splitlines() if line.startswith(("| Alex-8 ", "| NT-LSTM "))]
    assert len(rows) == 2 and "of 2" in rows[1] and "2 runs; bandwidth readings" in out.stdout
    # The counts are the runs meeting each target, recomputed here from the raw runs.
    met = sum(r["sparse_us"] / r["floor_us"] <= 3 for run in runs for r in run if r["layer"] == "Alex-8")
    assert rows[0].split("|")[4].strip().endswith(f", {met} of 2")
    # Summarising the saved runs prints the same table; a bad option is refused.
    again = subprocess.run([sys.executable, script, "--summarise", str(raw)], capture_output=True, text=True)
    assert again.returncode == 0 and again.stdout.strip() in out.stdout
    bad = subprocess.run([sys.executable, script, "--runs", "0", "--binary", SPARROW], capture_output=True, text=True)
    assert bad.returncode != 0 and "--runs must be at least 1" in bad.stderr
    # --against alternates two binaries (here the same one twice) and reports new/old per layer.
    pairs = subprocess.run([sys.executable, script, "--runs", "2", "--pause", "0", "--layers", "NT-LSTM",
                            "--binary", SPARROW, "--against", SPARROW], capture_output=True, text=True)
    assert pairs.returncode == 0, pairs.stderr
    assert pairs.stdout.count("| NT-LSTM |") == 1 and "2 pairs of runs" in pairs.stdout
    assert pairs.stderr.count("pair ") == 2
