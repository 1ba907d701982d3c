"""`sparrow healthcheck`, the container's HEALTHCHECK (the image has no curl): exit 0 only when
/v2/health/ready answers 200, over plain HTTP or TLS, configured from the SPARROW_* environment."""
from __future__ import annotations

import os
import shutil
import ssl
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import console_util as cu  # noqa: E402

BIN = cu.sparrow_bin()
pytestmark = pytest.mark.skipif(not BIN.exists(), reason=f"{BIN} not built (swift build -c release)")


class Ready(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):
        code = self.status if self.path == "/v2/health/ready" else 404
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def serve(status: int, context: ssl.SSLContext | None = None):
    handler = type("H", (Ready,), {"status": status})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def healthcheck(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SPARROW_")}
    return subprocess.run([str(BIN), "healthcheck", "--timeout", "2", *args], capture_output=True, text=True,
                          env={**clean, **(env or {})}, timeout=30)


def test_ready_server_passes_and_port_comes_from_the_environment():
    server = serve(200)
    try:
        port = str(server.server_address[1])
        r = healthcheck("--port", port)
        assert r.returncode == 0 and "ready" in r.stdout, r
        r = healthcheck(env={"SPARROW_PORT": port, "SPARROW_HOST": "0.0.0.0"})
        assert r.returncode == 0, r
    finally:
        server.shutdown()


def test_not_ready_and_unreachable_fail():
    server = serve(503)
    try:
        r = healthcheck("--port", str(server.server_address[1]))
        assert r.returncode == 1 and "503" in r.stdout, r
    finally:
        server.shutdown()
    r = healthcheck("--port", str(cu.free_port()))
    assert r.returncode == 1 and "cannot connect" in r.stdout, r
    r = healthcheck("--port", "70000")
    assert r.returncode != 0 and "port" in (r.stdout + r.stderr).lower(), r


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl CLI not installed")
def test_tls_when_a_certificate_is_configured(tmp_path):
    cert, key = tmp_path / "tls.crt", tmp_path / "tls.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = serve(200, context)
    try:
        port = str(server.server_address[1])
        r = healthcheck(env={"SPARROW_PORT": port, "SPARROW_TLS_CERT": str(cert)})
        assert r.returncode == 0 and "ready" in r.stdout, r
        # Plain HTTP against a TLS port is not mistaken for healthy.
        r = healthcheck("--no-tls", "--port", port)
        assert r.returncode == 1, r
    finally:
        server.shutdown()
