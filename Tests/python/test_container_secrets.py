"""API keys from a file (`SPARROW_API_KEY_FILE`, e.g. a Docker secret at /run/secrets/...), against
the real `sparrow serve`: keys one per line or comma-separated, trimmed, blank lines ignored; a
missing or empty file stops the server at startup with a clear message and a non-zero exit."""
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import service_util as su  # noqa: E402

pytestmark = pytest.mark.skipif(not os.path.exists(su.sparrow_bin()), reason="sparrow not built")
RAW = su.mlp(sizes=(8, 4)).SerializeToString()


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPARROW_")}
    env.update(extra)
    return env


def test_keys_from_a_file_guard_writes(tmp_path):
    secret = tmp_path / "sparrow_api_key"
    secret.write_text("  alpha \n\n beta, gamma\n")
    server = su.Server(env={"SPARROW_API_KEY_FILE": str(secret)})
    server.env = clean_env(SPARROW_API_KEY_FILE=str(secret))
    with server as s:
        assert s.upload_model("m", RAW).status_code == 401
        assert s.upload_model("m", RAW, headers={"Authorization": "Bearer alph"}).status_code == 401
        for key in ("alpha", "beta", "gamma"):
            r = s.upload_model(key, RAW, headers={"Authorization": "Bearer " + key,
                                                  "Content-Type": "application/octet-stream"})
            assert r.status_code == 201, (key, r.text)
        assert s.upload_model("x", RAW, headers={"Authorization": "Bearer beta, gamma"}).status_code == 401


def test_the_file_adds_to_keys_given_directly(tmp_path):
    secret = tmp_path / "keys"
    secret.write_text("from-file\n")
    server = su.Server(args=["--api-key-file", str(secret)])
    server.env = clean_env(SPARROW_API_KEY="from-env")
    with server as s:
        ok = {"Content-Type": "application/octet-stream"}
        assert s.upload_model("a", RAW, headers={**ok, "Authorization": "Bearer from-file"}).status_code == 201
        assert s.upload_model("b", RAW, headers={**ok, "Authorization": "Bearer from-env"}).status_code == 201
        assert s.upload_model("c", RAW).status_code == 401


@pytest.mark.parametrize("case", ["missing", "empty", "directory"])
def test_an_unusable_key_file_is_a_startup_error(tmp_path, case):
    path = tmp_path / "key"
    if case == "empty":
        path.write_text(" \n , \n")
    elif case == "directory":
        path.mkdir()
    r = subprocess.run([su.sparrow_bin(), "serve", "--host", "127.0.0.1", "--port", "0", "--data-dir", str(tmp_path)],
                       env=clean_env(SPARROW_API_KEY_FILE=str(path)), capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    assert "PORT" not in r.stdout, "the server must not start without its keys"
    assert "API key file" in r.stderr and str(path) in r.stderr, r.stderr
    assert ("holds no key" if case == "empty" else "cannot read") in r.stderr, r.stderr
