"""Triton's statistics and model repository extensions, through tritonclient against the real
`sparrow serve`: counts and times that move with each request, and load/unload through the cache."""
import os
import sys

import numpy as np
import pytest
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

sys.path.insert(0, os.path.dirname(__file__))
import service_util as su  # noqa: E402


@pytest.fixture(scope="module")
def server():
    with su.Server() as s:
        assert s.upload_model("mlp", su.mlp(sizes=(32, 16, 8)).SerializeToString()).status_code == 201
        s.client = httpclient.InferenceServerClient("127.0.0.1:%d" % s.port)
        yield s


def infer(server, version="", x=None):
    t = httpclient.InferInput("x", [1, 32], "FP32")
    t.set_data_from_numpy(np.zeros((1, 32), np.float32) if x is None else x)
    return server.client.infer("mlp", [t], model_version=version)


def test_server_metadata_names_the_extensions(server):
    extensions = server.client.get_server_metadata()["extensions"]
    assert {"statistics", "model_repository", "binary_tensor_data", "model_configuration"} <= set(extensions)


def test_statistics_count_and_time_each_request(server):
    import time
    before = server.client.get_inference_statistics("mlp", "1")["model_stats"][0]
    t0 = int(time.time() * 1000)
    for _ in range(3):
        infer(server, "1")
    t1 = int(time.time() * 1000) + 1
    wrong_shape = {"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 5], "data": [0] * 5}]}
    assert server.post("/v2/models/mlp/versions/1/infer", json=wrong_shape).status_code == 400  # a failed request
    after = server.client.get_inference_statistics("mlp", "1")["model_stats"][0]
    assert (after["name"], after["version"]) == ("mlp", "1")
    assert after["inference_count"] - before["inference_count"] == 3
    assert after["execution_count"] - before["execution_count"] == 3
    stats, old = after["inference_stats"], before["inference_stats"]
    assert stats["success"]["count"] - old["success"]["count"] == 3
    assert stats["fail"]["count"] - old["fail"]["count"] == 1
    # The phases add up to no more than the whole, and each took some time.
    for phase in ("compute_input", "compute_infer", "compute_output"):
        assert stats[phase]["count"] == stats["success"]["count"] and stats[phase]["ns"] > 0
    assert sum(stats[p]["ns"] for p in ("compute_input", "compute_infer", "compute_output")) <= stats["success"]["ns"]
    assert stats["queue"] == {"count": 0, "ns": 0}
    assert after["batch_stats"][0]["batch_size"] == 1
    assert t0 <= after["last_inference"] <= t1, (t0, after["last_inference"], t1)


def test_statistics_for_all_models_list_every_version(server):
    mid = server.get("/v1/models").json()["items"][0]["id"]
    job = server.post("/v1/models/%s/compress" % mid, json={"min_params": 16}).json()["id"]
    assert server.wait_job(job)["status"] == "succeeded"
    v1 = server.client.get_inference_statistics("mlp", "1")["model_stats"][0]["execution_count"]
    infer(server)  # no version: the newest, 2
    every = server.client.get_inference_statistics()["model_stats"]
    assert [(m["name"], m["version"]) for m in every] == [("mlp", "1"), ("mlp", "2")]
    assert every[0]["execution_count"] == v1 and every[1]["execution_count"] == 1
    assert [m["version"] for m in server.client.get_inference_statistics("mlp")["model_stats"]] == ["1", "2"]
    with pytest.raises(InferenceServerException, match="unknown model"):
        server.client.get_inference_statistics("nope")


def test_repository_index_load_and_unload(server):
    server.client.unload_model("mlp")
    index = server.client.get_model_repository_index()
    assert {e["state"] for e in index} == {"UNAVAILABLE"} and len(index) == 2
    assert index[0] == {"name": "mlp", "version": "1", "state": "UNAVAILABLE",
                        "reason": "not loaded yet: loads on its first request"}
    infer(server, "1")  # the reason's promise: a request loads it again
    assert [e["state"] for e in server.client.get_model_repository_index()] == ["READY", "UNAVAILABLE"]
    server.client.unload_model("mlp")
    assert server.post("/v2/repository/index", json={"ready": True}).json() == []
    server.client.load_model("mlp")  # the newest version, 2
    assert [e["state"] for e in server.client.get_model_repository_index()] == ["UNAVAILABLE", "READY"]
    assert server.client.is_model_ready("mlp")
    # Sparrow's models come from uploads: a config or files override is refused, as is an unknown model.
    with pytest.raises(InferenceServerException, match="not supported"):
        server.client.load_model("mlp", config='{"backend": "onnxruntime"}')
    with pytest.raises(InferenceServerException, match="unknown model"):
        server.client.load_model("nope")
    r = server.post("/v2/repository/index", data=b"[1]")
    assert r.status_code == 400 and "JSON object" in r.json()["error"]


def test_with_api_keys_loading_and_unloading_need_one():
    with su.Server(args=["--api-key", "k3y"]) as s:
        assert s.upload_model("mlp", su.mlp(sizes=(32, 16, 8)).SerializeToString(),
                              headers={"Authorization": "Bearer k3y"}).status_code == 201
        for action in ("load", "unload"):
            assert s.post("/v2/repository/models/mlp/" + action).status_code == 401
            assert s.post("/v2/repository/models/mlp/" + action, headers={"Authorization": "Bearer k3y"}).status_code == 200
        # Reading the index and the statistics stays open, as model metadata does without --auth-inference.
        assert s.post("/v2/repository/index").status_code == 200
        assert s.get("/v2/models/stats").status_code == 200
