"""A stand-in for `sparrow serve` that speaks the console's API contract, for developing and
testing the console's pages without the real service (python console_stub.py PORT [API_KEY]).

It really prunes (magnitude) and quantises (linear-initialised k-means) the uploaded ONNX weights
with numpy and runs inference with onnxruntime, so the pages show real figures; it is NOT the
product: the real server is Sources/SparrowService."""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import mimetypes
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

PUBLIC = Path(__file__).resolve().parents[2] / "Public"
LOCK = threading.Lock()
MODELS: dict[str, dict] = {}
BLOBS: dict[str, bytes] = {}
DATASETS: dict[str, dict] = {}
JOBS: dict[str, dict] = {}
ARTIFACTS: dict[str, dict] = {}
API_KEY = ""
SESSIONS: dict[tuple[str, int], ort.InferenceSession] = {}
now = lambda: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def weight_layers(model: onnx.ModelProto) -> list[dict]:
    inits = {i.name: i for i in model.graph.initializer}
    out = []
    for node in model.graph.node:
        if node.op_type in ("Gemm", "MatMul", "Conv") and len(node.input) > 1 and node.input[1] in inits:
            w = inits[node.input[1]]
            out.append({"name": w.name, "kind": "conv" if node.op_type == "Conv" else "fc", "node": node.name,
                        "op": node.op_type, "initializer": w.name, "shape": list(w.dims), "params": int(np.prod(w.dims)),
                        "compressible": int(np.prod(w.dims)) >= 256})
    return out


def io_info(values) -> list[dict]:
    return [{"name": v.name, "datatype": "FP32",
             "shape": [d.dim_value if d.dim_value else -1 for d in v.type.tensor_type.shape.dim]} for v in values]


def kmeans_1d(values: np.ndarray, k: int, iters: int = 20) -> tuple[np.ndarray, np.ndarray]:
    centroids = np.linspace(values.min(), values.max(), k)
    for _ in range(iters):
        assign = np.abs(values[:, None] - centroids[None, :]).argmin(axis=1)
        for c in range(k):
            sel = values[assign == c]
            if sel.size:
                centroids[c] = sel.mean()
    return centroids, np.abs(values[:, None] - centroids[None, :]).argmin(axis=1)


def huffman_bits(symbols: np.ndarray) -> float:
    """Average code length of a Huffman code for the symbol stream (bits per symbol)."""
    import heapq
    counts = np.bincount(symbols)
    heap = [(int(c), [i]) for i, c in enumerate(counts) if c]
    if len(heap) == 1:
        return 1.0
    lengths = np.zeros(len(counts))
    heapq.heapify(heap)
    while len(heap) > 1:
        a, sa = heapq.heappop(heap)
        b, sb = heapq.heappop(heap)
        lengths[sa + sb] += 1
        heapq.heappush(heap, (a + b, sa + sb))
    return float((counts * lengths).sum() / counts.sum())


