"""The Explorer's PNG download for slides (issue 12): each lesson's PyTorch graph drawn at
Graphviz's own 96 dpi (what the page gave before) and at the page's ``slide_dpi`` (what it
gives now), with the pixel sizes and the time each took. Run by hand:
``.venv/bin/python bench/slide_png.py``. The lessons run in this process (our own code, no
sandbox); the tf.function graph of the first lesson is drawn too, through the twin.
"""
from __future__ import annotations

import re
import struct
import time

from explorer import execution, lessons, render
from pages.ui import graph_panel


def png_size(data: bytes) -> tuple[int, int]:
    return struct.unpack(">II", data[16:24])


def measure(name: str, dot: str) -> None:
    start = time.perf_counter()
    plain = render.run_dot(dot, "png")
    plain_s = time.perf_counter() - start
    svg = render.run_dot(dot, "svg").decode()
    dpi = graph_panel.slide_dpi(svg)
    start = time.perf_counter()
    slide = render.run_dot(re.sub(r"\{", f"{{\n  graph [dpi={dpi:.0f}];", dot, count=1), "png")
    slide_s = time.perf_counter() - start
    (w0, h0), (w1, h1) = png_size(plain), png_size(slide)
    print(f"{name:32s} {w0:5d}x{h0:<5d} {plain_s * 1000:6.0f} ms   {w1:5d}x{h1:<5d} "
          f"{slide_s * 1000:6.0f} ms  {dpi:4.0f} dpi  {len(slide) / 1e6:5.2f} MB")


def main() -> None:
    print(f"{'graph':32s} {'96 dpi':>11s} {'time':>9s}   {'for slides':>11s} {'time':>9s}")
    for lesson in lessons.all_lessons():
        if lesson.teaches_error:
            continue
        run = execution.execute(lesson.code)
        measure(f"torch {lesson.name}", render.to_dot(run.graph))
    from explorer import twin
    from explorer.graph import Graph

    code = lessons.default().code
    checked = twin.compare_or_error(code, 0, "cpu", None, run=execution.execute(
        code, keep_values=True))
    measure(f"tf {lessons.DEFAULT}", render.to_dot(Graph.from_json(checked["graph"])))


if __name__ == "__main__":
    main()
