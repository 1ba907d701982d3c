"""Every Open Inference Protocol datatype a model can declare, through tritonclient against the real
`sparrow serve`, with onnxruntime as the oracle: a uint8 image and an fp16 scale in, fp16 / bool /
uint8 / fp64 out, on the dense upload and on its compressed version. Also the one-time migration
that records declared types for models uploaded by an older Sparrow."""
import os
import sqlite3
import sys

import numpy as np
import onnxruntime as ort
import pytest
import tritonclient.http as httpclient
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(__file__))
import service_util as su  # noqa: E402

DECLARED_INPUTS = {"pixels": "UINT8", "scale": "FP16", "offset": "INT8"}
DECLARED_OUTPUTS = {"score": "FP16", "positive": "BOOL", "label": "UINT8", "wide": "FP64"}


def typed_model():
    rng = np.random.default_rng(7)
    w = (rng.standard_normal((64, 32)) * 0.05).astype(np.float32)
    nodes = [
        helper.make_node("Cast", ["pixels"], ["pf"], to=TensorProto.FLOAT),
        helper.make_node("MatMul", ["pf", "w"], ["mm"]),
        helper.make_node("Cast", ["scale"], ["sf"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["mm", "sf"], ["scaled"]),
        helper.make_node("Cast", ["offset"], ["of"], to=TensorProto.FLOAT),
        helper.make_node("Add", ["scaled", "of"], ["s32"]),
        helper.make_node("Cast", ["s32"], ["score"], to=TensorProto.FLOAT16),
        helper.make_node("Relu", ["s32"], ["rs"]),
        helper.make_node("Cast", ["rs"], ["positive"], to=TensorProto.BOOL),
        helper.make_node("ArgMax", ["s32"], ["am"], axis=1, keepdims=0),
        helper.make_node("Cast", ["am"], ["label"], to=TensorProto.UINT8),
        helper.make_node("Cast", ["s32"], ["wide"], to=TensorProto.DOUBLE),
    ]
    inputs = [helper.make_tensor_value_info("pixels", TensorProto.UINT8, ["N", 64]),
              helper.make_tensor_value_info("scale", TensorProto.FLOAT16, [1]),
              helper.make_tensor_value_info("offset", TensorProto.INT8, ["N", 32])]
    outputs = [helper.make_tensor_value_info("score", TensorProto.FLOAT16, ["N", 32]),
               helper.make_tensor_value_info("positive", TensorProto.BOOL, ["N", 32]),
               helper.make_tensor_value_info("label", TensorProto.UINT8, ["N"]),
               helper.make_tensor_value_info("wide", TensorProto.DOUBLE, ["N", 32])]
    inits = [numpy_helper.from_array(w, "w")]
    return su._model(nodes, inits, inputs, outputs, opset=17)


def feed(n=3, seed=0):
    rng = np.random.default_rng(seed)
    return {"pixels": rng.integers(0, 256, (n, 64), dtype=np.uint8),
            "scale": np.array([0.3337], np.float16),  # not a float32-exact fp16 value's neighbour
            "offset": rng.integers(-128, 128, (n, 32), dtype=np.int8)}


def oracle(model_bytes, inputs):
    session = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    return dict(zip(DECLARED_OUTPUTS, session.run(list(DECLARED_OUTPUTS), inputs)))


@pytest.fixture(scope="module")
def server():
    with su.Server() as s:
        s.model = typed_model().SerializeToString()
        r = s.upload_model("typed", s.model)
        assert r.status_code == 201, r.text
        s.model_id = r.json()["id"]
        yield s


def infer(server, version, inputs, binary):
    client = httpclient.InferenceServerClient("127.0.0.1:%d" % server.port)
    tensors = []
    for name, value in inputs.items():
        t = httpclient.InferInput(name, list(value.shape), DECLARED_INPUTS[name])
        t.set_data_from_numpy(value, binary_data=binary)
        tensors.append(t)
    outputs = [httpclient.InferRequestedOutput(name, binary_data=binary) for name in DECLARED_OUTPUTS]
    result = client.infer("typed", tensors, outputs=outputs, model_version=version)
    return {name: result.as_numpy(name) for name in DECLARED_OUTPUTS}


def expect_matches(got, want):
    assert got["score"].dtype == np.float16 and got["positive"].dtype == np.bool_
    assert got["label"].dtype == np.uint8 and got["wide"].dtype == np.float64
    # fp32 sums in a different order may round to the neighbouring fp16 value.
    np.testing.assert_allclose(got["score"].astype(np.float32), want["score"].astype(np.float32), rtol=2e-3, atol=2e-3)
    np.testing.assert_allclose(got["wide"], want["wide"], rtol=1e-5, atol=1e-5)
    near_zero = np.abs(want["wide"]) < 1e-4
    assert (got["positive"] == want["positive"])[~near_zero].all()
    assert got["label"].tolist() == want["label"].tolist()


def test_metadata_and_config_report_declared_types(server):
    meta = server.get("/v2/models/typed").json()
    assert {t["name"]: t["datatype"] for t in meta["inputs"]} == DECLARED_INPUTS
    assert {t["name"]: t["datatype"] for t in meta["outputs"]} == DECLARED_OUTPUTS
    config = server.get("/v2/models/typed/config").json()
    assert {t["name"]: t["data_type"] for t in config["input"]} == {k: "TYPE_" + v for k, v in DECLARED_INPUTS.items()}


@pytest.mark.parametrize("binary", [True, False])
def test_dense_version_matches_onnxruntime_in_declared_types(server, binary):
    inputs = feed()
    expect_matches(infer(server, "1", inputs, binary), oracle(server.model, inputs))


def test_compressed_version_matches_its_exported_model(server):
    r = server.post("/v1/models/%s/compress" % server.model_id, json={})
    assert r.status_code == 202, r.text
    job = server.wait_job(r.json()["id"])
    assert job["status"] == "succeeded", job
    exported = server.get("/v1/artifacts/%s/onnx" % job["artifact_id"])
    assert exported.status_code == 200
    meta = server.get("/v2/models/typed/versions/2").json()
    assert {t["name"]: t["datatype"] for t in meta["outputs"]} == DECLARED_OUTPUTS
    inputs = feed(n=5, seed=1)
    for binary in (True, False):
        expect_matches(infer(server, "2", inputs, binary), oracle(exported.content, inputs))


def test_wrong_or_unrepresentable_values_are_refused(server):
    def post(inputs):
        return server.post("/v2/models/typed/versions/1/infer", json={"inputs": inputs})

    good = [{"name": "scale", "datatype": "FP16", "shape": [1], "data": [1]},
            {"name": "offset", "datatype": "INT8", "shape": [1, 32], "data": [0] * 32}]
    pixels = {"name": "pixels", "datatype": "UINT8", "shape": [1, 64], "data": [255] * 64}
    assert post([pixels] + good).status_code == 200
    as_fp32 = dict(pixels, datatype="FP32")
    r = post([as_fp32] + good)
    assert r.status_code == 400 and "must be UINT8, got FP32" in r.json()["error"]
    for bad, fragment in ((256, "UINT8 but holds 256"), (-1, "UINT8 but holds -1"), (1.5, "UINT8 but holds 1.5"),
                          (True, "UINT8: 'data' must hold only numbers")):
        r = post([dict(pixels, data=[bad] * 64)] + good)
        assert r.status_code == 400 and fragment in r.json()["error"], (bad, r.text)
    r = post([pixels, good[0], dict(good[1], data=[-129] * 32)])
    assert r.status_code == 400 and "INT8 but holds -129" in r.json()["error"]
    r = post([dict(pixels, datatype="BYTES")] + good)
    assert r.status_code == 400 and "BOOL, UINT8" in r.json()["error"]


def test_an_older_catalog_learns_declared_types_once(tmp_path):
    data = str(tmp_path)
    with su.Server(data_dir=data) as s:
        assert s.upload_model("typed", typed_model().SerializeToString()).status_code == 201
    # What a Sparrow before schema version 1 recorded: the compute types.
    db = sqlite3.connect(os.path.join(data, "catalog.db"))
    db.execute("""UPDATE model_versions SET inputs = '[{"name":"pixels","datatype":"INT64","shape":[-1,64]}]',
                  outputs = '[{"name":"score","datatype":"FP32","shape":[-1,32]}]'""")
    db.execute("PRAGMA user_version = 0")
    db.commit()
    db.close()
    with su.Server(data_dir=data) as s:
        meta = s.get("/v2/models/typed").json()
        assert {t["name"]: t["datatype"] for t in meta["inputs"]} == DECLARED_INPUTS
        assert {t["name"]: t["datatype"] for t in meta["outputs"]} == DECLARED_OUTPUTS
    db = sqlite3.connect(os.path.join(data, "catalog.db"))
    assert db.execute("PRAGMA user_version").fetchone()[0] == 1
    # Once: a migrated catalog is not re-read at the next start (a spec edited now stays as it is).
    db.execute("""UPDATE model_versions SET inputs = '[{"name":"pixels","datatype":"INT64","shape":[-1,64]}]'""")
    db.commit()
    db.close()
    with su.Server(data_dir=data) as s:
        meta = s.get("/v2/models/typed").json()
        assert [t["datatype"] for t in meta["inputs"]] == ["INT64"]


def test_cli_reads_and_writes_declared_types(tmp_path):
    import subprocess
    model = tmp_path / "typed.onnx"
    model.write_bytes(typed_model().SerializeToString())
    inputs = feed(n=2, seed=3)
    np.savez(tmp_path / "in.npz", **inputs)
    run = lambda *a: subprocess.run([su.sparrow_bin(), "infer", str(model), *a], capture_output=True, text=True, timeout=60)
    r = run("--input", str(tmp_path / "in.npz"), "--output", str(tmp_path / "out.npz"))
    assert r.returncode == 0, r.stderr
    with np.load(tmp_path / "out.npz") as out:
        got = {k: out[k] for k in out.files}
    expect_matches(got, oracle(model.read_bytes(), inputs))
    # An int64 array is converted to the uint8 input only when every value fits.
    np.savez(tmp_path / "wide.npz", **dict(inputs, pixels=inputs["pixels"].astype(np.int64) + 200))
    r = run("--input", str(tmp_path / "wide.npz"), "--output", str(tmp_path / "out2.npz"))
    assert r.returncode == 1 and "UINT8 but holds" in r.stderr, r.stderr
    assert not (tmp_path / "out2.npz").exists()


def test_cli_refuses_values_an_input_cannot_hold(tmp_path):
    import subprocess
    ident = su._model([helper.make_node("Identity", ["i"], ["o"])], [],
                      [helper.make_tensor_value_info("i", TensorProto.UINT64, [3])],
                      [helper.make_tensor_value_info("o", TensorProto.UINT64, [3])])
    model = tmp_path / "u64.onnx"
    model.write_bytes(ident.SerializeToString())
    cases = [(np.array([1e19, 0, 3]), "exact only below 2^24"),           # used to crash (SIGILL)
             (np.array([16777217.0, 0, 1]), "exact only below 2^24"),     # float64 read as float32
             (np.array([-1, 0, 3], np.int64), "UINT64 but holds -1"),     # used to wrap
             (np.array([-5, 0, 3], np.int8), "UINT64 but holds -5")]
    for i, (x, fragment) in enumerate(cases):
        np.savez(tmp_path / f"in{i}.npz", i=x)
        r = subprocess.run([su.sparrow_bin(), "infer", str(model), "--input", str(tmp_path / f"in{i}.npz"),
                            "--output", str(tmp_path / "out.npz")], capture_output=True, text=True, timeout=60)
        assert r.returncode == 1 and fragment in r.stderr, (x, r.returncode, r.stderr)
    np.savez(tmp_path / "ok.npz", i=np.array([2**63 + 5, 0, 3], np.uint64))
    r = subprocess.run([su.sparrow_bin(), "infer", str(model), "--input", str(tmp_path / "ok.npz"),
                        "--output", str(tmp_path / "out.npz")], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "does not fit in int64" in r.stderr, r.stderr


def test_a_misdeclared_output_is_an_error_not_a_conversion(tmp_path):
    import subprocess
    wrong = su._model([helper.make_node("Identity", ["x"], ["y"])], [],
                      [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                      [helper.make_tensor_value_info("y", TensorProto.UINT64, [2])], check=False)
    (tmp_path / "wrong.onnx").write_bytes(wrong.SerializeToString())
    np.savez(tmp_path / "in.npz", x=np.array([1.5, -1], np.float32))
    r = subprocess.run([su.sparrow_bin(), "infer", str(tmp_path / "wrong.onnx"), "--input", str(tmp_path / "in.npz"),
                        "--output", str(tmp_path / "out.npz")], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "declares output 'y' as UINT64" in r.stderr, r.stderr
    # eval reads the same outputs: the same refusal.
    batched = su._model([helper.make_node("Identity", ["x"], ["y"])], [],
                        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2])],
                        [helper.make_tensor_value_info("y", TensorProto.INT64, ["N", 2])], check=False)
    (tmp_path / "batched.onnx").write_bytes(batched.SerializeToString())
    np.savez(tmp_path / "data.npz", x=np.zeros((4, 2), np.float32), y=np.zeros(4, np.int64))
    r = subprocess.run([su.sparrow_bin(), "eval", str(tmp_path / "batched.onnx"), "--dataset", str(tmp_path / "data.npz")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "declares output 'y' as INT64" in r.stderr, r.stderr
    with su.Server() as s:
        assert s.upload_model("wrong", wrong.SerializeToString()).status_code == 201
        r = s.post("/v2/models/wrong/infer", json={"inputs": [{"name": "x", "datatype": "FP32", "shape": [2], "data": [1.5, -1]}]})
        assert r.status_code == 500 and "declares output 'y' as UINT64" in r.json()["error"], r.text
        # A dataset whose float labels no integer holds is a 400; the server keeps serving.
        import io
        buf = io.BytesIO()
        np.savez(buf, x=np.zeros((2, 4), np.float32), y=np.array([1e19, 0.0]))
        r = s.post("/v1/datasets", params={"name": "huge"}, data=buf.getvalue(),
                   headers={"Content-Type": "application/octet-stream"})
        assert r.status_code == 400 and "labels must be integers" in r.json()["error"], r.text
        assert s.get("/healthz").status_code == 200
