// Models and datasets: upload (drag and drop or picker, with progress), lists, a model's page.
"use strict";
(function (S) {
  const { h, api } = S;

  // An upload box: name field, drop zone that is also a keyboard-usable file picker, progress bar.
  function uploader({ title, accept, hint, send, onDone }) {
    const id = "up-" + title.replace(/\W+/g, "-").toLowerCase();
    const nameInput = h("input", { id: id + "-name", name: "name", type: "text", required: true, placeholder: "e.g. lenet-300-100", autocomplete: "off" });
    const fileInput = h("input.visually-hidden", { id: id + "-file", type: "file", accept });
    const progress = h("progress", { max: 1, value: 0, hidden: true, "aria-label": "Upload progress" });
    const status = h("span.muted", { "aria-live": "polite" });
    let file = null;
    const chosen = h("span.chosen", "No file chosen");
    const zone = h("label.dropzone", { for: fileInput.id },
      h("strong", "Drop a file here"), h("span", " or "), h("span.linkish", "choose one"), h("br"), h("small.muted", hint), h("br"), chosen);
    function choose(f) {
      file = f || null;
      chosen.textContent = file ? `${file.name} — ${S.bytes(file.size)}` : "No file chosen";
      if (file && !nameInput.value) nameInput.value = S.safeName(file.name.replace(/\.(onnx|npz)$/i, ""));
    }
    fileInput.addEventListener("change", () => choose(fileInput.files[0]));
    zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", (e) => { e.preventDefault(); zone.classList.remove("over"); choose(e.dataTransfer.files[0]); });
    const button = h("button", { type: "submit" }, "Upload");
    const form = h("form.card.upload", { "aria-labelledby": id + "-title" },
      h("h2", { id: id + "-title" }, title),
      h("div.field", h("label", { for: nameInput.id }, "Name"), nameInput),
      fileInput, zone,
      h("div.row", button, progress, status));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (!file) { S.alert("Choose a file to upload first."); zone.focus(); return; }
      button.disabled = true; progress.hidden = false; progress.value = 0; status.textContent = "Uploading…";
      try {
        const out = await send(nameInput.value.trim(), file, (f) => { progress.value = f; status.textContent = f < 1 ? `Uploading… ${Math.round(f * 100)}%` : "Processing…"; });
        status.textContent = "Uploaded.";
        S.alert(`Uploaded ${nameInput.value.trim()}.`, "notice");
        nameInput.value = ""; choose(null); fileInput.value = "";
        if (onDone) onDone(out);
      } catch (err) { status.textContent = "Upload failed."; S.alert(err.message); }
      finally { button.disabled = false; progress.hidden = true; }
    });
    return form;
  }

  function table(headers, rows, { caption, className, label } = {}) {
    return h("div.table-wrap", h("table" + (className ? "." + className : ""), { "aria-label": label },
      caption ? h("caption", caption) : null,
      h("thead", h("tr", headers.map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", rows.length ? rows : h("tr", h("td.muted", { colspan: headers.length }, "Nothing yet.")))));
  }

  async function modelsView(view) {
    const list = h("section", { "aria-label": "Models" }, h("p.muted", "Loading…"));
    view.append(h("div.page-head", h("h1", "Models")),
      h("div.grid-2", uploader({ title: "Upload an ONNX model", accept: ".onnx,application/octet-stream",
        hint: "ONNX file (.onnx)", send: api.uploadModel, onDone: (m) => { if (m && m.id) location.hash = `#/models/${m.id}`; else render(); } }), list));
    async function render() {
      const models = api.list(await api.models(), "models");
      list.replaceChildren(table(["Name", "Version", "Parameters", "Size", ""],
        models.map((m) => h("tr",
          h("th", { scope: "row" }, h("a", { href: `#/models/${m.id}` }, m.name)),
          h("td.num", m.latest_version ?? m.version ?? 1), h("td.num", S.int(m.parameters)), h("td.num", S.bytes(m.size_bytes)),
          h("td", h("a.button.small", { href: `#/models/${m.id}/compress` }, "Compress")))),
        { caption: `${models.length} model${models.length === 1 ? "" : "s"}`, className: "models" }));
    }
    await render();
  }

  function ioTable(title, values) {
    return table(["Name", "Type", "Shape"], (values || []).map((v) => h("tr",
      h("th", { scope: "row" }, h("code", v.name)), h("td", v.datatype || v.type || "—"), h("td", S.shape(v.shape)))), { label: title });
  }

  // Versions: 1 is the dense upload; each finished compression job adds one (its artifact).
  async function versionsOf(model) {
    if (Array.isArray(model.versions) && model.versions.length && typeof model.versions[0] === "object") return model.versions;
    const jobs = api.list(await api.jobs().catch(() => []), "jobs").filter((j) => j.model_id === model.id);
    const rows = [{ version: model.version ?? 1, kind: "dense", size_bytes: model.size_bytes, created_at: model.created_at }];
    jobs.filter((j) => j.status === "succeeded" && j.artifact_id).forEach((j) => rows.push({
      version: j.version ?? null, kind: "sparse", artifact_id: j.artifact_id, job_id: j.id,
      size_bytes: j.report && j.report.compressed_bytes, created_at: j.finished_at }));
    return rows;
  }

  async function modelView(view, id) {
    const m = await api.model(id);
    const layers = m.layers || await api.layers(id).catch(() => []);
    const versions = await versionsOf(m);
    // Requests each version served and its mean time in the model, from Triton's statistics extension.
    // A refusal (e.g. 401 under --auth-inference) is shown, not mistaken for "no traffic".
    const stats = new Map(((await api.modelStats(m.name).catch((err) => { S.alert(err.message); return null; }))
      || { model_stats: [] }).model_stats.map((s) => [String(s.version), s]));
    const served = (v) => stats.get(String(v.version));
    const meanInfer = (s) => s && s.inference_stats.compute_infer.count
      ? S.fixed(s.inference_stats.compute_infer.ns / s.inference_stats.compute_infer.count / 1e6, 3) + " ms" : "—";
    const del = h("button.danger", { type: "button" }, "Delete model");
    del.addEventListener("click", async () => {
      if (!confirm(`Delete model ${m.name}?`)) return;
      try { await api.deleteModel(m.id); S.alert(`Deleted ${m.name}.`, "notice"); location.hash = "#/models"; }
      catch (err) { S.alert(err.message); }
    });
    view.append(
      h("nav.crumbs", { "aria-label": "Breadcrumb" }, h("a", { href: "#/models" }, "Models"), " / ", m.name),
      h("div.page-head", h("h1", m.name),
        h("div.actions", h("a.button", { href: `#/models/${m.id}/compress` }, "Compress"),
          h("a.button.ghost", { href: `#/try/${encodeURIComponent(m.name)}` }, "Try it"), del)),
      h("section.card", S.facts([["ID", h("code", m.id)], ["Latest version", m.latest_version ?? m.version ?? 1], ["Parameters", S.int(m.parameters)],
        ["Size", S.bytes(m.size_bytes)], ["SHA-256", h("code.wrap", m.sha256 || "—")], m.created_at ? ["Uploaded", S.when(m.created_at)] : null])),
      h("div.grid-2", h("section.card", h("h2", "Inputs"), ioTable("Inputs", m.inputs)),
        h("section.card", h("h2", "Outputs"), ioTable("Outputs", m.outputs))),
      h("section.card", h("h2", "Layers"),
        layers.length ? table(["Weight", "Kind", "Node", "Shape", "Parameters"], layers.map((l) => h("tr",
          h("th", { scope: "row" }, h("code", l.name)),
          h("td", [l.kind || "—", l.compressible === false ? h("small.muted", " (stays dense)") : null]),
          h("td", l.node ? [h("code", l.node), l.op ? ` · ${l.op}` : ""] : (l.op || "—")),
          h("td", S.shape(l.shape)), h("td.num", S.int(l.params ?? l.parameters)))),
          { caption: `${layers.length} weight tensors of Gemm, MatMul and Conv nodes`, className: "layers" })
          : h("p.muted", "The server did not list this model's layers.")),
      h("section.card", h("h2", "Versions"),
        table(["Version", "Kind", "Size", "Created", "Requests", "Mean model time", ""], versions.map((v) => h("tr",
          h("th", { scope: "row" }, v.version ?? "—"), h("td", v.kind || (v.artifact_id ? "sparse" : "dense")),
          h("td.num", S.bytes(v.size_bytes)), h("td", S.when(v.created_at)),
          h("td.num", served(v) ? S.int(served(v).execution_count) : "—"), h("td.num", meanInfer(served(v))),
          h("td", v.artifact_id ? h("a", { href: `#/artifacts/${v.artifact_id}` }, "Report") : null))),
          { caption: "Version 1 is the dense upload; each compression adds a sparse version. Requests and mean time in the model since the server started." })));
  }

  async function datasetsView(view) {
    const list = h("section", { "aria-label": "Datasets" }, h("p.muted", "Loading…"));
    view.append(h("div.page-head", h("h1", "Datasets")),
      h("div.grid-2", uploader({ title: "Upload a dataset", accept: ".npz", hint: "NumPy .npz with arrays x and y",
        send: api.uploadDataset, onDone: () => render() }), list));
    async function render() {
      const sets = api.list(await api.datasets(), "datasets");
      list.replaceChildren(table(["Name", "Samples", "x shape", "Classes", ""], sets.map((d) => {
        const del = h("button.ghost.small", { type: "button", "aria-label": `Delete dataset ${d.name}` }, "Delete");
        del.addEventListener("click", async () => {
          if (!confirm(`Delete dataset ${d.name}?`)) return;
          try { await api.deleteDataset(d.id); render(); } catch (err) { S.alert(err.message); }
        });
        return h("tr", h("th", { scope: "row" }, d.name), h("td.num", S.int(d.samples)), h("td", S.shape(d.x_shape)), h("td.num", d.classes ?? "—"), h("td", del));
      }), { caption: `${sets.length} dataset${sets.length === 1 ? "" : "s"}`, className: "datasets" }));
    }
    await render();
  }

  S.views = Object.assign(S.views || {}, { modelsView, modelView, datasetsView });
  S.ui = Object.assign(S.ui || {}, { table, uploader });
})(window.Sparrow);
