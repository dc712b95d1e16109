"""Modules as boxes in Chromium: a module call is a cluster; a click on its label closes it to
one box (its inner nodes gone), a click on the box opens it again; the module depth choice
closes every call below a depth, in both graphs (the twin's ops carry torch's paths).
The snippet is the engine test's two-layer MLP in an nn.Sequential, from a share link."""
from __future__ import annotations

from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from explorer import share
from tests.browser.app_server import settle, wait_for_graphs
from tests.browser.conftest import ARTIFACTS
from tests.test_module_boxes import MLP  # the engine test's two-layer MLP

pytestmark = pytest.mark.slow  # each starts a page and waits for both graphs


def open_mlp(page, app_url):
    page.goto(f"{app_url}/?code={quote(share.encode_code(MLP))}")
    wait_for_graphs(page)
    return page.locator(".gx-svg")


def node_ids(viewer) -> list[str]:
    return viewer.locator("g.node").evaluate_all("els => els.map(e => e.id)")


def cluster_ids(viewer) -> list[str]:
    return viewer.locator("g.cluster").evaluate_all("els => els.map(e => e.id)")


def choose_depth(page, graph: int, option: str) -> None:
    """Pick ``option`` in graph ``graph``'s (0: PyTorch, 1: tf.function) module choice."""
    choices = page.get_by_role("combobox", name="Module depth shown")
    expect(choices).to_have_count(2)  # one per graph
    choices.nth(graph).click()
    page.keyboard.type(option)  # the choice is searchable: the one option left, picked
    page.keyboard.press("Enter")
    settle(page)


def test_a_cluster_closes_to_a_box_and_opens_again_and_depth_closes_all(page, app_url):
    torch_graph = open_mlp(page, app_url).nth(0)
    assert {"cluster_mod_model_0", "cluster_mod_model.0_0", "cluster_mod_model.2_0"} <= \
        set(cluster_ids(torch_graph))
    assert "node_addmm" in node_ids(torch_graph)
    torch_graph.locator('g.cluster[id="cluster_mod_model.0_0"] text').first.click()
    settle(page)
    box = torch_graph.locator('g.node[id="node_module_model.0_0"]')
    expect(box).to_have_count(1, timeout=30_000)
    assert box.locator("text").evaluate_all("els => els.map(e => e.textContent)")[:2] == [
        "model.0 \u00b7 Linear", "(3, 4) \u2192 (3, 8)"]
    drawn = node_ids(torch_graph)
    assert "node_addmm" not in drawn and "node_model.0.weight" not in drawn
    assert "node_addmm_1" in drawn  # the other Linear stays open
    assert "cluster_mod_model.0_0" not in cluster_ids(torch_graph)
    search = page.get_by_label("Search both graphs")  # a hidden node's match: its box
    search.fill("model.0.weight")
    search.press("Enter")
    settle(page)
    expect(torch_graph.locator('g.node.gx-focus[id="node_module_model.0_0"]')).to_have_count(
        1, timeout=30_000)
    assert torch_graph.locator("g.node.gx-match").evaluate_all(
        "els => els.map(e => e.id)") == ["node_module_model.0_0"]
    page.screenshot(path=str(ARTIFACTS / "module_boxes_closed.png"), full_page=True)
    box.click()
    settle(page)
    expect(torch_graph.locator('g.node[id="node_addmm"]')).to_have_count(1, timeout=30_000)
    assert "node_module_model.0_0" not in node_ids(torch_graph)
    assert "cluster_mod_model.0_0" in cluster_ids(torch_graph)
    # the depth choice: every call below it closed, in both graphs (one page for both parts)
    viewers = page.locator(".gx-svg")
    choose_depth(page, 0, "each top-level module one box")
    torch_graph = viewers.nth(0)
    expect(torch_graph.locator('g.node[id="node_module_model_0"]')).to_have_count(
        1, timeout=30_000)
    assert [i for i in node_ids(torch_graph) if i.startswith("node_module")] == \
        ["node_module_model_0"]
    assert cluster_ids(torch_graph) == []
    choose_depth(page, 1, "each top-level module one box")
    tf_graph = viewers.nth(1)
    expect(tf_graph.locator('g.node[id="node_module_model_0"]')).to_have_count(
        1, timeout=30_000)
    assert not {"node_MatMul", "node_Relu"} & set(node_ids(tf_graph))
    page.screenshot(path=str(ARTIFACTS / "module_boxes_depth0.png"), full_page=True)
    with page.expect_download() as dot:  # the download is the graph as drawn: one box
        page.get_by_role("button", name="DOT").nth(0).click()
    text = open(dot.value.path()).read()
    assert '"module:model#0" [' in text and '"addmm" [' not in text
    choose_depth(page, 0, "modules deeper than 1 closed")  # the layers as boxes
    expect(torch_graph.locator('g.node[id="node_module_model.1_0"]')).to_have_count(
        1, timeout=30_000)
    assert sorted(i for i in node_ids(torch_graph) if i.startswith("node_module")) == [
        "node_module_model.0_0", "node_module_model.1_0", "node_module_model.2_0"]
    assert cluster_ids(torch_graph) == ["cluster_mod_model_0"]
    page.screenshot(path=str(ARTIFACTS / "module_boxes_depth1.png"), full_page=True)


def fills(viewer) -> dict[str, str]:
    """DOM id -> the fill of each node's outline (Graphviz's first path or polygon)."""
    return dict(viewer.locator("g.node").evaluate_all(
        "els => els.map(e => [e.id, (e.querySelector('path, polygon') || {}).getAttribute"
        "  ? e.querySelector('path, polygon').getAttribute('fill') : null])"))


def test_gradients_print_in_the_nodes_and_colour_them(page, app_url):
    from explorer import grad_paint

    torch_graph = open_mlp(page, app_url).nth(0)
    page.get_by_text("Colour by gradient size").first.click()
    settle(page)
    expect(page.get_by_text("Fill by the norm of the gradient")).to_be_visible(timeout=60_000)
    painted = fills(torch_graph)
    # d loss / d output of sum() is 1; the MLP's inner gradients are smaller or larger, but
    # each op with a gradient has one of the ramp's fills, and both ends of it are used
    ops = ["node_addmm", "node_relu", "node_addmm_1", "node_sum", "node_model.0.weight"]
    assert all(painted[i] in grad_paint.FILLS for i in ops), painted
    used = set(painted.values())  # the smallest gradient palest, the largest deepest
    assert grad_paint.FILLS[0] in used and grad_paint.FILLS[-1] in used
    page.get_by_text("Values on the nodes").first.click()
    settle(page)
    expect(torch_graph.locator("g.node", has_text="SumBackward0").locator(
        "text", has_text="\u2207 = 1")).to_have_count(1, timeout=30_000)
    addmm = torch_graph.locator('g.node[id="node_addmm"] text').evaluate_all(
        "els => els.map(e => e.textContent)")
    assert any(t.startswith("\u03bc ") for t in addmm)
    assert any(t.startswith("\u2207 \u03bc ") for t in addmm)
    page.screenshot(path=str(ARTIFACTS / "module_boxes_gradients.png"), full_page=True)
