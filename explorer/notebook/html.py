"""HTML for notebook outputs, drawn by the app's own graph viewer (pan, zoom, fit, click a
node): ``pages/ui/viewer.js`` and ``viewer.css`` are read from their files, by path (the
engine may not import pages), and mounted on each graph of one output.

Every SVG is in the HTML itself, so an output still shows its graphs where no script runs
(an untrusted notebook, a static page); the viewer takes over where one does. A click shows
the node's rows (``details.node_rows``) under the graph.
"""
from __future__ import annotations

import html
import json
import re
import uuid
from pathlib import Path

from explorer import details, render
from explorer.graph import Graph

ASSETS = Path(__file__).resolve().parents[2] / "pages" / "ui"
DETAILS_LIMIT = 1500  # nodes drawn, at most, whose rows a click can show
STYLE = """
.gx-nb { font-family: sans-serif; font-size: 13px; color: #1f2328; }
.gx-nb .gx-row { display: flex; gap: 14px; align-items: flex-start; }
.gx-nb .gx-col { flex: 1 1 0; min-width: 0; }
.gx-nb .gx-title { font-weight: 600; margin: 4px 0; }
.gx-nb .gx-caption { color: #6a7077; font-size: 12px; margin: 4px 0; }
.gx-nb .gx-static { max-height: 560px; overflow: auto; border: 1px solid #dde1e6; }
.gx-nb .gx-static svg { max-width: 100%; height: auto; }
.gx-nb .gx-badge { border-radius: 6px; padding: 6px 10px; margin: 6px 0; }
.gx-nb .gx-ok { background: #e6f4ea; color: #0d652d; }
.gx-nb .gx-warn { background: #fef7e0; color: #7a4f01; }
.gx-nb .gx-bad { background: #fce8e6; color: #a50e0e; }
.gx-nb table.gx-table { border-collapse: collapse; margin: 4px 0 8px; }
.gx-nb table.gx-table td, .gx-nb table.gx-table th { border: 1px solid #dde1e6;
  padding: 2px 8px; text-align: left; font-size: 12px; }
.gx-nb .gx-details { font-family: monospace; font-size: 12px; white-space: pre-wrap; }
"""

# Mounts the viewer on every graph of this output; the viewer module is loaded from its
# text (a Blob), as the app's component loads it.
MOUNT = """
(function () {
  const root = document.getElementById(%(id)s);
  if (!root || !window.Blob || !window.URL) return;
  const url = URL.createObjectURL(new Blob([%(js)s], { type: "text/javascript" }));
  import(url).then((mod) => {
    root.querySelectorAll(".gx-graph").forEach((box) => {
      const svg = box.querySelector(".gx-static svg");
      if (!svg) return;
      const rows = JSON.parse(box.getAttribute("data-details") || "{}");
      const info = box.querySelector(".gx-details");
      const panel = document.createElement("div");
      box.querySelector(".gx-static").replaceWith(panel);
      mod.default({
        parentElement: panel,
        data: { svg: svg.outerHTML, key: box.getAttribute("data-key"),
                highlight: JSON.parse(box.getAttribute("data-highlight") || "{}"),
                height: Number(box.getAttribute("data-height")) || 520 },
        setStateValue: (name, id) => {
          if (name !== "selected" || !info) return;
          info.textContent = (rows[id] || []).map((r) => r[0] + ": " + r[1]).join("\\n");
        },
      });
    });
  }).catch(() => {});
})();
"""


def assets() -> tuple[str, str] | None:
    """The app's viewer script and style, or None where the pages are not installed."""
    try:
        return (ASSETS / "viewer.js").read_text(), (ASSETS / "viewer.css").read_text()
    except OSError:
        return None


def escape(text: object) -> str:
    return html.escape(str(text), quote=True)


def node_details(graph: Graph, svg: str) -> dict[str, list[tuple[str, str]]]:
    """The rows of each node the SVG draws (a rolled loop draws one iteration), by its DOM
    id; none beyond ``DETAILS_LIMIT`` nodes (a full 1,000-step loop: the page stays small)."""
    drawn = set(re.findall(r'<g id="([^"]+)" class="node"', svg))
    if len(drawn) > DETAILS_LIMIT:
        return {}
    rows = {}
    for node in graph.nodes:
        dom = render.dom_id(node.id)
        if dom not in drawn:
            continue
        try:
            rows[dom] = details.node_rows(graph, node)
        except (TypeError, KeyError, ValueError):
            rows[dom] = [("id", node.id), ("kind", node.kind), ("op", node.op or "-")]
    return rows


def graph_box(svg: str, graph: Graph, *, key: str, title: str = "", caption: str = "",
              highlight: dict[str, str] | None = None, height: int = 520) -> str:
    """One graph: a title, the SVG (the viewer mounts on it), a caption, node details."""
    marks = {render.dom_id(node): cls for node, cls in (highlight or {}).items()}
    body = svg[svg.find("<svg"):] if "<svg" in svg else svg  # no XML prologue inside HTML
    return (f'<div class="gx-graph" data-key="{escape(key)}" data-height="{height}" '
            f'data-highlight="{escape(json.dumps(marks))}" '
            f'data-details="{escape(json.dumps(node_details(graph, body)))}">'
            + (f'<div class="gx-title">{escape(title)}</div>' if title else "")
            + f'<div class="gx-static">{body}</div>'
            + (f'<div class="gx-caption">{escape(caption)}</div>' if caption else "")
            + '<div class="gx-details"></div></div>')


def columns(*parts: str) -> str:
    return '<div class="gx-row">' + "".join(f'<div class="gx-col">{p}</div>'
                                            for p in parts) + "</div>"


def badge(text: str, tone: str) -> str:
    """A message box: ``tone`` is ok, warn or bad."""
    return f'<div class="gx-badge gx-{tone}">{escape(text)}</div>'


def table(rows: list[dict], title: str = "") -> str:
    if not rows:
        return ""
    heads = list(dict.fromkeys(k for row in rows for k in row))
    head = "".join(f"<th>{escape(h)}</th>" for h in heads)
    body = "".join("<tr>" + "".join(f"<td>{escape(row.get(h, ''))}</td>" for h in heads)
                   + "</tr>" for row in rows)
    return ((f'<div class="gx-title">{escape(title)}</div>' if title else "")
            + f'<table class="gx-table"><tr>{head}</tr>{body}</table>')


def document(*parts: str) -> str:
    """One output: the style, the parts, and the script that mounts the viewer."""
    found = assets()
    out_id = f"gx-{uuid.uuid4().hex[:12]}"
    css = STYLE + (found[1] if found else "")
    script = "" if found is None else "<script>" + MOUNT % {
        "id": json.dumps(out_id), "js": json.dumps(found[0]).replace("</", "<\\/")} + "</script>"
    return (f'<div class="gx-nb" id="{out_id}"><style>{css}</style>' + "".join(parts)
            + f"</div>{script}")
