// Big-graph viewer: a scene laid out in Python (explorer/layout_big.py) drawn on a <canvas>.
// Only what is in view is drawn (shapes found by a binary search on y), each frame once per
// requestAnimationFrame; an overview strip on the right shows the whole graph and where the
// view is. Pan (drag), zoom (wheel, buttons), fit, click-to-select (state value "selected",
// the node's DOM id, as the SVG viewer returns), highlight classes, hover by line, focus.
const VIEWS = new Map(); // zoom and pan per graph key, kept across reruns
const SCENES = new Map(); // parsed scene per key: a rerun with the same graph parses nothing

// the SVG viewer's classes (viewer.css), as canvas colours: [stroke, width px, fill or null];
// gx-future (the stepper's later ops) is drawn faded, as its CSS opacity
const MARKS = {
  "gx-selected": ["#e67e22", 4, null],
  "gx-added": ["#1e8e3e", 3.5, null],
  "gx-taken": ["#8e24aa", 3.5, null],
  "gx-current": ["#d93025", 4, "#fde7e4"],
  "gx-done": [null, 1, "#e6f4ea"],
  "gx-linked": ["#e67e22", 3, "#fdebd0"],
  "gx-match": ["#1a73e8", 3, "#e8f0fe"],
  "gx-focus": ["#1a73e8", 5, "#c6dafc"],
  "gx-hover": ["#f0a35e", 2.5, null],
};
const EDGE = { data: ["#555555", []], saved: ["#9a9a9a", [4, 3]], control: ["#777777", [1, 3]] };
const OVERVIEW_W = 70;
const DASHED_MAX = 200; // more dashed lines than this in view are drawn solid

function parse(data) {
  const cached = SCENES.get(data.key);
  if (cached && cached.signature === data.signature) return cached.scene;
  const scene = JSON.parse(data.scene || '{"shapes":[],"lines":[],"width":0,"height":0}');
  // shapes by top edge, for the rows in view; the tallest box bounds the search
  scene.byTop = scene.shapes.map((_, i) => i).sort((a, b) =>
    (scene.shapes[a][2] - scene.shapes[a][4] / 2) - (scene.shapes[b][2] - scene.shapes[b][4] / 2));
  scene.tops = scene.byTop.map((i) => scene.shapes[i][2] - scene.shapes[i][4] / 2);
  scene.tallest = scene.shapes.reduce((m, s) => Math.max(m, s[4]), 0);
  scene.byId = new Map();
  scene.shapes.forEach((s, i) => {
    if (!scene.byId.has(s[0])) scene.byId.set(s[0], []);
    scene.byId.get(s[0]).push(i);
  });
  SCENES.set(data.key, { signature: data.signature, scene });
  return scene;
}

function lowerBound(arr, value) {
  let lo = 0, hi = arr.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (arr[mid] < value) lo = mid + 1; else hi = mid; }
  return lo;
}

