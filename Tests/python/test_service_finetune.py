"""A compression job with fine-tuning on an uploaded dataset (SparrowTraining behind the service)."""
import io
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import service_util as su  # noqa: E402


def test_finetune_job_uses_the_uploaded_dataset():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((512, 16)).astype(np.float32)
    y = np.argmax(x @ rng.standard_normal((16, 4)), axis=1)
    buf = io.BytesIO()
    np.savez(buf, x=x, y=y)
    with su.Server(args=["--workers", "1"]) as s:
        ds = s.post("/v1/datasets", params={"name": "toy"}, data=buf.getvalue(),
                    headers={"Content-Type": "application/octet-stream"}).json()
        mid = s.upload_model("toy", su.mlp(sizes=(16, 64, 4)).SerializeToString()).json()["id"]
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
        # A dataset a pending job uses cannot be deleted; afterwards it can.
        assert s.delete("/v1/datasets/" + ds["id"]).status_code == 204
