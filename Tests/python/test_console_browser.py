"""The web console in a real browser (headless Chromium, Debian's chromium + chromium-driver).

test_journey_real_server walks upload → compress → report → draw a digit → prediction against the
real `sparrow serve` ($SPARROW_BIN). The other tests run the same pages against console_stub.py, a
stand-in that speaks the same API, so the console's own behaviour (charts, errors, API key, phone
layout) is checked even where the service does not yet provide a route. Screenshots of every step
are kept in Tests/python/out/console/<test>/."""
from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import console_util as cu  # noqa: E402

try:
    import console_browser as cb
except ImportError as e:  # selenium missing
    pytest.skip(f"selenium not installed: {e}", allow_module_level=True)

OUT = Path(__file__).parent / "out" / "console"
why = cb.browser_available() or (None if cu.mnist_dir() else "MNIST not found (set SPARROW_MNIST_DIR)")
pytestmark = pytest.mark.skipif(why is not None, reason=why or "")


@pytest.fixture(scope="module")
def files():
    return cu.fixtures(OUT / "fixtures")


@pytest.fixture()
def driver():
    d = cb.make_driver()
    yield d
    d.quit()


def start_stub(api_key: str = "") -> tuple[subprocess.Popen, str]:
    port = cu.free_port()
    proc = subprocess.Popen([sys.executable, str(Path(__file__).parent / "console_stub.py"), str(port), api_key],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    cu.wait_ready(base, proc)
    return proc, base


@pytest.fixture()
def stub():
    proc, base = start_stub()
    yield base
    proc.terminate()
    proc.wait(5)


def walk(driver, base: str, files, out: Path, finetune: bool) -> None:
    model, data = files
    j = cb.Journey(driver, base, out)
    model_id = j.upload_model(model, "lenet")
    layers = driver.find_elements(cb.By.CSS_SELECTOR, "table.layers tbody tr")
    assert [r.text.split()[0] for r in layers] == ["fc1.weight", "fc2.weight", "fc3.weight"]
    j.upload_dataset(data, "mnist-test")
    j.compress(model_id, "mnist-test (2,000 samples)" if finetune else None, epochs=1)
    time.sleep(1)
    j.shot("job-live")
    artifact = j.follow_job()
    report = j.report(artifact)
    assert report["rows"] == 4  # three layers and the total
    assert report["charts"] >= 3, "waterfall, density and histogram charts"
    assert report["histogram"]
    assert ("accuracy" in report["summary"]) == finetune
    dense, compressed = j.try_digit("lenet")
    # The dense model must read the drawn 7; the compressed one must answer too (data-free 90%
    # pruning may move its probabilities, so its class is not pinned).
    assert dense == "7", (dense, compressed)
    assert compressed in "0123456789" and len(compressed) == 1, compressed
    assert cb.severe_logs(driver) == []


def test_journey_real_server(driver, files, tmp_path):
    if (reason := real_server_available()) is not None:
        pytest.skip(reason)
    proc, base = cu.start_server(tmp_path / "data", tmp_path / "server.log")
    try:
        # The service compresses data-free for now (it refuses fine-tuning configs), so the dataset
        # is uploaded and listed but the job does not use it.
        walk(driver, base, files, OUT / "real-server", finetune=False)
    finally:
        proc.terminate()
        proc.wait(10)


def test_journey_contract_stub(driver, files, stub):
    walk(driver, stub, files, OUT / "stub", finetune=True)
    # The histogram view is one layer at a time; switching layers redraws it.
    driver.back()  # back to the report from the try page
    cb.WebDriverWait(driver, 10).until(lambda d: d.find_elements(cb.By.CSS_SELECTOR, "svg.svg-hist"))
    select = cb.Select(driver.find_element(cb.By.ID, "hist-layer"))
    assert [o.text for o in select.options] == ["fc1.weight", "fc2.weight", "fc3.weight"]
    select.select_by_visible_text("fc3.weight")
    assert "fc3.weight" in driver.find_element(cb.By.CSS_SELECTOR, ".hist-box figcaption").text


def real_server_available() -> str | None:
    """None when $SPARROW_BIN can `serve`, else why not."""
    binary = cu.sparrow_bin()
    if not binary.exists():
        return f"{binary} not built (swift build -c release)"
    if "serve" not in subprocess.run([str(binary), "--help"], capture_output=True, text=True).stdout:
        return "this sparrow binary has no `serve` subcommand yet"
    return None


@pytest.mark.parametrize("backend", ["stub", "real"])
def test_api_key_and_plain_errors(driver, files, tmp_path, backend):
    if backend == "real":
        if (reason := real_server_available()) is not None:
            pytest.skip(reason)
        proc, base = cu.start_server(tmp_path / "data", tmp_path / "server.log", ["--api-key", "s3cret"])
    else:
        proc, base = start_stub(api_key="s3cret")
    try:
        j = cb.Journey(driver, base, OUT / f"api-key-{backend}")
        driver.get(base + "/#/models")
        j.upload("Upload an ONNX model", "lenet", files[0])
        alert = cb.WebDriverWait(driver, 10).until(lambda d: d.find_element(cb.By.CSS_SELECTOR, ".alert.error"))
        assert "401" in alert.text and "API key" in alert.text, alert.text
        j.shot("unauthorised")
        # Enter the key with the keyboard only: the header button, then the dialog's field and Enter.
        driver.find_element(cb.By.ID, "key-button").click()
        field = driver.find_element(cb.By.ID, "key-input")
        assert driver.switch_to.active_element == field
        field.send_keys("s3cret" + cb.Keys.ENTER)
        assert driver.execute_script("return sessionStorage.getItem('sparrow.apiKey')") == "s3cret"
        model_id = j.upload_model(files[0], "lenet")
        assert model_id
        # An API error is shown as the server's message, not swallowed.
        driver.get(base + "/#/models/does-not-exist")
        err = cb.WebDriverWait(driver, 10).until(lambda d: d.find_element(cb.By.CSS_SELECTOR, ".alert.error"))
        assert "404" in err.text and "does-not-exist" in err.text, err.text
        j.shot("not-found")
    finally:
        proc.terminate()
        proc.wait(10)


def test_phone_layout(files, stub):
    """At 390 px wide nothing but the tables' own scrollers may overflow sideways."""
    model, _ = files
    with open(model, "rb") as f:
        req = urllib.request.Request(stub + "/v1/models?name=lenet", data=f.read(), method="POST")
        model_id = json.loads(urllib.request.urlopen(req).read())["id"]
    req = urllib.request.Request(stub + f"/v1/models/{model_id}/compress", data=b"{}", method="POST")
    job_id = json.loads(urllib.request.urlopen(req).read())["id"]
    deadline = time.time() + 60
    while (job := json.loads(urllib.request.urlopen(stub + f"/v1/jobs/{job_id}").read()))["status"] != "succeeded":
        assert time.time() < deadline and job["status"] in ("queued", "running"), job
        time.sleep(0.3)
    d = cb.make_driver(390, 844, phone=True)
    shots = OUT / "phone"
    shots.mkdir(parents=True, exist_ok=True)
    try:
        for n, page in enumerate(("#/models", f"#/models/{model_id}", "#/datasets", "#/jobs", f"#/artifacts/{job['artifact_id']}", "#/try/lenet")):
            d.get(stub + "/" + page)
            cb.WebDriverWait(d, 10).until(lambda d: d.find_elements(cb.By.CSS_SELECTOR, "main h1"))
            assert d.execute_script("return window.innerWidth") == 390
            overflow = d.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{page} overflows by {overflow}px"
            d.save_screenshot(str(shots / f"{n:02d}-{page.strip('#/').split('/')[0]}.png"))
        assert cb.severe_logs(d) == []
    finally:
        d.quit()


def test_cancel_a_running_job(driver, files, stub):
    """The stub's jobs take seconds (the real service compresses LeNet in well under one)."""
    j = cb.Journey(driver, stub, OUT / "cancel")
    model_id = j.upload_model(files[0], "lenet")
    j.compress(model_id, None)
    cancel = cb.WebDriverWait(driver, 10).until(
        lambda d: d.find_element(cb.By.XPATH, "//button[text()='Cancel job']"))
    cancel.click()
    cb.WebDriverWait(driver, 10).until(lambda d: "cancelled" in d.find_element(cb.By.CSS_SELECTOR, ".outcome").text)
    assert not cancel.is_displayed()
    j.shot("cancelled")
    assert cb.severe_logs(driver) == []


def test_json_input_for_other_models(driver, tmp_path):
    """A model whose input is not a 28×28 image gets the JSON request box; both versions answer."""
    if (reason := real_server_available()) is not None:
        pytest.skip(reason)
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper, save
    w = numpy_helper.from_array(np.random.default_rng(0).standard_normal((8, 32)).astype(np.float32), "fc.weight")
    graph = helper.make_graph([helper.make_node("Gemm", ["x", "fc.weight"], ["y"], name="fc", transB=1)], "tiny",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 32])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8])], [w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    save(model, str(tmp_path / "tiny.onnx"))
    proc, base = cu.start_server(tmp_path / "data", tmp_path / "server.log")
    try:
        j = cb.Journey(driver, base, OUT / "json-input")
        model_id = j.upload_model(tmp_path / "tiny.onnx", "tiny")
        j.compress(model_id, None)
        j.follow_job()
        driver.get(base + "/#/try/tiny")
        box = cb.WebDriverWait(driver, 10).until(lambda d: d.find_element(cb.By.ID, "try-json"))
        assert '"name":"x"' in box.get_attribute("value")
        driver.find_element(cb.By.XPATH, "//button[text()='Run on both versions']").click()
        cb.WebDriverWait(driver, 10).until(lambda d: len(d.find_elements(cb.By.CSS_SELECTOR, "[data-testid=output]")) == 2)
        outputs = [e.text for e in driver.find_elements(cb.By.CSS_SELECTOR, "[data-testid=output]")]
        assert all(o.startswith("y · FP32 · [1,8]") for o in outputs), outputs
        j.shot("json-try")
        assert cb.severe_logs(driver) == []
    finally:
        proc.terminate()
        proc.wait(10)


def test_console_hunt_findings_on_the_real_server(files, tmp_path):
    """What a black-box hunt found: the evaluation-only form, the waterfall's last bar against the
    headline, long names at phone width, a non-ASCII API key, the upload name, error titles."""
    if (reason := real_server_available()) is not None:
        pytest.skip(reason)
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper, save
    model, data = files
    proc, base = cu.start_server(tmp_path / "data", tmp_path / "server.log")
    d = cb.make_driver(360, 800, phone=True)
    try:
        j = cb.Journey(d, base, OUT / "hunt")
        model_id = j.upload_model(model, "lenet")
        j.upload_dataset(data, "mnist-test")
        # Evaluation set alone: the form sends {"finetune": {"epochs": 0, "eval_dataset": …}}.
        d.get(f"{base}/#/models/{model_id}/compress")
        j.wait.until(cb.EC.presence_of_element_located((cb.By.ID, "sparsity")))
        cb.Select(d.find_element(cb.By.ID, "eval_dataset")).select_by_visible_text("mnist-test")
        d.find_element(cb.By.CSS_SELECTOR, "form.compress button[type=submit]").click()
        j.wait.until(cb.EC.url_matches(r"#/jobs/[^/]+$"))
        artifact = j.follow_job()
        report = j.report(artifact)
        assert "accuracy" in report["summary"], report["summary"]
        jobs = json.loads(urllib.request.urlopen(f"{base}/v1/jobs").read())["items"]
        ran = next(j for j in jobs if j["artifact_id"] == artifact)
        assert ran["config"]["finetune"].keys() == {"epochs", "eval_dataset"} and ran["config"]["finetune"]["epochs"] == 0
        served = json.loads(urllib.request.urlopen(f"{base}/v1/artifacts/{artifact}/report").read())
        # The waterfall's last bar ("+ Huffman") is the measured size the headline shows.
        bars = d.execute_script("return [...document.querySelectorAll('figure svg rect > title')].map(t => t.textContent)")
        huffman = [b for b in bars if b.startswith("+ Huffman: ")]
        assert huffman == ["+ Huffman: " + cu_bytes(served["compressed_bytes"])], bars
        assert cu_bytes(served["compressed_bytes"]) in d.find_element(cb.By.CSS_SELECTOR, "section.summary").text
        # The model page shows what each version served (Triton's statistics extension).
        meta = json.loads(urllib.request.urlopen(f"{base}/v2/models/lenet/versions/1").read())["inputs"][0]
        shape = [1 if n < 0 else n for n in meta["shape"]]
        body = json.dumps({"inputs": [{"name": meta["name"], "datatype": "FP32", "shape": shape,
                                       "data": [0.0] * int(np.prod(shape))}]}).encode()
        for _ in range(3):
            urllib.request.urlopen(urllib.request.Request(f"{base}/v2/models/lenet/versions/1/infer", data=body, method="POST"))
        d.get(f"{base}/#/models/{model_id}")
        # textContent: at 360 px the table scrolls inside its box, and .text reads only what shows.
        text = lambda e: e.get_attribute("textContent").strip()
        table = cb.WebDriverWait(d, 10).until(lambda d: next((t for t in d.find_elements(cb.By.CSS_SELECTOR, "main table")
                                                                    if "Requests" in text(t)), None))
        heads = [text(th) for th in table.find_elements(cb.By.CSS_SELECTOR, "thead th")]
        cells = [text(c) for c in table.find_elements(cb.By.CSS_SELECTOR, "tbody tr")[0].find_elements(cb.By.CSS_SELECTOR, "th, td")]
        row = dict(zip(heads, cells))
        assert row["Version"] == "1" and row["Requests"] == "3" and row["Mean model time"].endswith(" ms"), row
        # A 64-character model name and a 300-character layer name stay within 360 px.
        w = numpy_helper.from_array(np.random.default_rng(0).standard_normal((300, 16)).astype(np.float32), "w" * 300)
        graph = helper.make_graph([helper.make_node("MatMul", ["x", "w" * 300], ["y"])], "g",
                                  [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 300])],
                                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 16])], [w])
        save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8), tmp_path / "long.onnx")
        name = "n" * 64
        long_id = j.upload_model(tmp_path / "long.onnx", name)
        req = urllib.request.Request(f"{base}/v1/models/{long_id}/compress", data=b'{"min_params": 16}', method="POST")
        job = json.loads(urllib.request.urlopen(req).read())
        deadline = time.time() + 60
        while (job := json.loads(urllib.request.urlopen(f"{base}/v1/jobs/{job['id']}").read()))["status"] != "succeeded":
            assert time.time() < deadline and job["status"] in ("queued", "running"), job
            time.sleep(0.2)
        for page in (f"#/models/{long_id}", f"#/models/{long_id}/compress", f"#/artifacts/{job['artifact_id']}", f"#/try/{name}"):
            d.get(f"{base}/{page}")
            cb.WebDriverWait(d, 10).until(lambda d: d.find_elements(cb.By.CSS_SELECTOR, "main h1"))
            time.sleep(0.3)
            overflow = d.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{page} overflows by {overflow}px"
        # An error page does not keep the previous page's title.
        d.get(f"{base}/#/jobs/job_00000000000000000000")
        cb.WebDriverWait(d, 10).until(lambda d: d.find_elements(cb.By.CSS_SELECTOR, ".alert.error"))
        assert d.title == "Error · Sparrow", d.title
        # A file name the server would refuse becomes one it takes.
        d.get(f"{base}/#/models")
        chooser = cb.WebDriverWait(d, 10).until(lambda d: d.find_element(cb.By.CSS_SELECTOR, "input[type=file]"))
        odd = tmp_path / "tiny gemm (copy).onnx"
        odd.write_bytes((tmp_path / "long.onnx").read_bytes())
        chooser.send_keys(str(odd))
        assert d.find_element(cb.By.CSS_SELECTOR, "form.upload input[type=text]").get_attribute("value") == "tiny-gemm-copy-"
        # A key a header cannot carry is refused by the dialog ...
        d.find_element(cb.By.ID, "key-button").click()
        field = d.find_element(cb.By.ID, "key-input")
        field.send_keys("ключ" + cb.Keys.ENTER)
        assert d.execute_script("return document.getElementById('key-input').validity.patternMismatch")
        assert d.execute_script("return sessionStorage.getItem('sparrow.apiKey')") is None
        d.execute_script("document.getElementById('key-dialog').close()")
        # ... and one already stored (an older console) is not sent: GETs keep working.
        d.execute_script("sessionStorage.setItem('sparrow.apiKey', 'ключ')")
        d.get(f"{base}/#/models")
        cb.WebDriverWait(d, 10).until(lambda d: d.find_elements(cb.By.CSS_SELECTOR, "main table"))
        assert not d.find_elements(cb.By.CSS_SELECTOR, ".alert.error")
        assert [l for l in cb.severe_logs(d) if "job_00000000000000000000" not in l["message"]] == []
    finally:
        d.quit()
        proc.terminate()
        proc.wait(10)