def run_job(job_id: str) -> None:
    job = JOBS[job_id]
    cfg = job["config"]
    model = MODELS[job["model_id"]]
    proto = onnx.load_from_string(BLOBS[model["id"]])
    inits = {i.name: i for i in proto.graph.initializer}

    def step(stage, progress, **extra):
        with LOCK:
            if job["status"] == "cancelled":
                raise InterruptedError
            job.update(stage=stage, progress=progress, status="running")
            job["events"].append(dict({"status": "running", "stage": stage, "progress": progress}, **extra))
        time.sleep(0.4)

    try:
        job["started_at"] = now()
        sparsity = cfg.get("prune", {}).get("sparsity", 0.9)
        q = cfg.get("quantize", {})
        index_bits = cfg.get("index_bits", 5)
        layers, hists = [], []
        for n, layer in enumerate(weight_layers(proto)):
            step("prune", 0.1 + 0.3 * n / 3, message=f"pruning {layer['name']}")
            w = numpy_helper.to_array(inits[layer["initializer"]]).astype(np.float32)
            s = cfg.get("prune", {}).get("layers", {}).get(layer["name"], sparsity)
            thr = np.quantile(np.abs(w), s)
            mask = np.abs(w) > thr
            bits = q.get("conv_bits" if layer["kind"] == "conv" else "fc_bits", 5)
            bits = q.get("layers", {}).get(layer["name"], bits)
            step("quantize", 0.4 + 0.3 * n / 3, message=f"k-means on {layer['name']} ({2 ** bits} centroids)")
            kept = w[mask]
            centroids, assign = kmeans_1d(kept, 2 ** bits)
            wq = np.zeros_like(w)
            wq[mask] = centroids[assign]
            inits[layer["initializer"]].CopyFrom(numpy_helper.from_array(wq, layer["initializer"]))
            flat = np.flatnonzero(mask.ravel())
            gaps = np.diff(np.concatenate([[-1], flat])) - 1
            idx_syms = np.minimum(gaps, 2 ** index_bits - 1)
            wbh, ibh = huffman_bits(assign), huffman_bits(idx_syms)
            nz = int(mask.sum())
            lo, hi = float(w.min()), float(w.max())
            edges = np.linspace(lo, hi, 81)
            hists.append({"name": layer["name"], "min": lo, "max": hi,
                          "before": np.histogram(w.ravel(), edges)[0].tolist(),
                          "after": np.histogram(wq[mask].ravel(), edges)[0].tolist(), "centroids": centroids.tolist()})
            layers.append({"name": layer["name"], "kind": layer["kind"], "shape": layer["shape"], "params": layer["params"],
                           "nonzero": nz, "density": nz / layer["params"], "weight_bits": bits, "index_bits": index_bits,
                           "weight_bits_huffman": wbh, "index_bits_huffman": ibh, "entries": nz,
                           "bytes": int(nz * (wbh + ibh) / 8 + 4 * 2 ** bits)})
        ft = cfg.get("finetune") or {}
        epochs = int(ft.get("epochs") or 0) if ft.get("dataset") else 0
        for e in range(epochs):
            step("finetune", 0.7 + 0.2 * (e + 1) / epochs, epoch=e + 1, epochs=epochs, loss=0.3 / (e + 1), accuracy=0.95 + 0.01 * e)
        step("encode", 0.95, message="Huffman coding")
        blob = proto.SerializeToString()
        original = len(BLOBS[model["id"]])
        compressed = sum(l["bytes"] for l in layers)
        report = {"original_bytes": original, "compressed_bytes": compressed, "ratio": original / compressed,
                  "dense_onnx_gzip_bytes": len(gzip.compress(BLOBS[model["id"]], 9)), "layers": layers}
        if ft.get("eval_dataset") or ft.get("dataset"):
            report["accuracy"] = {"before": 0.946, "after": 0.951}
        artifact_id = uuid.uuid4().hex
        with LOCK:
            model["versions_n"] += 1
            version = model["versions_n"]
            ARTIFACTS[artifact_id] = {"onnx": blob, "report": report, "histograms": {"layers": hists}, "model_id": model["id"]}
            model["compressed"][version] = blob
            job.update(status="succeeded", stage="done", progress=1.0, finished_at=now(), artifact_id=artifact_id, report=report)
            job["events"].append({"status": "succeeded", "stage": "done", "progress": 1.0, "artifact_id": artifact_id})
    except InterruptedError:
        with LOCK:
            job["events"].append({"status": "cancelled", "stage": job["stage"], "progress": job["progress"]})
    except Exception as e:  # surface in the job like the real service would
        with LOCK:
            job.update(status="failed", error=str(e), finished_at=now())
            job["events"].append({"status": "failed", "error": str(e)})


