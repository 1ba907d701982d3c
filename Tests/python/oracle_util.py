"""Shared helpers for the oracle tests: locate and run the sparrow CLI, compare with onnxruntime."""
import os
import pathlib
import subprocess
import sys

import numpy as np
import onnxruntime as ort

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "models"))

RTOL = 1e-4
ATOL = 1e-5


def sparrow_bin():
    return os.environ.get("SPARROW_BIN", str(REPO / ".build" / "release" / "sparrow"))


def run_sparrow(*args, timeout=120):
    """Runs the CLI; returns CompletedProcess with text stdout/stderr. Never hangs past timeout."""
    return subprocess.run([sparrow_bin(), *map(str, args)], capture_output=True, text=True, timeout=timeout)


def mnist_dir():
    candidates = [os.environ.get("SPARROW_MNIST_DIR"), str(REPO.parent / "shared" / "datasets" / "mnist"),
                  str(REPO / ".." / "shared" / "datasets" / "mnist"), "/work/shared/datasets/mnist"]
    for c in candidates:
        if c and os.path.exists(os.path.join(c, "t10k-images-idx3-ubyte.gz")):
            return c
    return None


def save_model(model, path):
    path = pathlib.Path(path)
    path.write_bytes(model.SerializeToString())
    return path


def onnxruntime_outputs(model_path, feeds, threads=1):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    session = ort.InferenceSession(str(model_path), opts, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(names, feeds)))


def sparrow_infer(tmp_path, model_path, feeds, stem="case"):
    inp = pathlib.Path(tmp_path) / f"{stem}_in.npz"
    out = pathlib.Path(tmp_path) / f"{stem}_out.npz"
    np.savez(inp, **feeds)
    result = run_sparrow("infer", model_path, "--input", inp, "--output", out)
    assert result.returncode == 0, f"sparrow infer failed ({result.returncode}): {result.stderr}"
    with np.load(out) as data:
        return {k: data[k] for k in data.files}


def assert_matches_onnxruntime(tmp_path, model, feeds, stem="case"):
    """Runs `model` through sparrow and onnxruntime and compares every output."""
    path = save_model(model, pathlib.Path(tmp_path) / f"{stem}.onnx")
    expected = onnxruntime_outputs(path, feeds)
    actual = sparrow_infer(tmp_path, path, feeds, stem)
    assert set(actual) == set(expected), f"outputs {sorted(actual)} != {sorted(expected)}"
    for name, want in expected.items():
        got = actual[name]
        assert got.shape == want.shape, f"{name}: shape {got.shape} != {want.shape}"
        # sparrow infer writes each output in its declared type, as onnxruntime returns it.
        assert got.dtype == want.dtype, f"{name}: dtype {got.dtype} != {want.dtype}"
        if np.issubdtype(want.dtype, np.integer) or want.dtype == np.bool_:
            np.testing.assert_array_equal(got, want, err_msg=name)
        else:
            np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=name)


def assert_clean_failure(result, *fragments):
    """A handled error: exit status 1 (not a signal or crash), message on stderr naming the fragments."""
    assert result.returncode == 1, f"expected exit 1, got {result.returncode}: {result.stderr}"
    assert "Fatal error" not in result.stderr and "Stack dump" not in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, f"{fragment!r} not in {result.stderr!r}"
