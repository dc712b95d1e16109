"""Linked selection in Chromium: a node clicked in one graph lights up its line in the editor
and that line's nodes in the other graph; a line picked lights up both graphs; a re-run keeps
the line. The default lesson (its docstring is not in the editor): ``return y.sum()`` makes
SumBackward0 in torch and a Sum in the twin; the taken arm's ``y = linear_layer(x)`` (the
first) makes an AddmmBackward0 and, in the twin, a MatMul inside the If (the If lights up)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from explorer.grad_paint import FILLS
from tests.browser.app_server import settle, wait_for_graphs
from tests.browser.conftest import ARTIFACTS

LINKED = "g.node.gx-linked"
pytestmark = pytest.mark.slow  # each starts a page and waits for both graphs


def linked_labels(viewer) -> list[str]:
    return viewer.locator(f"{LINKED} text").evaluate_all("els => els.map(e => e.textContent)")


def picker(page):
    return page.locator("[data-testid=stSelectbox]", has_text="Show a line's nodes").first


def editor_marker(page):
    return page.frame_locator("iframe[title*=code_editor]").first.locator(".gx-linked")


def test_click_a_torch_node_lights_its_line_and_the_twin(page, app_url):
    page.goto(app_url)
    wait_for_graphs(page)
    viewers = page.locator(".gx-svg")
    viewers.nth(0).locator("g.node", has_text="SumBackward0").first.click()
    settle(page)
    expect(viewers.nth(1).locator(LINKED).first).to_be_visible(timeout=30_000)
    assert "Sum" in linked_labels(viewers.nth(1))  # the twin's op of the same line
    assert all("Addmm" not in t for t in linked_labels(viewers.nth(1)))
    assert picker(page).locator("input").input_value().endswith(": return y.sum() (3 nodes)")
    expect(editor_marker(page)).to_have_count(1, timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "linked_click_torch.png"), full_page=True)


def test_pick_a_line_lights_both_graphs_and_survives_a_rerun(page, app_url):
    page.goto(app_url)
    wait_for_graphs(page)
    picker(page).click()
    option = page.get_by_role("option", name=re.compile(r"^line \d+: y = linear_layer\(x\)"))
    chosen = option.first.inner_text()
    option.first.click()
    settle(page)
    viewers = page.locator(".gx-svg")
    expect(viewers.nth(0).locator(LINKED).first).to_be_visible(timeout=30_000)
    torch_linked = linked_labels(viewers.nth(0))
    assert any("AddmmBackward0" in t for t in torch_linked)
    assert all("SumBackward0" not in t for t in torch_linked)
    assert {"If", "StatelessIf"} & set(linked_labels(viewers.nth(1)))  # the arm's If
    page.screenshot(path=str(ARTIFACTS / "linked_pick_line.png"), full_page=True)
    page.get_by_role("button", name=re.compile("^Run")).click()
    settle(page)
    wait_for_graphs(page)
    expect(page.locator(".gx-svg").nth(0).locator(LINKED).first).to_be_visible(timeout=60_000)
    assert picker(page).locator("input").input_value() == chosen


def test_click_a_twin_node_lights_the_torch_graph(page, app_url):
    page.goto(app_url)
    wait_for_graphs(page)
    viewers = page.locator(".gx-svg")
    viewers.nth(1).locator('g.node[id="node_Sum_1"]').click()  # y.sum(); Sum is x.sum()
    settle(page)
    expect(viewers.nth(0).locator(LINKED).first).to_be_visible(timeout=30_000)
    assert any("SumBackward0" in t for t in linked_labels(viewers.nth(0)))
    page.screenshot(path=str(ARTIFACTS / "linked_click_tf.png"), full_page=True)


def test_search_lights_matches_in_both_graphs_and_next_cycles(page, app_url):
    page.goto(app_url)
    wait_for_graphs(page)
    box = page.get_by_label("Search both graphs")
    box.fill("linear_layer.weight")
    box.press("Enter")
    settle(page)
    viewers = page.locator(".gx-svg")
    expect(page.get_by_text("1 of 2 matches (1 in PyTorch, 1 in tf.function)")).to_be_visible(
        timeout=30_000)
    for viewer in (viewers.nth(0), viewers.nth(1)):
        assert viewer.locator("g.node.gx-match").evaluate_all("els => els.map(e => e.id)") == \
            ["node_linear_layer.weight"]
    expect(viewers.nth(0).locator("g.node.gx-focus")).to_have_count(1)
    assert viewers.nth(1).locator("g.node.gx-focus").count() == 0
    page.screenshot(path=str(ARTIFACTS / "linked_search_first.png"), full_page=True)
    page.get_by_role("button", name="Next").click()
    settle(page)
    expect(page.get_by_text("2 of 2 matches")).to_be_visible(timeout=30_000)
    expect(viewers.nth(1).locator("g.node.gx-focus")).to_have_count(1)
    assert viewers.nth(0).locator("g.node.gx-focus").count() == 0
    page.screenshot(path=str(ARTIFACTS / "linked_search_next.png"), full_page=True)


def test_values_toggle_prints_each_value_in_its_node(page, app_url):
    page.goto(app_url)
    wait_for_graphs(page)
    page.get_by_text("Values on the nodes").first.click()
    settle(page)
    torch_graph = page.locator(".gx-svg").nth(0)
    # SumBackward0's output is the run's output, 1.319 (the headline's number)
    expect(torch_graph.locator("g.node", has_text="SumBackward0").locator(
        "text", has_text="= 1.32")).to_have_count(1, timeout=30_000)
    addmm = torch_graph.locator("g.node", has_text="AddmmBackward0")
    assert any(t.startswith("\u03bc ") for t in addmm.locator("text").evaluate_all(
        "els => els.map(e => e.textContent)"))
    page.screenshot(path=str(ARTIFACTS / "linked_values.png"), full_page=True)


def test_values_toggle_of_the_twin_prints_its_ops_values_and_gradients(page, app_url):
    """The tf.function graph's own toggles: each op's value and gradient (the twin's run,
    capture.tf_values), and the fill by gradient size, as the PyTorch graph's."""
    page.goto(app_url)
    wait_for_graphs(page)
    page.get_by_text("Values on the nodes").nth(1).click()
    settle(page)
    tf_graph = page.locator(".gx-svg").nth(1)
    # the last Sum is the run's output, 1.319 as on the PyTorch side; its gradient is 1
    texts = tf_graph.locator("g.node", has_text="Sum").locator("text").evaluate_all(
        "els => els.map(e => e.textContent)")
    assert "= 1.32" in texts and "\u2207 = 1" in texts, texts
    page.get_by_text("Colour by gradient size").nth(1).click()
    settle(page)
    expect(page.get_by_text(re.compile(r"gradient"), exact=False).first).to_be_visible()
    fills = tf_graph.locator("g.node polygon, g.node path").evaluate_all(
        "els => els.map(e => e.getAttribute('fill'))")
    assert any(f and f.lower() in {c.lower() for c in FILLS} for f in fills), set(fills)
    page.screenshot(path=str(ARTIFACTS / "linked_values_tf.png"), full_page=True)


