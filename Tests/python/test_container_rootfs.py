"""The container's runtime stage, proven without a Docker engine: docker/verify-rootfs.sh lays the
Debian root the Dockerfile describes, runs the server in it as a non-root user and walks
upload → compress → infer. Needs root (debootstrap, chroot); skipped otherwise."""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "docker" / "verify-rootfs.sh"
OUT = Path(__file__).parent / "out" / "container"


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
    assert int(size.group(1)) < 150, f"runtime root is {size.group(1)} MB; the target is under 150 MB"
    assert "not found" not in proc.stdout
