// The drawing pad: a canvas you draw a digit on, turned into a 28×28 image in 0..1 the way MNIST
// was made (the ink's bounding box scaled to fit 20×20, then centred by its centre of mass).
"use strict";
(function (S) {
  const SIZE = 280;

  function create({ onChange } = {}) {
    const canvas = S.h("canvas.pad", { width: SIZE, height: SIZE, "aria-label": "Drawing pad: draw a digit with the mouse, a pen or a finger" });
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    const preview = S.h("canvas.preview", { width: 28, height: 28, "aria-label": "The 28 by 28 image sent to the model" });
    function clear() {
      ctx.fillStyle = "#000"; ctx.fillRect(0, 0, SIZE, SIZE);
      preview.getContext("2d").clearRect(0, 0, 28, 28);
    }
    clear();
    let drawing = false, last = null, dirty = false;
    function point(e) {
      const r = canvas.getBoundingClientRect();
      return { x: (e.clientX - r.left) * (SIZE / r.width), y: (e.clientY - r.top) * (SIZE / r.height) };
    }
    function stroke(p) {
      ctx.strokeStyle = "#fff"; ctx.fillStyle = "#fff";
      ctx.lineWidth = 20; ctx.lineCap = "round"; ctx.lineJoin = "round";
      ctx.beginPath();
      if (last) { ctx.moveTo(last.x, last.y); ctx.lineTo(p.x, p.y); ctx.stroke(); }
      else { ctx.arc(p.x, p.y, 10, 0, Math.PI * 2); ctx.fill(); }
      last = p; dirty = true;
    }
    canvas.addEventListener("pointerdown", (e) => {
      drawing = true; last = null; canvas.setPointerCapture(e.pointerId); stroke(point(e)); e.preventDefault();
    });
    canvas.addEventListener("pointermove", (e) => { if (drawing) stroke(point(e)); });
    const end = () => {
      if (!drawing) return;
      drawing = false; last = null;
      if (dirty && onChange) { dirty = false; onChange(); }
    };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    canvas.addEventListener("pointerleave", end);

    // Returns Float32Array(784), row-major, 0 = background, 1 = ink; null when nothing is drawn.
    function digit() {
      const src = ctx.getImageData(0, 0, SIZE, SIZE).data;
      let x0 = SIZE, y0 = SIZE, x1 = -1, y1 = -1;
      for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) {
        if (src[(y * SIZE + x) * 4] > 20) { if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y; }
      }
      if (x1 < 0) return null;
      const bw = x1 - x0 + 1, bh = y1 - y0 + 1, scale = 20 / Math.max(bw, bh);
      const sw = Math.max(1, Math.round(bw * scale)), sh = Math.max(1, Math.round(bh * scale));
      // Downsample in halving steps so thin strokes average instead of aliasing away.
      let from = document.createElement("canvas");
      from.width = bw; from.height = bh;
      from.getContext("2d").drawImage(canvas, x0, y0, bw, bh, 0, 0, bw, bh);
      while (from.width / 2 > sw && from.height / 2 > sh) {
        const half = document.createElement("canvas");
        half.width = Math.ceil(from.width / 2); half.height = Math.ceil(from.height / 2);
        const hc = half.getContext("2d"); hc.imageSmoothingQuality = "high";
        hc.drawImage(from, 0, 0, half.width, half.height);
        from = half;
      }
      const small = document.createElement("canvas");
      small.width = sw; small.height = sh;
      const sc = small.getContext("2d", { willReadFrequently: true }); sc.imageSmoothingQuality = "high";
      sc.drawImage(from, 0, 0, sw, sh);
      const px = sc.getImageData(0, 0, sw, sh).data;
      let mass = 0, mx = 0, my = 0;
      for (let y = 0; y < sh; y++) for (let x = 0; x < sw; x++) {
        const v = px[(y * sw + x) * 4] / 255; mass += v; mx += v * x; my += v * y;
      }
      const ox = Math.round(14 - (mass ? mx / mass : sw / 2) - 0.5), oy = Math.round(14 - (mass ? my / mass : sh / 2) - 0.5);
      const out = new Float32Array(784);
      for (let y = 0; y < sh; y++) for (let x = 0; x < sw; x++) {
        const tx = x + ox, ty = y + oy;
        if (tx >= 0 && tx < 28 && ty >= 0 && ty < 28) out[ty * 28 + tx] = px[(y * sw + x) * 4] / 255;
      }
      const pc = preview.getContext("2d"), img = pc.createImageData(28, 28);
      out.forEach((v, i) => { const g = Math.round(v * 255); img.data.set([g, g, g, 255], i * 4); });
      pc.putImageData(img, 0, 0);
      return out;
    }
    return { canvas, preview, clear, digit };
  }
  S.pad = { create };
})(window.Sparrow);
