"""`sparrow serve --tls-cert/--tls-key` serves HTTPS (self-signed certificate made here)."""
import os
import shutil
import subprocess
import sys
import tempfile

import pytest
import requests

sys.path.insert(0, os.path.dirname(__file__))
import service_util as su  # noqa: E402


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_https_with_a_certificate():
    with tempfile.TemporaryDirectory() as d:
        cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "1", "-subj", "/CN=localhost"], check=True, capture_output=True)
        with su.Server(args=["--tls-cert", cert, "--tls-key", key]) as s:
            r = requests.get("https://127.0.0.1:%d/v2/health/live" % s.port, verify=False, timeout=10)
            assert r.status_code == 200
            r = requests.post("https://127.0.0.1:%d/v1/models" % s.port, params={"name": "m"}, verify=False, timeout=30,
                              data=su.mlp(sizes=(8, 4)).SerializeToString(),
                              headers={"Content-Type": "application/octet-stream"})
            assert r.status_code == 201
            with pytest.raises(requests.exceptions.ConnectionError):
                requests.get("http://127.0.0.1:%d/v2/health/live" % s.port, timeout=5)
