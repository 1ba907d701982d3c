"""Cancellation, back-pressure, authentication and bad input against the real `sparrow serve`."""
import json
import os
import socket
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import service_util as su  # noqa: E402

# 16 layers of 512×512: compression takes seconds, long enough to observe a running job.
BIG = su.mlp(sizes=(512,) * 17).SerializeToString()


def wait_status(server, job_id, status, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        job = server.get("/v1/jobs/" + job_id).json()
        if job["status"] == status:
            return job
        time.sleep(0.02)
    raise AssertionError("job never became %s: %r" % (status, job))


@pytest.fixture(scope="module")
def busy():
    """One worker and room for one waiting job."""
    with su.Server(args=["--workers", "1", "--queue-limit", "1"]) as s:
        r = s.upload_model("big", BIG)
        assert r.status_code == 201, r.text
        s.model_id = r.json()["id"]
        yield s


def test_cancel_queued_and_running_jobs_and_429_on_a_full_queue(busy):
    submit = lambda: busy.post("/v1/models/%s/compress" % busy.model_id, data="{}")
    a = submit().json()["id"]
    wait_status(busy, a, "running")
    b = submit()
    assert b.status_code == 202
    b = b.json()["id"]
    full = submit()
    assert full.status_code == 429
    assert int(full.headers["Retry-After"]) >= 1
    assert "full" in full.json()["error"]
    # Inference is not queued behind jobs.
    t = time.time()
    r = busy.post("/v2/models/big/infer", json={"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 512], "data": [0.1] * 512}]})
    assert r.status_code == 200 and time.time() - t < 2.0
    # Cancel the waiting job: it never runs.
    r = busy.delete("/v1/jobs/" + b)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert r.json()["started_at"] is None
    # Cancel the running one: it stops promptly.
    t = time.time()
    r = busy.delete("/v1/jobs/" + a)
    assert r.status_code == 200
    job = wait_status(busy, a, "cancelled", timeout=10)
    assert time.time() - t < 5
    assert job["artifact_id"] is None and job["finished_at"]
    assert busy.delete("/v1/jobs/" + a).status_code == 409  # already final
    assert busy.get("/v2/models/big").json()["versions"] == ["1"]
    metrics = busy.get("/metrics").text
    assert 'sparrow_jobs{status="cancelled"} 2' in metrics


def test_api_keys_guard_writes():
    with su.Server(args=["--api-key", "k1", "--api-key", "k2"]) as s:
        raw = su.mlp(sizes=(8, 4)).SerializeToString()
        assert s.upload_model("m", raw).status_code == 401
        r = s.upload_model("m", raw, headers={"Authorization": "Bearer nope"})
        assert r.status_code == 401 and "error" in r.json()
        r = s.upload_model("m", raw, headers={"Authorization": "Bearer k2", "Content-Type": "application/octet-stream"})
        assert r.status_code == 201
        mid = r.json()["id"]
        assert s.get("/v1/models").status_code == 200  # reads stay open
        assert s.delete("/v1/models/" + mid).status_code == 401
        body = {"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 8], "data": [0] * 8}]}
        assert s.post("/v2/models/m/infer", json=body).status_code == 200
        assert s.delete("/v1/models/" + mid, headers={"Authorization": "Bearer k1"}).status_code == 204


def test_api_keys_from_the_environment_and_auth_inference():
    with su.Server(args=["--auth-inference"], env={"SPARROW_API_KEY": "alpha, beta"}) as s:
        raw = su.mlp(sizes=(8, 4)).SerializeToString()
        auth = {"Authorization": "Bearer beta", "Content-Type": "application/octet-stream"}
        assert s.upload_model("m", raw, headers=auth).status_code == 201
        body = {"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 8], "data": [0] * 8}]}
        assert s.post("/v2/models/m/infer", json=body).status_code == 401
        assert s.post("/v2/models/m/infer", json=body, headers={"Authorization": "Bearer alpha"}).status_code == 200
        assert s.get("/v2/health/live").status_code == 200


@pytest.fixture(scope="module")
def plain():
    with su.Server(args=["--max-upload-mb", "2"]) as s:
        yield s


def test_bad_uploads(plain):
    good = su.mlp(sizes=(16, 8)).SerializeToString()
    r = plain.upload_model("trunc", good[: len(good) // 2])
    assert r.status_code == 400 and "error" in r.json()
    r = plain.upload_model("det", su.unsupported_op_model().SerializeToString())
    assert r.status_code == 400 and "Det" in r.json()["error"]
    r = plain.upload_model("json", good, headers={"Content-Type": "application/json"})
    assert r.status_code == 415
    r = plain.upload_model("empty", b"")
    assert r.status_code == 400
    r = plain.post("/v1/models", data=good)  # no name
    assert r.status_code == 400
    r = plain.upload_model("../etc", good)
    assert r.status_code == 400
    r = plain.post("/v1/models", params={"name": "mp"}, files={"other": ("m.onnx", good)})
    assert r.status_code == 400 and "file" in r.json()["error"]
    r = plain.upload_model("toobig", b"\0" * (3 << 20))
    assert r.status_code == 413
    # Nothing half-stored: no model, and the blob store holds no stray file.
    assert plain.get("/v1/models").json()["items"] == []
    blobs = os.path.join(plain.data_dir, "blobs")
    stored = [f for d in os.listdir(blobs) if d != "tmp" for f in os.listdir(os.path.join(blobs, d))]
    assert stored == []


def test_huge_content_length_is_refused_before_the_body(plain):
    with socket.create_connection(("127.0.0.1", plain.port), timeout=10) as sock:
        sock.sendall(b"POST /v1/models?name=huge HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
                     b"Content-Length: 1000000000000\r\n\r\n")
        reply = sock.recv(4096).decode(errors="replace")
    assert reply.startswith("HTTP/1.1 413"), reply


def test_ids_are_validated(plain):
    for path in ["/v1/models/..%2F..%2Fetc", "/v1/jobs/job_123", "/v1/artifacts/art_zzzzzzzzzzzzzzzzzzzz",
                 "/v1/artifacts/mdl_00000000000000000000", "/v1/datasets/ds_0000000000000000000g"]:
        r = plain.get(path)
        assert r.status_code in (404, 403), (path, r.status_code)


def test_running_job_reports_progress_and_streams_events(busy):
    job = busy.post("/v1/models/%s/compress" % busy.model_id, data="{}").json()["id"]
    r = busy.get("/v1/jobs/%s/events" % job, stream=True, timeout=60)
    assert r.status_code == 200
    events, seen_progress = [], []
    for line in r.iter_lines(decode_unicode=True):
        if line.startswith("event: "):
            events.append(line[7:])
        elif line.startswith("data: "):
            seen_progress.append(json.loads(line[6:])["progress"])
    assert events[-1] == "end" and events.count("end") == 1
    assert "progress" in events
    assert seen_progress[-1] == 1
    assert any(0 < p < 1 for p in seen_progress)
