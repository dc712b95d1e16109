"""More linked interactions in Chromium: a click on a line number in the editor's gutter
lights that line's nodes in both graphs; hovering a torch node lights, lightly, its line's
ops in the tf.function graph and the line in the editor, and hovering a line of the code
lights its nodes; the stepper at three positions of
lesson 03, checked against the CLI's JSON, with Play advancing it; the Gradients page's
backward step shades its node's line and lights that line's nodes; a clicked node stays
selected across a re-run.

The default lesson (tests/browser/test_linked_selection.py): line 13 ``y = linear_layer(x)``
makes t and addmm (node_t, node_addmm), line 17 ``return y.sum()`` makes node_sum in torch
and, in the twin, node_Sum_1 with its axis constant node_Const_1."""
from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import expect

from explorer import lessons
from explorer.__main__ import main
from tests.browser.app_server import settle, wait_for_graphs
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_linked_selection import ids

pytestmark = pytest.mark.slow  # each starts a page and waits for both graphs


def open_app(page, url: str) -> None:
    """``url`` with both graphs drawn (a cold worker pool on a loaded machine: give it time)."""
    page.goto(url)
    settle(page)
    page.locator(".gx-svg").nth(1).wait_for(timeout=300_000)
    settle(page)


def editor(page):
    return page.frame_locator("iframe[title*=code_editor]").first


def test_gutter_click_lights_the_line_in_both_graphs(page, app_url):
    open_app(page, app_url)
    editor(page).locator(".ace_gutter-cell", has_text=re.compile(r"^\s*17\s*$")).click()
    settle(page)
    viewers = page.locator(".gx-svg")
    expect(viewers.nth(0).locator("g.node.gx-linked")).to_have_count(1, timeout=30_000)
    assert ids(viewers.nth(0), "gx-linked") == ["node_sum"]
    assert ids(viewers.nth(1), "gx-linked") == ["node_Const_1", "node_Sum_1"]  # Sum, its axis
    expect(editor(page).locator(".gx-linked")).to_have_count(1, timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "linked_gutter_17.png"), full_page=True)
    editor(page).locator(".ace_gutter-cell", has_text=re.compile(r"^\s*13\s*$")).click()
    settle(page)
    expect(viewers.nth(0).locator("g.node.gx-linked")).to_have_count(2, timeout=30_000)
    assert ids(viewers.nth(0), "gx-linked") == ["node_addmm", "node_t"]
    assert ids(viewers.nth(1), "gx-linked") == ["node_cond"]  # the If: line 13 in a branch
    # typing does not rerun the page, and the text typed is kept through a gutter click
    editor(page).locator(".ace_line", has_text="y = linear_layer(x)").first.click(force=True)
    settle(page)  # the selection emptied: one answer, no line
    page.keyboard.press("End")
    page.keyboard.type("  # typed")
    page.wait_for_timeout(800)
    assert page.locator("[data-testid=stStatusWidget]").count() == 0
    ace = next(f for f in page.frames if "code_editor" in f.url)
    held = "() => document.querySelector('.ace_editor').env.editor.getValue()"
    assert "y = linear_layer(x)  # typed" in ace.evaluate(held)
    editor(page).locator(".ace_gutter-cell", has_text=re.compile(r"^\s*17\s*$")).click()
    settle(page)
    expect(viewers.nth(0).locator("g.node.gx-linked")).to_have_count(1, timeout=30_000)
    assert "y = linear_layer(x)  # typed" in ace.evaluate(held)  # not reset by the rerun


def test_hover_in_the_torch_graph_lights_the_twin_and_the_editor_line(page, app_url):
    open_app(page, app_url)
    viewers = page.locator(".gx-svg")
    viewers.nth(0).locator('g.node[id="node_sum"]').hover()
    expect(viewers.nth(1).locator("g.node.gx-hover")).to_have_count(2, timeout=10_000)
    assert ids(viewers.nth(1), "gx-hover") == ["node_Const_1", "node_Sum_1"]
    assert ids(viewers.nth(0), "gx-hover") == ["node_sum"]
    expect(editor(page).locator(".ace_marker-layer .gx-hover")).to_have_count(1)
    page.screenshot(path=str(ARTIFACTS / "linked_hover_across.png"), full_page=True)
    viewers.nth(1).locator('g.node[id="node_Sum_1"]').hover()  # and back the other way
    expect(viewers.nth(0).locator("g.node.gx-hover")).to_have_count(1, timeout=10_000)
    page.mouse.move(0, 0)
    expect(viewers.nth(1).locator("g.node.gx-hover")).to_have_count(0, timeout=10_000)
    expect(viewers.nth(0).locator("g.node.gx-hover")).to_have_count(0)
    expect(editor(page).locator(".ace_marker-layer .gx-hover")).to_have_count(0)
    assert page.locator("[data-testid=stStatusWidget]").count() == 0  # no Python round trip
    # hovering a line of the code lights its nodes lightly in both graphs
    editor(page).locator(".ace_line", has_text="y = linear_layer(x)").first.hover(force=True)
    expect(viewers.nth(0).locator("g.node.gx-hover")).to_have_count(2, timeout=10_000)
    assert ids(viewers.nth(0), "gx-hover") == ["node_addmm", "node_t"]
    # that line sits in the if's arm: the twin's If holds it, and lights as picking it does
    assert ids(viewers.nth(1), "gx-hover") == ["node_cond"]
    page.mouse.move(0, 0)
    expect(viewers.nth(0).locator("g.node.gx-hover")).to_have_count(0, timeout=10_000)


