// Try it: a drawing pad for 28×28 single-channel models, sent to the dense and the compressed
// version side by side; for other models, a JSON request box.
"use strict";
(function (S) {
  const { h, api } = S;

  const concrete = (shape) => shape.map((d) => (typeof d === "number" && d > 0) ? d : 1);
  // Pixels in 0..1 as the input's declared type: floats as they are, UINT8 images as 0..255.
  const PIXEL_TYPES = { FP32: (v) => v, FP16: (v) => v, FP64: (v) => v, BF16: (v) => v, UINT8: (v) => Math.round(v * 255) };
  function isDigitModel(meta) {
    if (!meta.inputs || meta.inputs.length !== 1) return false;
    if (!(meta.inputs[0].datatype in PIXEL_TYPES) && meta.inputs[0].datatype !== undefined) return false;
    const s = concrete(meta.inputs[0].shape || []);
    const n = s.reduce((a, b) => a * b, 1);
    const tail = s.slice(-2).join("x");
    return n === 784 && (tail === "28x28" || s[s.length - 1] === 784);
  }
  function softmaxIfNeeded(v) {
    const sum = v.reduce((a, b) => a + b, 0);
    if (v.every((x) => x >= 0 && x <= 1) && Math.abs(sum - 1) < 1e-3) return v;
    const m = Math.max(...v), e = v.map((x) => Math.exp(x - m)), z = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / z);
  }

  async function timedInfer(name, version, body) {
    const t0 = performance.now();
    const out = await api.infer(name, version, body);
    return { out, ms: performance.now() - t0 };
  }

  function resultCard(title, hint, raw) {
    const box = h("div.result-body", h("p.muted", hint));
    const card = h("section.card.result", { "aria-live": "polite" }, h("h2", title), box);
    return {
      card,
      show({ out, ms }) {
        if (raw) {
          // Any model: the output tensors as the server sent them, long data cut for display.
          const outputs = api.list(out, "outputs").map((o) => Object.assign({}, o,
            Array.isArray(o.data) && o.data.length > 64 ? { data: o.data.slice(0, 64).concat([`… ${o.data.length - 64} more`]) } : {}));
          box.replaceChildren(h("p.muted.latency", `${ms.toFixed(1)} ms round trip`),
            h("pre.output", { "data-testid": "output" },
              outputs.map((o) => `${o.name} · ${o.datatype} · ${JSON.stringify(o.shape)}\n${JSON.stringify(o.data)}`).join("\n\n")));
          return;
        }
        const o = api.list(out, "outputs")[0];
        if (!o || !Array.isArray(o.data)) { box.replaceChildren(h("p.error-text", "The response had no output data.")); return; }
        const probs = softmaxIfNeeded(o.data.map(Number));
        const best = probs.indexOf(Math.max(...probs));
        box.replaceChildren(
          h("div.prediction", h("span.digit", { "data-testid": "prediction" }, String(best)),
            h("span", h("strong", S.pct(probs[best], 1)), h("br"), h("span.muted.latency", `${ms.toFixed(1)} ms round trip`))),
          S.charts.bars(probs.map((p, i) => ({ label: String(i), value: p })), { max: 1, caption: "Class probabilities",
            description: probs.map((p, i) => `${i}: ${S.pct(p)}`).join(", "), highlight: (_, i) => i === best }));
      },
      error(err) { box.replaceChildren(h("p.error-text", err.message)); },
    };
  }

  async function tryView(view, name) {
    const meta = await api.modelMetadata(name);
    const versions = (meta.versions && meta.versions.length ? meta.versions : ["1"]).map(String)
      .sort((a, b) => Number(a) - Number(b));
    const compressedChoices = versions.filter((v) => v !== "1");
    const pick = h("select", { id: "try-version" }, (compressedChoices.length ? compressedChoices : ["1"]).map((v) => h("option", { value: v }, "version " + v)));
    pick.value = compressedChoices.length ? compressedChoices[compressedChoices.length - 1] : "1";
    const input = meta.inputs[0];
    view.append(h("nav.crumbs", { "aria-label": "Breadcrumb" }, h("a", { href: "#/models" }, "Models"), " / ", name, " / try"),
      h("div.page-head", h("h1", `Try ${name}`), h("div.field.inline", h("label", { for: "try-version" }, "Compressed version"), pick)));
    if (!compressedChoices.length) view.append(h("p.muted", "No compressed version yet: both sides run the dense model (version 1)."));

    const digits = isDigitModel(meta);
    const hint = digits ? "Draw a digit to see what this version predicts." : "Run a request to see this version's output.";
    const dense = resultCard("Dense · version 1", hint, !digits), compressed = resultCard("Compressed · version " + pick.value, hint, !digits);
    pick.addEventListener("change", () => { compressed.card.querySelector("h2").textContent = "Compressed · version " + pick.value; });
    async function runBoth(body) {
      // One after the other so the two latencies are not measured against each other's load.
      for (const [card, version] of [[dense, "1"], [compressed, pick.value]]) {
        try { card.show(await timedInfer(name, version, body)); } catch (err) { card.error(err); S.alert(err.message); }
      }
    }

    if (isDigitModel(meta)) {
      const datatype = input.datatype || "FP32";
      const request = (pixels) => ({ inputs: [{ name: input.name, shape: concrete(input.shape || [1, 784]), datatype,
        data: Array.from(pixels, PIXEL_TYPES[datatype]) }] });
      const pad = S.pad.create({ onChange: () => predict() });
      async function predict() {
        const pixels = pad.digit();
        if (!pixels) { S.alert("Draw a digit first.", "notice"); return; }
        await runBoth(request(pixels));
      }
      view.append(h("div.try-grid",
        h("section.card.pad-card", h("h2", "Draw a digit"), pad.canvas,
          h("div.row", h("button", { type: "button", onclick: () => predict() }, "Predict"),
            h("button.ghost", { type: "button", onclick: () => pad.clear() }, "Clear"),
            h("span.preview-box", pad.preview, h("small.muted", "28×28 sent"))),
          h("p.muted.note", "The drawing is cropped, scaled to 20×20 and centred by mass in 28×28, like MNIST.")),
        dense.card, compressed.card));
    } else {
      const template = { inputs: (meta.inputs || []).map((i) => ({ name: i.name, shape: concrete(i.shape || [1]), datatype: i.datatype || "FP32",
        data: new Array(concrete(i.shape || [1]).reduce((a, b) => a * b, 1)).fill(i.datatype === "BOOL" ? false : 0) })) };
      const box = h("textarea#try-json", { rows: 10, spellcheck: false }, JSON.stringify(template));
      const run = h("button", { type: "button" }, "Run on both versions");
      run.addEventListener("click", () => {
        let body;
        try { body = JSON.parse(box.value); } catch (err) { S.alert("The request is not valid JSON: " + err.message); return; }
        runBoth(body);
      });
      view.append(h("div.try-grid",
        h("section.card", h("h2", "Request (Open Inference Protocol JSON)"), h("label", { for: "try-json" }, "Inputs"), box, h("div.row", run)),
        dense.card, compressed.card));
    }
  }

  S.views = Object.assign(S.views || {}, { tryView });
  S.tryUtil = { isDigitModel, softmaxIfNeeded };
})(window.Sparrow);
