#!/usr/bin/env python
"""Randomized differential fuzzer: Sparrow (dense runtime + sparse engine) vs onnxruntime.

Usage:  python Tests/python/oracle_fuzz.py [--seed S] [--n N] [--family NAME[,NAME]] [--keep DIR] [--verbose]
        python Tests/python/oracle_fuzz.py --replay SEED:FAMILY:INDEX    (re-generate and run one case)

Every case is generated from random.Random(f"{seed}:{family}:{index}") so any case is reproducible
alone. Failures are written to WORK/fail_<family>_<index>/ (model, inputs, outputs, log).
"""
import argparse
import json
import os
import pathlib
import random
import shutil
import subprocess
import sys
import traceback

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

SPARROW = os.environ.get("SPARROW_BIN", os.path.abspath(".build/release/sparrow"))
WORK = pathlib.Path(os.environ.get("FUZZ_WORK", "/tmp/sparrow-oracle-fuzz"))
FLOAT, INT64 = TensorProto.FLOAT, TensorProto.INT64
IR = {9: 4, 10: 5, 11: 6, 12: 7, 13: 7, 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9, 20: 9, 21: 10}
RTOL = 1e-4


class Skip(Exception):
    pass


def mk_model(nodes, inputs, outputs, inits=(), opset=13):
    vi = lambda n, t, s: helper.make_tensor_value_info(n, t, s)
    g = helper.make_graph(nodes, "fuzz", [vi(*i) for i in inputs], [vi(*o) for o in outputs],
                          initializer=[numpy_helper.from_array(np.asarray(v), k) for k, v in inits])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], ir_version=IR[opset],
                             producer_name="fuzz")


def N(op, ins, outs, **attrs):
    return helper.make_node(op, ins, outs, name=f"{op}_{outs[0]}", **attrs)


def i64(v):
    return np.asarray(v, dtype=np.int64)


class G:
    """Per-case random helpers."""

    def __init__(self, r):
        self.r = r
        self.np = np.random.default_rng(r.getrandbits(32))

    def f(self, *shape, kind=None):
        kind = kind or self.r.choice(["normal", "normal", "sparse", "wide", "int"])
        x = self.np.standard_normal(shape).astype(np.float32)
        if kind == "sparse":
            x = np.where(self.np.random(shape) < 0.7, 0, np.abs(x)).astype(np.float32)
        elif kind == "wide":
            x = (x * 30).astype(np.float32)
        elif kind == "int":
            x = np.round(x * 3).astype(np.float32)
        elif kind == "zero":
            x = np.zeros(shape, np.float32)
        return np.asarray(x, np.float32)

    def dims(self, rank, lo=1, hi=5):
        return [self.r.randint(lo, hi) for _ in range(rank)]


# ----------------------------------------------------------------------------------------------
# Dense-op generators: each returns (model, feeds, note)

def gen_gemm(g):
    r = g.r
    opset = r.choice([9, 11, 13])
    M, K, Nn = r.randint(1, 9), r.randint(1, 9), r.randint(1, 9)
    tA, tB = r.randint(0, 1), r.randint(0, 1)
    alpha = r.choice([1.0, 1.0, 0.5, -2.0, 0.0, 3.25])
    beta = r.choice([1.0, 1.0, 0.0, -1.5, 2.0])
    cshape = r.choice([None, [Nn], [1], [M, 1], [M, Nn], [1, Nn], [], [1, 1]])
    if opset < 11 and cshape is None:
        cshape = [Nn]
    a_shape = [K, M] if tA else [M, K]
    b_shape = [Nn, K] if tB else [K, Nn]
    ins, inits, feeds = [], [], {}
    a_dyn = [None if (not tA and r.random() < 0.5) else a_shape[0], a_shape[1]]
    ins.append(("a", FLOAT, a_dyn))
    feeds["a"] = g.f(*a_shape)
    if r.random() < 0.7:
        inits.append(("b", g.f(*b_shape)))
    else:
        ins.append(("b", FLOAT, b_shape)); feeds["b"] = g.f(*b_shape)
    names = ["a", "b"]
    if cshape is not None:
        names.append("c")
        if r.random() < 0.7:
            inits.append(("c", g.f(*cshape)))
        else:
            ins.append(("c", FLOAT, cshape)); feeds["c"] = g.f(*cshape)
    attrs = {}
    if tA: attrs["transA"] = 1
    if tB: attrs["transB"] = 1
    if alpha != 1.0 or r.random() < 0.2: attrs["alpha"] = alpha
    if beta != 1.0 or r.random() < 0.2: attrs["beta"] = beta
    m = mk_model([N("Gemm", names, ["y"], **attrs)], ins, [("y", FLOAT, None)], inits, opset)
    return m, feeds


def bcast_shapes(g, max_rank=4):
    """Two broadcast-compatible shapes."""
    r = g.r
    rank = r.randint(0, max_rank)
    out = g.dims(rank, 1, 4)
    def derive():
        k = r.randint(0, rank)
        s = out[rank - k:]
        return [1 if r.random() < 0.3 else d for d in s]
    return derive(), derive()


def gen_matmul(g):
    r = g.r
    K = r.randint(1, 7)
    ra, rb = r.choice([1, 2, 2, 3, 4]), r.choice([1, 2, 2, 3, 4])
    M, Nn = r.randint(1, 6), r.randint(1, 6)
    ba, bb = bcast_shapes(g, 2)
    ba = ba[-max(ra - 2, 0):] if ra > 2 else []
    bb = bb[-max(rb - 2, 0):] if rb > 2 else []
    # pad batch ranks to ra-2 / rb-2
    while len(ba) < max(ra - 2, 0): ba = [1] + ba
    while len(bb) < max(rb - 2, 0): bb = [1] + bb
    a_shape = [K] if ra == 1 else ba + [M, K]
    b_shape = [K] if rb == 1 else bb + [K, Nn]
    ins, inits, feeds = [], [], {}
    ins.append(("a", FLOAT, a_shape)); feeds["a"] = g.f(*a_shape)
    if r.random() < 0.5:
        inits.append(("b", g.f(*b_shape)))
    else:
        ins.append(("b", FLOAT, b_shape)); feeds["b"] = g.f(*b_shape)
    if r.random() < 0.2 and "b" in feeds:  # swap: constant A
        pass
    opset = r.choice([9, 13])
    m = mk_model([N("MatMul", ["a", "b"], ["y"])], ins, [("y", FLOAT, None)], inits, opset)
    return m, feeds


def conv_geometry(g, spatial, allow_auto=True):
    r = g.r
    ks = [r.randint(1, 4) for _ in range(spatial)]
    st = [r.randint(1, 3) for _ in range(spatial)]
    dl = [r.choice([1, 1, 2, 3]) for _ in range(spatial)]
    attrs = {}
    auto = r.choice(["NOTSET"] * 3 + (["SAME_UPPER", "SAME_LOWER", "VALID"] if allow_auto else []))
    if auto != "NOTSET":
        attrs["auto_pad"] = auto
    else:
        if r.random() < 0.7:
            attrs["pads"] = [r.randint(0, 3) for _ in range(2 * spatial)]
    if auto.startswith("SAME"):
        dl = [1] * spatial  # ORT refuses SAME_* with dilations
    if any(s != 1 for s in st) or r.random() < 0.3: attrs["strides"] = st
    if any(d != 1 for d in dl) or r.random() < 0.3: attrs["dilations"] = dl
    return ks, st, dl, attrs