def cli_graph(tmp_path, name: str) -> dict:
    """The lesson as the editor holds it (``lesson:NAME``: its code, no docstring)."""
    out = tmp_path / "g.json"
    assert main(["graph", f"lesson:{name}", "--seed", "0", "-o", str(out)]) == 0
    return json.loads(out.read_text())


def marks(graph: dict, step: int) -> tuple[list[str], list[str]]:
    """(added, future) DOM ids at 0-based ``step``, from the nodes' attrs.step."""
    ops = [n for n in graph["nodes"] if n["kind"] == "op" and isinstance(
        n["attrs"].get("step"), int)]
    return (sorted(f"node_{n['id']}" for n in ops if n["attrs"]["step"] == step),
            sorted(f"node_{n['id']}" for n in ops if n["attrs"]["step"] > step))


def caption(page):
    return page.get_by_text(re.compile(r"^step \d+ of \d+ \u00b7"))


def at_step(page) -> int:
    return int(re.match(r"step (\d+)", caption(page).inner_text()).group(1))


def test_stepper_three_positions_and_play(page, app_url, tmp_path):
    graph = cli_graph(tmp_path, "variable_length_rnn")
    total = len(graph["steps"])
    code = lessons.get("variable_length_rnn").code.splitlines()
    loop_line = next(i for i, text in enumerate(code, 1) if "for x_t in sequence" in text)
    # seed 0: sequences of 2 and 5 rows (tests/test_linked_steps.py); step 5 is the first
    # row's tanh line, step 17 the second sequence's third
    open_app(page, f"{app_url}/?lesson=variable_length_rnn&seed=0")
    page.get_by_text("Step through forward").click()
    settle(page)
    torch_graph = page.locator(".gx-svg").nth(0)
    slider = page.get_by_role("slider").first
    positions = {5: f"iteration 1 of 2 of the loop at line {loop_line}",
                 17: f"iteration 3 of 5 of the loop at line {loop_line}",
                 total: None}
    for position, loop in positions.items():
        slider.focus()
        page.keyboard.press("Home")
        for _ in range(position - 1):
            page.keyboard.press("ArrowRight")
        settle(page)
        expect(caption(page)).to_contain_text(f"step {position} of {total} \u00b7", timeout=30_000)
        if loop:
            expect(caption(page)).to_contain_text(loop)
        added, future = marks(graph, position - 1)
        assert ids(torch_graph, "gx-added") == added
        assert ids(torch_graph, "gx-future") == future
        expect(caption(page)).to_contain_text(f"{len(added)} new node")
        page.screenshot(path=str(ARTIFACTS / f"linked_step_03_{position}.png"), full_page=True)
    # Play from the start: it advances on its own, a step per tick, until Pause
    slider.focus()
    page.keyboard.press("Home")
    settle(page)
    page.get_by_role("button", name=re.compile("Play")).click()
    seen, start = {}, time.monotonic()
    while len(seen) < 4 and time.monotonic() - start < 60:
        try:
            step = at_step(page)
        except Exception:  # the caption is being redrawn
            step = None
        if step is not None and step not in seen:
            seen[step] = time.monotonic()
        page.wait_for_timeout(50)
    page.get_by_role("button", name=re.compile("Pause")).click()
    settle(page)
    assert len(seen) >= 4 and sorted(seen) == list(range(min(seen), min(seen) + len(seen)))
    times = [seen[k] for k in sorted(seen)]
    gaps = [b - a for a, b in zip(times, times[1:])]
    print(f"play: steps {sorted(seen)}, seconds between them {[round(g, 2) for g in gaps]}")
    stopped = at_step(page)
    page.wait_for_timeout(1500)  # two ticks
    assert at_step(page) == stopped  # paused
    expect(page.get_by_role("button", name=re.compile("Play"))).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "linked_step_03_paused.png"), full_page=True)


def test_gradients_step_shades_its_line_and_lights_its_nodes(page, app_url):
    page.goto(f"{app_url}/gradients")
    settle(page)
    page.locator(".gx-svg").first.wait_for()
    expect(page.locator(".gx-code-linked")).to_have_count(1, timeout=60_000)
    assert "return y.sum()" in page.locator(".gx-code-linked").inner_text()  # SumBackward0
    slider = page.get_by_role("slider", name=re.compile("Backward step")).first
    graph = page.locator(".gx-svg").first
    for _ in range(8):  # to the step of AddmmBackward0 (line 13, with its t)
        if "y = linear_layer(x)" in page.locator(".gx-code-linked").inner_text():
            break
        slider.focus()
        page.keyboard.press("ArrowRight")
        settle(page)
    assert "y = linear_layer(x)" in page.locator(".gx-code-linked").inner_text()
    lit = ids(graph, "gx-linked")
    assert lit in (["node_t"], ["node_addmm"])  # the line's other node; the step's own is yellow
    page.screenshot(path=str(ARTIFACTS / "linked_gradients_step.png"), full_page=True)


def test_a_clicked_node_stays_selected_across_a_rerun(page, app_url):
    open_app(page, app_url)
    torch_graph = page.locator(".gx-svg").nth(0)
    torch_graph.locator('g.node[id="node_addmm"]').click()
    settle(page)
    expect(torch_graph.locator("g.node.gx-selected")).to_have_count(1, timeout=30_000)
    page.get_by_role("button", name=re.compile("^Run")).click()
    settle(page)
    wait_for_graphs(page)
    torch_graph = page.locator(".gx-svg").nth(0)
    expect(torch_graph.locator("g.node.gx-selected")).to_have_count(1, timeout=60_000)
    assert ids(torch_graph, "gx-selected") == ["node_addmm"]
    assert ids(torch_graph, "gx-linked") == ["node_addmm", "node_t"]
    page.screenshot(path=str(ARTIFACTS / "linked_selected_rerun.png"), full_page=True)
