"""Client mistakes and client features a black-box hunt found mishandled, against the real `sparrow serve`:
invented methods in metrics, configs whose record differed from what ran, layer names checked late,
non-finite numbers and INT64's range in JSON, compressed request bodies, dataset errors naming server
paths, racing cancels, and models no request could run."""
import concurrent.futures
import gzip
import io
import json
import os
import sys
import time
import zlib

import numpy as np
import pytest
import requests
import tritonclient.http as httpclient
from onnx import TensorProto, helper

sys.path.insert(0, os.path.dirname(__file__))
import service_util as su  # noqa: E402


@pytest.fixture(scope="module")
def server():
    with su.Server() as s:
        r = s.upload_model("mlp", su.mlp(sizes=(32, 16, 8)).SerializeToString())  # fc0 (512) is compressed
        assert r.status_code == 201, r.text
        s.mlp_id = r.json()["id"]
        relu = su._model([helper.make_node("Relu", ["x"], ["y"])], [],
                         [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
                         [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])])
        assert s.upload_model("relu", relu.SerializeToString()).status_code == 201
        ident = su._model([helper.make_node("Identity", ["i"], ["o"])], [],
                          [helper.make_tensor_value_info("i", TensorProto.INT64, [3])],
                          [helper.make_tensor_value_info("o", TensorProto.INT64, [3])])
        assert s.upload_model("ident", ident.SerializeToString()).status_code == 201
        yield s


def test_invented_methods_share_one_metrics_label(server):
    before = len(server.get("/metrics").text)
    for i in range(30):
        assert requests.request("M%d" % i, server.url + "/v1/models").status_code == 405
    requests.request("A" * 5000, server.url + "/v1/models")
    text = server.get("/metrics").text
    assert "M17" not in text and "AAAA" not in text
    assert 'method="other"' in text
    assert len(text) - before < 5000  # one label's series, not thirty-one


def test_config_record_is_the_config_that_runs(server):
    compress = "/v1/models/%s/compress" % server.mlp_id
    dup = server.post(compress, data='{"quantize":{"fc_bits":3},"quantize":{"fc_bits":6}}')
    assert dup.status_code == 400 and "duplicate key" in dup.json()["error"]
    # A leading byte order mark is ignored, and the job's record shows the config it runs.
    r = server.post(compress, data=b'\xef\xbb\xbf{"quantize":{"fc_bits":2}}')
    assert r.status_code == 202, r.text
    job = server.wait_job(r.json()["id"])
    assert job["status"] == "succeeded", job
    assert job["config"] == {"quantize": {"fc_bits": 2}}
    assert [layer["weight_bits"] for layer in job["report"]["layers"]] == [2]


def test_layer_names_are_checked_at_submission(server):
    compress = "/v1/models/%s/compress" % server.mlp_id
    jobs_before = len(server.get("/v1/jobs").json()["items"])
    for body, fragment in [('{"prune":{"layers":{"nope":0.5}}}', 'no initializer named \\"nope\\"'),
                           ('{"quantize":{"layers":{"fc0.bias":4}}}', "is not a weight"),
                           ('{"index_bits":{"default":4,"layers":{"zz":3}}}', "$.index_bits.layers.zz")]:
        r = server.post(compress, data=body)
        assert r.status_code == 400, (body, r.text)
        assert fragment in r.text, r.text
    assert len(server.get("/v1/jobs").json()["items"]) == jobs_before
    ok = server.post(compress, data='{"prune":{"layers":{"fc0.weight":0.5}}}')
    assert ok.status_code == 202 and server.wait_job(ok.json()["id"])["status"] == "succeeded"


def test_non_finite_values_travel_as_triton_writes_them(server):
    # Triton writes NaN and the infinities as bare tokens (rapidjson's NanAndInf flags), and reads them.
    body = '{"inputs":[{"name":"x","datatype":"FP32","shape":[1,4],"data":[Infinity,NaN,-Infinity,1e39]}]}'
    r = server.post("/v2/models/relu/infer", data=body)
    assert r.status_code == 200, r.text
    assert '"data":[Infinity,NaN,0.0,Infinity]' in r.text
    client = httpclient.InferenceServerClient(server.url.replace("http://", ""))
    x = httpclient.InferInput("x", [1, 4], "FP32")
    x.set_data_from_numpy(np.array([[np.inf, np.nan, -np.inf, 1]], np.float32), binary_data=False)
    y = client.infer("relu", [x], outputs=[httpclient.InferRequestedOutput("y", binary_data=False)]).as_numpy("y")
    assert y[0, 0] == np.inf and np.isnan(y[0, 1]) and list(y[0, 2:]) == [0, 1]


def test_int64_keeps_its_whole_range_in_json(server):
    values = [-9223372036854775808, 9223372036854775807, -9223372036854775000]
    r = server.post("/v2/models/ident/infer", json={"inputs": [{"name": "i", "datatype": "INT64", "shape": [3], "data": values}]})
    assert r.status_code == 200, r.text
    assert r.json()["outputs"][0]["data"] == values
    client = httpclient.InferenceServerClient(server.url.replace("http://", ""))
    i = httpclient.InferInput("i", [3], "INT64")
    i.set_data_from_numpy(np.array(values, np.int64), binary_data=False)
    assert client.infer("ident", [i]).as_numpy("o").tolist() == values