def ids(viewer, cls: str) -> list[str]:
    return sorted(viewer.locator(f"g.node.{cls}").evaluate_all("els => els.map(e => e.id)"))


def test_stepper_grows_the_autograd_graph_line_by_line(page, app_url):
    """The default lesson's forward runs lines 12 (the if: no node, x needs no gradient),
    13 (the layer: t and addmm) and 17 (the sum); the twin's graph is whole at every step."""
    page.goto(app_url)
    wait_for_graphs(page)
    page.get_by_text("Step through forward").click()
    settle(page)
    viewers = page.locator(".gx-svg")
    expect(page.get_by_text("step 1 of 3 \u00b7 line 12, run 1 \u00b7 0 new nodes")).to_be_visible(
        timeout=30_000)
    assert ids(viewers.nth(0), "gx-future") == ["node_addmm", "node_sum", "node_t"]
    assert ids(viewers.nth(0), "gx-added") == []
    page.screenshot(path=str(ARTIFACTS / "linked_step_1.png"), full_page=True)
    slider = page.get_by_role("slider").first
    slider.press("ArrowRight")
    settle(page)
    expect(page.get_by_text("step 2 of 3 \u00b7 line 13, run 1 \u00b7 2 new nodes")).to_be_visible(
        timeout=30_000)
    assert ids(viewers.nth(0), "gx-added") == ["node_addmm", "node_t"]
    assert ids(viewers.nth(0), "gx-future") == ["node_sum"]
    assert ids(viewers.nth(1), "gx-future") == []  # define-and-run: all there from step 1
    assert ids(viewers.nth(1), "gx-linked") == ["node_cond"]  # the If: line 13 is in a branch
    expect(editor_marker(page)).to_have_count(1, timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "linked_step_2.png"), full_page=True)
    page.get_by_role("slider").first.press("ArrowRight")
    settle(page)
    expect(page.get_by_text("step 3 of 3 \u00b7 line 17, run 1 \u00b7 1 new node")).to_be_visible(
        timeout=30_000)
    assert ids(viewers.nth(0), "gx-added") == ["node_sum"]
    assert ids(viewers.nth(0), "gx-future") == []
    page.screenshot(path=str(ARTIFACTS / "linked_step_3.png"), full_page=True)


def test_hover_lights_the_nodes_of_the_same_line_lightly(page, app_url):
    page.goto(app_url)
    wait_for_graphs(page)
    torch_graph = page.locator(".gx-svg").nth(0)
    torch_graph.locator('g.node[id="node_addmm"]').hover()
    expect(torch_graph.locator("g.node.gx-hover")).to_have_count(2, timeout=10_000)
    assert ids(torch_graph, "gx-hover") == ["node_addmm", "node_t"]  # line 13's two ops
    page.screenshot(path=str(ARTIFACTS / "linked_hover.png"), full_page=True)
    page.mouse.move(0, 0)
    expect(torch_graph.locator("g.node.gx-hover")).to_have_count(0, timeout=10_000)
