"""Checks the running server against Public/openapi.yaml with schemathesis (bounded: a few
examples per operation, well under a minute)."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import service_util as su  # noqa: E402

SPEC = os.path.join(su.ROOT, "Public", "openapi.yaml")


def test_every_route_is_documented():
    import yaml
    with open(SPEC) as f:
        spec = yaml.safe_load(f)
    assert spec["openapi"].startswith("3.1")
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops if method != "parameters"}
    served = {("/v1/models", "GET"), ("/v1/models", "POST"), ("/v1/models/{id}", "GET"), ("/v1/models/{id}", "DELETE"),
              ("/v1/models/{id}/compress", "POST"), ("/v1/datasets", "GET"), ("/v1/datasets", "POST"),
              ("/v1/datasets/{id}", "GET"), ("/v1/datasets/{id}", "DELETE"), ("/v1/jobs", "GET"),
              ("/v1/jobs/{id}", "GET"), ("/v1/jobs/{id}", "DELETE"), ("/v1/jobs/{id}/events", "GET"),
              ("/v1/artifacts/{id}", "GET"), ("/v1/artifacts/{id}/report", "GET"), ("/v1/artifacts/{id}/onnx", "GET"),
              ("/v2", "GET"), ("/v2/health/live", "GET"), ("/v2/health/ready", "GET"),
              ("/v2/models/{name}", "GET"), ("/v2/models/{name}/ready", "GET"), ("/v2/models/{name}/config", "GET"),
              ("/v2/models/{name}/infer", "POST"), ("/v2/models/{name}/versions/{version}", "GET"),
              ("/v2/models/{name}/versions/{version}/ready", "GET"),
              ("/v2/models/{name}/versions/{version}/config", "GET"),
              ("/v2/models/{name}/versions/{version}/infer", "POST"), ("/metrics", "GET"), ("/healthz", "GET"),
              ("/v2/models/stats", "GET"), ("/v2/models/{name}/stats", "GET"),
              ("/v2/models/{name}/versions/{version}/stats", "GET"), ("/v2/repository/index", "POST"),
              ("/v2/repository/models/{name}/load", "POST"), ("/v2/repository/models/{name}/unload", "POST")}
    assert served <= documented, served - documented


def test_server_conforms_to_openapi():
    with su.Server() as s:
        assert s.upload_model("lenet", su.mlp(sizes=(16, 8)).SerializeToString()).status_code == 201
        schemathesis = os.path.join(os.path.dirname(sys.executable), "schemathesis")
        r = subprocess.run([schemathesis, "run", SPEC, "--url", s.url, "-n", "5",
                            "--phases", "coverage,fuzzing", "--request-timeout", "10",
                            "-c", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"],
                           capture_output=True, text=True, timeout=240, cwd=s.data_dir)  # its cache stays out of the repo
        assert r.returncode == 0, r.stdout[-8000:] + r.stderr[-2000:]