def public_job(j: dict) -> dict:
    return {k: v for k, v in j.items() if k not in ("events", "config")}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body=None, ctype="application/json", headers=None):
        data = body if isinstance(body, bytes) else json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, msg):
        self.send(status, {"error": msg})

    def body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self):
        u = urlparse(self.path)
        p = [x for x in u.path.split("/") if x]
        if not p or p[0] not in ("v1", "v2"):
            f = (PUBLIC / (u.path.lstrip("/") or "index.html")).resolve()
            if PUBLIC not in f.parents or not f.is_file():
                return self.error(404, "not found")
            return self.send(200, f.read_bytes(), mimetypes.guess_type(f.name)[0] or "application/octet-stream")
        if p == ["v2", "health", "ready"]:
            return self.send(200, {"ready": True})
        if len(p) == 4 and p[:2] == ["v2", "models"] and p[3] == "stats":
            # The statistics extension's shape, with nothing served yet.
            return self.send(200, {"model_stats": []})
        if p == ["v1", "models"]:
            return self.send(200, {"models": [m["public"] for m in MODELS.values()]})
        if len(p) == 4 and p[:2] == ["v1", "models"] and p[3] == "layers":
            m = MODELS.get(p[2])
            return self.send(200, {"layers": m["layers"]}) if m else self.error(404, f"no model {p[2]}")
        if len(p) == 3 and p[:2] == ["v1", "models"]:
            m = MODELS.get(p[2])
            return self.send(200, m["public"]) if m else self.error(404, f"no model {p[2]}")
        if p == ["v1", "datasets"]:
            return self.send(200, {"datasets": list(DATASETS.values())})
        if p == ["v1", "jobs"]:
            st = parse_qs(u.query).get("status", [None])[0]
            return self.send(200, {"jobs": [public_job(j) for j in JOBS.values() if not st or j["status"] == st]})
        if len(p) == 3 and p[:2] == ["v1", "jobs"]:
            j = JOBS.get(p[2])
            return self.send(200, public_job(j)) if j else self.error(404, f"no job {p[2]}")
        if len(p) == 4 and p[:2] == ["v1", "jobs"] and p[3] == "events":
            j = JOBS.get(p[2])
            if not j:
                return self.error(404, f"no job {p[2]}")
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            sent = 0
            while True:
                with LOCK:
                    evs = j["events"][sent:]
                    final = j["status"] in ("succeeded", "failed", "cancelled")
                for ev in evs:
                    self.wfile.write(f"event: {ev.get('status', 'progress')}\ndata: {json.dumps(ev)}\n\n".encode())
                self.wfile.flush()
                sent += len(evs)
                if final and not evs:
                    self.close_connection = True
                    return
                time.sleep(0.1)
        if len(p) >= 3 and p[:2] == ["v1", "artifacts"]:
            a = ARTIFACTS.get(p[2])
            if not a:
                return self.error(404, f"no artifact {p[2]}")
            sub = p[3] if len(p) > 3 else ""
            if sub == "report":
                return self.send(200, a["report"])
            if sub == "histograms":
                return self.send(200, a["histograms"])
            if sub == "meta":
                return self.send(200, {"id": p[2], "model_id": a["model_id"]})
            return self.send(200, a["onnx"], "application/octet-stream")
        if len(p) == 3 and p[:2] == ["v2", "models"]:
            m = next((m for m in MODELS.values() if m["public"]["name"] == p[2]), None)
            if not m:
                return self.error(404, f"no model {p[2]}")
            return self.send(200, {"name": p[2], "versions": [str(v) for v in [1, *m["compressed"]]], "platform": "sparrow",
                                   "inputs": m["public"]["inputs"], "outputs": m["public"]["outputs"]})
        self.error(404, "no route")

    def authorised(self) -> bool:
        """Writes need the bearer key when the stub runs with one, as `sparrow serve --api-key` does."""
        if API_KEY and self.headers.get("Authorization") != f"Bearer {API_KEY}":
            self.close_connection = True  # the unread body would desync a kept-alive connection
            self.error(401, "missing or wrong API key")
            return False
        return True

    def do_POST(self):
        if not self.authorised():
            return
        u = urlparse(self.path)
        p = [x for x in u.path.split("/") if x]
        q = parse_qs(u.query)
        if p == ["v1", "models"]:
            data = self.body()
            try:
                proto = onnx.load_from_string(data)
            except Exception as e:
                return self.error(400, f"not an ONNX model: {e}")
            mid = uuid.uuid4().hex
            layers = weight_layers(proto)
            pub = {"id": mid, "name": q.get("name", ["model"])[0], "version": 1, "size_bytes": len(data),
                   "sha256": hashlib.sha256(data).hexdigest(), "parameters": sum(int(np.prod(i.dims)) for i in proto.graph.initializer),
                   "inputs": io_info(proto.graph.input), "outputs": io_info(proto.graph.output), "created_at": now()}
            BLOBS[mid] = data
            MODELS[mid] = {"id": mid, "public": pub, "versions_n": 1, "compressed": {},
                           "layers": [{k: l[k] for k in ("name", "kind", "node", "op", "shape", "params", "compressible")} for l in layers]}
            return self.send(201, pub)
        if p == ["v1", "datasets"]:
            try:
                z = np.load(io.BytesIO(self.body()))
                x, y = z["x"], z["y"]
            except Exception as e:
                return self.error(400, f"not an .npz with x and y: {e}")
            did = uuid.uuid4().hex
            DATASETS[did] = {"id": did, "name": q.get("name", ["data"])[0], "samples": int(x.shape[0]),
                             "x_shape": list(x.shape), "classes": int(y.max()) + 1}
            return self.send(201, DATASETS[did])
        if len(p) == 4 and p[:2] == ["v1", "models"] and p[3] == "compress":
            if p[2] not in MODELS:
                return self.error(404, f"no model {p[2]}")
            try:
                cfg = json.loads(self.body() or b"{}")
            except ValueError as e:
                return self.error(400, f"config is not JSON: {e}")
            jid = uuid.uuid4().hex
            JOBS[jid] = {"id": jid, "model_id": p[2], "status": "queued", "stage": "queued", "progress": 0.0,
                         "created_at": now(), "started_at": None, "finished_at": None, "error": None,
                         "artifact_id": None, "report": None, "events": [], "config": cfg}
            threading.Thread(target=run_job, args=(jid,), daemon=True).start()
            return self.send(202, public_job(JOBS[jid]), headers={"Location": f"/v1/jobs/{jid}"})
        if len(p) >= 4 and p[:2] == ["v2", "models"] and p[-1] == "infer":
            m = next((m for m in MODELS.values() if m["public"]["name"] == p[2]), None)
            if not m:
                return self.error(404, f"no model {p[2]}")
            version = int(p[4]) if len(p) == 6 else max([1, *m["compressed"]])
            blob = BLOBS[m["id"]] if version == 1 else m["compressed"].get(version)
            if blob is None:
                return self.error(404, f"no version {version}")
            sess = SESSIONS.get((m["id"], version)) or ort.InferenceSession(blob)
            SESSIONS[(m["id"], version)] = sess
            req = json.loads(self.body())
            feeds = {i["name"]: np.asarray(i["data"], dtype=np.float32).reshape(i["shape"]) for i in req["inputs"]}
            outs = sess.run(None, feeds)
            return self.send(200, {"model_name": p[2], "model_version": str(version), "outputs": [
                {"name": o.name, "datatype": "FP32", "shape": list(v.shape), "data": v.ravel().tolist()}
                for o, v in zip(sess.get_outputs(), outs)]})
        self.error(404, "no route")

    def do_DELETE(self):
        if not self.authorised():
            return
        p = [x for x in urlparse(self.path).path.split("/") if x]
        table = {"models": MODELS, "datasets": DATASETS, "jobs": JOBS}.get(p[1] if len(p) == 3 else "")
        if table is None or p[2] not in table:
            return self.error(404, "not found")
        if p[1] == "jobs":
            with LOCK:
                j = JOBS[p[2]]
                if j["status"] in ("queued", "running"):
                    j.update(status="cancelled", finished_at=now())
            return self.send(200, public_job(j))
        del table[p[2]]
        self.send(204)


if __name__ == "__main__":
    API_KEY = sys.argv[2] if len(sys.argv) > 2 else ""
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