export default function (component) {
  const { data, setStateValue, parentElement } = component;
  let root = parentElement.querySelector(".gxb-root");
  if (!root) {
    root = document.createElement("div");
    root.className = "gxb-root";
    parentElement.appendChild(root);
  }
  if (root.gxCleanup) root.gxCleanup();
  root.innerHTML =
    '<div class="gx-bar">' +
    '<button type="button" data-act="in" title="Zoom in">+</button>' +
    '<button type="button" data-act="out" title="Zoom out">\u2212</button>' +
    '<button type="button" data-act="fit" title="Fit the whole graph">Fit</button>' +
    '<button type="button" data-act="one" title="Actual size">1:1</button>' +
    '<button type="button" data-act="top" title="The inputs">Top</button>' +
    '<button type="button" data-act="end" title="The output">Output</button>' +
    '<span class="gx-hint"></span></div>' +
    '<div class="gxb-view"><canvas class="gxb-canvas"></canvas><canvas class="gxb-overview"></canvas></div>';
  const view = root.querySelector(".gxb-view");
  const height = data.height || 560;
  view.style.height = `${height}px`;
  root.querySelector(".gx-hint").textContent =
    data.hint || "drag to pan \u00b7 wheel to zoom \u00b7 click a node \u00b7 the strip on the right: the whole graph";
  const scene = parse(data);
  const canvas = root.querySelector(".gxb-canvas");
  const over = root.querySelector(".gxb-overview");
  const ctx = canvas.getContext("2d");
  const octx = over.getContext("2d");
  const dpr = window.devicePixelRatio || 1;
  let W = 0, H = 0;

  const marks = new Map(); // shape index -> class
  for (const [id, cls] of Object.entries(data.highlight || {})) {
    for (const i of scene.byId.get(id) || []) marks.set(i, cls);
  }
  if (data.selected) for (const i of scene.byId.get(data.selected) || []) marks.set(i, "gx-selected");
  const focusRows = data.focus ? scene.byId.get(data.focus) || [] : [];
  for (const i of focusRows) marks.set(i, "gx-focus");

  const key = data.key || "graph";
  let s = VIEWS.get(key); // {k: px per unit, x, y: the world point at the view's top left}
  const fitK = () => Math.min((W - OVERVIEW_W) / Math.max(scene.width, 1), H / Math.max(scene.height, 1));
  const initial = () => {
    const k = fitK();
    if (k >= 0.25) return { k: Math.min(k, 1.4), x: (scene.width - (W - OVERVIEW_W) / Math.min(k, 1.4)) / 2, y: 0 };
    const z = 0.7; // very tall: start at the output, readable
    return { k: z, x: (scene.width - (W - OVERVIEW_W) / z) / 2, y: scene.height - H / z };
  };

  let hovered = new Set(), hoveredLine;
  const lineOf = data.lines || {};
  const byLine = new Map(); // line -> the shapes of its nodes (hover lights them lightly)
  scene.shapes.forEach((sh, j) => {
    const line = lineOf[sh[0]];
    if (line === undefined) return;
    if (!byLine.has(line)) byLine.set(line, []);
    byLine.get(line).push(j);
  });
  let pending = false;
  const schedule = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; draw(); });
  };

  const visibleRows = (x0, y0, x1, y1) => {
    const rows = [];
    const end = lowerBound(scene.tops, y1);
    for (let r = lowerBound(scene.tops, y0 - scene.tallest); r < end; r++) {
      const i = scene.byTop[r];
      const sh = scene.shapes[i];
      if (sh[2] + sh[4] / 2 < y0 || sh[1] + sh[3] / 2 < x0 || sh[1] - sh[3] / 2 > x1) continue;
      rows.push(i);
    }
    return rows;
  };

  function draw() {
    const vw = W - OVERVIEW_W;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, W, H);
    ctx.setTransform(dpr * s.k, 0, 0, dpr * s.k, -s.x * s.k * dpr, -s.y * s.k * dpr);
    const x0 = s.x, y0 = s.y, x1 = s.x + vw / s.k, y1 = s.y + H / s.k;
    // lines: one path per kind, those whose box meets the view; none when the view is so far
    // out that a line is under a pixel long per rank (the boxes show the shape of the graph)
    for (const [kind, [color, dash]] of Object.entries(s.k < 0.02 ? {} : EDGE)) {
      ctx.beginPath();
      let any = 0;
      for (const [a, b, k] of scene.lines) {
        if ((EDGE[k] ? k : "data") !== kind) continue;
        const p = scene.shapes[a], q = scene.shapes[b];
        const ya = p[2] + p[4] / 2, yb = q[2] - q[4] / 2;
        if (Math.max(ya, yb) < y0 || Math.min(ya, yb) > y1 ||
            Math.max(p[1], q[1]) < x0 || Math.min(p[1], q[1]) > x1) continue;
        // clipped to the view's rows: a long line (a control edge from the top to the end)
        // is dashed only where it shows, not along its whole 100,000 px
        const ta = ya < y0 && yb !== ya ? (y0 - ya) / (yb - ya) : 0;
        const tb = yb > y1 && yb !== ya ? (y1 - ya) / (yb - ya) : 1;
        ctx.moveTo(p[1] + (q[1] - p[1]) * ta, ya + (yb - ya) * ta);
        ctx.lineTo(p[1] + (q[1] - p[1]) * tb, ya + (yb - ya) * tb);
        any += 1;
      }
      if (!any) continue;
      ctx.strokeStyle = color;
      ctx.lineWidth = Math.max(1 / s.k, 0.8);
      // dashes cost a software canvas dearly: hundreds of lines in view (a tf.function's
      // control edges from every ReadVariableOp to its end) are drawn solid and faint
      ctx.globalAlpha = any > DASHED_MAX && dash.length ? 0.35 : 1;
      ctx.setLineDash(any > DASHED_MAX ? [] : dash.map((d) => d / Math.min(s.k, 1)));
      ctx.stroke();
    }
    ctx.setLineDash([]);
    ctx.globalAlpha = 1;
    const rows = visibleRows(x0, y0, x1, y1);
    const text = s.k * 10 >= 5; // labels once they can be read
    ctx.font = "10px Helvetica, Arial, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    for (const i of rows) {
      const [, cx, cy, w, h, fill, stroke, lines] = scene.shapes[i];
      const mark = MARKS[marks.get(i)] || (hovered.has(i) ? MARKS["gx-hover"] : null);
      const faded = marks.get(i) === "gx-future"; // the stepper's ops not made yet
      if (faded) ctx.globalAlpha = 0.12;
      ctx.fillStyle = (mark && mark[2]) || fill;
      ctx.fillRect(cx - w / 2, cy - h / 2, w, h);
      ctx.strokeStyle = (mark && mark[0]) || stroke;
      if (s.k >= 0.1 || mark) {
        ctx.lineWidth = mark ? mark[1] / Math.max(s.k, 0.25) : Math.max(1 / s.k, 1);
        ctx.strokeRect(cx - w / 2, cy - h / 2, w, h);
      }
      if (text) {
        ctx.fillStyle = "#1f2328";
        const top = cy - ((lines.length - 1) * 12) / 2;
        lines.forEach((line, k) => ctx.fillText(line, cx, top + k * 12));
      }
      if (faded) ctx.globalAlpha = 1;
    }
    drawOverview();
    root.dataset.drawn = String(rows.length);
  }

  // the overview: every shape as a dot, once per scene; the view's box over it
  let overImage = null;
  function drawOverview() {
    const ok = Math.min(OVERVIEW_W / Math.max(scene.width, 1), H / Math.max(scene.height, 1));
    const ox = (OVERVIEW_W - scene.width * ok) / 2;
    octx.setTransform(dpr, 0, 0, dpr, 0, 0);
    if (!overImage) {
      octx.clearRect(0, 0, OVERVIEW_W, H);
      for (const [, cx, cy, w, h, fill, stroke] of scene.shapes) {
        octx.fillStyle = stroke || fill;
        octx.fillRect(ox + (cx - w / 2) * ok, (cy - h / 2) * ok, Math.max(w * ok, 1), Math.max(h * ok, 1));
      }
      for (const [i, cls] of marks) {
        const sh = scene.shapes[i];
        octx.fillStyle = (MARKS[cls] && MARKS[cls][0]) || "#e67e22";
        octx.fillRect(ox + sh[1] * ok - 3, sh[2] * ok - 2, 6, 4);
      }
      overImage = octx.getImageData(0, 0, over.width, over.height);
    } else {
      octx.putImageData(overImage, 0, 0);
    }
    octx.strokeStyle = "#d93025";
    octx.lineWidth = 1.5;
    octx.strokeRect(ox + s.x * ok, s.y * ok, ((W - OVERVIEW_W) / s.k) * ok, Math.max((H / s.k) * ok, 2));
    over.gxScale = { ok, ox };
  }

  const apply = () => { VIEWS.set(key, { ...s, signature: data.signature }); schedule(); };
  const resize = () => {
    W = view.clientWidth || 600;
    H = height;
    canvas.width = Math.round((W - OVERVIEW_W) * dpr); canvas.height = Math.round(H * dpr);
    canvas.style.width = `${W - OVERVIEW_W}px`; canvas.style.height = `${H}px`;
    over.width = Math.round(OVERVIEW_W * dpr); over.height = Math.round(H * dpr);
    over.style.width = `${OVERVIEW_W}px`; over.style.height = `${H}px`;
    overImage = null;
    if (!s || s.signature !== data.signature) s = { ...initial(), focusToken: s && s.focusToken };
    apply();
  };
  resize();
  const observer = new ResizeObserver(() => { if (view.clientWidth && view.clientWidth !== W) resize(); });
  observer.observe(view);
  root.gxCleanup = () => observer.disconnect();

  const zoom = (factor, px, py) => { // factor > 1 zooms in, about screen point (px, py)
    const cx = px === undefined ? (W - OVERVIEW_W) / 2 : px, cy = py === undefined ? H / 2 : py;
    const wx = s.x + cx / s.k, wy = s.y + cy / s.k;
    const k = Math.min(Math.max(s.k * factor, fitK() * 0.5), 8);
    s = { ...s, k, x: wx - cx / k, y: wy - cy / k };
    apply();
  };
  const centreOn = (wx, wy) => {
    s = { ...s, x: wx - (W - OVERVIEW_W) / 2 / s.k, y: wy - H / 2 / s.k };
    apply();
  };
  root.querySelector(".gx-bar").addEventListener("click", (evt) => {
    const act = evt.target.getAttribute && evt.target.getAttribute("data-act");
    if (act === "in") zoom(1.25);
    if (act === "out") zoom(0.8);
    if (act === "fit") { const k = fitK(); s = { ...s, k, x: (scene.width - (W - OVERVIEW_W) / k) / 2, y: 0 }; apply(); }
    if (act === "one") zoom(1 / s.k);
    if (act === "top") { s = { ...s, y: 0 }; apply(); }
    if (act === "end") { s = { ...s, y: scene.height - H / s.k }; apply(); }
  });
  const local = (evt) => {
    const r = canvas.getBoundingClientRect();
    return [evt.clientX - r.left, evt.clientY - r.top];
  };
  canvas.addEventListener("wheel", (evt) => {
    evt.preventDefault();
    const [px, py] = local(evt);
    zoom(evt.deltaY > 0 ? 1 / 1.15 : 1.15, px, py);
  }, { passive: false });

  const hit = (px, py) => {
    const wx = s.x + px / s.k, wy = s.y + py / s.k;
    const rows = visibleRows(wx, wy, wx, wy);
    return rows.find((i) => {
      const sh = scene.shapes[i];
      return Math.abs(wx - sh[1]) <= sh[3] / 2 && Math.abs(wy - sh[2]) <= sh[4] / 2;
    });
  };
  let drag = null;
  canvas.addEventListener("pointerdown", (evt) => {
    drag = { x: evt.clientX, y: evt.clientY, start: { ...s }, moved: false };
    canvas.setPointerCapture(evt.pointerId);
  });
  canvas.addEventListener("pointermove", (evt) => {
    if (!drag) {
      const i = hit(...local(evt));
      const line = i === undefined ? undefined : lineOf[scene.shapes[i][0]];
      if (line === hoveredLine) return;
      hoveredLine = line;
      hovered = new Set(line === undefined ? [] : byLine.get(line));
      schedule();
      return;
    }
    const dx = evt.clientX - drag.x, dy = evt.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
    if (!drag.moved) return;
    s = { ...drag.start, x: drag.start.x - dx / s.k, y: drag.start.y - dy / s.k };
    apply();
  });
  canvas.addEventListener("pointerup", (evt) => {
    const wasDrag = drag && drag.moved;
    drag = null;
    if (wasDrag) return;
    const i = hit(...local(evt));
    if (i === undefined) return;
    // a module's box carries a click stamp (as in viewer.js): clicking it again is a new click
    const id = scene.shapes[i][0];
    setStateValue("selected", id.startsWith("node_module_") ? `${id}@${Date.now()}` : id);
  });
  canvas.addEventListener("pointerleave", () => {
    hoveredLine = undefined;
    if (hovered.size) { hovered = new Set(); schedule(); }
  });
  const overJump = (evt) => {
    const r = over.getBoundingClientRect();
    const { ok, ox } = over.gxScale || { ok: 1, ox: 0 };
    centreOn((evt.clientX - r.left - ox) / ok, (evt.clientY - r.top) / ok);
  };
  let overDrag = false;
  over.addEventListener("pointerdown", (evt) => { overDrag = true; over.setPointerCapture(evt.pointerId); overJump(evt); });
  over.addEventListener("pointermove", (evt) => { if (overDrag) overJump(evt); });
  over.addEventListener("pointerup", () => { overDrag = false; });

  // for tests and bench/: where a node is on screen now (client px), after panning to it
  root.gxLocate = (id) => {
    const rows = scene.byId.get(id) || [];
    if (!rows.length) return null;
    const sh = scene.shapes[rows[0]];
    if (s.k < 0.5) s = { ...s, k: 1 };
    centreOn(sh[1], sh[2]);
    draw();
    const r = canvas.getBoundingClientRect();
    return [r.left + (sh[1] - s.x) * s.k, r.top + (sh[2] - s.y) * s.k];
  };
  root.gxIds = () => Array.from(scene.byId.keys());
  root.gxMark = (id) => marks.get((scene.byId.get(id) || [])[0]) || null; // its class, if any

  // search's "next": centre the focused node once per press (the token changes)
  if (focusRows.length && s.focusToken !== data.focusToken) {
    const sh = scene.shapes[focusRows[0]];
    s = { ...s, focusToken: data.focusToken };
    centreOn(sh[1], sh[2]);
  }
  root.dataset.shapes = String(scene.shapes.length);
  root.dataset.ready = data.signature;
}
