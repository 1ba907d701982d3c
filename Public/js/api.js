// The client of the Sparrow REST API and the Open Inference Protocol. Same origin only: the console
// is served by the server it talks to.
"use strict";
(function (S) {
  const KEY = "sparrow.apiKey";
  const apiKey = {
    // A key a header cannot carry (non-ASCII) would make every request fail as if offline.
    get: () => { const k = sessionStorage.getItem(KEY) || ""; return /^[!-~]*$/.test(k) ? k : ""; },
    set: (k) => k ? sessionStorage.setItem(KEY, k) : sessionStorage.removeItem(KEY),
  };

  class ApiError extends Error {
    constructor(method, path, status, message) {
      super(`${method} ${path} failed (${status || "network"}): ${message}`);
      this.status = status;
      this.serverMessage = message;
    }
  }

  function headers(extra) {
    const h = Object.assign({ Accept: "application/json" }, extra || {});
    const k = apiKey.get();
    if (k) h.Authorization = "Bearer " + k;
    return h;
  }

  // The server's errors are {"error": "..."}; anything else is shown as text, trimmed. A 401 also
  // says where the key goes.
  function errorMessage(status, text) {
    let message = null;
    try {
      const j = JSON.parse(text);
      if (j && typeof j.error === "string") message = j.error;
      else if (j && j.error && j.error.message) message = j.error.message;
    } catch (_) { /* not JSON */ }
    if (message === null) message = (text || "").trim().slice(0, 300) || "no message";
    return status === 401 ? `${message} — set the API key (button at the top right)` : message;
  }

  async function request(method, path, body, opts = {}) {
    const init = { method, headers: headers(opts.headers) };
    if (body !== undefined && body !== null) {
      if (body instanceof Blob || body instanceof ArrayBuffer || body instanceof FormData) init.body = body;
      else { init.body = JSON.stringify(body); init.headers["Content-Type"] = "application/json"; }
    }
    let res;
    try { res = await fetch(path, init); }
    catch (e) { throw new ApiError(method, path, 0, "the server could not be reached"); }
    const text = await res.text();
    if (!res.ok) throw new ApiError(method, path, res.status, errorMessage(res.status, text));
    const out = text ? (() => { try { return JSON.parse(text); } catch (_) { return text; } })() : null;
    if (opts.withResponse) return { body: out, response: res };
    return out;
  }
  const get = (p, o) => request("GET", p, null, o);
  const post = (p, b, o) => request("POST", p, b, o);
  const del = (p) => request("DELETE", p);

  // Uploads with XMLHttpRequest because fetch has no upload progress. onProgress(fraction 0..1).
  function upload(path, file, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", path);
      for (const [k, v] of Object.entries(headers({ "Content-Type": "application/octet-stream" }))) xhr.setRequestHeader(k, v);
      xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
      xhr.onload = () => {
        if (xhr.status >= 200 && xhr.status < 300) {
          onProgress(1);
          try { resolve(JSON.parse(xhr.responseText)); } catch (_) { resolve(null); }
        } else reject(new ApiError("POST", path, xhr.status, errorMessage(xhr.status, xhr.responseText)));
      };
      xhr.onerror = () => reject(new ApiError("POST", path, 0, "the upload was interrupted"));
      xhr.send(file);
    });
  }

  // Server-sent events through fetch (EventSource cannot send the Authorization header).
  // onEvent({event, data}) for each event; resolves when the stream ends; abort with the signal.
  async function events(path, onEvent, signal) {
    const res = await fetch(path, { headers: headers({ Accept: "text/event-stream" }), signal });
    if (!res.ok || !res.body) throw new ApiError("GET", path, res.status, errorMessage(res.status, await res.text()));
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        let event = "message", data = [];
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) continue;
          const i = line.indexOf(":");
          const field = i < 0 ? line : line.slice(0, i);
          const val = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
          if (field === "event") event = val; else if (field === "data") data.push(val);
        }
        if (!data.length) continue;
        const raw = data.join("\n");
        let parsed = raw;
        try { parsed = JSON.parse(raw); } catch (_) { /* plain text line */ }
        onEvent({ event, data: parsed });
      }
    }
  }

  const enc = encodeURIComponent;
  const api = {
    apiKey, ApiError, request, get, post, del, upload, events,
    models: () => get("/v1/models"),
    model: (id) => get(`/v1/models/${enc(id)}`),
    deleteModel: (id) => del(`/v1/models/${enc(id)}`),
    // Weight layers of the upload (name = initializer, kind, op, shape, params, compressible).
    layers: (id) => get(`/v1/models/${enc(id)}/layers`).then((x) => api.list(x, "layers")),
    uploadModel: (name, file, p) => upload(`/v1/models?name=${enc(name)}`, file, p),
    datasets: () => get("/v1/datasets"),
    dataset: (id) => get(`/v1/datasets/${enc(id)}`),
    deleteDataset: (id) => del(`/v1/datasets/${enc(id)}`),
    uploadDataset: (name, file, p) => upload(`/v1/datasets?name=${enc(name)}`, file, p),
    compress: (id, config) => post(`/v1/models/${enc(id)}/compress`, config, { withResponse: true }),
    jobs: (status) => get("/v1/jobs" + (status ? `?status=${enc(status)}` : "")),
    job: (id) => get(`/v1/jobs/${enc(id)}`),
    cancelJob: (id) => del(`/v1/jobs/${enc(id)}`),
    jobEvents: (id, onEvent, signal) => events(`/v1/jobs/${enc(id)}/events`, onEvent, signal),
    artifactURL: (id) => `/v1/artifacts/${enc(id)}`,
    artifactONNXURL: (id) => `/v1/artifacts/${enc(id)}/onnx`,
    report: (id) => get(`/v1/artifacts/${enc(id)}/report`),
    histograms: (id) => get(`/v1/artifacts/${enc(id)}/histograms`),
    modelMetadata: (name) => get(`/v2/models/${enc(name)}`),
    modelStats: (name) => get(`/v2/models/${enc(name)}/stats`),
    infer: (name, version, body) =>
      post(`/v2/models/${enc(name)}` + (version ? `/versions/${enc(version)}` : "") + "/infer", body),
  };
  // Lists may come bare or wrapped ({"models": [...]}, {"items": [...]}).
  api.list = (x, key) => Array.isArray(x) ? x : (x && (x[key] || x.items || x.data)) || [];
  S.api = api;
})(window.Sparrow);