def test_typed_models_on_the_try_page_and_the_skip_link(driver, files, tmp_path):
    """A UINT8-image LeNet gets its pixels as 0..255 from the pad; a BOOL input's JSON template is
    valid as it stands; "Skip to content" moves focus without leaving the page."""
    if (reason := real_server_available()) is not None:
        pytest.skip(reason)
    import onnx
    from onnx import TensorProto, helper
    model, _ = files
    lenet = onnx.load(str(model))
    graph = lenet.graph
    original = graph.input[0].name
    graph.input[0].CopyFrom(helper.make_tensor_value_info("image", TensorProto.UINT8, [1, 784]))
    scale = helper.make_tensor("scale", TensorProto.FLOAT, [], [255.0])
    graph.initializer.append(scale)
    graph.node.insert(0, helper.make_node("Div", ["image_f", "scale"], [original]))
    graph.node.insert(0, helper.make_node("Cast", ["image"], ["image_f"], to=TensorProto.FLOAT))
    onnx.save(lenet, tmp_path / "lenet-u8.onnx")
    flags = helper.make_model(helper.make_graph([helper.make_node("Not", ["flags"], ["y"])], "g",
                              [helper.make_tensor_value_info("flags", TensorProto.BOOL, [1, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.BOOL, [1, 3])]),
                              opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    onnx.save(flags, tmp_path / "flags.onnx")
    proc, base = cu.start_server(tmp_path / "data", tmp_path / "server.log")
    try:
        j = cb.Journey(driver, base, OUT / "typed")
        j.upload_model(tmp_path / "lenet-u8.onnx", "lenet-u8")
        req = urllib.request.Request(f"{base}/v1/models?name=flags", data=(tmp_path / "flags.onnx").read_bytes(), method="POST")
        flags_id = json.loads(urllib.request.urlopen(req).read())["id"]  # no weight layers: the journey's wait would not fit
        driver.set_window_size(1280, 900)
        driver.get(f"{base}/#/try/lenet-u8")
        canvas = j.wait.until(cb.EC.visibility_of_element_located((cb.By.CSS_SELECTOR, "canvas.pad")))
        cb.draw_digit_seven(driver, canvas)
        cb.WebDriverWait(driver, 30).until(lambda d: d.find_elements(cb.By.CSS_SELECTOR, "[data-testid=prediction]"))
        assert driver.find_element(cb.By.CSS_SELECTOR, "[data-testid=prediction]").text == "7"
        assert not driver.find_elements(cb.By.CSS_SELECTOR, ".alert.error")
        driver.get(f"{base}/#/try/flags")
        run = cb.WebDriverWait(driver, 10).until(lambda d: d.find_element(cb.By.XPATH, "//button[text()='Run on both versions']"))
        run.click()
        cb.WebDriverWait(driver, 10).until(lambda d: "true" in d.find_element(cb.By.CSS_SELECTOR, "main").text)
        assert not driver.find_elements(cb.By.CSS_SELECTOR, ".alert.error")
        driver.get(f"{base}/#/models/{flags_id}")
        cb.WebDriverWait(driver, 10).until(lambda d: d.find_elements(cb.By.CSS_SELECTOR, "main h1"))
        driver.find_element(cb.By.CSS_SELECTOR, "a.skip").send_keys(cb.Keys.ENTER)
        assert driver.current_url.endswith(f"#/models/{flags_id}")
        assert driver.execute_script("return document.activeElement.id") == "view"
        assert driver.find_element(cb.By.CSS_SELECTOR, "main h1").text == "flags"
        assert cb.severe_logs(driver) == []
    finally:
        proc.terminate()
        proc.wait(10)


def test_job_page_rides_out_a_server_restart(driver, files, tmp_path):
    """SIGTERM mid-job: the page says so, keeps retrying while the server is away, and shows the
    real outcome once a restarted server has resumed and finished the job."""
    if (reason := real_server_available()) is not None:
        pytest.skip(reason)
    import signal
    model, data = files
    proc, base = cu.start_server(tmp_path / "data", tmp_path / "server.log", ["--workers", "1"])
    try:
        j = cb.Journey(driver, base, OUT / "restart")
        model_id = j.upload_model(model, "lenet")
        j.upload_dataset(data, "mnist-test")
        job = j.compress(model_id, "mnist-test (2,000 samples)", epochs=300)
        log = lambda: driver.find_element(cb.By.CSS_SELECTOR, "section.card ol, section.card ul").text
        cb.WebDriverWait(driver, 60).until(lambda d: "epoch 1/" in log())
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)
        cb.WebDriverWait(driver, 10).until(lambda d: "the server is stopping" in log())
        cb.WebDriverWait(driver, 10).until(lambda d: "the server is not answering; retrying" in log())
        port = int(base.rsplit(":", 1)[1])
        proc, base = cu.start_server(tmp_path / "data", tmp_path / "server.log", ["--workers", "1"], port=port)
        artifact = j.follow_job(timeout=240)
        assert artifact.startswith("art_")
        assert "the server is back" in log()
        stored = json.loads(urllib.request.urlopen(f"{base}/v1/jobs/{job}").read())
        assert stored["status"] == "succeeded"
        assert [l for l in cb.severe_logs(driver) if "Failed to load resource" not in l["message"]
                and "ERR_" not in l["message"]] == []
    finally:
        proc.terminate()
        proc.wait(10)


def cu_bytes(n: int) -> str:
    """The console's S.bytes text for n (util.js): binary units, 2 decimals below 10, else 1."""
    v, i, units = float(n), 0, ["B", "KB", "MB", "GB"]
    while abs(v) >= 1024 and i < len(units) - 1:
        v /= 1024
        i += 1
    return (f"{v:.0f}" if i == 0 else f"{v:.2f}" if v < 10 else f"{v:.1f}") + " " + units[i]
