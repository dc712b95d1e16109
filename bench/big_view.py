"""Big graphs in full view, through the real app in Chromium: time from Run to each graph drawn,
and the browser's frame time while panning and zooming it. Run by hand (needs Debian's
chromium): ``.venv/bin/python bench/big_view.py [--steps 1000] [--no-twin]``.

The snippet: the RNN of bench/big_graph.py (``--steps`` of a Linear cell; its autograd graph
has 5 nodes a step, its tf.function twin ~13 ops a step, AutoGraph unrolling the Python loop).
``--no-twin`` swaps the last line for ``torch.sinc`` (no twin rule), for the torch side alone;
``--tensor-while`` loops ``while i < len(sequence)`` on a tensor ``i``: the autograd graph is as
big, the twin one ``tf.while_loop`` (a define-and-run graph does not grow with the steps).
``--scene G.json ...`` draws saved graphs without the app (a graph the app cannot finish).
The page opens a share link with ``view=full`` (which runs the code), each run its own (a
comment makes the code new, so no result cache answers). Timed from the page's first byte:

- each graph's canvas ready (``.gxb-root[data-ready]``; an SVG, ``.gx-svg``, when dot drew it);
- the twin's message when it did not finish within the run's limits, else its verdict
  (the graphs are shown as they come, the check's verdict after them);
- frames while panning: ``requestAnimationFrame`` deltas during a scripted drag (60 moves)
  and 20 wheel zooms over each canvas: p50 / p95 / max in ms.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from big_graph import RNN  # noqa: E402

from explorer import layout_big, share  # noqa: E402
from explorer.graph import Graph  # noqa: E402
from tests.browser.app_server import launch, start_app, stop_app  # noqa: E402

FRAMES_JS = """() => { window.__gxFrames = []; let last = performance.now();
  const tick = (t) => { window.__gxFrames.push(t - last); last = t;
    if (window.__gxFrames.length < 100000 && !window.__gxStop) requestAnimationFrame(tick); };
  window.__gxStop = false; requestAnimationFrame(tick); }"""


def pan_frames(page, root) -> list[float]:
    """Frame deltas (ms) while dragging across the canvas and zooming with the wheel."""
    root.scroll_into_view_if_needed()
    box = root.locator(".gxb-canvas").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.evaluate(FRAMES_JS)
    page.mouse.move(cx, cy)
    page.mouse.down()
    for k in range(60):
        page.mouse.move(cx + 40 * ((k % 20) - 10) / 10, cy + 4 * k, steps=1)
    page.mouse.up()
    for k in range(20):
        page.mouse.wheel(0, 120 if k < 10 else -120)
    page.wait_for_timeout(200)
    page.evaluate("() => { window.__gxStop = true; }")
    return page.evaluate("() => window.__gxFrames.slice(1)")


def summary(frames: list[float]) -> str:
    if not frames:
        return "no frames"
    ordered = sorted(frames)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return (f"{len(frames)} frames: p50 {statistics.median(frames):.1f} ms, p95 {p95:.1f} ms, "
            f"max {max(frames):.1f} ms")


def one_run(browser, url: str, code: str, twin: bool) -> None:
    code = f"{code}\n# bench {uuid.uuid4().hex}\n"
    page = browser.new_page(viewport={"width": 1500, "height": 1900})
    start = time.perf_counter()
    page.goto(f"{url}/?view=full&code={quote(share.encode_code(code))}")
    page.locator(".gxb-root[data-ready], .gx-svg").first.wait_for(timeout=300_000)
    first = time.perf_counter() - start
    print(f"  torch graph drawn   {first:6.1f} s after opening the link (it runs the code)",
          flush=True)
    if twin:
        unfinished = page.get_by_text("did not finish within this run's limits")
        second = page.locator(".gxb-root[data-ready], .gx-svg").nth(1)
        deadline = time.time() + 300
        while time.time() < deadline and not second.count() and not unfinished.count():
            page.wait_for_timeout(100)
        if not second.count():  # an unfinished check may still send the traced graph
            try:
                second.wait_for(timeout=8_000)
            except Exception:  # noqa: BLE001 - Playwright's TimeoutError: no graph came
                pass
        took = time.perf_counter() - start
        what = ("tf graph drawn" if second.count() else "twin UNFINISHED, no graph") + (
            " (check unfinished)" if unfinished.count() else "")
        print(f"  {what:<19} {took:6.1f} s", flush=True)
        checked = page.get_by_text("Outputs and gradients agree")
        while time.time() < deadline and not checked.count() and not unfinished.count():
            page.wait_for_timeout(100)
        if checked.count():  # the graphs stream in first; the check's verdict comes last
            print(f"  twin checked        {time.perf_counter() - start:6.1f} s", flush=True)
    roots = page.locator(".gxb-root[data-ready]")
    for k in range(roots.count()):
        root = roots.nth(k)
        print(f"  canvas {k}: {root.get_attribute('data-shapes')} shapes; panning "
              f"{summary(pan_frames(page, root))}", flush=True)
    page.close()


MOUNT_JS = """async ([js, data]) => {
  const url = URL.createObjectURL(new Blob([js], {type: "text/javascript"}));
  const mod = await import(url);
  const start = performance.now();
  mod.default({data, parentElement: document.getElementById("host"),
               setStateValue: (name, value) => { window.__gxSelected = value; }});
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  return performance.now() - start; }"""


def scene_run(browser, path: str) -> None:
    """A graph's JSON (``python -m explorer graph ... -o``) laid out here and drawn by
    bigview.js in a blank page, as the component would be: no app, no run (for a graph the
    app cannot finish in its run's limits, as the 1,000-step twin)."""
    graph = Graph.loads(Path(path).read_text())
    start = time.perf_counter()
    scene = layout_big.scene(graph)
    layout_s = time.perf_counter() - start
    text = json.dumps(scene, separators=(",", ":"))
    ui = Path(__file__).resolve().parent.parent / "pages" / "ui"
    page = browser.new_page(viewport={"width": 1500, "height": 900})
    page.set_content('<div id="host" style="width: 900px"></div>')
    page.add_style_tag(content=(ui / "viewer.css").read_text() + (ui / "bigview.css").read_text())
    data = {"scene": text, "key": "bench", "signature": "bench", "height": 560,
            "highlight": {}, "lines": {}}
    first_ms = page.evaluate(MOUNT_JS, [(ui / "bigview.js").read_text(), data])
    root = page.locator(".gxb-root")
    shot = Path(__file__).resolve().parent.parent / "artifacts" / f"big_view_{Path(path).stem}.png"
    shot.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(shot))
    print(f"{path}: {len(graph.nodes)} nodes, {len(scene['shapes'])} shapes; layout_big "
          f"{layout_s:.2f} s; scene {len(text) / 1e6:.1f} MB; browser parse + first frame "
          f"{first_ms:.0f} ms", flush=True)
    print(f"  panning at the start (the output, 0.7x): {summary(pan_frames(page, root))}",
          flush=True)
    page.locator("button[data-act=fit]").click()
    print(f"  panning the whole graph (Fit): {summary(pan_frames(page, root))}", flush=True)
    page.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--no-twin", action="store_true")
    parser.add_argument("--tensor-while", action="store_true",
                        help="loop with `while i < len` on a tensor i: the same autograd graph "
                             "(5 nodes a step), but AutoGraph makes one tf.while_loop of it")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--scene", nargs="*", default=[],
                        help="graph JSON files: draw each without the app (see scene_run)")
    args = parser.parse_args()
    if args.scene:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = launch(p)
            for path in args.scene:
                scene_run(browser, path)
            browser.close()
        return
    code = RNN.format(steps=args.steps)
    if args.tensor_while:
        step = "        h = torch.tanh(cell(sequence[i]) + h)\n"
        code = code.replace("    for i in range(STEPS):\n" + step,
                            "    i = torch.tensor(0)\n    while i < sequence.shape[0]:\n"
                            + step + "        i = i + 1\n")
        assert "while i <" in code
    if args.no_twin:
        code = code.replace("return h.sum()", "return torch.sinc(h).sum()")
    from playwright.sync_api import sync_playwright

    server, url = start_app()
    try:
        with sync_playwright() as p:
            browser = launch(p)
            warm = browser.new_page()
            warm.goto(url)  # the first page starts the worker pool: not part of any figure
            warm.locator(".gx-svg").nth(1).wait_for(timeout=120_000)
            warm.close()
            for k in range(args.repeat):
                print(f"run {k + 1}: {args.steps} steps{' (no twin)' if args.no_twin else ''}",
                      flush=True)
                one_run(browser, url, code, not args.no_twin)
            browser.close()
    finally:
        stop_app(server)


if __name__ == "__main__":
    main()
