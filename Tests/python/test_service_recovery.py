"""Crash safety: SIGKILL in the middle of a job and of an upload, then restart on the same data
directory; SIGTERM re-queues a running job."""
import os
import socket
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import service_util as su  # noqa: E402

BIG = su.mlp(sizes=(512,) * 33).SerializeToString()


def wait_running(server, job_id, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if server.get("/v1/jobs/" + job_id).json()["status"] == "running":
            return
        time.sleep(0.02)
    raise AssertionError("job never ran")


def running_big_job(server):
    """Uploads BIG, starts its compression and returns the job id once it runs."""
    mid = server.upload_model("big", BIG).json()["id"]
    job = server.post("/v1/models/%s/compress" % mid, data="{}").json()["id"]
    wait_running(server, job)
    return job


def stored_files(data_dir):
    blobs = os.path.join(data_dir, "blobs")
    return sorted(f for d in os.listdir(blobs) if d != "tmp" for f in os.listdir(os.path.join(blobs, d)))


def test_sigkill_during_a_job_requeues_it_and_it_finishes_after_restart():
    with tempfile.TemporaryDirectory() as data:
        first = su.Server(data_dir=data, args=["--workers", "1"]).start()
        try:
            mid = first.upload_model("big", BIG).json()["id"]
            job = first.post("/v1/models/%s/compress" % mid, data="{}").json()["id"]
            queued = first.post("/v1/models/%s/compress" % mid, data='{"prune": {"sparsity": 0.8}}').json()["id"]
            wait_running(first, job)
            time.sleep(0.3)
        finally:
            first.kill()
        second = su.Server(data_dir=data, args=["--workers", "1"]).start()
        try:
            done = second.wait_job(job)
            assert done["status"] == "succeeded" and done["attempts"] == 2, done
            assert second.wait_job(queued)["status"] == "succeeded"
            art = second.get("/v1/artifacts/" + done["artifact_id"])
            assert art.status_code == 200 and art.content[:4] == b"SPRW"
            assert second.get("/v2/models/big").json()["versions"] == ["1", "2", "3"]
            assert os.listdir(os.path.join(data, "blobs", "tmp")) == []
        finally:
            second.cleanup()


def test_sigkill_during_an_upload_keeps_accepted_files_and_drops_the_partial_one():
    with tempfile.TemporaryDirectory() as data:
        first = su.Server(data_dir=data).start()
        small = su.mlp(sizes=(16, 8)).SerializeToString()
        try:
            assert first.upload_model("kept", small).status_code == 201
            before = stored_files(data)
            sock = socket.create_connection(("127.0.0.1", first.port), timeout=10)
            sock.sendall(b"POST /v1/models?name=partial HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
                         b"Content-Length: %d\r\n\r\n" % len(BIG))
            sock.sendall(BIG[: len(BIG) // 2])
            time.sleep(0.5)
        finally:
            first.kill()
            sock.close()
        second = su.Server(data_dir=data).start()
        try:
            names = [m["name"] for m in second.get("/v1/models").json()["items"]]
            assert names == ["kept"]
            assert stored_files(data) == before
            assert os.listdir(os.path.join(data, "blobs", "tmp")) == []
            assert os.listdir(os.path.join(data, "spool")) == []
            r = second.post("/v2/models/kept/infer", json={"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 16],
                                                                       "data": np.zeros(16).tolist()}]})
            assert r.status_code == 200
        finally:
            second.cleanup()


def test_sigterm_requeues_a_running_job():
    with tempfile.TemporaryDirectory() as data:
        first = su.Server(data_dir=data, args=["--workers", "1"]).start()
        try:
            job = running_big_job(first)
        finally:
            first.stop()
        assert first.proc.returncode == 0
        second = su.Server(data_dir=data, args=["--workers", "1"]).start()
        try:
            done = second.wait_job(job)
            assert done["status"] == "succeeded", done
            assert done["attempts"] == 1  # a graceful stop does not count as an attempt
        finally:
            second.cleanup()


def test_sigterm_ends_open_event_streams_at_once():
    import signal
    import threading
    with tempfile.TemporaryDirectory() as data:
        server = su.Server(data_dir=data, args=["--workers", "1"]).start()
        try:
            job = running_big_job(server)
            events, ended = [], threading.Event()

            def follow():
                with server.get("/v1/jobs/%s/events" % job, stream=True, timeout=60) as r:
                    name = None
                    for line in r.iter_lines(decode_unicode=True):
                        if line.startswith("event:"):
                            name = line[6:].strip()
                            events.append(name)
                ended.set()

            reader = threading.Thread(target=follow, daemon=True)
            reader.start()
            deadline = time.time() + 10
            while not events and time.time() < deadline:
                time.sleep(0.02)
            started = time.time()
            server.proc.send_signal(signal.SIGTERM)
            assert ended.wait(timeout=5), "the stream held the shutdown"
            server.proc.wait(timeout=10)
            # Ten seconds is the shutdown deadline an open stream used to run into.
            assert time.time() - started < 5
            assert events[-1] == "shutdown", events
        finally:
            server.cleanup()


def test_a_second_server_waits_for_the_data_directory():
    with tempfile.TemporaryDirectory() as data:
        first = su.Server(data_dir=data, args=["--workers", "1"]).start()
        try:
            job = running_big_job(first)
            # Started while the first still runs: it must not open the catalog (and take the
            # running job for a crashed one) until the first has let go.
            second = su.Server(data_dir=data, args=["--workers", "1"])
            import threading
            starting = threading.Thread(target=second.start, kwargs={"timeout": 60})
            starting.start()
            deadline = time.time() + 10
            log = os.path.join(data, "server.log")
            while "waiting for the data directory" not in open(log).read() and time.time() < deadline:
                time.sleep(0.05)
            assert "waiting for the data directory" in open(log).read()
            assert second.port is None and second.proc.poll() is None
            first.stop()
            starting.join(timeout=60)
            assert second.port is not None
            done = second.wait_job(job)
            assert done["status"] == "succeeded" and done["attempts"] == 1, done
            second.cleanup()
        finally:
            first.cleanup()


def test_many_open_event_streams_neither_starve_requests_nor_hold_the_shutdown():
    import signal
    import threading
    with tempfile.TemporaryDirectory() as data:
        server = su.Server(data_dir=data, args=["--workers", "1"]).start()
        try:
            running = running_big_job(server)
            mid = server.get("/v1/models").json()["items"][0]["id"]
            queued = server.post("/v1/models/%s/compress" % mid, data="{}").json()["id"]
            streams, lasts, opened = [], [], []

            def follow(job):
                names = []
                with server.get("/v1/jobs/%s/events" % job, stream=True, timeout=60) as r:
                    for line in r.iter_lines(decode_unicode=True):
                        if line.startswith("event:"):
                            if not names:
                                opened.append(job)
                            names.append(line[6:].strip())
                lasts.append(names[-1] if names else None)

            for i in range(12):
                t = threading.Thread(target=follow, args=(queued if i % 2 else running,), daemon=True)
                t.start()
                streams.append(t)
            deadline = time.time() + 10
            while len(opened) < 12 and time.time() < deadline:
                time.sleep(0.02)
            assert len(opened) == 12, "not every stream sent its first event"
            # Each stream's producer blocks waiting for news; other requests must not wait behind them
            # (twelve blocked producers on Dispatch's pool held /healthz for seconds).
            started = time.time()
            for _ in range(5):
                assert server.get("/healthz", timeout=5).status_code == 200
            assert time.time() - started < 2.0
            started = time.time()
            server.proc.send_signal(signal.SIGTERM)
            for t in streams:
                t.join(timeout=8)
            server.proc.wait(timeout=10)
            assert time.time() - started < 5
            assert lasts == ["shutdown"] * 12, lasts
        finally:
            server.cleanup()
