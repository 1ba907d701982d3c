"""Starts `sparrow http-test-server` on a free loopback port for the HTTP tests."""
import contextlib
import os
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]


def sparrow_bin() -> str:
    return os.environ.get("SPARROW_BIN", str(ROOT / ".build" / "release" / "sparrow"))


@contextlib.contextmanager
def running_server(*args: str):
    """Yields (port, process); the server is stopped with SIGTERM afterwards."""
    proc = subprocess.Popen([sparrow_bin(), "http-test-server", "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("PORT "), f"unexpected server output: {line!r}"
        yield int(line.split()[1]), proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
