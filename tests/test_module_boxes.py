"""Modules as boxes (explorer/render_modules.py): which nodes fall in which module call,
written by hand from the snippets below, and a closed box's shapes against torch's own
(forward hooks in this test)."""
from __future__ import annotations

import re

import pytest

from explorer import execution, render
from explorer import render_modules as rm

HEAD = "import torch\nimport torch.nn as nn\n"

MLP = HEAD + '''model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))


def inputs():
    return (torch.randn(3, 4),)


def forward(x):
    return model(x).sum()
'''

CNN = HEAD + '''net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                    nn.Linear(8, 3))


def inputs():
    return (torch.randn(2, 1, 6, 6),)


def forward(x):
    return net(x).sum()
'''

TRANSFORMER = HEAD + '''layer = nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16,
                                   dropout=0.0, batch_first=True)


def inputs():
    return (torch.randn(2, 3, 8),)


def forward(x):
    return layer(x).sum()
'''

LOOP = HEAD + '''cell = nn.Linear(4, 4)


def inputs():
    return (torch.randn(3, 2, 4),)


def forward(x):
    h = torch.zeros(2, 4)
    for i in range(3):
        h = torch.tanh(cell(x[i] + h))
    return h.sum()
'''


def graph_of(code):
    return execution.execute(code, backward=False).graph


def innermost(graph, calls):
    """node id -> its innermost call id, for the op nodes (AccumulateGrad left out)."""
    ops = {n.id for n in graph.nodes if n.kind == "op" and n.op != "AccumulateGrad"}
    return {n: ids[-1] for n, ids in calls.chain.items() if n in ops}


def torch_shapes(code, name):
    """Each submodule's input and output shapes, from torch's own forward hooks."""
    space: dict = {}
    exec(compile(code, "<snippet>", "exec"), space)
    root = space[name]
    seen = {}
    for path, module in root.named_modules():
        full = f"{name}.{path}" if path else name
        def hook(module, args, out, full=full):  # returns None: the output stays
            seen.setdefault(full, ([list(a.shape) for a in args], [list(out.shape)]))
        module.register_forward_hook(hook)
    space["forward"](*space["inputs"]())
    return seen


def test_an_mlp_groups_by_layer_with_its_parameters():
    graph = graph_of(MLP)
    calls = rm.module_calls(graph)
    assert [(c.id, c.type, c.depth, c.parent) for c in calls.calls.values()] == [
        ("model#0", "Sequential", 1, None), ("model.0#0", "Linear", 2, "model#0"),
        ("model.1#0", "ReLU", 2, "model#0"), ("model.2#0", "Linear", 2, "model#0")]
    assert innermost(graph, calls) == {"t": "model.0#0", "addmm": "model.0#0",
                                       "relu": "model.1#0", "t_1": "model.2#0",
                                       "addmm_1": "model.2#0"}
    assert calls.chain["model.0.weight"] == ("model#0", "model.0#0")
    assert "x" not in calls.chain and "sum" not in calls.chain  # forward's own, no module's


def test_closed_boxes_replace_their_nodes_and_carry_torch_shapes():
    graph = graph_of(MLP)
    hooks = torch_shapes(MLP, "model")
    view = rm.collapse(graph, depth=1)
    ops = [n for n in view.graph.nodes if n.kind == "op"]
    assert [n.id for n in ops] == ["module:model.0#0", "module:model.1#0", "module:model.2#0",
                                   "sum"]
    for node in ops[:3]:
        path = node.attrs["module_box"].split("#")[0]
        assert (node.attrs["in"], node.attrs["out"]) == hooks[path]
    assert {(e.src, e.dst) for e in view.graph.edges} == {
        ("x", "module:model.0#0"), ("module:model.0#0", "module:model.1#0"),
        ("module:model.1#0", "module:model.2#0"), ("module:model.2#0", "sum"),
        ("sum", "output")}
    assert not view.graph.lint()
    assert view.member == {b.id: ("model#0",) for b in ops[:3]}
    top = rm.collapse(graph, depth=0)
    assert [n.id for n in top.graph.nodes] == ["x", "module:model#0", "sum", "output"]
    assert render.node_lines(top.graph.node("module:model#0"))[:2] == [
        "model \u00b7 Sequential", "(3, 4) \u2192 (3, 2)"]


def test_a_click_flips_one_call():
    graph = graph_of(MLP)
    opened = rm.collapse(graph, depth=0, toggled=frozenset({"model#0"}))
    assert "module:model#0" not in {n.id for n in opened.graph.nodes}
    assert {n.id for n in opened.graph.nodes if n.kind == "op"} == {
        "module:model.0#0", "module:model.1#0", "module:model.2#0", "sum"}  # deeper: closed
    closed = rm.collapse(graph, depth=None, toggled=frozenset({"model.1#0"}))
    assert [n.id for n in closed.graph.nodes if n.id.startswith("module:")] == \
        ["module:model.1#0"]
    assert closed.dom["node_module_model.1_0"] == "model.1#0"
    assert closed.dom[rm.cluster_dom_id("model#0")] == "model#0"


def test_a_small_cnn_reads_as_its_layers():
    graph = graph_of(CNN)
    calls = rm.module_calls(graph)
    inner = innermost(graph, calls)
    by_call: dict[str, list[str]] = {}
    for node, call in inner.items():
        by_call.setdefault(call, []).append(graph.node(node).op)
    assert by_call == {"net.0#0": ["ConvolutionBackward0"], "net.1#0": ["ReluBackward0"],
                       "net.2#0": ["MaxPool2DWithIndicesBackward0"],
                       "net.3#0": ["ViewBackward0"],
                       "net.4#0": ["TBackward0", "AddmmBackward0"]}
    hooks = torch_shapes(CNN, "net")
    boxes = [n for n in rm.collapse(graph, depth=1).graph.nodes if "module_box" in n.attrs]
    assert [n.label for n in boxes] == ["net.0 \u00b7 Conv2d", "net.1 \u00b7 ReLU",
                                        "net.2 \u00b7 MaxPool2d", "net.3 \u00b7 Flatten",
                                        "net.4 \u00b7 Linear"]
    for node in boxes:
        assert (node.attrs["in"], node.attrs["out"]) == hooks[node.label.split(" ")[0]]


