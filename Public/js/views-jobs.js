// Compression: the config form (the paper's defaults filled in), the job list and a job's live page.
"use strict";
(function (S) {
  const { h, api } = S;

  // Deep Compression's settings for LeNet/AlexNet: ~90% of weights pruned, 8-bit conv and 5-bit fc
  // codebooks (linear initialisation was the best), 5-bit relative indexes, Huffman on both streams.
  const DEFAULTS = { sparsity: 0.9, fc_bits: 5, conv_bits: 8, init: "linear", index_bits: 5, huffman: true,
    epochs: 2, learning_rate: 0.001, schedule: "iterative" };

  const isConv = (layer) => /conv/i.test(layer.kind || layer.op || layer.op_type || "");
  const progressFraction = (p) => (p === null || p === undefined) ? null : (p > 1 ? p / 100 : p);

  function field(label, input, help) {
    const hid = help ? input.id + "-help" : null;
    if (hid) input.setAttribute("aria-describedby", hid);
    return h("div.field", h("label", { for: input.id }, label), input, help ? h("small.muted", { id: hid }, help) : null);
  }
  const num = (id, value, attrs) => h("input", Object.assign({ id, name: id, type: "number", value, inputmode: "decimal" }, attrs));
  function select(id, options, value) {
    return h("select", { id, name: id }, options.map(([v, label]) => h("option", { value: v, selected: v === value }, label)));
  }

  async function compressView(view, modelId) {
    const [model, sets] = await Promise.all([api.model(modelId), api.datasets().then((x) => api.list(x, "datasets")).catch(() => [])]);
    const layers = (model.layers || await api.layers(modelId).catch(() => [])).filter((l) => l.compressible !== false);
    const f = {
      sparsity: num("sparsity", DEFAULTS.sparsity, { min: 0, max: 0.999, step: 0.01, required: true }),
      threshold: num("threshold_std", "", { min: 0, step: 0.05, placeholder: "off" }),
      fc: num("fc_bits", DEFAULTS.fc_bits, { min: 1, max: 8, step: 1, required: true }),
      conv: num("conv_bits", DEFAULTS.conv_bits, { min: 1, max: 8, step: 1, required: true }),
      init: select("init", [["linear", "linear"], ["density", "density"], ["random", "random"]], DEFAULTS.init),
      index: num("index_bits", DEFAULTS.index_bits, { min: 1, max: 16, step: 1, required: true }),
      huffman: h("input", { id: "huffman", name: "huffman", type: "checkbox", checked: DEFAULTS.huffman }),
      dataset: select("dataset", [["", "none (no fine-tuning)"]].concat(sets.map((d) => [d.id, `${d.name} (${S.int(d.samples)} samples)`])), ""),
      evalSet: select("eval_dataset", [["", "same as fine-tuning / none"]].concat(sets.map((d) => [d.id, d.name])), ""),
      epochs: num("epochs", DEFAULTS.epochs, { min: 0, max: 1000, step: 1 }),
      lr: num("learning_rate", DEFAULTS.learning_rate, { min: 0, step: "any" }),
      schedule: select("schedule", [["oneshot", "one-shot"], ["iterative", "iterative"], ["gradual", "gradual"]], DEFAULTS.schedule),
    };
    const perLayer = layers.map((l, i) => ({
      layer: l,
      sparsity: num(`layer-${i}-sparsity`, "", { min: 0, max: 0.999, step: 0.01, placeholder: "overall", "aria-label": `Sparsity of ${l.name}` }),
      bits: num(`layer-${i}-bits`, "", { min: 1, max: 8, step: 1, placeholder: isConv(l) ? "conv" : "fc", "aria-label": `Bits of ${l.name}` }),
    }));
    const submit = h("button", { type: "submit" }, "Start compression");
    const form = h("form.card.compress",
      h("fieldset", h("legend", "Pruning"),
        h("div.grid-3", field("Sparsity (fraction of weights removed)", f.sparsity, "0.9 removes 90%."),
          field("Threshold (× std of each layer)", f.threshold, "Optional: prune |w| < k·σ instead of by sparsity."))),
      h("fieldset", h("legend", "Quantisation (weight sharing)"),
        h("div.grid-3", field("Bits, fully connected", f.fc, "2⁵ = 32 shared weights"), field("Bits, convolutional", f.conv, "2⁸ = 256 shared weights"),
          field("Centroid initialisation", f.init))),
      h("fieldset", h("legend", "Encoding"),
        h("div.grid-3", field("Relative index bits", f.index, "Gaps larger than 2^bits get filler zeros."),
          h("div.field.check", f.huffman, h("label", { for: "huffman" }, "Huffman-code weights and indexes")))),
      h("fieldset", h("legend", "Fine-tuning"),
        h("div.grid-3", field("Dataset", f.dataset), field("Epochs", f.epochs), field("Learning rate", f.lr),
          field("Schedule", f.schedule), field("Evaluation dataset", f.evalSet, "Accuracy before and after."))),
      perLayer.length ? h("details.per-layer", h("summary", `Per-layer overrides (${perLayer.length} layers)`),
        S.ui.table(["Layer", "Kind", "Parameters", "Sparsity", "Bits"], perLayer.map((p) => h("tr",
          h("th", { scope: "row" }, h("code", p.layer.name)), h("td", p.layer.kind || p.layer.op || "—"),
          h("td.num", S.int(p.layer.params ?? p.layer.parameters)), h("td", p.sparsity), h("td", p.bits))))) : null,
      h("div.row", submit, h("a.button.ghost", { href: `#/models/${model.id}` }, "Cancel")));

    // The shape CompressionConfig (Sources/SparrowCompression) decodes strictly: absent keys take
    // the defaults, so only what the form sets is sent; per-layer maps are {initializer: value}.
    function config() {
      const n = (input) => input.value === "" ? null : Number(input.value);
      const prune = n(f.threshold) !== null ? { threshold_std: n(f.threshold) } : { sparsity: n(f.sparsity) };
      const quantize = { fc_bits: n(f.fc), conv_bits: n(f.conv), init: f.init.value };
      const pl = {}, ql = {};
      for (const p of perLayer) {
        if (p.sparsity.value !== "") pl[p.layer.name] = n(p.sparsity);
        if (p.bits.value !== "") ql[p.layer.name] = n(p.bits);
      }
      if (Object.keys(pl).length) prune.layers = pl;
      if (Object.keys(ql).length) quantize.layers = ql;
      const cfg = { prune, quantize, index_bits: n(f.index), huffman: f.huffman.checked };
      if (f.dataset.value) {
        cfg.finetune = { dataset: f.dataset.value, epochs: n(f.epochs), learning_rate: n(f.lr), schedule: f.schedule.value };
        if (f.evalSet.value) cfg.finetune.eval_dataset = f.evalSet.value;
      } else if (f.evalSet.value) cfg.finetune = { epochs: 0, eval_dataset: f.evalSet.value };
      return cfg;
    }
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      submit.disabled = true;
      try {
        const { body, response } = await api.compress(model.id, config());
        const loc = response.headers.get("Location") || "";
        const id = (body && (body.id || body.job_id)) || loc.split("/").pop();
        location.hash = `#/jobs/${id}`;
      } catch (err) { S.alert(err.message); submit.disabled = false; }
    });
    view.append(h("nav.crumbs", { "aria-label": "Breadcrumb" }, h("a", { href: "#/models" }, "Models"), " / ",
      h("a", { href: `#/models/${model.id}` }, model.name), " / compress"),
      h("div.page-head", h("h1", `Compress ${model.name}`)),
      h("p.muted", "Defaults are Deep Compression's (Han et al., ICLR 2016): prune, share weights by trained k-means, Huffman-code."),
      form);
  }

  async function jobsView(view, ctx) {
    const filter = select("status-filter", [["", "all"], ["queued", "queued"], ["running", "running"], ["succeeded", "succeeded"],
      ["failed", "failed"], ["cancelled", "cancelled"]], "");
    const list = h("div", h("p.muted", "Loading…"));
    view.append(h("div.page-head", h("h1", "Compression jobs"), h("div.field.inline", h("label", { for: "status-filter" }, "Status"), filter)), list);
    let timer = null;
    async function render() {
      const jobs = api.list(await api.jobs(filter.value), "jobs");
      list.replaceChildren(S.ui.table(["Job", "Model", "Status", "Stage", "Progress", "Created"], jobs.map((j) => h("tr",
        h("th", { scope: "row" }, h("a", { href: `#/jobs/${j.id}` }, h("code", String(j.id).slice(0, 8)))),
        h("td", h("a", { href: `#/models/${j.model_id}` }, h("code", String(j.model_id).slice(0, 8)))),
        h("td", S.statusBadge(j.status)), h("td", j.stage || "—"),
        h("td", h("progress", { max: 1, value: progressFraction(j.progress) ?? 0, "aria-label": `Progress of job ${j.id}` })),
        h("td", S.when(j.created_at)))), { caption: `${jobs.length} job${jobs.length === 1 ? "" : "s"}`, className: "jobs" }));
      clearTimeout(timer);
      if (jobs.some((j) => j.status === "queued" || j.status === "running")) timer = setTimeout(() => render().catch((e) => S.alert(e.message)), 3000);
    }
    filter.addEventListener("change", () => render().catch((e) => S.alert(e.message)));
    ctx.onLeave(() => clearTimeout(timer));
    await render();
  }

  const FINAL = new Set(["succeeded", "failed", "cancelled"]);

  async function jobView(view, id, ctx) {
    let job = await api.job(id);
    const badge = h("span"), stage = h("span"), eta = h("span"), pcent = h("span");
    const bar = h("progress", { max: 1, value: 0, "aria-label": "Job progress" });
    const log = h("ol.log", { "aria-live": "polite", "aria-label": "Job events" });
    const cancel = h("button.danger", { type: "button" }, "Cancel job");
    const outcome = h("div.outcome");
    cancel.addEventListener("click", async () => {
      cancel.disabled = true;
      try { job = await api.cancelJob(id) || await api.job(id); update(job); line("cancel requested"); }
      catch (err) { S.alert(err.message); cancel.disabled = false; }
    });
    function line(text) {
      log.append(h("li", h("time", new Date().toLocaleTimeString()), " ", text));
      log.scrollTop = log.scrollHeight;
    }
    function update(j) {
      if (!j || typeof j !== "object") return;
      job = Object.assign({}, job, j);
      badge.replaceChildren(S.statusBadge(job.status));
      stage.textContent = job.stage || "—";
      const p = progressFraction(job.progress);
      bar.value = p ?? 0;
      pcent.textContent = p === null ? "" : S.pct(p, 0);
      let remaining = j.eta_seconds ?? null;
      if (remaining === null && p > 0.02 && p < 1 && job.started_at) {
        const started = new Date(typeof job.started_at === "number" ? job.started_at * 1000 : job.started_at).getTime();
        remaining = ((Date.now() - started) / 1000) * (1 - p) / p;
      }
      eta.textContent = FINAL.has(job.status) ? "done" : remaining === null ? "estimating…" : "about " + S.duration(remaining);
      cancel.hidden = FINAL.has(job.status);
      if (FINAL.has(job.status)) showOutcome();
    }
    function showOutcome() {
      if (job.status === "succeeded" && job.artifact_id) {
        outcome.replaceChildren(h("p", "Compression finished. ", h("a.button", { href: `#/artifacts/${job.artifact_id}` }, "See what compression did")));
      } else if (job.status === "failed") outcome.replaceChildren(h("p.error-text", "The job failed: " + (job.error || "no message")));
      else if (job.status === "cancelled") outcome.replaceChildren(h("p.muted", "The job was cancelled."));
    }
    let lastEpoch = null;
    function onEvent({ event, data }) {
      if (typeof data !== "object" || data === null) { line(String(data)); return; }
      const before = job.stage;
      if ("status" in data || "stage" in data || "progress" in data) update(data);
      if (data.stage && data.stage !== before) line(`stage: ${data.stage}`);
      // A stream (re)opened mid-training repeats the last epoch: log each epoch of a stage once.
      const epochKey = `${data.stage}|${data.epoch}`;
      if (data.epoch !== undefined && epochKey !== lastEpoch) {
        lastEpoch = epochKey;
        const parts = [`epoch ${data.epoch}${data.epochs ? "/" + data.epochs : ""}`];
        if (data.loss !== undefined) parts.push(`loss ${S.fixed(data.loss, 4)}`);
        if (data.accuracy !== undefined) parts.push(`accuracy ${S.pct(data.accuracy, 2)}`);
        line(parts.join(" · "));
      }
      if (event === "shutdown") line("the server is stopping; the job is queued again and resumes when it restarts");
      if (data.message) line(data.message);
      else if (event && !["message", "progress", "status", "stage", "epoch", "end", "shutdown"].includes(event)) line(event);
    }
    const controller = new AbortController();
    ctx.onLeave(() => controller.abort());
    view.append(h("nav.crumbs", { "aria-label": "Breadcrumb" }, h("a", { href: "#/jobs" }, "Jobs"), " / ", h("code", id)),
      h("div.page-head", h("h1", "Compression job"), h("div.actions", cancel)),
      h("section.card.job",
        S.facts([["Status", badge], ["Model", h("a", { href: `#/models/${job.model_id}` }, h("code", job.model_id))],
          ["Stage", stage], ["Time left", eta], ["Created", S.when(job.created_at)]]),
        h("div.progress-row", bar, pcent), outcome),
      h("section.card", h("h2", "Events"), log));
    update(job);
    line(`job ${job.status}`);
    if (FINAL.has(job.status)) return;
    // Live updates from the server-sent events. When the stream ends before the job (the server
    // stopping sends "shutdown") or breaks, poll, backing off while the server is away, and go
    // back to the stream once it answers again: a restarted server resumes the job.
    (async () => {
      const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
      let away = 0;
      while (!controller.signal.aborted && !FINAL.has(job.status)) {
        const back = (e) => { if (away) { line("the server is back"); away = 0; } onEvent(e); };
        try { await api.jobEvents(id, back, controller.signal); }
        catch (err) { if (controller.signal.aborted) return; }
        if (FINAL.has(job.status) || controller.signal.aborted) break;
        try {
          update(await api.job(id));
          if (away) line("the server is back");
          away = 0;
        } catch (err) {
          if (err.status) { S.alert(err.message); return; }  // the server answered: a real error
          if (!away) line("the server is not answering; retrying");
          away += 1;
          await sleep(Math.min(30000, 1000 * 2 ** Math.min(away, 5)));
          continue;
        }
        if (!FINAL.has(job.status)) await sleep(1000);
      }
      if (FINAL.has(job.status)) line(`job ${job.status}`);
    })();
  }

  S.views = Object.assign(S.views || {}, { compressView, jobsView, jobView });
  S.DEFAULTS = DEFAULTS;
})(window.Sparrow);