def gen_conv(g):
    r = g.r
    spatial = r.choice([1, 2, 2])
    ks, st, dl, attrs = conv_geometry(g, spatial)
    if attrs.get("auto_pad", "NOTSET").startswith("SAME") and any(d != 1 for d in dl):
        # ORT's SAME with dilation follows the spec; keep it
        pass
    grp = r.choice([1, 1, 2, 3, "dw"])
    if grp == "dw":
        C = r.randint(1, 5); grp = C; M = C * r.choice([1, 2])
    else:
        C = grp * r.randint(1, 3); M = grp * r.randint(1, 3)
    Nb = r.choice([1, 1, 2, 3])
    pads = attrs.get("pads", [0] * 2 * spatial)
    xs = []
    for i in range(spatial):
        need = dl[i] * (ks[i] - 1) + 1 - pads[i] - pads[i + spatial]
        xs.append(max(need, 1) + r.randint(0, 6))
    x_shape = [Nb, C] + xs
    w_shape = [M, C // grp] + ks
    if grp != 1: attrs["group"] = grp
    if r.random() < 0.7: attrs["kernel_shape"] = ks
    bias = r.random() < 0.6
    inits = [("w", g.f(*w_shape))] + ([("b", g.f(M))] if bias else [])
    opset = r.choice([9, 11, 13, 21])
    dyn = [None if r.random() < 0.5 else Nb] + x_shape[1:]
    m = mk_model([N("Conv", ["x", "w"] + (["b"] if bias else []), ["y"], **attrs)],
                 [("x", FLOAT, dyn)], [("y", FLOAT, None)], inits, opset)
    return m, {"x": g.f(*x_shape)}


def gen_pool(g):
    r = g.r
    op = r.choice(["MaxPool", "AveragePool", "MaxPool", "AveragePool", "GlobalAveragePool"])
    spatial = r.choice([1, 2, 2])
    Nb, C = r.choice([1, 2, 3]), r.randint(1, 4)
    if op == "GlobalAveragePool":
        x_shape = [Nb, C] + g.dims(spatial, 1, 6)
        m = mk_model([N(op, ["x"], ["y"])], [("x", FLOAT, x_shape)], [("y", FLOAT, None)], opset=r.choice([9, 13]))
        return m, {"x": g.f(*x_shape)}
    opset = r.choice([10, 11, 12, 13, 19])
    ks = [r.randint(1, 4) for _ in range(spatial)]
    attrs = {"kernel_shape": ks}
    st = [r.randint(1, 3) for _ in range(spatial)]
    if r.random() < 0.8: attrs["strides"] = st
    else: st = [1] * spatial
    dl = [1] * spatial
    if (op == "MaxPool" or opset >= 19) and r.random() < 0.4:
        dl = [r.randint(1, 3) for _ in range(spatial)]; attrs["dilations"] = dl
    auto = r.choice(["NOTSET"] * 3 + ["SAME_UPPER", "SAME_LOWER", "VALID"])
    pads = [0] * 2 * spatial
    if auto != "NOTSET":
        attrs["auto_pad"] = auto
    elif r.random() < 0.7:
        pads = [r.randint(0, ks[i % spatial] - 1) for i in range(2 * spatial)]  # pad < kernel
        attrs["pads"] = pads
    if auto.startswith("SAME") and "dilations" in attrs and not os.environ.get("FUZZ_POOL_SAME_DILATION"):
        # onnxruntime sizes SAME_* pools from the undilated kernel (Sparrow follows the spec): not comparable
        dl = [1] * spatial; del attrs["dilations"]
    if r.random() < 0.4 and not (auto == "VALID" and not os.environ.get("FUZZ_POOL_VALID_CEIL")):
        # VALID + ceil_mode: onnxruntime applies ceil_mode, the spec's VALID formula (and onnx.reference)
        # do not; Sparrow follows the spec. Enable with FUZZ_POOL_VALID_CEIL=1.
        attrs["ceil_mode"] = 1
    if op == "AveragePool" and r.random() < 0.5: attrs["count_include_pad"] = 1
    xs = []
    for i in range(spatial):
        need = dl[i] * (ks[i] - 1) + 1 - pads[i] - pads[i + spatial]
        xs.append(max(need, 1) + r.randint(0, 6))
    x_shape = [Nb, C] + xs
    m = mk_model([N(op, ["x"], ["y"], **attrs)], [("x", FLOAT, x_shape)], [("y", FLOAT, None)], opset=opset)
    return m, {"x": g.f(*x_shape)}


def gen_bn(g):
    r = g.r
    rank = r.choice([2, 3, 4])
    shp = g.dims(rank, 1, 5)
    C = shp[1]
    opset = r.choice([9, 14, 15])
    attrs = {}
    if r.random() < 0.5: attrs["epsilon"] = r.choice([1e-5, 1e-3, 0.1])
    if r.random() < 0.3: attrs["momentum"] = 0.8
    inits = [("s", g.f(C)), ("b", g.f(C)), ("m", g.f(C)), ("v", np.abs(g.f(C, kind="normal")) + 0.1)]
    m = mk_model([N("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], **attrs)],
                 [("x", FLOAT, shp)], [("y", FLOAT, None)], inits, opset)
    return m, {"x": g.f(*shp)}


def gen_unary(g):
    r = g.r
    op = r.choice(["Relu", "LeakyRelu", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Clip", "Identity",
                   "Dropout", "LRN", "Softmax", "Clip"])
    rank = r.randint(1, 4) if op != "LRN" else r.choice([3, 4])
    shp = g.dims(rank, 1, 5)
    x = g.f(*shp)
    if r.random() < 0.2:
        x = (x * 100).astype(np.float32)
    attrs, ins, inits, opset = {}, ["x"], [], r.choice([9, 11, 12, 13, 21])
    if op == "LeakyRelu" and r.random() < 0.8:
        attrs["alpha"] = r.choice([0.01, 0.2, -0.5, 1.5, 0.0])
    elif op in ("Softmax", "LogSoftmax"):
        if r.random() < 0.8:
            attrs["axis"] = r.randint(-rank, rank - 1)
        elif opset < 13 and rank < 2:
            attrs["axis"] = 0
    elif op == "Clip":
        lo, hi = sorted([float(np.float32(r.uniform(-2, 2))) for _ in range(2)])
        if r.random() < 0.1: lo, hi = hi, lo  # min > max: ORT gives all = max
        if opset < 11:
            if r.random() < 0.8: attrs["min"] = lo
            if r.random() < 0.8: attrs["max"] = hi
        else:
            mode = r.choice(["both", "min", "max", "none", "both_in"])
            if mode in ("both", "min"):
                ins.append("lo"); inits.append(("lo", np.array(lo, np.float32)))
            if mode in ("both", "max"):
                if len(ins) == 1: ins.append("")
                ins.append("hi"); inits.append(("hi", np.array(hi, np.float32)))
            if mode == "both_in":
                ins += ["lo", "hi"]
    elif op == "Dropout":
        if opset < 12:
            if r.random() < 0.5: attrs["ratio"] = 0.3
        else:
            if r.random() < 0.5:
                ins.append("ratio"); inits.append(("ratio", np.array(0.4, np.float32)))
                if r.random() < 0.5:
                    ins.append("tm"); inits.append(("tm", np.array(False)))
            if r.random() < 0.3: attrs["seed"] = 3
    elif op == "LRN":
        attrs["size"] = r.choice([1, 2, 3, 4, 5])
        if r.random() < 0.7: attrs["alpha"] = r.choice([1e-4, 1e-2, 0.5])
        if r.random() < 0.7: attrs["beta"] = r.choice([0.75, 0.5, 1.0])
        if r.random() < 0.7: attrs["bias"] = r.choice([1.0, 2.0, 0.5])
    if opset < 11 and op in ("Softmax", "LogSoftmax") and "axis" in attrs and attrs["axis"] < 0 and opset < 11:
        pass
    nodes = [N(op, ins, ["y"], **attrs)]
    feeds = {"x": x}
    inputs = [("x", FLOAT, shp)]
    if op == "Clip" and "both_in" == (ins[1:] == ["lo", "hi"] and not inits and "both_in"):
        inputs += [("lo", FLOAT, []), ("hi", FLOAT, [])]
        lo, hi = sorted([np.float32(r.uniform(-2, 2)) for _ in range(2)])
        feeds["lo"], feeds["hi"] = np.array(lo, np.float32), np.array(hi, np.float32)
    outs = [("y", FLOAT, None)]
    if op == "Dropout" and r.random() < 0.3:
        nodes = [N(op, ins, ["y", "mask"], **attrs)]
        if opset >= 12:  # mask is bool; cast to int64 for output comparison
            nodes.append(N("Cast", ["mask"], ["mi"], to=INT64))
            outs.append(("mi", INT64, None))
    return mk_model(nodes, inputs, outs, inits, opset), feeds


def gen_binary(g):
    r = g.r
    op = r.choice(["Add", "Sub", "Mul", "Div"])
    sa, sb = bcast_shapes(g)
    ty = r.choice([FLOAT, FLOAT, FLOAT, INT64])
    def val(s):
        if ty == FLOAT:
            v = g.f(*s)
            return np.asarray(v, np.float32)
        v = g.np.integers(-20, 21, size=s).astype(np.int64)
        return np.asarray(v)
    a, b = val(sa), val(sb)
    if op == "Div":
        if ty == INT64:
            b = np.where(b == 0, 3, b).astype(np.int64)
        else:
            b = np.where(np.abs(b) < 0.1, 1.5, b).astype(np.float32)
    ins, inits, feeds = [], [], {}
    for name, v, s in (("a", a, sa), ("b", b, sb)):
        if r.random() < 0.3:
            inits.append((name, v))
        else:
            ins.append((name, ty, s)); feeds[name] = v
    if not feeds:
        ins.append(("z", ty, [])); feeds["z"] = val([]) * 0 + (1 if ty == INT64 else np.float32(1))
        nodes = [N(op, ["a", "b"], ["t"]), N("Mul", ["t", "z"], ["y"])]
    else:
        nodes = [N(op, ["a", "b"], ["y"])]
        if r.random() < 0.3:  # chain to exercise in-place reuse
            nodes = [N(op, ["a", "b"], ["t"]), N(r.choice(["Add", "Sub", "Mul"]), ["t", "a"], ["y"])]
    return mk_model(nodes, ins, [("y", ty, None)], inits, r.choice([9, 13, 14])), feeds


def gen_shape(g):
    r = g.r
    kind = r.choice(["reshape", "flatten", "transpose", "concat", "gather", "slice", "squeeze", "unsqueeze",
                     "reducemean", "pad", "shape", "cast", "argmax", "cos", "constant"])
    rank = r.randint(1, 4)
    shp = g.dims(rank, 1, 5)
    x = g.f(*shp)
    ty = FLOAT
    if r.random() < 0.15 and kind in ("reshape", "flatten", "transpose", "concat", "gather", "slice", "squeeze",
                                      "unsqueeze", "pad"):
        ty = INT64
        x = g.np.integers(-50, 50, size=shp).astype(np.int64)
    inputs = [("x", ty, shp)]
    feeds = {"x": x}
    inits, opset, out_ty = [], 13, ty
    if kind == "reshape":
        total = int(np.prod(shp))
        # random factorisation of total
        new = []
        rem = total
        for _ in range(r.randint(0, 3)):
            divs = [d for d in range(1, rem + 1) if rem % d == 0]
            d = r.choice(divs); new.append(d); rem //= d
        new.append(rem)
        r.shuffle(new)
        # use 0 where equal to input dim at same position; -1 once
        spec = list(new)
        for i in range(len(spec)):
            if i < len(shp) and spec[i] == shp[i] and r.random() < 0.5: spec[i] = 0
        cand = [i for i in range(len(spec)) if spec[i] != 0]
        if cand and r.random() < 0.6: spec[r.choice(cand)] = -1
        opset = r.choice([5, 13, 14, 19]) if False else r.choice([9, 13, 14, 19])
        nodes = [N("Reshape", ["x", "s"], ["y"])]
        inits.append(("s", i64(spec)))
    elif kind == "flatten":
        opset = r.choice([9, 11, 13])
        lo = -rank if opset >= 11 else 0
        ax = r.randint(lo, rank)
        nodes = [N("Flatten", ["x"], ["y"], axis=ax)]
    elif kind == "transpose":
        perm = list(range(rank)); r.shuffle(perm)
        nodes = [N("Transpose", ["x"], ["y"], **({"perm": perm} if r.random() < 0.8 else {}))]
    elif kind == "concat":
        ax = r.randint(-rank, rank - 1) if r.random() < 0.5 else r.randint(0, rank - 1)
        opset = r.choice([11, 13]) if ax < 0 else r.choice([9, 13])
        names = ["x"]
        for j in range(r.randint(1, 3)):
            s2 = list(shp); s2[ax % rank] = r.randint(0, 3) if r.random() < 0.2 else r.randint(1, 3)
            v = g.f(*s2) if ty == FLOAT else g.np.integers(-5, 5, size=s2).astype(np.int64)
            nm = f"c{j}"
            if r.random() < 0.5: inits.append((nm, v))
            else: inputs.append((nm, ty, s2)); feeds[nm] = v
            names.append(nm)
        r.shuffle(names)
        nodes = [N("Concat", names, ["y"], axis=ax)]
    elif kind == "gather":
        ax = r.randint(-rank, rank - 1)
        d = shp[ax % rank]
        irank = r.randint(0, 2)
        idx = g.np.integers(-d, d, size=g.dims(irank, 1, 3)).astype(np.int64)
        opset = r.choice([11, 13]) if (ax < 0 or idx.min(initial=0) < 0) else r.choice([9, 13])
        if r.random() < 0.5:
            inits.append(("i", idx))
        else:
            inputs.append(("i", INT64, list(idx.shape))); feeds["i"] = idx
        nodes = [N("Gather", ["x", "i"], ["y"], axis=ax)]
    elif kind == "slice":
        k = r.randint(1, rank)
        axes = r.sample(range(rank), k)
        use_neg_axes = r.random() < 0.3
        starts, ends, steps = [], [], []
        for a in axes:
            d = shp[a]
            st = r.choice([1, 1, 1, 2, 3, -1, -2])
            s = r.randint(-d - 2, d + 2); e = r.randint(-d - 2, d + 2)
            if r.random() < 0.1: e = r.choice([2**63 - 1, -2**63])
            starts.append(s); ends.append(e); steps.append(st)
        ax_out = [a - rank if use_neg_axes else a for a in axes]
        opset = r.choice([9, 10, 11, 13])
        if opset == 9:
            steps = None
            nodes = [N("Slice", ["x"], ["y"], starts=starts, ends=[min(max(e, -2**62), 2**62) for e in ends],
                       **({"axes": [a for a in axes]} if r.random() < 0.8 or k != rank else {}))]
        else:
            if opset == 10: ax_out = axes
            nm = ["x", "st", "en"]
            inits += [("st", i64(starts)), ("en", i64(ends))]
            if r.random() < 0.9 or steps != [1] * k:
                nm.append("ax"); inits.append(("ax", i64(ax_out)))
                if any(s != 1 for s in steps) or r.random() < 0.5:
                    nm.append("sp"); inits.append(("sp", i64(steps)))
            else:
                pass
            if len(nm) == 3 and k != rank:
                nm.append("ax"); inits.append(("ax", i64(ax_out)))
            # feed starts as a graph input sometimes (runtime path)
            nodes = [N("Slice", nm, ["y"])]
    elif kind == "squeeze":
        ones = [i for i, d in enumerate(shp) if d == 1]
        if not ones:
            shp[r.randrange(rank)] = 1
            x = g.f(*shp) if ty == FLOAT else g.np.integers(-50, 50, size=shp).astype(np.int64)
            feeds["x"] = x; inputs = [("x", ty, shp)]
            ones = [i for i, d in enumerate(shp) if d == 1]
        axes = r.sample(ones, r.randint(1, len(ones)))
        axes = [a - rank if r.random() < 0.3 else a for a in axes]
        opset = r.choice([9, 11, 13, 21])
        if opset == 9: axes = [a % rank for a in axes]
        if r.random() < 0.2:
            nodes = [N("Squeeze", ["x"], ["y"])]
        elif opset < 13:
            nodes = [N("Squeeze", ["x"], ["y"], axes=axes)]
        else:
            nodes = [N("Squeeze", ["x", "a"], ["y"])]; inits.append(("a", i64(axes)))
    elif kind == "unsqueeze":
        k = r.randint(1, 3)
        outr = rank + k
        axes = r.sample(range(outr), k)
        axes = [a - outr if r.random() < 0.3 else a for a in axes]
        opset = r.choice([9, 11, 13, 21])
        if opset == 9: axes = [a % outr for a in axes]
        if opset < 13:
            nodes = [N("Unsqueeze", ["x"], ["y"], axes=axes)]
        else:
            nodes = [N("Unsqueeze", ["x", "a"], ["y"])]; inits.append(("a", i64(axes)))
    elif kind == "reducemean":
        opset = r.choice([11, 13, 18, 21])
        attrs = {}
        if r.random() < 0.5: attrs["keepdims"] = r.randint(0, 1)
        axes = None
        if r.random() < 0.8:
            axes = r.sample(range(rank), r.randint(1, rank))
            axes = [a - rank if r.random() < 0.3 else a for a in axes]
        if opset < 18:
            if axes is not None: attrs["axes"] = axes
            nodes = [N("ReduceMean", ["x"], ["y"], **attrs)]
        else:
            if r.random() < 0.3: attrs["noop_with_empty_axes"] = r.randint(0, 1)
            if axes is None:
                if r.random() < 0.5:
                    nodes = [N("ReduceMean", ["x", "a"], ["y"], **attrs)]; inits.append(("a", i64([]).reshape(0)))
                else:
                    nodes = [N("ReduceMean", ["x"], ["y"], **attrs)]
            else:
                nodes = [N("ReduceMean", ["x", "a"], ["y"], **attrs)]; inits.append(("a", i64(axes)))
    elif kind == "pad":
        mode = r.choice(["constant", "constant", "reflect", "edge"])
        opset = r.choice([9, 11, 13, 18, 19, 21])
        axes = list(range(rank))
        use_axes = opset >= 18 and r.random() < 0.5
        if use_axes:
            axes = r.sample(range(rank), r.randint(1, rank))
        pads_b, pads_e = [], []
        for a in axes:
            d = shp[a]
            if mode == "reflect":
                lo = -(d - 1) if r.random() < 0.2 else 0
                pads_b.append(r.randint(max(lo, -(d - 1)), d - 1)); pads_e.append(r.randint(0, d - 1))
            else:
                pads_b.append(r.randint(-(d - 1) if r.random() < 0.2 else 0, 3)); pads_e.append(r.randint(0, 3))
        if mode == "edge" or mode == "reflect":
            pass
        attrs = {"mode": mode} if (mode != "constant" or r.random() < 0.3) else {}
        cv = float(r.choice([0.0, 1.5, -2.0]))
        if opset < 11:
            attrs["pads"] = pads_b + pads_e
            if mode == "constant" and r.random() < 0.6: attrs["value"] = cv
            nodes = [N("Pad", ["x"], ["y"], **attrs)]
        else:
            nm = ["x", "p"]
            inits.append(("p", i64(pads_b + pads_e)))
            if mode == "constant" and r.random() < 0.6 or use_axes:
                if mode == "constant" and r.random() < 0.8:
                    nm.append("v"); inits.append(("v", np.array(cv if ty == FLOAT else int(cv), np.float32 if ty == FLOAT else np.int64)))
                else:
                    nm.append("")
            if use_axes:
                nm.append("ax"); inits.append(("ax", i64([a - rank if r.random() < 0.3 else a for a in axes])))
            nodes = [N("Pad", nm, ["y"], **attrs)]
        if mode == "reflect" and ty == INT64:
            pass
    elif kind == "shape":
        opset = r.choice([13, 15, 19, 21])
        attrs = {}
        if opset >= 15:
            if r.random() < 0.5: attrs["start"] = r.randint(-rank - 1, rank + 1)
            if r.random() < 0.5: attrs["end"] = r.randint(-rank - 1, rank + 1)
        # Shape -> Cast float -> Add to ReduceMean? just output shape and a chain
        nodes = [N("Shape", ["x"], ["y"], **attrs)]
        out_ty = INT64
        if r.random() < 0.5:
            inputs = [("x", FLOAT, [None] + shp[1:])]
    elif kind == "cast":
        to = r.choice([FLOAT, INT64, TensorProto.DOUBLE, TensorProto.INT32, TensorProto.BOOL, TensorProto.FLOAT16,
                       TensorProto.BFLOAT16, TensorProto.UINT8, TensorProto.INT8, TensorProto.INT16, TensorProto.UINT16])
        # Magnitudes past the narrow types' ranges too: int8/int16 wrap, float16 overflows to inf.
        x = (x * r.choice([5, 400, 1e5])).astype(np.float32)
        if to in (TensorProto.UINT8, TensorProto.UINT16):  # float → unsigned of a negative value is UB in C++
            x = np.abs(x)
        feeds["x"] = x
        nodes = [N("Cast", ["x"], ["c"], to=to), N("Cast", ["c"], ["y"], to=r.choice([FLOAT, INT64]))]
        out_ty = nodes[1].attribute[0].i
        if to == TensorProto.FLOAT16 and out_ty == INT64:
            pass
    elif kind == "argmax":
        ax = r.randint(-rank, rank - 1)
        attrs = {"axis": ax}
        if r.random() < 0.5: attrs["keepdims"] = r.randint(0, 1)
        opset = r.choice([11, 12, 13])
        if opset >= 12 and r.random() < 0.5: attrs["select_last_index"] = 1
        if r.random() < 0.5:
            x = np.round(x).astype(np.float32); feeds["x"] = x
        nodes = [N("ArgMax", ["x"], ["y"], **attrs)]
        out_ty = INT64
    elif kind == "cos":
        opset = r.choice([9, 13, 20])
        val = r.choice([None, ("f", 0.5), ("i", 7)])
        attrs = {}
        if val:
            attrs["value"] = numpy_helper.from_array(np.array([val[1]], np.float32 if val[0] == "f" else np.int64))
        nodes = [N("Shape", ["x"], ["s"]), N("ConstantOfShape", ["s"], ["y"], **attrs)]
        out_ty = INT64 if (val and val[0] == "i") else FLOAT
    elif kind == "constant":
        opset = r.choice([11, 13, 21])
        c = r.choice(["value", "value_float", "value_floats", "value_int", "value_ints"])
        if c == "value":
            cv = g.f(*shp); a = {"value": numpy_helper.from_array(cv)}; cty = FLOAT
        elif c == "value_float":
            a = {"value_float": 2.5}; cty = FLOAT
        elif c == "value_floats":
            a = {"value_floats": [float(v) for v in g.f(shp[-1])]}; cty = FLOAT
        elif c == "value_int":
            a = {"value_int": -3}; cty = INT64
        else:
            a = {"value_ints": [int(v) for v in g.np.integers(-9, 9, size=shp[-1])]}; cty = INT64
        if cty == INT64:
            nodes = [helper.make_node("Constant", [], ["k"], name="k", **a), N("Cast", ["x"], ["xi"], to=INT64),
                     N("Add", ["xi", "k"], ["y"])]
            feeds["x"] = np.round(x * 4).astype(np.float32); out_ty = INT64
        else:
            nodes = [helper.make_node("Constant", [], ["k"], name="k", **a), N("Mul", ["x", "k"], ["y"])]
    m = mk_model(nodes, inputs, [("y", out_ty, None)], inits, opset)
    return m, feeds


def gen_chain(g):
    """Small CNN/MLP-like chains, with dynamic batch, plus constant-folded initializer subgraphs."""
    r = g.r
    B = r.choice([1, 2, 3, 5])
    nodes, inits = [], []
    if r.random() < 0.5:
        C, H, W = r.randint(1, 3), r.randint(5, 10), r.randint(5, 10)
        M = r.randint(1, 4)
        nodes.append(N("Conv", ["x", "w1", "b1"], ["c1"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]))
        inits += [("w1", g.f(M, C, 3, 3, kind="normal")), ("b1", g.f(M, kind="normal"))]
        nodes.append(N(r.choice(["Relu", "Tanh", "Sigmoid"]), ["c1"], ["a1"]))
        nodes.append(N(r.choice(["MaxPool", "AveragePool"]), ["a1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]))
        fl = M * (H // 2) * (W // 2)
        if r.random() < 0.5:
            nodes.append(N("Flatten", ["p1"], ["f1"]))
        else:
            nodes += [N("Shape", ["p1"], ["s"]), N("Gather", ["s", "zi"], ["n"], axis=0),
                      N("Unsqueeze", ["n", "ax0"], ["n1"]), N("Concat", ["n1", "m1"], ["tgt"], axis=0),
                      N("Reshape", ["p1", "tgt"], ["f1"])]
            inits += [("zi", i64(0)), ("ax0", i64([0])), ("m1", i64([-1]))]
        x_shape = [B, C, H, W]
        dyn = [None, C, H, W]
    else:
        fl = r.randint(3, 20)
        nodes.append(N("Identity", ["x"], ["f1"]))
        x_shape = [B, fl]; dyn = [None, fl]
    hid = r.randint(2, 12)
    # constant-folded weight: Transpose of initializer feeding MatMul
    if r.random() < 0.5:
        inits.append(("wt", g.f(hid, fl, kind="normal")))
        nodes.append(N("Transpose", ["wt"], ["w2"], perm=[1, 0]))
        nodes.append(N("MatMul", ["f1", "w2"], ["h0"]))
        inits.append(("b2", g.f(hid, kind="normal")))
        nodes.append(N("Add", ["h0", "b2"], ["h"]))
    else:
        inits += [("w2", g.f(hid, fl, kind="normal")), ("b2", g.f(hid, kind="normal"))]
        nodes.append(N("Gemm", ["f1", "w2", "b2"], ["h"], transB=1))
    nodes.append(N(r.choice(["Relu", "LeakyRelu", "Tanh"]), ["h"], ["ha"]))
    out = r.randint(2, 6)
    inits += [("w3", g.f(hid, out, kind="normal"))]
    nodes.append(N("MatMul", ["ha", "w3"], ["z"]))
    nodes.append(N(r.choice(["Softmax", "LogSoftmax", "Sigmoid"]), ["z"], ["y"]))
    nodes.append(N("ArgMax", ["z"], ["lab"], axis=1, keepdims=0))
    m = mk_model(nodes, [("x", FLOAT, dyn)], [("y", FLOAT, None), ("lab", INT64, None)], inits,
                 r.choice([13, 17, 21]))
    return m, {"x": g.f(*x_shape)}


def gen_dag(g):
    """Random DAG with fan-out, aliasing (Identity/Reshape/Flatten/Dropout/Squeeze), in-place element-wise
    ops, constant-only subgraphs (folded at load), and intermediate values exposed as graph outputs."""
    r = g.r
    B, C, L = r.randint(1, 3), r.randint(1, 4), r.randint(1, 5)
    S = [B, C, L]
    pool = []  # (name, shape, const)
    nodes, inits, inputs, feeds = [], [], [], {}
    k = [0]
    def fresh(p="v"):
        k[0] += 1; return f"{p}{k[0]}"
    for i in range(r.randint(1, 2)):
        s = r.choice([S, S, [C, L], [1, L], [B, C, 1]])
        nm = f"x{i}"; inputs.append((nm, FLOAT, s)); feeds[nm] = g.f(*s); pool.append((nm, list(s), False))
    for i in range(r.randint(0, 3)):
        s = r.choice([S, [C, L], [L], [1], [], [C, 1]])
        nm = f"w{i}"; inits.append((nm, g.f(*s, kind="normal") + (2.0 if r.random() < 0.5 else 0)))
        pool.append((nm, list(s), True))
    opset = r.choice([13, 14, 17])
    for _ in range(r.randint(2, 9)):
        op = r.choice(["Add", "Sub", "Mul", "Div", "Relu", "Sigmoid", "Tanh", "LeakyRelu", "Clip", "Identity",
                       "Dropout", "ReshapeRT", "Flatten", "Transpose", "Softmax", "Neg2", "Unsq", "Concat",
                       "Add", "Mul", "Relu", "Identity"])
        a = r.choice(pool if r.random() < 0.6 else pool[-3:])
        out = fresh()
        if op in ("Add", "Sub", "Mul", "Div"):
            b = r.choice(pool)
            try:
                s = list(np.broadcast_shapes(tuple(a[1]), tuple(b[1])))
            except ValueError:
                continue
            if r.random() < 0.5: a, b = b, a
            if op == "Div":
                # keep denominators away from zero: divide by (|b| + 1)
                t1, t2 = fresh(), fresh()
                nodes += [N("Mul", [b[0], b[0]], [t1]), N("Add", [t1, "one_c"], [t2]), N("Div", [a[0], t2], [out])]
                if not any(n == "one_c" for n, _ in inits): inits.append(("one_c", np.array(1.0, np.float32)))
            else:
                nodes.append(N(op, [a[0], b[0]], [out]))
            pool.append((out, s, a[2] and b[2]))
        elif op in ("Relu", "Sigmoid", "Tanh", "Identity"):
            nodes.append(N(op, [a[0]], [out])); pool.append((out, a[1], a[2]))
        elif op == "LeakyRelu":
            nodes.append(N(op, [a[0]], [out], alpha=0.3)); pool.append((out, a[1], a[2]))
        elif op == "Clip":
            if not any(n == "clo" for n, _ in inits):
                inits += [("clo", np.array(-0.5, np.float32)), ("chi", np.array(0.8, np.float32))]
            nodes.append(N(op, [a[0], "clo", "chi"], [out])); pool.append((out, a[1], a[2]))
        elif op == "Dropout":
            nodes.append(N(op, [a[0]], [out])); pool.append((out, a[1], a[2]))
        elif op == "Neg2":
            if not any(n == "m2" for n, _ in inits): inits.append(("m2", np.array(-2.0, np.float32)))
            nodes.append(N("Mul", ["m2", a[0]], [out])); pool.append((out, a[1], a[2]))
        elif op == "ReshapeRT":
            if len(a[1]) == 0: continue
            t = fresh(); sh = fresh("s"); sh2 = fresh("s")
            inits += [(sh, i64([-1])), (sh2, i64(a[1]))]
            nodes += [N("Reshape", [a[0], sh], [t]), N("Relu" if r.random() < 0.3 else "Identity", [t], [t + "r"]),
                      N("Reshape", [t + "r", sh2], [out])]
            pool.append((t, [int(np.prod(a[1]))], a[2])); pool.append((out, a[1], a[2]))
        elif op == "Flatten":
            if len(a[1]) == 0: continue
            s = [int(np.prod(a[1][:1])), int(np.prod(a[1][1:]))]
            nodes.append(N(op, [a[0]], [out], axis=1)); pool.append((out, s, a[2]))
        elif op == "Transpose":
            if len(a[1]) == 0: continue
            perm = list(range(len(a[1]))); r.shuffle(perm)
            nodes.append(N(op, [a[0]], [out], perm=perm)); pool.append((out, [a[1][p] for p in perm], a[2]))
        elif op == "Softmax":
            if len(a[1]) == 0: continue
            nodes.append(N(op, [a[0]], [out], axis=-1)); pool.append((out, a[1], a[2]))
        elif op == "Unsq":
            ax = fresh("a"); inits.append((ax, i64([0])))
            sq = fresh()
            nodes += [N("Unsqueeze", [a[0], ax], [sq]), N("Squeeze", [sq, ax], [out])]
            pool.append((sq, [1] + a[1], a[2])); pool.append((out, a[1], a[2]))
        elif op == "Concat":
            if len(a[1]) == 0: continue
            same = [p for p in pool if len(p[1]) == len(a[1]) and p[1][1:] == a[1][1:]]
            b = r.choice(same)
            nodes.append(N(op, [a[0], b[0], a[0]], [out], axis=0))
            pool.append((out, [a[1][0] * 2 + b[1][0]] + a[1][1:], a[2] and b[2]))
    # outputs: last value, plus random intermediates (and maybe an input)
    cand = [p for p in pool if p[0] not in [n for n, _ in inits]]
    outs = {pool[-1][0]}
    for p in r.sample(cand, min(len(cand), r.randint(0, 3))):
        outs.add(p[0])
    if pool[-1][0] in [n for n, _ in inits]:
        nodes.append(N("Identity", [pool[-1][0]], ["id_out"])); outs = (outs - {pool[-1][0]}) | {"id_out"}
    # a graph input can't be an output in every runtime; route through Identity
    final = []
    for o in sorted(outs):
        if o in feeds:
            nodes.append(N("Identity", [o], [o + "_o"])); final.append(o + "_o")
        else:
            final.append(o)
    m = mk_model(nodes, inputs, [(o, FLOAT, None) for o in final], inits, opset)
    return m, feeds


def gen_math(g):
    """Element-wise math, NaN/inf/zero/negative inputs included, through a broadcast Pow/PRelu/Min/Max/Sum/Mean."""
    r = g.r
    shp = g.dims(r.randint(1, 4), 1, 5)
    x = g.f(*shp)
    if r.random() < 0.3:
        flat = x.reshape(-1)
        for _ in range(r.randint(1, 3)):
            flat[r.randrange(flat.size)] = r.choice([0.0, -0.0, np.inf, -np.inf, np.nan, 1e30, -1e-30, 0.5, -2.5])
    op = r.choice(["Exp", "Log", "Sqrt", "Reciprocal", "Erf", "Floor", "Ceil", "Round", "Softsign", "Softplus",
                   "HardSwish", "HardSigmoid", "Elu", "Selu", "Gelu", "Neg", "Abs", "Sign", "Pow", "PRelu",
                   "Min", "Max", "Sum", "Mean"])
    attrs, inits, ins, opset = {}, [], ["x"], 14
    if op == "Gelu":
        opset = 20
        if r.random() < 0.5: attrs["approximate"] = r.choice(["none", "tanh"])
    elif op == "HardSigmoid" and r.random() < 0.7:
        attrs["alpha"], attrs["beta"] = r.choice([0.2, 0.5, -1.0]), r.choice([0.5, 0.0, 2.0])
    elif op == "Elu" and r.random() < 0.7:
        attrs["alpha"] = r.choice([1.0, 0.3, 2.0])
    elif op in ("Pow", "PRelu"):
        s = [1 if r.random() < 0.4 else d for d in shp[r.randint(0, len(shp)):]]
        other = g.f(*s)
        if op == "Pow":
            x = np.abs(x) if r.random() < 0.7 else x
            other = np.round(other * 2).astype(np.float32) if r.random() < 0.5 else other
        ins.append("o"); inits.append(("o", other))
    elif op in ("Min", "Max", "Sum", "Mean"):
        for k in range(r.randint(0, 3)):
            s = [1 if r.random() < 0.4 else d for d in shp[r.randint(0, len(shp)):]]
            ins.append(f"o{k}"); inits.append((f"o{k}", g.f(*s)))
    return mk_model([N(op, ins, ["y"], **attrs)], [("x", FLOAT, shp)], [("y", FLOAT, None)], inits, opset), {"x": x}


def gen_mask(g):
    """Comparisons, logic and Where on broadcast shapes: the masking patterns exporters emit."""
    r = g.r
    sa, sb = bcast_shapes(g)
    ty = r.choice([FLOAT, FLOAT, INT64])
    def val(s):
        if ty == FLOAT:
            v = np.array(np.round(g.f(*s) * 2) / 2, np.float32)
            if v.size and r.random() < 0.2:
                v.reshape(-1)[0] = np.nan
            return v
        return np.array(g.np.integers(-3, 4, size=s), np.int64)
    a, b = val(sa), val(sb)
    cmp = r.choice(["Equal", "Greater", "GreaterOrEqual", "Less", "LessOrEqual"])
    nodes = [N(cmp, ["a", "b"], ["c"])]
    final = "c"
    if r.random() < 0.5:
        logic = r.choice(["And", "Or", "Xor", "Not"])
        if logic == "Not":
            nodes.append(N("Not", ["c"], ["l"]))
        else:
            nodes += [N(r.choice(["Less", "Greater"]), ["b", "a"], ["c2"]), N(logic, ["c", "c2"], ["l"])]
        final = "l"
    outs = [("m", INT64, None)]
    nodes.append(N("Cast", [final], ["m"], to=INT64))
    if r.random() < 0.7:
        nodes.append(N("Where", [final, "a", "b"], ["w"]))
        outs.append(("w", ty, None))
    if r.random() < 0.3:
        nodes.append(N("Expand", ["a", "shape"], ["e"]))
        outs.append(("e", ty, None))
        target = [d if r.random() < 0.7 else 1 for d in np.broadcast_shapes(sa, sb)]
        return mk_model(nodes, [("a", ty, sa), ("b", ty, sb)], outs, [("shape", i64(target))], 16), {"a": a, "b": b}
    return mk_model(nodes, [("a", ty, sa), ("b", ty, sb)], outs, [], 16), {"a": a, "b": b}


DENSE_FAMILIES = {"dag": gen_dag, "gemm": gen_gemm, "matmul": gen_matmul, "conv": gen_conv, "pool": gen_pool, "bn": gen_bn,
                  "unary": gen_unary, "binary": gen_binary, "shape": gen_shape, "chain": gen_chain,
                  "math": gen_math, "mask": gen_mask}


# ----------------------------------------------------------------------------------------------
# Running and comparing

def run_ort(path, feeds):
    so = ort.SessionOptions(); so.intra_op_num_threads = 1; so.inter_op_num_threads = 1
    so.log_severity_level = 4
    s = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    names = [o.name for o in s.get_outputs()]
    return dict(zip(names, s.run(names, feeds)))


def run_sparrow(model_path, feeds, d, tag, engine=None, timeout=60):
    inp, out = d / f"{tag}_in.npz", d / f"{tag}_out.npz"
    np.savez(inp, **feeds)
    if out.exists(): out.unlink()
    cmd = [SPARROW, "infer", str(model_path), "--input", str(inp), "--output", str(out)]
    if engine: cmd += ["--engine", engine]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, "HANG", " ".join(cmd)
    if p.returncode != 0:
        return None, f"rc={p.returncode}: {p.stderr.strip()[:400]}", " ".join(cmd)
    with np.load(out) as z:
        return {k: z[k] for k in z.files}, None, " ".join(cmd)


def compare(ref, got):
    """Returns None if equal within tolerance, else a description."""
    problems = []
    if set(ref) != set(got):
        return f"output names {sorted(got)} != {sorted(ref)}"
    for k, want in ref.items():
        have = got[k]
        if want.dtype == bool: want = want.astype(np.int64)
        if tuple(have.shape) != tuple(want.shape):
            problems.append(f"{k}: shape {have.shape} != {want.shape}"); continue
        if np.issubdtype(want.dtype, np.integer):
            if not np.array_equal(have.astype(np.int64), want.astype(np.int64)):
                bad = np.argwhere(have.astype(np.int64) != want.astype(np.int64))
                problems.append(f"{k}: int mismatch at {len(bad)} positions, e.g. {bad[0].tolist()}: "
                                f"{have[tuple(bad[0])]} vs {want[tuple(bad[0])]}")
            continue
        w = want.astype(np.float64); h = have.astype(np.float64)
        nw, nh = np.isnan(w), np.isnan(h)
        if not np.array_equal(nw, nh):
            problems.append(f"{k}: NaN positions differ ({nh.sum()} vs {nw.sum()})"); continue
        iw, ih = np.isinf(w), np.isinf(h)
        if not np.array_equal(iw & (w > 0), ih & (h > 0)) or not np.array_equal(iw & (w < 0), ih & (h < 0)):
            problems.append(f"{k}: Inf positions differ"); continue
        fin = ~(nw | iw)
        if fin.any():
            scale = max(np.max(np.abs(w[fin])), 1e-6)
            err = np.max(np.abs(w[fin] - h[fin]))
            if err > RTOL * scale and err > 1e-6:
                idx = np.unravel_index(np.argmax(np.where(fin, np.abs(w - h), -1)), w.shape)
                problems.append(f"{k}: max abs err {err:.3g} rel {err / scale:.3g} at {list(idx)} "
                                f"(sparrow {h[idx]:.6g} vs ort {w[idx]:.6g})")
    return "; ".join(problems) or None


def check_dense(model, feeds, d):
    path = d / "m.onnx"
    path.write_bytes(model.SerializeToString())
    try:
        ref = run_ort(path, feeds)
    except Exception as e:
        raise Skip(f"ort refused: {str(e)[:150]}")
    got, err, cmd = run_sparrow(path, feeds, d, "dense")
    if err:
        return f"sparrow failed: {err}"
    return compare(ref, got)


# ----------------------------------------------------------------------------------------------
# Compression cases

def gen_compress(g):
    r = g.r
    kind = r.choice(["gemm", "gemm", "matmul", "matmul", "conv", "conv", "mlp"])
    inits, nodes = [], []
    opset = r.choice([11, 13, 17, 21])
    big = lambda: r.choice([r.randint(2, 12), r.randint(16, 90), r.randint(90, 300), r.randint(1, 3),
                            r.randint(600, 2500) if r.random() < 0.3 else r.randint(30, 60)])
    def weight(*shape):
        w = g.f(*shape, kind="normal")
        if r.random() < 0.3 and w.ndim >= 2:   # zero rows / columns
            ax = r.randint(0, 1)
            sel = g.np.random(w.shape[ax]) < 0.3
            if ax == 0: w[sel] = 0
            else: w[:, sel] = 0
        if r.random() < 0.1:
            w[...] = 0 if r.random() < 0.3 else w
        return w.astype(np.float32)
    info = {"kind": kind}
    if kind == "gemm":
        K, Nn = big(), big()
        tB = r.randint(0, 1)
        tA = 1 if r.random() < 0.15 else 0
        attrs = {}
        if tB: attrs["transB"] = 1
        if tA: attrs["transA"] = 1
        if r.random() < 0.3: attrs["alpha"] = r.choice([0.5, -1.0, 2.0])
        if r.random() < 0.3: attrs["beta"] = r.choice([0.0, 0.5, -1.0])
        inits.append(("W", weight(*([Nn, K] if tB else [K, Nn]))))
        names = ["x", "W"]
        cs = r.choice([None, [Nn], [1], [1, Nn]])
        if cs is not None:
            names.append("C"); inits.append(("C", g.f(*cs, kind="normal")))
        nodes.append(N("Gemm", names, ["y"], **attrs))
        xin = lambda B: [K, B] if tA else [B, K]
        dyn = [K, None] if tA else [None, K]
    elif kind == "matmul":
        K, Nn = big(), big()
        inits.append(("W", weight(K, Nn)))
        lead = r.choice([[], [], [2], [2, 3], "vec"])
        if lead == "vec":
            xin = lambda B: [K]; dyn = [K]; info["vec"] = True
        else:
            xin = lambda B, lead=lead: [B] + lead + [K]; dyn = [None] + lead + [K]
        if r.random() < 0.15 and lead != "vec":  # constant on the left: y = W' @ x  (x: [.., Nn, K2])
            K2 = r.randint(1, 8)
            inits[-1] = ("W", weight(Nn, K))
            xin = lambda B, lead=lead, K2=K2: [B] + lead + [K, K2]; dyn = [None] + lead + [K, K2]
            nodes.append(N("MatMul", ["W", "x"], ["y"])); info["left"] = True
        else:
            nodes.append(N("MatMul", ["x", "W"], ["y"]))
        if r.random() < 0.4:
            inits.append(("bias", g.f(Nn, kind="normal")))
            nodes[-1].output[0] = "mm"; nodes.append(N("Add", ["mm", "bias"], ["y"]))
    elif kind == "conv":
        spatial = r.choice([1, 2, 2])
        ks, st, dl, attrs = conv_geometry(g, spatial)
        grp = r.choice([1, 1, 1, 2])
        C = grp * r.choice([r.randint(1, 6), r.randint(8, 32)]); M = grp * r.choice([r.randint(1, 12), r.randint(16, 64)])
        pads = attrs.get("pads", [0] * 2 * spatial)
        xs = [max(dl[i] * (ks[i] - 1) + 1 - pads[i] - pads[i + spatial], 1) + r.randint(0, 5) for i in range(spatial)]
        if grp != 1: attrs["group"] = grp
        if r.random() < 0.85: attrs["kernel_shape"] = ks
        else: info["no_kernel_shape"] = True
        inits.append(("W", weight(M, C // grp, *ks)))
        names = ["x", "W"]
        if r.random() < 0.6: names.append("b"); inits.append(("b", g.f(M, kind="normal")))
        nodes.append(N("Conv", names, ["y"], **attrs))
        xin = lambda B: [B, C] + xs; dyn = [None, C] + xs
    else:  # mlp with shared weight / relu between layers
        K, H, O = big(), big(), r.randint(2, 20)
        inits += [("W1", weight(H, K)), ("b1", g.f(H, kind="normal")), ("W2", weight(H, O))]
        nodes += [N("Gemm", ["x", "W1", "b1"], ["h"], transB=1), N("Relu", ["h"], ["hr"]),
                  N("MatMul", ["hr", "W2"], ["y"])]
        if r.random() < 0.3:  # the same weight used twice
            inits.append(("W3", weight(H, H)))
            nodes[-1] = N("MatMul", ["hr", "W3"], ["h2"])
            nodes += [N("Relu", ["h2"], ["h2r"]), N("MatMul", ["h2r", "W3"], ["h3"]), N("MatMul", ["h3", "W2"], ["y"])]
            info["shared"] = True
        xin = lambda B: [B, K]; dyn = [None, K]
    model = mk_model(nodes, [("x", FLOAT, dyn)], [("y", FLOAT, None)], inits, opset)
    # config
    cfg = {}
    if r.random() < 0.85:
        cfg["prune"] = {"sparsity": round(r.choice([r.uniform(0.5, 0.99), r.uniform(0.99, 0.999), 0.0, r.uniform(0, 0.5)]), 4)} if r.random() < 0.85 else \
            {"threshold_std": round(r.uniform(0, 2), 2)}
    q = {}
    if r.random() < 0.8: q["fc_bits"] = r.randint(1, 8)
    if r.random() < 0.8: q["conv_bits"] = r.randint(1, 8)
    if r.random() < 0.3: q["init"] = r.choice(["linear", "density", "random", "kmeans++"])
    if q: cfg["quantize"] = q
    if r.random() < 0.8: cfg["index_bits"] = r.choice([1, 2, 3, 4, 5, 8, 12, "auto"])
    if r.random() < 0.3: cfg["huffman"] = r.random() < 0.5
    if r.random() < 0.6: cfg["min_params"] = r.choice([0, 1, 16, 64, 256, 1000])
    # Mostly keep something to compress (a model with nothing is refused: a few cases check that).
    largest = max(np.asarray(v).size for _, v in inits)
    if largest < cfg.get("min_params", 256) and r.random() < 0.85:
        cfg["min_params"] = r.choice([0, 1, largest])
    info["largest"] = largest
    if r.random() < 0.3: cfg["sparse_order"] = r.choice(["csr", "csc"])
    batches = r.sample([1, 1, 2, 3, 15, 16, 17, 64, 65], 3)
    input_kinds = ["sparse", "zero", "normal"]
    return model, cfg, xin, batches, input_kinds, info


def check_compress(g, d):
    model, cfg, xin, batches, kinds, info = gen_compress(g)
    src = d / "src.onnx"; src.write_bytes(model.SerializeToString())
    # ORT must accept the source model
    try:
        run_ort(src, {"x": g.f(*xin(2)) if not info.get("vec") else g.f(*xin(1))})
    except Exception as e:
        raise Skip(f"ort refused source: {str(e)[:120]}")
    (d / "cfg.json").write_text(json.dumps(cfg))
    art, exp = d / "m.sparrow", d / "exported.onnx"
    p = subprocess.run([SPARROW, "compress", str(src), "-o", str(art), "--config", str(d / "cfg.json"), "-q",
                        "--no-gzip"], capture_output=True, text=True, timeout=120)
    if p.returncode == 1 and "nothing to compress" in p.stderr:
        if info["largest"] >= max(1, cfg.get("min_params", 256)):
            return f"refused as nothing to compress, but a {info['largest']}-value weight meets min_params: cfg={cfg}"
        raise Skip("every weight is below min_params (refused, as it should be)")
    if p.returncode != 0:
        return f"compress failed rc={p.returncode}: {p.stderr.strip()[:300]} cfg={cfg}"
    p = subprocess.run([SPARROW, "export", str(art), "-o", str(exp)], capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        return f"export failed rc={p.returncode}: {p.stderr.strip()[:300]}"
    problems = []
    for B in batches:
        if info.get("vec") and B != 1:
            continue
        for k in kinds:
            x = g.f(*xin(B), kind=k)
            feeds = {"x": x}
            try:
                ref = run_ort(exp, feeds)
            except Exception as e:
                problems.append(f"ort failed on exported model: {str(e)[:200]}"); break
            for tag, mp, eng in (("sparse", art, "sparse"), ("artdense", art, "dense"), ("expdense", exp, None)):
                got, err, cmd = run_sparrow(mp, feeds, d, tag, eng)
                if err:
                    problems.append(f"[{tag} B={B} {k}] sparrow failed: {err}")
                    continue
                c = compare(ref, got)
                if c:
                    problems.append(f"[{tag} B={B} {k}] {c}")
            if problems:
                break
        if problems:
            break
    if problems:
        return f"cfg={json.dumps(cfg)} info={info}: " + " | ".join(problems[:4])
    return None


# ----------------------------------------------------------------------------------------------

def run_case(seed, family, idx, keep_all=False):
    r = random.Random(f"{seed}:{family}:{idx}")
    g = G(r)
    d = WORK / f"case_{family}_{idx}"
    if d.exists(): shutil.rmtree(d)
    d.mkdir(parents=True)
    status, msg = "pass", None
    try:
        if family == "compress":
            msg = check_compress(g, d)
        else:
            model, feeds = DENSE_FAMILIES[family](g)
            msg = check_dense(model, feeds, d)
            np.savez(d / "feeds.npz", **feeds)
        status = "FAIL" if msg else "pass"
    except Skip as e:
        status, msg = "skip", str(e)
    except Exception:
        status, msg = "ERROR", traceback.format_exc()[-600:]
    if status in ("FAIL", "ERROR"):
        fd = WORK / f"fail_{family}_{idx}"
        if fd.exists(): shutil.rmtree(fd)
        d.rename(fd)
        (fd / "log.txt").write_text(msg or "")
    elif not keep_all:
        shutil.rmtree(d)
    return status, msg


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--n", type=int, default=30, help="cases per family")
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--family", default=",".join(list(DENSE_FAMILIES) + ["compress"]))
    ap.add_argument("--replay")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    if a.replay:
        s, fam, i = a.replay.split(":")
        st, msg = run_case(int(s), fam, int(i), keep_all=True)
        print(st, msg, "dir:", WORK / (f"fail_{fam}_{i}" if st in ("FAIL", "ERROR") else f"case_{fam}_{i}"))
        return
    totals = {}
    for fam in a.family.split(","):
        for i in range(a.start, a.start + a.n):
            st, msg = run_case(a.seed, fam, i)
            totals.setdefault(fam, {}).setdefault(st, 0)
            totals[fam][st] += 1
            if st in ("FAIL", "ERROR") or (a.verbose and st == "skip"):
                print(f"{st} {a.seed}:{fam}:{i}: {msg}", flush=True)
        print(fam, totals[fam], flush=True)
    print(json.dumps(totals))


if __name__ == "__main__":
    main()