def test_compressed_request_bodies(server):
    body = json.dumps({"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 32], "data": [0.5] * 32}]}).encode()
    plain = server.post("/v2/models/mlp/infer", data=body).json()
    for encoding, data in [("gzip", gzip.compress(body)), ("deflate", zlib.compress(body))]:
        r = server.post("/v2/models/mlp/infer", data=data, headers={"Content-Encoding": encoding})
        assert r.status_code == 200 and r.json() == plain, (encoding, r.text)
    r = server.post("/v2/models/mlp/infer", data=body, headers={"Content-Encoding": "br"})
    assert r.status_code == 415 and r.headers["Accept-Encoding"] == "gzip, deflate"
    assert server.post("/v2/models/mlp/infer", data=b"junk", headers={"Content-Encoding": "gzip"}).status_code == 400
    # tritonclient's request (and response) compression, binary tensors included.
    client = httpclient.InferenceServerClient(server.url.replace("http://", ""))
    x = httpclient.InferInput("x", [1, 32], "FP32")
    x.set_data_from_numpy(np.full((1, 32), 0.5, np.float32))
    for algorithm in ["gzip", "deflate"]:
        y = client.infer("mlp", [x], request_compression_algorithm=algorithm,
                         response_compression_algorithm=algorithm).as_numpy("logits")
        np.testing.assert_allclose(y[0], plain["outputs"][0]["data"], rtol=1e-6)
    # An upload may come gzipped too.
    r = server.upload_model("zipped", gzip.compress(su.mlp(sizes=(8, 2)).SerializeToString()),
                            headers={"Content-Encoding": "gzip", "Content-Type": "application/octet-stream"})
    assert r.status_code == 201, r.text


def test_dataset_errors_do_not_name_server_paths(server):
    buf = io.BytesIO()
    np.savez(buf, x=np.zeros((4, 8), np.float32), y=np.zeros(4, np.int64))
    for data in [buf.getvalue()[:40], b"PK\x03\x04" + b"\0" * 60]:
        r = server.post("/v1/datasets", params={"name": "bad"}, data=data)
        assert r.status_code == 400, r.text
        assert server.data_dir not in r.text and "/tmp" not in r.text and "upload-" not in r.text, r.text


def test_a_model_without_inputs_is_refused(server):
    constant = su._model([helper.make_node("Constant", [], ["y"], value=helper.make_tensor("v", TensorProto.FLOAT, [1], [1.0]))],
                         [], [], [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
    r = server.upload_model("constant", constant.SerializeToString())
    assert r.status_code == 400 and "no inputs" in r.json()["error"]


def test_of_concurrent_cancels_exactly_one_succeeds():
    big = su.mlp(sizes=(512,) * 33).SerializeToString()
    with su.Server(args=["--workers", "1"]) as s:
        mid = s.upload_model("big", big).json()["id"]
        job = s.post("/v1/models/%s/compress" % mid, data="{}").json()["id"]
        deadline = time.time() + 30
        while s.get("/v1/jobs/" + job).json()["status"] != "running" and time.time() < deadline:
            time.sleep(0.01)
        with concurrent.futures.ThreadPoolExecutor(5) as pool:
            codes = list(pool.map(lambda _: s.delete("/v1/jobs/" + job).status_code, range(5)))
        assert sorted(codes) == [200, 409, 409, 409, 409], codes
        assert s.wait_job(job)["status"] == "cancelled"


def test_a_cancel_that_comes_too_late_is_a_409_not_a_200():
    # Late in a job (storing the artifact) a cancel cannot take; the answer must say so. Whatever
    # the stage a DELETE lands in: 200 means cancelled with no new version, 409 means it finished.
    with su.Server(args=["--workers", "1"]) as s:
        mid = s.upload_model("late", su.mlp(sizes=(784, 1500, 500, 10)).SerializeToString()).json()["id"]
        seen = set()
        for attempt in range(4):
            job = s.post("/v1/models/%s/compress" % mid, data='{"prune":{"sparsity":0.9}}').json()["id"]
            target = ["store", "verify", "write", "store"][attempt]
            deadline = time.time() + 60
            while time.time() < deadline:
                state = s.get("/v1/jobs/" + job).json()
                if state["stage"] == target or state["status"] in ("succeeded", "failed", "cancelled"):
                    break
            seen.add(state["stage"])
            r = s.delete("/v1/jobs/" + job)
            final = s.wait_job(job)
            if r.status_code == 200:
                assert final["status"] == "cancelled" and final["artifact_id"] is None, (state, final)
            else:
                assert r.status_code == 409 and final["status"] in ("succeeded", "failed"), (r.status_code, r.text, final)
        versions = s.get("/v1/models/" + mid).json()["versions"]
        succeeded = [j for j in s.get("/v1/jobs").json()["items"] if j["status"] == "succeeded"]
        assert len(versions) == 1 + len(succeeded)


def test_uploads_over_the_limit_are_refused_from_their_head():
    # No 100 Continue and no body read: the Content-Length (or the coding) decides.
    import socket
    with su.Server(args=["--max-upload-mb", "1"]) as s:
        def first_line(head):
            with socket.create_connection(("127.0.0.1", s.port), timeout=10) as sock:
                sock.sendall(head.encode())
                return sock.recv(4096).decode(errors="replace").split("\r\n")[0]
        over = "POST /v1/models?name=m HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n" \
               "Expect: 100-continue\r\nContent-Length: %d\r\n\r\n"
        assert first_line(over % ((1 << 20) + 10)).startswith("HTTP/1.1 413")
        assert first_line(over % (1 << 20)).startswith("HTTP/1.1 100")
        multipart = over.replace("application/octet-stream", "multipart/form-data; boundary=b")
        assert first_line(multipart % ((1 << 20) + 1000)).startswith("HTTP/1.1 100")  # framing room
        brotli = "POST /v2/models/m/infer HTTP/1.1\r\nHost: x\r\nContent-Encoding: br\r\n" \
                 "Expect: 100-continue\r\nContent-Length: 10\r\n\r\n"
        assert first_line(brotli).startswith("HTTP/1.1 415")
