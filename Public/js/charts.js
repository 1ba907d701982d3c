// Inline SVG charts drawn by hand: horizontal bars, the size waterfall and weight histograms.
// Each returns a <figure> holding an <svg> with role="img" and a text description.
"use strict";
(function (S) {
  const NS = "http://www.w3.org/2000/svg";
  function svg(tag, attrs, ...kids) {
    const el = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
    for (const k of kids.flat()) if (k !== null && k !== undefined) el.append(k instanceof Node ? k : document.createTextNode(String(k)));
    return el;
  }
  function figure(root, caption, description) {
    root.setAttribute("role", "img");
    root.setAttribute("aria-label", description || caption);
    root.prepend(svg("title", {}, description || caption));
    return S.h("figure.chart", root, caption ? S.h("figcaption", caption) : null);
  }
  // A "nice" tick step for an axis up to max.
  function niceStep(max, count) {
    const raw = max / Math.max(1, count), mag = Math.pow(10, Math.floor(Math.log10(raw || 1)));
    const n = raw / mag;
    return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * mag;
  }

  // Horizontal bars: items [{label, value, note}], values in [0, max]. Good for long layer names on phones.
  function bars(items, { max, format = (v) => S.pct(v), caption, description, highlight } = {}) {
    // A narrow design width keeps 12-px text legible when the chart sits in half a page or on a phone.
    const W = 400, rowH = 24, valueW = 56, top = 8;
    const labelW = Math.min(140, 14 + 7 * Math.max(1, ...items.map((d) => Math.min(22, d.label.length))));
    const H = top + items.length * rowH + 22;
    const maxV = max || Math.max(1e-12, ...items.map((d) => d.value || 0));
    const plotW = W - labelW - valueW;
    const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "svg-bars", preserveAspectRatio: "xMinYMin meet" });
    const step = maxV <= 1 && !max ? 0.25 : niceStep(maxV, 4);
    for (let t = 0; t <= maxV + 1e-9; t += step) {
      const x = labelW + (t / maxV) * plotW;
      root.append(svg("line", { x1: x, x2: x, y1: top - 4, y2: H - 20, class: "grid" }),
        svg("text", { x, y: H - 6, class: "tick", "text-anchor": "middle" }, format(t)));
    }
    items.forEach((d, i) => {
      const y = top + i * rowH;
      const w = Math.max(0, Math.min(1, (d.value || 0) / maxV)) * plotW;
      const label = d.label.length > 22 ? d.label.slice(0, 21) + "…" : d.label;
      root.append(
        svg("text", { x: labelW - 8, y: y + rowH / 2 + 4, class: "label", "text-anchor": "end" }, svg("title", {}, d.label), label),
        svg("rect", { x: labelW, y: y + 4, width: w, height: rowH - 8, rx: 3,
          class: "bar" + (highlight && highlight(d, i) ? " hot" : "") }, svg("title", {}, `${d.label}: ${format(d.value)}`)),
        svg("text", { x: labelW + w + 6, y: y + rowH / 2 + 4, class: "value" }, d.note || format(d.value)));
    });
    return figure(root, caption, description);
  }

  // The size waterfall: steps [{label, bytes}] from dense to fully compressed, each bar annotated with
  // its size and its ratio to the first; `beside` is a reference bar (the gzip'd dense file) drawn hatched.
  function waterfall(steps, { beside, caption, description } = {}) {
    const all = beside ? steps.concat([beside]) : steps;
    const W = 520, H = 250, left = 6, bottom = 48, top = 22;
    const maxV = Math.max(1, ...all.map((s) => s.bytes || 0));
    const slot = (W - left * 2) / all.length, bw = Math.min(90, slot * 0.6);
    const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "svg-waterfall" });
    const y = (v) => top + (1 - v / maxV) * (H - top - bottom);
    root.append(svg("line", { x1: left, x2: W - left, y1: H - bottom, y2: H - bottom, class: "axis" }));
    all.forEach((s, i) => {
      const cx = left + slot * i + slot / 2;
      const isBeside = beside && i === all.length - 1;
      if (s.bytes === null || s.bytes === undefined) {
        root.append(svg("text", { x: cx, y: H - bottom - 6, class: "value", "text-anchor": "middle" }, "n/a"));
      } else {
        const y0 = y(s.bytes);
        const ratio = steps[0].bytes && s.bytes ? steps[0].bytes / s.bytes : null;
        root.append(
          svg("rect", { x: cx - bw / 2, y: y0, width: bw, height: H - bottom - y0, rx: 3,
            class: isBeside ? "bar ref" : (i === 0 ? "bar dense" : "bar") }, svg("title", {}, `${s.label}: ${S.bytes(s.bytes)}`)),
          svg("text", { x: cx, y: y0 - 6, class: "value", "text-anchor": "middle" },
            S.bytes(s.bytes) + (i > 0 && ratio ? ` (${ratio.toFixed(ratio < 10 ? 1 : 0)}×)` : "")));
        // The dashed step from this bar's top to the next bar keeps the waterfall reading left to right.
        if (!isBeside && i + 1 < steps.length && steps[i + 1].bytes) {
          const nx = left + slot * (i + 1) + slot / 2;
          root.append(svg("line", { x1: cx + bw / 2, x2: nx - bw / 2, y1: y(steps[i + 1].bytes), y2: y(steps[i + 1].bytes), class: "step" }));
        }
      }
      const words = s.label.split(" ");
      const half = Math.ceil(words.length / 2);
      root.append(svg("text", { x: cx, y: H - bottom + 18, class: "label", "text-anchor": "middle" }, words.slice(0, half).join(" ")),
        svg("text", { x: cx, y: H - bottom + 34, class: "label", "text-anchor": "middle" }, words.slice(half).join(" ")));
    });
    return figure(root, caption, description);
  }

  // Weight histograms of one layer, before (dense, pruned zeros excluded by the server or not) and
  // after (quantised: mass concentrates on the shared centroids), on a common x axis, with each
  // centroid drawn as a tick in both panels.
  function histogram(layer, { caption } = {}) {
    const W = 900, panelH = 120, top = 16, gap = 30, left = 56, right = 12;
    const H = top + panelH * 2 + gap + 36;
    const before = layer.before || [], after = layer.after || [];
    const lo = Number(layer.min), hi = Number(layer.max);
    const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "svg-hist" });
    const x = (v) => left + ((v - lo) / ((hi - lo) || 1)) * (W - left - right);
    function panel(counts, y0, label, cls) {
      const maxC = Math.max(1, ...counts);
      const bw = (W - left - right) / Math.max(1, counts.length);
      root.append(svg("text", { x: 4, y: y0 + 12, class: "label" }, label),
        svg("line", { x1: left, x2: W - right, y1: y0 + panelH, y2: y0 + panelH, class: "axis" }));
      counts.forEach((c, i) => {
        if (!c) return;
        const h = (c / maxC) * (panelH - 18);
        root.append(svg("rect", { x: left + i * bw, y: y0 + panelH - h, width: Math.max(0.8, bw - 0.3), height: h, class: cls }));
      });
      for (const c of layer.centroids || []) {
        if (c < lo || c > hi) continue;
        if (cls.includes("after")) root.append(svg("line", { x1: x(c), x2: x(c), y1: y0 + 14, y2: y0 + panelH, class: "centroid-line" }));
        root.append(svg("path", { d: `M${x(c)} ${y0 + panelH + 1} l-4 7 h8 z`, class: "centroid" }, svg("title", {}, `centroid ${c.toPrecision(4)}`)));
      }
    }
    panel(before, top, "before", "bar before");
    panel(after, top + panelH + gap, "after", "bar after");
    const axisY = top + panelH * 2 + gap;
    const step = niceStep(hi - lo, 6);
    for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-12; t += step) {
      root.append(svg("text", { x: x(t), y: axisY + 22, class: "tick", "text-anchor": "middle" }, Number(t.toPrecision(3)).toString()));
    }
    root.append(svg("text", { x: left - 6, y: axisY + 22, class: "tick", "text-anchor": "end" }, "weight"));
    const n = (layer.centroids || []).length;
    return figure(root, caption || layer.name,
      `Weight histogram of ${layer.name} before and after compression; ${n} shared centroids marked`);
  }

  S.charts = { bars, waterfall, histogram };
})(window.Sparrow);
