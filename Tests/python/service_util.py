"""Helpers for the service end-to-end tests: start the real `sparrow serve`, make ONNX models."""
import os
import signal
import socket
import subprocess
import tempfile
import time

import numpy as np
import onnx
import requests
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def sparrow_bin():
    path = os.environ.get("SPARROW_BIN", os.path.join(ROOT, ".build", "release", "sparrow"))
    if not os.path.isabs(path):
        path = os.path.join(ROOT, path)
    return path


class Server:
    """A `sparrow serve` process on a free loopback port with its own data directory."""

    def __init__(self, data_dir=None, args=(), env=None):
        self.owned_dir = None
        if data_dir is None:
            self.owned_dir = tempfile.TemporaryDirectory(prefix="sparrow-service-")
            data_dir = self.owned_dir.name
        self.data_dir = data_dir
        self.args = list(args)
        self.env = dict(os.environ, **(env or {}))
        self.proc = None
        self.port = None

    def start(self, timeout=30):
        cmd = [sparrow_bin(), "serve", "--host", "127.0.0.1", "--port", "0", "--data-dir", self.data_dir,
               "--public-dir", os.path.join(self.data_dir, "no-console")] + self.args
        self.log = open(os.path.join(self.data_dir, "server.log"), "ab")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.log, env=self.env)
        deadline = time.time() + timeout
        line = b""
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if line.startswith(b"PORT "):
                self.port = int(line.split()[1])
                break
            if self.proc.poll() is not None:
                break
        if self.port is None:
            self.stop()
            raise RuntimeError("server did not start: %r (see %s/server.log)" % (line, self.data_dir))
        return self

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def kill(self):
        """SIGKILL, as a crash would."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self, timeout=20):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()
        if getattr(self, "log", None):
            self.log.close()

    def cleanup(self):
        self.stop()
        if self.owned_dir:
            self.owned_dir.cleanup()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()

    # -- HTTP helpers -------------------------------------------------------------------------
    def get(self, path, **kw):
        return requests.get(self.url + path, timeout=kw.pop("timeout", 30), **kw)

    def post(self, path, **kw):
        return requests.post(self.url + path, timeout=kw.pop("timeout", 60), **kw)

    def delete(self, path, **kw):
        return requests.delete(self.url + path, timeout=kw.pop("timeout", 30), **kw)

    def upload_model(self, name, data, **kw):
        return self.post("/v1/models", params={"name": name}, data=data,
                         headers=kw.pop("headers", {"Content-Type": "application/octet-stream"}), **kw)

    def wait_job(self, job_id, timeout=120, until=("succeeded", "failed", "cancelled")):
        deadline = time.time() + timeout
        while time.time() < deadline:
            job = self.get("/v1/jobs/" + job_id).json()
            if job["status"] in until:
                return job
            time.sleep(0.1)
        raise AssertionError("job %s did not finish: %r" % (job_id, job))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _model(nodes, inits, inputs, outputs, opset=13, check=True):
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="sparrow-tests")
    model.ir_version = 8
    if check:
        onnx.checker.check_model(model)
    return model


def mlp(sizes=(784, 300, 100, 10), seed=0):
    """A LeNet-300-100-style MLP (Gemm + Relu) with random weights, input "x" [N, 784]."""
    rng = np.random.default_rng(seed)
    nodes, inits = [], []
    prev = "x"
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        w = (rng.standard_normal((n_out, n_in)) * np.sqrt(2.0 / n_in)).astype(np.float32)
        b = (rng.standard_normal(n_out) * 0.01).astype(np.float32)
        inits += [numpy_helper.from_array(w, "fc%d.weight" % i), numpy_helper.from_array(b, "fc%d.bias" % i)]
        out = "h%d" % i if i < len(sizes) - 2 else "logits"
        nodes.append(helper.make_node("Gemm", [prev, "fc%d.weight" % i, "fc%d.bias" % i], [out + "_pre" if out != "logits" else out],
                                      transB=1))
        if out != "logits":
            nodes.append(helper.make_node("Relu", [out + "_pre"], [out]))
        prev = out
    return _model(nodes, inits,
                  [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", sizes[0]])],
                  [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", sizes[-1]])])


def cnn(seed=1):
    """A small CNN: Conv(1→8, 3x3) → Relu → MaxPool → Flatten → Gemm(8*13*13 → 10), input [N,1,28,28]."""
    rng = np.random.default_rng(seed)
    w = (rng.standard_normal((8, 1, 3, 3)) * 0.3).astype(np.float32)
    b = np.zeros(8, np.float32)
    fw = (rng.standard_normal((10, 8 * 13 * 13)) * 0.05).astype(np.float32)
    fb = np.zeros(10, np.float32)
    nodes = [
        helper.make_node("Conv", ["x", "conv.weight", "conv.bias"], ["c"], kernel_shape=[3, 3]),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["p"], ["f"], axis=1),
        helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["logits"], transB=1),
    ]
    inits = [numpy_helper.from_array(a, n) for a, n in
             [(w, "conv.weight"), (b, "conv.bias"), (fw, "fc.weight"), (fb, "fc.bias")]]
    return _model(nodes, inits,
                  [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 28, 28])],
                  [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])])


def unsupported_op_model():
    """Valid ONNX with an op Sparrow does not run (Det)."""
    nodes = [helper.make_node("Det", ["x"], ["y"])]
    return _model(nodes, [], [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 3])],
                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, [])])


def reference(model, x):
    """onnxruntime's answer, the oracle."""
    import onnxruntime as ort
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, {"x": x})[0]
