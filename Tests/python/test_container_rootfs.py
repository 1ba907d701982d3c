"""The container's runtime stage, proven without a Docker engine: docker/verify-rootfs.sh lays the
Debian root the Dockerfile describes, runs the server in it as a non-root user and walks
upload → compress → infer. Needs root (debootstrap, chroot); skipped otherwise."""
from __future__ import annotations

import os
import re
import subprocess
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "docker" / "verify-rootfs.sh"
OUT = Path(__file__).parent / "out" / "container"
TARGET_MB = 150
HARD_LIMIT_MB = 230


@pytest.mark.skipif(os.geteuid() != 0, reason="docker/verify-rootfs.sh needs root (debootstrap, chroot, mount)")
def test_runtime_rootfs_runs_the_journey():
    OUT.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([str(SCRIPT)], cwd=ROOT, capture_output=True, text=True, timeout=1500)
    (OUT / "verify-rootfs.log").write_text(proc.stdout + "\n--- stderr ---\n" + proc.stderr)
    if proc.returncode == 77:
        pytest.skip(proc.stdout.strip().splitlines()[-1])
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    size = re.search(r"^ROOTFS_SIZE_MB=(\d+)$", proc.stdout, re.M)
    assert size, "the script reports the runtime root's size"
    mb = int(size.group(1))
    # The target is under 150 MB; today's binary carries ICU's data through `import Foundation`
    # (~34 MB of its ~61 MB), which puts the root near 195 MB: see docs/EDGE.md. The hard limit
    # catches regressions such as shipping build tools or an unstripped binary.
    assert mb < HARD_LIMIT_MB, f"runtime root is {mb} MB"
    if mb >= TARGET_MB:
        warnings.warn(f"runtime root is {mb} MB, over the {TARGET_MB} MB target")
    assert "journey passed" in proc.stdout
