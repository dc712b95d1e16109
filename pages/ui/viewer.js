// Graph viewer: an SVG drawn by Graphviz, with pan (drag), zoom (wheel, buttons), fit, and
// click-to-select. The selection goes back to Python as the state value "selected".
const VIEWS = new Map(); // zoom and pan per graph key, kept across reruns
const HOVER_EVENT = "gx-hover-line"; // detail: {line (or undefined: none), from: graph key}
const HOVERS = new Map(); // graph key -> its listener of HOVER_EVENT (replaced on each render)

function sanitize(svg) {
  // Graphviz escapes labels, but the SVG is data: drop anything that could run.
  svg.querySelectorAll("script, foreignObject, iframe, object, embed").forEach((n) => n.remove());
  svg.querySelectorAll("*").forEach((n) => {
    for (const attr of Array.from(n.attributes)) {
      const name = attr.name.toLowerCase();
      const value = attr.value.trim().toLowerCase();
      if (name.startsWith("on")) n.removeAttribute(attr.name);
      if ((name === "href" || name === "xlink:href") && !value.startsWith("#")) n.removeAttribute(attr.name);
    }
  });
}

export default function (component) {
  const { data, setStateValue, parentElement } = component;
  let root = parentElement.querySelector(".gx-root");
  if (!root) {
    root = document.createElement("div");
    root.className = "gx-root";
    parentElement.appendChild(root);
  }
  root.innerHTML =
    '<div class="gx-bar">' +
    '<button type="button" data-act="in" title="Zoom in">+</button>' +
    '<button type="button" data-act="out" title="Zoom out">\u2212</button>' +
    '<button type="button" data-act="fit" title="Fit the whole graph">Fit</button>' +
    '<button type="button" data-act="one" title="Actual size">1:1</button>' +
    '<span class="gx-hint"></span></div><div class="gx-view"></div>';
  const view = root.querySelector(".gx-view");
  view.style.height = `${data.height || 560}px`;
  root.querySelector(".gx-hint").textContent = data.hint || "drag to pan \u00b7 wheel to zoom \u00b7 click a node";

  const parsed = new DOMParser().parseFromString(data.svg || "", "image/svg+xml");
  const source = parsed.documentElement;
  if (!source || source.nodeName.toLowerCase() !== "svg") {
    view.textContent = "This graph could not be drawn.";
    return;
  }
  sanitize(source);
  const svg = document.importNode(source, true);
  svg.removeAttribute("width");
  svg.removeAttribute("height");
  svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
  svg.classList.add("gx-svg");
  view.appendChild(svg);

  const base = svg.viewBox.baseVal;
  const full = { x: base.x, y: base.y, w: base.width, h: base.height };
  const key = data.key || "graph";
  let s = VIEWS.get(key);
  if (!s || s.signature !== data.signature) {
    s = { ...full, signature: data.signature };
    const scale = Math.min(view.clientWidth / full.w, view.clientHeight / full.h);
    const at = (k, bottom) => {
      // the view at scale k, centred across, at the bottom (output) or centred down
      const w = view.clientWidth / k, h = view.clientHeight / k;
      return { x: full.x + (full.w - w) / 2, y: bottom ? full.y + full.h - h : full.y + (full.h - h) / 2,
               w, h, signature: data.signature };
    };
    if (view.clientWidth > 0 && scale > 1.4) s = at(1.4, false);   // small graphs: not blown up
    if (view.clientWidth > 0 && scale < 0.25) s = at(0.7, true);   // very tall: start at the output
  }
  const apply = () => {
    svg.setAttribute("viewBox", `${s.x} ${s.y} ${s.w} ${s.h}`);
    VIEWS.set(key, s);
  };
  apply();

  const zoom = (factor, cx, cy) => {
    const px = cx === undefined ? s.x + s.w / 2 : cx;
    const py = cy === undefined ? s.y + s.h / 2 : cy;
    s = { ...s, x: px - (px - s.x) * factor, y: py - (py - s.y) * factor, w: s.w * factor, h: s.h * factor };
    apply();
  };
  const toSvg = (evt) => {
    const m = svg.getScreenCTM();
    if (!m) return [undefined, undefined];
    const p = new DOMPoint(evt.clientX, evt.clientY).matrixTransform(m.inverse());
    return [p.x, p.y];
  };
  root.querySelector(".gx-bar").addEventListener("click", (evt) => {
    const act = evt.target.getAttribute && evt.target.getAttribute("data-act");
    if (act === "in") zoom(0.8);
    if (act === "out") zoom(1.25);
    if (act === "fit") { s = { ...full, signature: data.signature }; apply(); }
    if (act === "one") {
      const w = view.clientWidth, h = view.clientHeight;
      s = { x: s.x + (s.w - w) / 2, y: s.y + (s.h - h) / 2, w, h, signature: data.signature };
      apply();
    }
  });
  view.addEventListener("wheel", (evt) => {
    evt.preventDefault();
    const [x, y] = toSvg(evt);
    zoom(evt.deltaY > 0 ? 1.15 : 1 / 1.15, x, y);
  }, { passive: false });

  let drag = null;
  view.addEventListener("pointerdown", (evt) => {
    drag = { x: evt.clientX, y: evt.clientY, start: { ...s }, moved: false };
    view.setPointerCapture(evt.pointerId);
  });
  view.addEventListener("pointermove", (evt) => {
    if (!drag) return;
    const dx = evt.clientX - drag.x, dy = evt.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
    if (!drag.moved) return;
    const k = s.w / Math.max(view.clientWidth, 1);
    s = { ...drag.start, x: drag.start.x - dx * k, y: drag.start.y - dy * k };
    apply();
  });
  view.addEventListener("pointerup", (evt) => {
    const wasDrag = drag && drag.moved;
    drag = null;
    if (wasDrag) return;
    const hit = document.elementsFromPoint
      ? (parentElement.elementsFromPoint ? parentElement.elementsFromPoint(evt.clientX, evt.clientY)
                                         : document.elementsFromPoint(evt.clientX, evt.clientY))
      : [evt.target];
    // a node, or a module cluster's label (render_modules' ids); a module's box or label
    // carries a click stamp, so clicking it again after a change is a new click
    const node = hit.map((el) => el.closest && (el.closest("g.node") ||
      (el.tagName === "text" && el.closest('g.cluster[id^="cluster_mod_"]')))).find((el) => el);
    const boxed = node && (node.id.startsWith("cluster_mod_") || node.id.startsWith("node_module_"));
    if (node) setStateValue("selected", boxed ? `${node.id}@${Date.now()}` : node.id);
  });

  const mark = (id, cls) => {
    const el = svg.querySelector(`g.node[id="${CSS.escape(id)}"]`);
    if (el) el.classList.add(cls);
  };
  for (const [id, cls] of Object.entries(data.highlight || {})) mark(id, cls);
  if (data.selected) mark(data.selected, "gx-selected");

  // Hover: the nodes of the hovered node's line light up lightly in every graph on the page
  // and the line in the editor, with no Python round trip: all viewers render into one
  // document, so the hovered line goes out as a window event that each viewer (and the
  // editor's bridge, pages/ui/editor_bridge.js) answers.
  const lines = data.lines || {};
  const byLine = new Map();
  const held = data.held || {};  // an If or While: the lines its branches hold light it too
  svg.querySelectorAll("g.node").forEach((el) => {
    const own = lines[el.id] === undefined ? [] : [lines[el.id]];
    for (const line of own.concat(held[el.id] || [])) {
      if (!byLine.has(line)) byLine.set(line, []);
      if (!byLine.get(line).includes(el)) byLine.get(line).push(el);
    }
  });
  let hovered = [];
  const light = (evt) => {
    const next = byLine.get(evt.detail.line) || [];
    if (next === hovered) return;
    hovered.forEach((n) => n.classList.remove("gx-hover"));
    hovered = next;
    hovered.forEach((n) => n.classList.add("gx-hover"));
  };
  const old = HOVERS.get(key);
  if (old) window.removeEventListener(HOVER_EVENT, old);
  HOVERS.set(key, light);
  window.addEventListener(HOVER_EVENT, light);
  let sent;
  const send = (line) => {
    if (line === sent) return;
    sent = line;
    window.dispatchEvent(new CustomEvent(HOVER_EVENT, { detail: { line, from: key } }));
  };
  view.addEventListener("pointerover", (evt) => {
    const el = evt.target.closest && evt.target.closest("g.node");
    send(el ? lines[el.id] : undefined);
  });
  view.addEventListener("pointerleave", () => send(undefined));

  // Search's "next": pan (keeping the zoom) so the node it names sits in the middle, once
  // per press (the token changes), so a later drag is not undone by a rerun.
  const focus = data.focus && svg.querySelector(`g.node[id="${CSS.escape(data.focus)}"]`);
  if (focus && s.focusToken !== data.focusToken) {
    focus.classList.add("gx-focus");
    const box = focus.getBoundingClientRect();
    const m = svg.getScreenCTM();
    if (m && box.width + box.height > 0) {
      const c = new DOMPoint(box.x + box.width / 2, box.y + box.height / 2).matrixTransform(m.inverse());
      s = { ...s, x: c.x - s.w / 2, y: c.y - s.h / 2, focusToken: data.focusToken };
      apply();
    }
  } else if (focus) {
    focus.classList.add("gx-focus");
  }
}
