// The router: #/models, #/models/ID, #/models/ID/compress, #/datasets, #/jobs, #/jobs/ID,
// #/artifacts/ID, #/try/NAME. Each view renders into <main>; leaving a view runs its cleanups
// (closing event streams, timers).
"use strict";
(function (S) {
  const routes = [
    [/^\/models\/?$/, "models", (v) => S.views.modelsView(v)],
    [/^\/models\/([^/]+)\/compress$/, "models", (v, c, id) => S.views.compressView(v, id)],
    [/^\/models\/([^/]+)$/, "models", (v, c, id) => S.views.modelView(v, id)],
    [/^\/datasets\/?$/, "datasets", (v) => S.views.datasetsView(v)],
    [/^\/jobs\/?$/, "jobs", (v, c) => S.views.jobsView(v, c)],
    [/^\/jobs\/([^/]+)$/, "jobs", (v, c, id) => S.views.jobView(v, id, c)],
    [/^\/artifacts\/([^/]+)$/, "models", (v, c, id) => S.views.reportView(v, id)],
    [/^\/try\/([^/]+)$/, "models", (v, c, name) => S.views.tryView(v, name)],
  ];
  let cleanups = [], generation = 0;

  async function render() {
    cleanups.forEach((f) => { try { f(); } catch (_) { /* view already gone */ } });
    cleanups = [];
    const mine = ++generation;
    const path = (location.hash || "#/models").slice(1);
    const view = document.getElementById("view");
    const fresh = document.createElement("div");
    fresh.className = "page";
    let match = null, section = "";
    for (const [re, sec, fn] of routes) {
      const m = re.exec(path);
      if (m) { match = () => fn(fresh, ctx, ...m.slice(1).map(decodeURIComponent)); section = sec; break; }
    }
    const ctx = { onLeave: (f) => cleanups.push(f) };
    document.querySelectorAll("[data-nav]").forEach((a) => {
      if (a.dataset.nav === section) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
    });
    view.replaceChildren(fresh);
    if (!match) {
      fresh.append(S.h("h1", "Not found"), S.h("p", S.h("a", { href: "#/models" }, "Back to models")));
      document.title = "Not found · Sparrow";
      return;
    }
    let failed = false;
    try { await match(); }
    catch (err) {
      if (mine !== generation) return;
      failed = true;
      console.warn(err);
      fresh.append(S.h("p.error-text", err.message || String(err)));
      S.alert(err.message || String(err));
    }
    if (mine === generation) {
      // A page that failed before its heading must not keep the previous page's title.
      const heading = fresh.querySelector("h1");
      document.title = heading ? heading.textContent + " · Sparrow" : failed ? "Error · Sparrow" : "Sparrow";
      view.focus({ preventScroll: true });
    }
  }

  function keyDialog() {
    const dialog = document.getElementById("key-dialog"), input = document.getElementById("key-input");
    const button = document.getElementById("key-button");
    const label = () => { button.textContent = S.api.apiKey.get() ? "API key ✓" : "API key"; };
    button.addEventListener("click", () => { input.value = S.api.apiKey.get(); dialog.showModal(); input.focus(); });
    document.getElementById("key-form").addEventListener("submit", () => { S.api.apiKey.set(input.value.trim()); label(); S.alert("API key saved for this tab.", "notice"); });
    document.getElementById("key-clear").addEventListener("click", () => { S.api.apiKey.set(""); input.value = ""; label(); dialog.close(); });
    label();
  }

  window.addEventListener("hashchange", () => { S.clearAlerts(); render(); });
  // "Skip to content" moves focus; as a plain #view link it would change the route to "view".
  function skipLink() {
    document.querySelector("a.skip").addEventListener("click", (e) => {
      e.preventDefault();
      document.getElementById("view").focus();
    });
  }

  window.addEventListener("DOMContentLoaded", () => { keyDialog(); skipLink(); render(); });
})(window.Sparrow);
