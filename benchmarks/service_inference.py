#!/usr/bin/env python3
"""Inference throughput of `sparrow serve` over loopback: requests/s and p99 latency with 64
connections (wrk), on LeNet-300-100 — version 1 (the uploaded dense ONNX, dense runtime + BLAS)
against version 2 (its Deep Compression artifact on the sparse engine), with JSON tensors against
Triton binary tensors. Batch 1, the edge-server case. Anchor: version 1 with JSON.

    SPARROW_BIN=.build/release/sparrow .venv/bin/python benchmarks/service_inference.py [--seconds 10]

Needs wrk (apt-get install wrk). Writes docs/benchmarks/service.md.
"""
import argparse
import json
import os
import re
import struct
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Tests", "python"))
import service_util as su  # noqa: E402

LUA = """
wrk.method = "POST"
local f = io.open("{body}", "rb")
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "{ctype}"
{extra}
"""


def wrk(url, body_path, ctype, extra, seconds, connections, threads):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA.format(body=body_path, ctype=ctype, extra=extra))
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", "%ds" % seconds, "--latency",
                          "--timeout", "10s", "-s", script.name, url], capture_output=True, text=True, timeout=seconds + 60).stdout
    os.unlink(script.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def ms(label):
        m = re.search(r"%s\s+([\d.]+)(us|ms|s)\b" % label, out)
        v = float(m.group(1))
        return v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, ms("50%"), ms("99%"), int(errors.group(1)) if errors else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--sparsity", type=float, default=0.92)
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "benchmarks", "service.md"))
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="sparrow-bench-")
    x = np.random.default_rng(0).random((1, 784), dtype=np.float32)
    json_body = os.path.join(work, "json.body")
    with open(json_body, "w") as f:
        json.dump({"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 784], "data": x.flatten().tolist()}]}, f)
    header = json.dumps({"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 784],
                                     "parameters": {"binary_data_size": 784 * 4}}],
                         "parameters": {"binary_data_output": True}}).encode()
    bin_body = os.path.join(work, "bin.body")
    with open(bin_body, "wb") as f:
        f.write(header + x.tobytes())

    rows = []
    with su.Server(args=["--workers", "1"]) as server:
        server.upload_model("lenet", su.mlp().SerializeToString()).raise_for_status()
        mid = server.get("/v1/models").json()["items"][0]["id"]
        job = server.post("/v1/models/%s/compress" % mid, data=json.dumps({"prune": {"sparsity": args.sparsity}})).json()
        job = server.wait_job(job["id"])
        assert job["status"] == "succeeded", job
        ratio = job["report"]["ratio"]
        for version, label in (("1", "dense ONNX (v1)"), ("2", "sparse artifact (v2)")):
            url = server.url + "/v2/models/lenet/versions/%s/infer" % version
            for kind, path, ctype, extra in (
                    ("JSON", json_body, "application/json", ""),
                    ("binary", bin_body, "application/octet-stream",
                     'wrk.headers["Inference-Header-Content-Length"] = "%d"' % len(header))):
                server.post(url.replace(server.url, ""), data=open(path, "rb").read(),
                            headers={"Inference-Header-Content-Length": str(len(header))} if kind == "binary" else {}).raise_for_status()
                rps, p50, p99, errors = wrk(url, path, ctype, extra, args.seconds, args.connections, args.threads)
                rows.append((label, kind, rps, p50, p99, errors))
                print(label, kind, "%.0f req/s  p50 %.2f ms  p99 %.2f ms  errors %d" % (rps, p50, p99, errors), flush=True)

    anchor = rows[0][2]
    lines = [
        "# Service inference benchmark",
        "",
        "`benchmarks/service_inference.py`: `sparrow serve` on loopback, wrk with %d connections and %d threads for %d s"
        " per row, batch-1 requests to LeNet-300-100 (784-300-100-10, random weights). Version 1 is the uploaded dense"
        " ONNX (dense runtime, BLAS); version 2 is its data-free Deep Compression artifact (%.0f%% pruned, 5-bit"
        " codebooks, ratio %.1fx) on the sparse engine. JSON rows send `data` arrays and get JSON back; binary rows use"
        " Triton's binary tensor extension both ways. Anchor: dense v1 with JSON. The load generator shares the"
        " machine's %d cores with the server, so absolute figures are a floor." % (
            args.connections, args.threads, args.seconds, args.sparsity * 100, ratio, os.cpu_count()),
        "",
        "| version | tensors | requests/s | × anchor | p50 ms | p99 ms | non-2xx |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, kind, rps, p50, p99, errors in rows:
        lines.append("| %s | %s | %.0f | %.2f | %.2f | %.2f | %d |" % (label, kind, rps, rps / anchor, p50, p99, errors))
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote", args.out)


if __name__ == "__main__":
    main()
