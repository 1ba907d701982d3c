// What compression did, in the manner of Deep Compression's Table 1–4 and Figures 4 and 7:
// per-layer table, density per layer, the size waterfall, weight histograms with shared centroids.
"use strict";
(function (S) {
  const { h, api } = S;
  const bitsOf = (x) => (x === null || x === undefined) ? null : Number(x);

  // Sizes of the three stages from the per-layer figures (bits are per stored weight/index):
  // pruned = values kept as 32-bit floats plus indexes; quantised = codebook indexes plus indexes;
  // Huffman = the coded streams. Each quantised layer also carries its codebook (2^bits floats).
  // Sizes of the three stages from the per-layer figures. Bits are per stored entry (`entries`
  // counts the kept weights plus the filler zeros that long gaps need): pruned = entries as 32-bit
  // floats plus their relative indexes; quantised = codebook indexes plus relative indexes; Huffman
  // = the coded streams. Quantised layers also carry their codebook (2^bits float32 values).
  function stageSizes(report) {
    if (report.sizes && typeof report.sizes === "object") return report.sizes;
    const L = report.layers || [];
    const sum = (f) => L.reduce((a, l) => a + f(l), 0);
    const entries = (l) => l.entries ?? l.nonzero ?? 0;
    const codebook = (l) => l.weight_bits ? Math.pow(2, l.weight_bits) * 4 : 0;
    const dense = sum((l) => (l.params || 0) * 4);
    const pruned = sum((l) => entries(l) * (32 + (bitsOf(l.index_bits) || 0)) / 8);
    const quantized = sum((l) => entries(l) * ((bitsOf(l.weight_bits) || 32) + (bitsOf(l.index_bits) || 0)) / 8 + codebook(l));
    const estimated = L.some((l) => l.weight_bits_huffman !== undefined && l.weight_bits_huffman !== null)
      ? sum((l) => entries(l) * ((bitsOf(l.weight_bits_huffman) ?? bitsOf(l.weight_bits) ?? 32) + (bitsOf(l.index_bits_huffman) ?? bitsOf(l.index_bits) ?? 0)) / 8 + codebook(l))
      : null;
    // The final size is measured; so are the bytes outside the layers (graph, biases, headers),
    // which every stage carries. Only the layers' share of the middle stages is estimated.
    const measured = report.compressed_bytes ?? null;
    const layerBytes = L.every((l) => typeof l.bytes === "number") ? sum((l) => l.bytes) : estimated;
    const rest = measured !== null && layerBytes !== null ? Math.max(0, measured - layerBytes) : 0;
    return { dense: report.original_bytes ?? dense, pruned: pruned + rest, quantized: quantized + rest,
      huffman: measured ?? estimated,
      gzip: report.dense_onnx_gzip_bytes ?? report.dense_gzip_bytes ?? report.gzip_bytes ?? null };
  }

  function layerTable(report) {
    const L = report.layers || [];
    const rate = (l) => l.bytes ? (l.params * 4) / l.bytes : null;
    const rows = L.map((l) => h("tr",
      h("th", { scope: "row" }, h("code", l.name)), h("td", l.kind || "—"), h("td", S.shape(l.shape)),
      h("td.num", S.int(l.params)), h("td.num", S.pct(l.density ?? (l.params ? l.nonzero / l.params : null))),
      h("td.num", S.fixed(l.weight_bits, 0)), h("td.num", S.fixed(l.weight_bits_huffman, 1)),
      h("td.num", S.fixed(l.index_bits, 0)), h("td.num", S.fixed(l.index_bits_huffman, 1)),
      h("td.num", S.bytes(l.bytes)), h("td.num", rate(l) ? rate(l).toFixed(1) + "×" : "—")));
    const params = L.reduce((a, l) => a + (l.params || 0), 0), nonzero = L.reduce((a, l) => a + (l.nonzero || 0), 0);
    const total = h("tr.total", h("th", { scope: "row" }, "Total"), h("td"), h("td"), h("td.num", S.int(params)),
      h("td.num", S.pct(params ? nonzero / params : null)), h("td"), h("td"), h("td"), h("td"),
      h("td.num", S.bytes(report.compressed_bytes)), h("td.num", report.ratio ? Number(report.ratio).toFixed(1) + "×" : "—"));
    const head = h("thead",
      h("tr", h("th", { scope: "col", rowspan: 2 }, "Layer"), h("th", { scope: "col", rowspan: 2 }, "Kind"), h("th", { scope: "col", rowspan: 2 }, "Shape"),
        h("th", { scope: "col", rowspan: 2 }, "Weights"), h("th", { scope: "col", rowspan: 2 }, "Weights % (P)"),
        h("th", { scope: "colgroup", colspan: 2 }, "Weight bits"), h("th", { scope: "colgroup", colspan: 2 }, "Index bits"),
        h("th", { scope: "col", rowspan: 2 }, "Bytes"), h("th", { scope: "col", rowspan: 2 }, "Compress rate")),
      h("tr", ["P+Q", "P+Q+H", "P+Q", "P+Q+H"].map((x) => h("th", { scope: "col" }, x))));
    return h("div.table-wrap", h("table.report", h("caption", "Per layer: P = pruning, Q = quantisation, H = Huffman coding"),
      head, h("tbody", rows, total)));
  }

  async function modelOf(report, artifactId) {
    const meta = await api.get(`/v1/artifacts/${encodeURIComponent(artifactId)}/meta`).catch(() => null);
    const id = (meta && meta.model_id) || report.model_id || (report.model && report.model.id);
    if (id) return api.model(id).catch(() => null);
    const jobs = api.list(await api.jobs().catch(() => []), "jobs");
    const job = jobs.find((j) => j.artifact_id === artifactId);
    return job ? api.model(job.model_id).catch(() => null) : null;
  }

  async function reportView(view, artifactId) {
    const [report, hist] = await Promise.all([api.report(artifactId),
      api.histograms(artifactId).catch(() => null)]);
    const model = await modelOf(report, artifactId);
    const sizes = stageSizes(report);
    const acc = report.accuracy;
    const L = report.layers || [];

    const summary = h("section.summary",
      h("div.stat", h("span.big", S.bytes(report.original_bytes)), h("span.muted", "dense")),
      h("div.stat", h("span.big", S.bytes(report.compressed_bytes)), h("span.muted", "compressed")),
      h("div.stat.accent", h("span.big", report.ratio ? Number(report.ratio).toFixed(1) + "×" : "—"), h("span.muted", "smaller")),
      acc ? h("div.stat", h("span.big", `${S.pct(acc.before, 2)} → ${S.pct(acc.after, 2)}`), h("span.muted", "accuracy before → after")) : null);

    const steps = [{ label: "dense", bytes: sizes.dense }, { label: "pruned", bytes: sizes.pruned },
      { label: "+ quantised", bytes: sizes.quantized }, { label: "+ Huffman", bytes: sizes.huffman }];
    const waterfall = S.charts.waterfall(steps, { beside: { label: "gzip'd dense", bytes: sizes.gzip },
      caption: "Size after each stage, with the dense file gzip'd for comparison",
      description: steps.map((s) => `${s.label} ${S.bytes(s.bytes)}`).join(", ") + `; gzip'd dense ${S.bytes(sizes.gzip)}` });
    const density = S.charts.bars(L.map((l) => ({ label: l.name, value: l.density ?? (l.params ? l.nonzero / l.params : 0) })),
      { max: 1, caption: "Weights kept per layer (density after pruning)",
        description: L.map((l) => `${l.name} ${S.pct(l.density)}`).join(", ") });

    // Histograms: one layer at a time, chosen from a select (long models would make a very long page).
    const histLayers = hist ? api.list(hist, "layers") : [];
    const histBox = h("div.hist-box");
    let histSection;
    if (histLayers.length) {
      const pick = h("select", { id: "hist-layer" }, histLayers.map((l, i) => h("option", { value: i }, l.name)));
      const draw = () => {
        const l = histLayers[Number(pick.value)];
        histBox.replaceChildren(S.charts.histogram(l, { caption: `${l.name}: weights before (top) and after (bottom); orange marks are the ${(l.centroids || []).length} shared centroids` }));
      };
      pick.addEventListener("change", draw);
      draw();
      histSection = h("section.card", h("h2", "Weight distribution"), h("div.field.inline", h("label", { for: "hist-layer" }, "Layer"), pick), histBox);
    } else {
      histSection = h("section.card", h("h2", "Weight distribution"), h("p.muted", "The server provided no histograms for this artifact."));
    }

    view.append(
      h("nav.crumbs", { "aria-label": "Breadcrumb" }, h("a", { href: "#/models" }, "Models"), " / ",
        model ? h("a", { href: `#/models/${model.id}` }, model.name) : "model", " / report"),
      h("div.page-head", h("h1", `What compression did${model ? " to " + model.name : ""}`),
        h("div.actions",
          h("a.button", { href: api.artifactURL(artifactId), download: `${model ? model.name : artifactId}.sparrow` }, "Download .sparrow"),
          h("a.button.ghost", { href: api.artifactONNXURL(artifactId), download: `${model ? model.name : artifactId}-decoded.onnx` }, "Download decoded ONNX"),
          model ? h("a.button.ghost", { href: `#/try/${encodeURIComponent(model.name)}` }, "Try it") : null)),
      summary,
      h("section.card", h("h2", "Per layer"), layerTable(report)),
      h("div.grid-2", h("section.card", h("h2", "Size, stage by stage"), waterfall),
        h("section.card", h("h2", "Density per layer"), density)),
      histSection);
  }

  S.views = Object.assign(S.views || {}, { reportView });
  S.report = { stageSizes };
})(window.Sparrow);
