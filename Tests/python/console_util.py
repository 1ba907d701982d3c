"""Helpers for the console's browser tests: MNIST, a small trained LeNet-300-100 ONNX model, an
.npz dataset, a free port, and starting the real `sparrow serve`."""
from __future__ import annotations

import gzip
import os
import socket
import struct
import subprocess
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def mnist_dir() -> Path | None:
    candidates = [os.environ.get("SPARROW_MNIST_DIR"), ROOT / "../shared/datasets/mnist", "/work/shared/datasets/mnist"]
    for c in candidates:
        if c and (Path(c) / "train-images-idx3-ubyte.gz").exists():
            return Path(c).resolve()
    return None


def read_idx(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def mnist(split: str = "train", limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    d = mnist_dir()
    if d is None:
        raise FileNotFoundError("MNIST not found (set SPARROW_MNIST_DIR)")
    prefix = "train" if split == "train" else "t10k"
    x = read_idx(d / f"{prefix}-images-idx3-ubyte.gz")[:limit].reshape(-1, 784).astype(np.float32) / 255.0
    y = read_idx(d / f"{prefix}-labels-idx1-ubyte.gz")[:limit].astype(np.int64)
    return x, y


def lenet_300_100_onnx(path: Path, samples: int = 12000, seed: int = 0) -> float:
    """Trains LeNet-300-100 briefly (scikit-learn, a few seconds) and writes it as a plain ONNX graph
    (Gemm, Relu, Softmax; input "input" [1, 784]). Returns test accuracy."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    from sklearn.neural_network import MLPClassifier
    import warnings

    x, y = mnist("train", samples)
    clf = MLPClassifier(hidden_layer_sizes=(300, 100), max_iter=6, batch_size=128, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(x, y)
    xt, yt = mnist("test", 2000)
    accuracy = float((clf.predict(xt) == yt).mean())
    inits, nodes, prev = [], [], "input"
    for i, (w, b) in enumerate(zip(clf.coefs_, clf.intercepts_)):
        name = f"fc{i + 1}"
        inits += [numpy_helper.from_array(w.T.astype(np.float32), f"{name}.weight"),
                  numpy_helper.from_array(b.astype(np.float32), f"{name}.bias")]
        out = f"{name}_out"
        nodes.append(helper.make_node("Gemm", [prev, f"{name}.weight", f"{name}.bias"], [out], name=name, transB=1))
        prev = out
        if i < len(clf.coefs_) - 1:
            nodes.append(helper.make_node("Relu", [out], [f"relu{i + 1}"], name=f"relu{i + 1}"))
            prev = f"relu{i + 1}"
    nodes.append(helper.make_node("Softmax", [prev], ["probabilities"], name="softmax", axis=1))
    graph = helper.make_graph(nodes, "lenet-300-100",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 784])],
                              [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [1, 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="sparrow-tests")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return accuracy


def mnist_npz(path: Path, samples: int = 2000, split: str = "test") -> None:
    x, y = mnist(split, samples)
    np.savez(path, x=x, y=y)


def fixtures(out: Path) -> tuple[Path, Path]:
    """The LeNet-300-100 model and an MNIST .npz, made once and kept in `out` (training takes a while)."""
    out.mkdir(parents=True, exist_ok=True)
    model, data = out / "lenet-300-100.onnx", out / "mnist-test-2000.npz"
    if not model.exists():
        tmp = model.with_suffix(".tmp")
        lenet_300_100_onnx(tmp, samples=8000)
        tmp.rename(model)
    if not data.exists():
        mnist_npz(data)
    return model, data


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sparrow_bin() -> Path:
    return Path(os.environ.get("SPARROW_BIN", ROOT / ".build/release/sparrow"))


def wait_ready(base: str, proc: subprocess.Popen | None = None, timeout: float = 20) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(base + "/v2/health/ready", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{base} not ready after {timeout}s")


def start_server(data_dir: Path, log_path: Path, extra: list[str] | None = None,
                 port: int = 0) -> tuple[subprocess.Popen, str]:
    """The real `sparrow serve` on `port` (0: a free one; it prints "PORT n"), serving Public/."""
    data_dir.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "ab")
    proc = subprocess.Popen([str(sparrow_bin()), "serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir", str(data_dir),
                             "--public-dir", str(ROOT / "Public"), *(extra or [])],
                            stdout=subprocess.PIPE, stderr=log, cwd=ROOT)
    deadline = time.time() + 30
    port = None
    while time.time() < deadline and port is None:
        line = proc.stdout.readline()
        if line.startswith(b"PORT "):
            port = int(line.split()[1])
        elif not line and proc.poll() is not None:
            break
    if port is None:
        proc.terminate()
        proc.wait(5)
        raise RuntimeError(f"sparrow serve did not start; see {log_path}")
    base = f"http://127.0.0.1:{port}"
    wait_ready(base, proc)
    return proc, base
