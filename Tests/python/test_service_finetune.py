"""A compression job with fine-tuning on an uploaded dataset (SparrowTraining behind the service)."""
import io
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import service_util as su  # noqa: E402


def toy_problem(server, samples, seed):
    """Uploads a learnable 16-feature, 4-class data set and an MLP for it: (x, dataset, model id)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((samples, 16)).astype(np.float32)
    y = np.argmax(x @ rng.standard_normal((16, 4)), axis=1)
    buf = io.BytesIO()
    np.savez(buf, x=x, y=y)
    ds = server.post("/v1/datasets", params={"name": "toy"}, data=buf.getvalue(),
                     headers={"Content-Type": "application/octet-stream"}).json()
    mid = server.upload_model("toy", su.mlp(sizes=(16, 64, 4)).SerializeToString()).json()["id"]
    return x, ds, mid


def test_finetune_job_uses_the_uploaded_dataset():
    with su.Server(args=["--workers", "1"]) as s:
        x, ds, mid = toy_problem(s, 512, seed=0)
        bad = s.post("/v1/models/%s/compress" % mid, data=json.dumps({"finetune": {"epochs": 1}}))
        assert bad.status_code == 400 and "dataset" in bad.json()["error"]
        config = {"prune": {"sparsity": 0.5}, "min_params": 16,
                  "finetune": {"dataset": ds["id"], "eval_dataset": ds["id"], "epochs": 3, "learning_rate": 0.05}}
        r = s.post("/v1/models/%s/compress" % mid, data=json.dumps(config))
        assert r.status_code == 202, r.text
        job = s.wait_job(r.json()["id"], timeout=120)
        assert job["status"] == "succeeded", job
        accuracy = job["report"]["accuracy"]
        assert accuracy["after"] > 0.5, accuracy  # well above chance (0.25) after retraining
        out = s.post("/v2/models/toy/infer", json={"inputs": [{"name": "x", "datatype": "FP32", "shape": [4, 16],
                                                                "data": x[:4].tolist()}]}).json()
        assert out["model_version"] == "2" and out["outputs"][0]["shape"] == [4, 4]
        # An evaluation set alone: data-free compression, accuracy measured before and after.
        only_eval = {"prune": {"sparsity": 0.5}, "min_params": 16, "finetune": {"eval_dataset": ds["id"]}}
        r = s.post("/v1/models/%s/compress" % mid, data=json.dumps(only_eval))
        assert r.status_code == 202, r.text
        job = s.wait_job(r.json()["id"], timeout=120)
        accuracy = job["report"]["accuracy"]
        assert job["status"] == "succeeded" and set(accuracy) == {"before", "after"}, job
        assert 0 <= accuracy["before"] <= 1 and 0 <= accuracy["after"] <= 1, accuracy
        for extra in ({"epochs": 2}, {"learning_rate": 0.5}, {"schedule": "gradual"}):
            without_data = {"finetune": dict({"eval_dataset": ds["id"]}, **extra)}
            r = s.post("/v1/models/%s/compress" % mid, data=json.dumps(without_data))
            assert r.status_code == 400 and "fine-tuning needs an uploaded dataset id" in r.json()["error"], (extra, r.text)
        # A dataset a pending job uses cannot be deleted; afterwards it can.
        assert s.delete("/v1/datasets/" + ds["id"]).status_code == 204


def test_a_retraining_job_streams_its_epochs():
    with su.Server(args=["--workers", "1"]) as s:
        _, ds, mid = toy_problem(s, 2048, seed=1)
        config = {"prune": {"sparsity": 0.5}, "min_params": 16, "finetune": {"dataset": ds["id"], "epochs": 6}}
        # The first job holds the only worker, so the second is still queued when its stream opens.
        first = s.post("/v1/models/%s/compress" % mid, data=json.dumps(config)).json()["id"]
        second = s.post("/v1/models/%s/compress" % mid, data=json.dumps(config)).json()["id"]
        events = []
        with s.get("/v1/jobs/%s/events" % second, stream=True, timeout=120) as r:
            for line in r.iter_lines(decode_unicode=True):
                if line.startswith("data:"):
                    events.append(json.loads(line[5:]))
                    if events[-1]["status"] in ("succeeded", "failed", "cancelled"):
                        break
        assert events[-1]["status"] == "succeeded", events[-1]
        epochs = [e for e in events if "epoch" in e]
        assert epochs, [e["stage"] for e in events]
        for e in epochs:
            assert e["status"] == "running" and 1 <= e["epoch"] <= e["epochs"]
            assert e["loss"] > 0 and 0 <= e["accuracy"] <= 1
        # Six epochs: four of pruning and retraining, then two of centroid fine-tuning, in order.
        by_stage = {}
        for e in epochs:
            by_stage.setdefault(e["stage"], []).append((e["epoch"], e["epochs"]))
        assert sorted(n for seen in by_stage.values() for _, n in seen[:1]) == [2, 4], by_stage
        for seen in by_stage.values():
            assert [epoch for epoch, _ in seen] == sorted(set(epoch for epoch, _ in seen)), by_stage
        # Stages past the retraining carry no epoch, and neither does the finished job.
        assert "epoch" not in events[-1] and "epoch" not in s.get("/v1/jobs/" + first).json()