def test_a_transformer_layer_reads_as_its_five_blocks():
    graph = graph_of(TRANSFORMER)
    view = rm.collapse(graph, depth=1)
    ops = [n.id for n in view.graph.nodes if n.kind == "op"]
    # the residual adds and the feed-forward's relu are the layer's own code (F.relu)
    assert ops == ["module:layer.self_attn#0", "add_1", "module:layer.norm1#0",
                   "module:layer.linear1#0", "relu", "module:layer.linear2#0", "add_2",
                   "module:layer.norm2#0", "sum"]
    attn = view.graph.node("module:layer.self_attn#0")
    assert attn.attrs["out"] == [[2, 3, 8]] and attn.attrs["in"] == [[2, 3, 8]] * 3
    assert not view.graph.lint()
    hidden = {n for n, box in view.drawn_as.items() if box == "module:layer.self_attn#0"}
    # out_proj is never called as a module (attention uses its weights): its are attn's
    assert {"layer.self_attn.in_proj_weight", "layer.self_attn.out_proj.weight",
            "scaled_dot_product_flash_attention_for_cpu"} <= hidden


def _clusters(dot: str) -> list[str]:
    return re.findall(r'subgraph "?cluster_([^" ]+)"? \{', dot)


def test_a_loop_makes_one_call_per_iteration_rolled_inside_boxes():
    graph = graph_of(LOOP)
    calls = rm.module_calls(graph)
    assert list(calls.calls) == ["cell#0", "cell#1", "cell#2"]  # x[i] + h between calls
    hooks = torch_shapes(LOOP, "cell")  # torch records the first call: all are alike
    assert all((c.inputs, c.outputs) == hooks["cell"] for c in calls.calls.values())
    closed = rm.collapse(graph, depth=0)
    assert not closed.graph.lint()  # a box per call: no cycle through the loop
    dot = render.to_dot(closed, "rolled")
    # h starts as zeros (no grad): the 2nd and 3rd iterations repeat, drawn once, x 2
    assert "\u00d7 2 " in dot and dot.count('label="cell \u00b7 Linear') == 2
    opened = render.to_dot(rm.collapse(graph), "rolled")
    # open: the loop's one drawn copy holds its cell's cluster; the third call is folded
    assert set(_clusters(opened)) == {"0", "mod_cell#0", "mod_cell#1"}
    start = opened.index("  subgraph cluster_0 {")
    block = opened[start:opened.index("\n  }\n", start)]
    assert 'subgraph "cluster_mod_cell#1"' in block and '"addmm_1" [' in block
    assert 'cluster_mod_cell#0' not in block and '"addmm" [' not in block
    full = render.to_dot(rm.collapse(graph), "full")
    assert _clusters(full) == ["mod_cell#0", "mod_cell#1", "mod_cell#2"]


def test_open_calls_nest_as_graphviz_clusters():
    graph = graph_of(MLP)
    dot = render.to_dot(rm.collapse(graph), "full")
    outer = dot.index('subgraph "cluster_mod_model#0"')
    inner = dot.index('subgraph "cluster_mod_model.0#0"')
    addmm = dot.index('"addmm" [')
    assert outer < inner < addmm < dot.index("  }\n", inner)
    if not render.dot_available():
        pytest.skip("Graphviz is not installed")
    svg = render.run_dot(dot).decode()
    assert 'id="cluster_mod_model_0"' in svg and 'id="cluster_mod_model.0_0"' in svg


def test_twin_ops_group_by_the_torch_paths_they_carry():
    from explorer.graph import Edge, Graph, Node
    graph = Graph("tf", [Node("x", "input", shape=[3, 4]),
                         Node("MatMul", "op", "MatMul", shape=[3, 8],
                              attrs={"module": "model.0"}),
                         Node("Relu", "op", "Relu", shape=[3, 8], attrs={"module": "model.1"}),
                         Node("Sum", "op", "Sum", shape=[])],
                  [Edge("x", "MatMul"), Edge("MatMul", "Relu"), Edge("Relu", "Sum")])
    modules = graph_of(MLP).modules
    view = rm.collapse(graph, depth=1, modules=modules)
    assert [n.id for n in view.graph.nodes] == ["x", "module:model.0#0", "module:model.1#0",
                                                "Sum"]
    assert view.member["module:model.0#0"] == ("model#0",)


def test_too_many_open_calls_draw_no_clusters(monkeypatch):
    from explorer import render_clusters
    graph = graph_of(LOOP)
    monkeypatch.setattr(render_clusters, "MAX_MODULE_CLUSTERS", 2)
    assert "cluster_mod_" not in render.to_dot(rm.collapse(graph), "full")
    monkeypatch.setattr(render_clusters, "MAX_MODULE_CLUSTERS", 3)
    assert render.to_dot(rm.collapse(graph), "full").count("subgraph \"cluster_mod_") == 3


def test_no_module_no_cluster():
    graph = graph_of(HEAD + "w = torch.ones(2, requires_grad=True)\n\n\ndef inputs():\n"
                     "    return (torch.ones(2),)\n\n\ndef forward(x):\n    return (w * x).sum()\n")
    assert rm.module_calls(graph).calls == {}
    assert render.to_dot(rm.collapse(graph)) == render.to_dot(graph)
