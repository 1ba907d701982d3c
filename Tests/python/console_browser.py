"""Drives the console in headless Chromium (Debian's chromium + chromedriver) through the journey
upload → compress → report → draw a digit → prediction, saving a screenshot at each step."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def browser_available() -> str | None:
    """None when Chromium and chromedriver are installed, else why not."""
    for p in (CHROMEDRIVER, CHROMIUM):
        if not Path(p).exists() and not shutil.which(p):
            return f"{p} not installed (apt-get install chromium chromium-driver)"
    return None


def make_driver(width: int = 1280, height: int = 900, phone: bool = False) -> webdriver.Chrome:
    """A headless Chromium; phone=True emulates a touch screen of width×height CSS pixels (a desktop
    window cannot be made narrower than 500 px)."""
    opts = webdriver.ChromeOptions()
    if phone:
        opts.add_experimental_option("mobileEmulation", {"deviceMetrics": {"width": width, "height": height, "pixelRatio": 2}})
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                f"--window-size={width},{height}", "--force-device-scale-factor=1"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)


def severe_logs(driver) -> list[dict]:
    return [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


def draw_digit_seven(driver, canvas) -> None:
    """A '7': a top bar and a diagonal down to the lower middle, drawn with the pointer."""
    w = canvas.size["width"]
    s = w / 280.0  # our strokes are in the canvas's 280-pixel design space, offsets from its centre
    pts = [(80, 70), (200, 70), (185, 110), (160, 160), (140, 215)]
    chain = ActionChains(driver, duration=10)
    chain.move_to_element_with_offset(canvas, int((pts[0][0] - 140) * s), int((pts[0][1] - 140) * s)).click_and_hold()
    for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
        for t in range(1, 7):
            x = x0 + (x1 - x0) * t / 6
            y = y0 + (y1 - y0) * t / 6
            chain.move_to_element_with_offset(canvas, int((x - 140) * s), int((y - 140) * s))
    chain.release().perform()


class Journey:
    """One walk through the console; each method is a step and leaves a screenshot."""

    def __init__(self, driver, base: str, out: Path):
        self.d, self.base, self.out = driver, base, out
        self.wait = WebDriverWait(driver, 30)
        out.mkdir(parents=True, exist_ok=True)
        self.n = 0

    def shot(self, name: str) -> Path:
        self.n += 1
        # Full page height so the whole view is judged, not the first screen.
        h = self.d.execute_script("return Math.max(document.body.scrollHeight, window.innerHeight)")
        w = self.d.execute_script("return window.innerWidth")
        self.d.set_window_size(max(w, 360), min(int(h) + 140, 6000))
        path = self.out / f"{self.n:02d}-{name}.png"
        self.d.save_screenshot(str(path))
        return path

    def text(self, css: str) -> str:
        return self.d.find_element(By.CSS_SELECTOR, css).text

    def upload(self, heading: str, name: str, path: Path) -> None:
        form = self.wait.until(EC.presence_of_element_located((By.XPATH, f"//form[.//h2[text()='{heading}']]")))
        form.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(str(Path(path).resolve()))
        name_input = form.find_element(By.CSS_SELECTOR, "input[name=name]")
        name_input.clear()
        name_input.send_keys(name)
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    def upload_model(self, path: Path, name: str) -> str:
        self.d.get(self.base + "/#/models")
        self.upload("Upload an ONNX model", name, path)
        self.wait.until(EC.url_matches(r"#/models/[^/]+$"))
        self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "table.layers")))
        self.shot("model-page")
        return self.d.current_url.rsplit("/", 1)[-1]

    def upload_dataset(self, path: Path, name: str) -> None:
        self.d.get(self.base + "/#/datasets")
        self.upload("Upload a dataset", name, path)
        self.wait.until(lambda d: name in d.find_element(By.CSS_SELECTOR, "table.datasets").text)
        self.shot("datasets")

    def compress(self, model_id: str, dataset: str | None, epochs: int = 1) -> str:
        self.d.get(f"{self.base}/#/models/{model_id}/compress")
        self.wait.until(EC.presence_of_element_located((By.ID, "sparsity")))
        if dataset:
            Select(self.d.find_element(By.ID, "dataset")).select_by_visible_text(dataset)
            Select(self.d.find_element(By.ID, "eval_dataset")).select_by_visible_text(dataset.split(" (")[0])
            e = self.d.find_element(By.ID, "epochs")
            e.clear()
            e.send_keys(str(epochs))
        self.shot("compress-form")
        self.d.find_element(By.CSS_SELECTOR, "form.compress button[type=submit]").click()
        self.wait.until(EC.url_matches(r"#/jobs/[^/]+$"))
        return self.d.current_url.rsplit("/", 1)[-1]

    def follow_job(self, timeout: float = 150) -> str:
        WebDriverWait(self.d, timeout).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, ".outcome a.button, .outcome p"))
        self.shot("job-finished")
        assert not self.d.find_element(By.XPATH, "//button[text()='Cancel job']").is_displayed(), "cancel offered after the end"
        link = self.d.find_elements(By.CSS_SELECTOR, ".outcome a.button")
        assert link, "job did not succeed: " + self.text(".outcome")
        return link[0].get_attribute("href").rsplit("/", 1)[-1]

    def report(self, artifact_id: str) -> dict:
        self.d.get(f"{self.base}/#/artifacts/{artifact_id}")
        self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "table.report")))
        self.shot("report")
        return {"rows": len(self.d.find_elements(By.CSS_SELECTOR, "table.report tbody tr")),
                "charts": len(self.d.find_elements(By.CSS_SELECTOR, "figure.chart svg")),
                "histogram": bool(self.d.find_elements(By.CSS_SELECTOR, "svg.svg-hist")),
                "summary": self.text(".summary")}

    def try_digit(self, model_name: str) -> tuple[str, str]:
        self.d.set_window_size(1280, 900)
        self.d.get(f"{self.base}/#/try/{model_name}")
        canvas = self.wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "canvas.pad")))
        draw_digit_seven(self.d, canvas)
        WebDriverWait(self.d, 30).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "[data-testid=prediction]")) == 2)
        preds = [e.text for e in self.d.find_elements(By.CSS_SELECTOR, "[data-testid=prediction]")]
        self.shot("try-digit")
        return preds[0], preds[1]
