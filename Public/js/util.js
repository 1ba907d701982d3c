// Shared helpers: a tiny element builder, number formatting and the alert area.
// Every console script attaches to the one global `Sparrow` namespace (no build step, no modules,
// so the files work from any static file server whatever MIME type it gives .js).
"use strict";
window.Sparrow = window.Sparrow || {};
(function (S) {
  // h("tag.class#id", {attr: value, onclick: fn}, children...) -> Element. Strings become text nodes,
  // so server data is never parsed as HTML.
  function h(spec, attrs, ...children) {
    const m = /^([a-z0-9]+)?((?:[.#][\w-]+)*)$/i.exec(spec) || [null, "div", ""];
    const el = document.createElement(m[1] || "div");
    for (const part of (m[2] || "").match(/[.#][\w-]+/g) || []) {
      if (part[0] === ".") el.classList.add(part.slice(1)); else el.id = part.slice(1);
    }
    if (attrs && (typeof attrs !== "object" || attrs instanceof Node || Array.isArray(attrs))) {
      children.unshift(attrs); attrs = null;
    }
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
      else if (k === "dataset") Object.assign(el.dataset, v);
      else el.setAttribute(k, v === true ? "" : String(v));
    }
    append(el, children);
    return el;
  }
  function append(el, children) {
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  function bytes(n) {
    if (n === null || n === undefined || Number.isNaN(n)) return "—";
    const units = ["B", "KB", "MB", "GB"];
    let i = 0, v = Number(n);
    while (Math.abs(v) >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return (i === 0 ? v.toFixed(0) : v.toFixed(v < 10 ? 2 : 1)) + " " + units[i];
  }
  const int = (n) => (n === null || n === undefined) ? "—" : Number(n).toLocaleString("en-US");
  const pct = (x, digits = 1) => (x === null || x === undefined || Number.isNaN(x)) ? "—" : (100 * x).toFixed(digits) + "%";
  const fixed = (x, digits = 2) => (x === null || x === undefined || Number.isNaN(Number(x))) ? "—" : Number(x).toFixed(digits);
  const shape = (s) => Array.isArray(s) ? "[" + s.map((d) => (d === null || d === -1 || d === "?") ? "?" : d).join(" × ") + "]" : "—";
  function when(iso) {
    if (!iso) return "—";
    const d = new Date(typeof iso === "number" ? iso * 1000 : iso);
    return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
  }
  function duration(seconds) {
    if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
    seconds = Math.max(0, Math.round(seconds));
    const m = Math.floor(seconds / 60), s = seconds % 60;
    return m >= 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : m ? `${m} min ${s} s` : `${s} s`;
  }

  // Alerts: errors stay until dismissed, notices fade. The region is aria-live so screen readers hear them.
  function alert(message, kind = "error") {
    const box = document.getElementById("alerts");
    const item = h("div.alert." + kind, h("span", message),
      h("button.ghost.small", { type: "button", "aria-label": "Dismiss", onclick: () => item.remove() }, "×"));
    box.append(item);
    if (kind !== "error") setTimeout(() => item.remove(), 4000);
    return item;
  }
  function clearAlerts() { document.getElementById("alerts").replaceChildren(); }

  // A labelled definition list from [[term, value], ...].
  function facts(pairs) {
    return h("dl.facts", pairs.filter(Boolean).map(([k, v]) => [h("dt", k), h("dd", v)]));
  }
  function statusBadge(status) { return h("span.badge.s-" + (status || "unknown"), status || "unknown"); }

  // A name the server takes (1–64 of [A-Za-z0-9._-], starting with a letter or digit), made from a
  // file name: other characters become "-", leading punctuation goes.
  function safeName(raw) {
    const name = String(raw).replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[^A-Za-z0-9]+/, "").slice(0, 64);
    return name || "model";
  }

  Object.assign(S, { h, append, bytes, int, pct, fixed, shape, when, duration, alert, clearAlerts, facts, statusBadge, safeName });
})(window.Sparrow);
