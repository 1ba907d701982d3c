"""The curl journey of docs/SERVICE.md against the real release binary: upload → compress → poll →
download → infer on v1 and v2, plus datasets, events, metrics and tritonclient (JSON and binary)."""
import hashlib
import io
import json
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import service_util as su  # noqa: E402


@pytest.fixture(scope="module")
def server():
    with su.Server(args=["--workers", "2"]) as s:
        yield s


@pytest.fixture(scope="module")
def lenet(server):
    model = su.mlp()
    r = server.upload_model("lenet", model.SerializeToString())
    assert r.status_code == 201, r.text
    return model, r.json()


@pytest.fixture(scope="module")
def compressed(server, lenet):
    _, meta = lenet
    r = server.post("/v1/models/%s/compress" % meta["id"], data=json.dumps({"prune": {"sparsity": 0.9}, "quantize": {"fc_bits": 5}}))
    assert r.status_code == 202, r.text
    assert r.headers["Location"] == "/v1/jobs/" + r.json()["id"]
    job = server.wait_job(r.json()["id"])
    assert job["status"] == "succeeded", job
    return job


def test_upload_describes_the_model(lenet):
    model, meta = lenet
    raw = model.SerializeToString()
    assert meta["name"] == "lenet" and meta["version"] == 1
    assert meta["size_bytes"] == len(raw)
    assert meta["sha256"] == hashlib.sha256(raw).hexdigest()
    assert meta["parameters"] == 784 * 300 + 300 + 300 * 100 + 100 + 100 * 10 + 10
    assert meta["inputs"] == [{"name": "x", "datatype": "FP32", "shape": [-1, 784]}]
    assert meta["outputs"] == [{"name": "logits", "datatype": "FP32", "shape": [-1, 10]}]


def test_multipart_upload_and_list_get_delete(server):
    cnn = su.cnn().SerializeToString()
    r = server.post("/v1/models", params={"name": "cnn"}, files={"file": ("cnn.onnx", cnn)})
    assert r.status_code == 201, r.text
    mid = r.json()["id"]
    assert r.json()["sha256"] == hashlib.sha256(cnn).hexdigest()
    assert mid in [m["id"] for m in server.get("/v1/models").json()["items"]]
    assert server.get("/v1/models/" + mid).json()["name"] == "cnn"
    assert server.upload_model("cnn", cnn).status_code == 409  # names are unique
    assert server.delete("/v1/models/" + mid).status_code == 204
    assert server.get("/v1/models/" + mid).status_code == 404
    assert server.get("/v1/models/not-an-id").status_code == 404


def test_compression_report_and_artifact_download(server, lenet, compressed):
    report = compressed["report"]
    assert compressed["progress"] == 1 and compressed["stage"] == "done"
    assert report["ratio"] > 10, report  # 90% pruning + 5-bit codes
    art = compressed["artifact_id"]
    r = server.get("/v1/artifacts/" + art)
    assert r.status_code == 200
    body = r.content
    assert body[:4] == b"SPRW"
    assert r.headers["ETag"] == '"%s"' % hashlib.sha256(body).hexdigest()
    assert len(body) == report["compressed_bytes"]
    # Range and conditional requests.
    part = server.get("/v1/artifacts/" + art, headers={"Range": "bytes=4-99"})
    assert part.status_code == 206 and part.content == body[4:100]
    assert server.get("/v1/artifacts/" + art, headers={"If-None-Match": r.headers["ETag"]}).status_code == 304
    assert server.get("/v1/artifacts/%s/report" % art).json()["ratio"] == report["ratio"]
    onnx_bytes = server.get("/v1/artifacts/%s/onnx" % art).content
    import onnx
    decoded = onnx.load_from_string(onnx_bytes)
    weights = {t.name: onnx.numpy_helper.to_array(t) for t in decoded.graph.initializer}
    density = np.count_nonzero(weights["fc0.weight"]) / weights["fc0.weight"].size
    assert 0.05 < density < 0.15
    assert len(np.unique(weights["fc0.weight"])) <= 33  # 5-bit codebook (+ zero)


def test_infer_v1_matches_onnxruntime_and_v2_matches_decoded_model(server, lenet, compressed):
    model, _ = lenet
    x = np.random.default_rng(3).random((2, 784), dtype=np.float32)
    body = {"inputs": [{"name": "x", "datatype": "FP32", "shape": [2, 784], "data": x.flatten().tolist()}]}
    v1 = server.post("/v2/models/lenet/versions/1/infer", json=body).json()
    assert v1["model_version"] == "1"
    np.testing.assert_allclose(np.array(v1["outputs"][0]["data"]).reshape(2, 10), su.reference(model, x), rtol=1e-4, atol=1e-4)
    import onnx
    decoded = onnx.load_from_string(server.get("/v1/artifacts/%s/onnx" % compressed["artifact_id"]).content)
    newest = server.post("/v2/models/lenet/infer", json=body).json()
    assert newest["model_version"] == "2"
    np.testing.assert_allclose(np.array(newest["outputs"][0]["data"]).reshape(2, 10), su.reference(decoded, x), rtol=1e-4, atol=1e-4)
    # Nested data is accepted too.
    nested = dict(body)
    nested["inputs"] = [dict(body["inputs"][0], data=x.tolist())]
    assert server.post("/v2/models/lenet/versions/1/infer", json=nested).json() == v1


