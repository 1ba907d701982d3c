#!/usr/bin/env python3
"""Compression benchmarks (docs/benchmarks/compression.md).

    .venv/bin/python benchmarks/compression.py speed|lenet|alexnet|vgg|all

Random-weight models are written to $SPARROW_BENCH_DIR (default /tmp/sparrow-bench), never committed.
Needs the release binary (SPARROW_BIN, default .build/release/sparrow).
"""
import json
import os
import re
import subprocess
import sys
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "Tests", "python"))
from compression_util import mlp_model, sparrow_bin  # noqa: E402

OUT = os.environ.get("SPARROW_BENCH_DIR", "/tmp/sparrow-bench")


def sh(*args):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, check=True)


def layers_model(layers, seed=0):
    """One node per layer, each reading its own input: only the shapes matter for compression."""
    rng = np.random.default_rng(seed)
    nodes, inits, inputs, outputs = [], [], [], []
    for name, op, shape in layers:
        w = rng.standard_normal(shape, dtype=np.float32) * np.float32(0.01)
        inits.append(numpy_helper.from_array(w, f"{name}.weight"))
        if op == "Conv":
            inputs.append(helper.make_tensor_value_info(f"{name}.x", TensorProto.FLOAT, [1, shape[1], 32, 32]))
        else:
            inputs.append(helper.make_tensor_value_info(f"{name}.x", TensorProto.FLOAT, [1, shape[0]]))
        outputs.append(helper.make_tensor_value_info(f"{name}.y", TensorProto.FLOAT, None))
        nodes.append(helper.make_node(op, [f"{name}.x", f"{name}.weight"], [f"{name}.y"], name=name))
    graph = helper.make_graph(nodes, "bench", inputs, outputs, inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def compress(model_path, name, config, extra=()):
    art = os.path.join(OUT, f"{name}.sparrow")
    cfg = os.path.join(OUT, f"{name}.json")
    rep = os.path.join(OUT, f"{name}.report.json")
    with open(cfg, "w") as f:
        json.dump(config, f)
    t = time.time()
    out = sh("/usr/bin/time", "-v", sparrow_bin(), "compress", model_path, "-o", art, "--config", cfg, "--report", rep, *extra)
    wall = time.time() - t
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", out.stderr).group(1)) * 1024
    with open(rep) as f:
        report = json.load(f)
    return report, out.stdout, wall, rss, art


def layer_table(report, paper=None):
    rows = ["| layer | kind | weights | kept | bits P+Q (w/i) | bits P+Q+H (w/i) | bytes | rate |" + (" paper kept |" if paper else ""),
            "|---|---|---:|---:|---:|---:|---:|---:|" + ("---:|" if paper else "")]
    for l in report["layers"]:
        rate = 4 * l["params"] / l["bytes"]
        h = f'{l["weight_bits_huffman"]:.2f}/{l["index_bits_huffman"]:.2f}' if l["weight_bits_huffman"] is not None else "-"
        row = (f'| {l["name"]} | {l["kind"]} | {l["params"]:,} | {100 * l["density"]:.1f}% | {l["weight_bits"]}/{l["index_bits"]} '
               f'| {h} | {l["bytes"]:,} | {rate:.1f}× |')
        if paper:
            row += f' {paper.get(l["name"], "")} |'
        rows.append(row)
    return "\n".join(rows)


def speed():
    print("## One 4096×4096 fc layer, 90% sparsity, 5-bit codebook, 5-bit indices (one core)\n")
    print("```")
    print(sh(sparrow_bin(), "bench-layer").stdout.rstrip())
    print("```\n")


def lenet():
    model = mlp_model([784, 300, 100, 10], seed=0)
    path = os.path.join(OUT, "lenet300.onnx")
    onnx.save(model, path)
    # The paper's LeNet-300-100 row of Table 1/2: 8%, 9%, 26% kept, 6-bit weights, 5-bit indices.
    config = {"prune": {"layers": {"fc1.weight": 0.92, "fc2.weight": 0.91, "fc3.weight": 0.74}},
              "quantize": {"fc_bits": 6}, "index_bits": 5}
    report, table, wall, rss, art = compress(path, "lenet300", config)
    print("## LeNet-300-100 (random weights), paper densities, 6-bit weights, 5-bit indices\n")
    print(layer_table(report, {"fc1.weight": "8%", "fc2.weight": "9%", "fc3.weight": "26%"}))
    print(f"\nWhole artifact: {report['compressed_bytes']:,} B from {report['original_bytes']:,} B "
          f"= **{report['ratio']:.1f}×** (paper, trained LeNet-300-100: 1070 KB → 27 KB, 40×). "
          f"Dense ONNX with gzip -9: {report['dense_onnx_gzip_bytes']:,} B "
          f"({report['original_bytes'] / report['dense_onnx_gzip_bytes']:.2f}×).\n")
    auto, _, _, _, _ = compress(path, "lenet300-auto", {**config, "index_bits": "auto"})
    print(f"With `index_bits: \"auto\"`: {auto['compressed_bytes']:,} B ({auto['ratio']:.1f}×), "
          f"widths {[l['index_bits'] for l in auto['layers']]}.\n")


ALEXNET = [("conv1", "Conv", (96, 3, 11, 11)), ("conv2", "Conv", (256, 48, 5, 5)), ("conv3", "Conv", (384, 256, 3, 3)),
           ("conv4", "Conv", (384, 192, 3, 3)), ("conv5", "Conv", (256, 192, 3, 3)),
           ("fc6", "Gemm", (9216, 4096)), ("fc7", "Gemm", (4096, 4096)), ("fc8", "Gemm", (4096, 1000))]
ALEXNET_KEPT = {"conv1": 0.84, "conv2": 0.38, "conv3": 0.35, "conv4": 0.37, "conv5": 0.37, "fc6": 0.09, "fc7": 0.09, "fc8": 0.25}


def alexnet():
    path = os.path.join(OUT, "alexnet-shapes.onnx")
    if not os.path.exists(path):
        onnx.save(layers_model(ALEXNET, seed=1), path)
    config = {"prune": {"layers": {f"{n}.weight": round(1 - k, 4) for n, k in ALEXNET_KEPT.items()}},
              "quantize": {"fc_bits": 5, "conv_bits": 8}, "index_bits": 4, "min_params": 0}
    report, _, wall, rss, _ = compress(path, "alexnet", config, ["--no-gzip"])
    print("## AlexNet layer shapes, random weights, the paper's densities, 8-bit conv / 5-bit fc, 4-bit indices\n")
    print(layer_table(report, {f"{n}.weight": f"{100 * k:.0f}%" for n, k in ALEXNET_KEPT.items()}))
    mb = report["compressed_bytes"] / 1e6
    print(f"\nArtifact: **{mb:.2f} MB**, {report['ratio']:.1f}× smaller than the {report['original_bytes'] / 1e6:.1f} MB "
          f"of float32 weights; the paper's trained AlexNet: **6.9 MB, 35×**. Compress wall time {wall:.1f} s, "
          f"peak RSS {rss / 2**20:.0f} MiB (ONNX file {os.path.getsize(path) / 2**20:.0f} MiB).\n")


VGG16 = ([(f"conv{i}", "Conv", s) for i, s in enumerate([
    (64, 3, 3, 3), (64, 64, 3, 3), (128, 64, 3, 3), (128, 128, 3, 3), (256, 128, 3, 3), (256, 256, 3, 3), (256, 256, 3, 3),
    (512, 256, 3, 3), (512, 512, 3, 3), (512, 512, 3, 3), (512, 512, 3, 3), (512, 512, 3, 3), (512, 512, 3, 3)], start=1)]
    + [("fc6", "Gemm", (25088, 4096)), ("fc7", "Gemm", (4096, 4096)), ("fc8", "Gemm", (4096, 1000))])


def vgg():
    path = os.path.join(OUT, "vgg16-shapes.onnx")
    if not os.path.exists(path):
        onnx.save(layers_model(VGG16, seed=2), path)
    size = os.path.getsize(path)
    report, _, wall, rss, _ = compress(path, "vgg16", {}, ["--no-gzip", "--quiet"])
    params = sum(l["params"] for l in report["layers"])
    print("## VGG-16-sized model (random weights), data-free, default config (90% sparsity, 5/8 bits, 5-bit indices)\n")
    print("| ONNX file | weights | artifact | ratio | wall time | peak RSS | RSS / file |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {size / 2**20:.0f} MiB | {params / 1e6:.1f} M | {report['compressed_bytes'] / 2**20:.1f} MiB | {report['ratio']:.1f}× "
          f"| {wall:.1f} s | {rss / 2**20:.0f} MiB | {rss / size:.2f}× |\n")
    print("Targets: < 2 min on 2 cores, peak RSS < 3× the model file.\n")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    which = sys.argv[1:] or ["all"]
    for name, fn in [("speed", speed), ("lenet", lenet), ("alexnet", alexnet), ("vgg", vgg)]:
        if name in which or "all" in which:
            fn()
