"""A seeded slice of oracle_fuzz.py: random small graphs of every supported op family, and random
compressed layers, run on Sparrow (dense runtime; sparse engine and --engine dense for artifacts)
and on onnxruntime, compared within 1e-4 of the largest reference value with NaN and Inf positions
equal. The full fuzzer (`python Tests/python/oracle_fuzz.py --n 300`) ran ~3000 cases when written;
this slice keeps CI to seconds. ORACLE_FUZZ_N and ORACLE_FUZZ_SEED widen it."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import oracle_fuzz as fuzz  # noqa: E402

N = int(os.environ.get("ORACLE_FUZZ_N", "15"))
SEED = int(os.environ.get("ORACLE_FUZZ_SEED", "1"))


@pytest.mark.parametrize("family", list(fuzz.DENSE_FAMILIES) + ["compress"])
def test_random_graphs_agree_with_onnxruntime(family, tmp_path):
    fuzz.WORK = tmp_path
    fuzz.SPARROW = os.environ.get("SPARROW_BIN", fuzz.SPARROW)
    outcomes = {}
    failures = []
    for index in range(N):
        status, message = fuzz.run_case(SEED, family, index)
        outcomes[status] = outcomes.get(status, 0) + 1
        if status in ("FAIL", "ERROR"):
            failures.append(f"replay with --replay {SEED}:{family}:{index}: {message}")
    assert not failures, "\n".join(failures)
    assert outcomes.get("pass", 0) >= N * 0.6, outcomes  # skips (unsupported draws) stay a minority