def test_oip_metadata_and_errors(server, lenet, compressed):
    assert server.get("/v2/health/live").status_code == 200
    assert server.get("/v2/health/ready").status_code == 200
    assert "binary_tensor_data" in server.get("/v2").json()["extensions"]
    meta = server.get("/v2/models/lenet").json()
    assert meta["versions"] == ["1", "2"] and meta["inputs"][0]["shape"] == [-1, 784]
    assert server.get("/v2/models/lenet/versions/1/ready").status_code == 200
    assert server.get("/v2/models/lenet/versions/9/ready").status_code == 404
    assert server.get("/v2/models/nope").status_code == 404
    bad = server.post("/v2/models/lenet/infer", json={"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 5], "data": [1, 2, 3, 4, 5]}]})
    assert bad.status_code == 400 and "shape" in bad.json()["error"]
    bad = server.post("/v2/models/lenet/infer", data=b"{not json")
    assert bad.status_code == 400 and "error" in bad.json()


def test_tritonclient_json_and_binary(server, lenet, compressed):
    import tritonclient.http as httpclient
    model, _ = lenet
    client = httpclient.InferenceServerClient(url="127.0.0.1:%d" % server.port)
    assert client.is_server_live() and client.is_server_ready()
    assert client.is_model_ready("lenet") and client.is_model_ready("lenet", "1")
    assert client.get_model_metadata("lenet")["versions"] == ["1", "2"]
    assert client.get_model_config("lenet")["input"][0]["data_type"] == "TYPE_FP32"
    x = np.random.default_rng(5).random((3, 784), dtype=np.float32)
    want = su.reference(model, x)
    for binary_in in (False, True):
        for binary_out in (False, True):
            inp = httpclient.InferInput("x", list(x.shape), "FP32")
            inp.set_data_from_numpy(x, binary_data=binary_in)
            out = httpclient.InferRequestedOutput("logits", binary_data=binary_out)
            result = client.infer("lenet", [inp], model_version="1", outputs=[out])
            np.testing.assert_allclose(result.as_numpy("logits"), want, rtol=1e-4, atol=1e-4)
    # Defaults: binary input, no outputs named → binary_data_output for all.
    inp = httpclient.InferInput("x", list(x.shape), "FP32")
    inp.set_data_from_numpy(x)
    result = client.infer("lenet", [inp])
    assert result.get_response()["model_version"] == "2"
    assert result.as_numpy("logits").shape == (3, 10)
    client.close()


def test_datasets_roundtrip(server):
    x = np.random.default_rng(0).random((20, 784), dtype=np.float32)
    y = np.arange(20) % 10
    buf = io.BytesIO()
    np.savez(buf, x=x, y=y)
    r = server.post("/v1/datasets", params={"name": "digits"}, data=buf.getvalue(),
                    headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 201, r.text
    d = r.json()
    assert (d["samples"], d["x_shape"], d["classes"]) == (20, [20, 784], 10)
    assert server.get("/v1/datasets/" + d["id"]).json()["name"] == "digits"
    assert d["id"] in [i["id"] for i in server.get("/v1/datasets").json()["items"]]
    bad = server.post("/v1/datasets", params={"name": "bad"}, data=b"PK\x03\x04garbage")
    assert bad.status_code == 400
    assert server.delete("/v1/datasets/" + d["id"]).status_code == 204
    assert server.get("/v1/datasets/" + d["id"]).status_code == 404


def test_invalid_config_is_rejected_at_submission(server, lenet):
    _, meta = lenet
    for config in ({"prune": {"sparsity": 1.5}}, {"bogus": 1}, {"quantize": {"fc_bits": 0}}):
        r = server.post("/v1/models/%s/compress" % meta["id"], data=json.dumps(config))
        assert r.status_code == 400, (config, r.text)
        assert "error" in r.json()
    r = server.post("/v1/models/%s/compress" % meta["id"], data="{")
    assert r.status_code == 400
    r = server.post("/v1/models/%s/compress" % meta["id"], data=json.dumps({"finetune": {"dataset": "ds_00000000000000000000"}}))
    assert r.status_code == 400 and "dataset" in r.json()["error"]


def test_events_stream_ends_with_the_final_state(server, lenet, compressed):
    r = server.get("/v1/jobs/%s/events" % compressed["id"], stream=True)
    assert r.headers["Content-Type"].startswith("text/event-stream")
    text = r.raw.read().decode()
    assert "event: end" in text and '"status":"succeeded"' in text


def test_jobs_listing_and_metrics(server, compressed):
    ids = [j["id"] for j in server.get("/v1/jobs", params={"status": "succeeded"}).json()["items"]]
    assert compressed["id"] in ids
    assert server.get("/v1/jobs", params={"status": "bogus"}).status_code == 400
    metrics = server.get("/metrics").text
    assert 'sparrow_jobs{status="succeeded"}' in metrics
    assert "sparrow_http_request_duration_seconds_bucket" in metrics
    assert 'route="/v2/models/{name}/infer"' in metrics or 'route="/v2/models/{name}/versions/{version}/infer"' in metrics
    assert "sparrow_storage_bytes" in metrics and "sparrow_job_queue_depth" in metrics
