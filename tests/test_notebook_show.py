"""``explorer.show`` and ``explorer.compare`` on live objects: the twin written out from the
live function and module checks as the app's twin of the same snippet does (same verdict,
same static graph, the same no-twin lesson word for word), on the live weights, and leaves
the user's ``.grad`` alone. Snippet files are imported as modules, so a live function has
the very lines of the snippet the app runs."""
from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path

import pytest
import torch

import explorer
from explorer import execution, twin
from explorer.notebook import runs
from explorer.twin import live
from tests.conftest import SNIPPETS

pytestmark = pytest.mark.slow  # imports TensorFlow


def as_module(path, seed=0):
    """The snippet imported as the user's own module, seeded as a run of it is; and its
    inputs, drawn after the module level as the contract draws them."""
    torch.manual_seed(seed)
    spec = importlib.util.spec_from_file_location(f"user_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    args = module.inputs()
    return module, args if isinstance(args, tuple) else (args,)


def ops(graph_json):
    return Counter(n["op"] for n in graph_json["nodes"] if n["kind"] == "op")


@pytest.mark.parametrize("name", ["example_if_twice.py", "capture_module.py"])
def test_show_checks_as_the_apps_twin_of_the_same_snippet(name):
    """Same verdict, static graph, outputs and gradients; and the torch graph's nodes carry
    the same line and module as the app's run of the snippet tags them with."""
    path = SNIPPETS / name
    module, args = as_module(path)
    shown = explorer.show(module.forward, *args)
    app = twin.compare(path.read_text(), seed=0)
    assert shown.twin["status"] == app["status"] == "ok"
    assert shown.equivalent and app["equivalent"]
    assert ops(shown.twin["graph"]) == ops(app["graph"])
    assert shown.twin["torch"]["output"] == app["torch"]["output"]
    assert shown.twin["tf"]["output"]["value"] == pytest.approx(app["tf"]["output"]["value"])
    assert [(g["name"], g["close"]) for g in shown.twin["grads"]] == \
        [(g["name"], g["close"]) for g in app["grads"]]
    engine = execution.execute(path.read_text(), seed=0).graph  # the app's run of the snippet
    assert [(n.id, n.attrs.get("line"), n.attrs.get("module")) for n in shown.torch.graph.nodes] \
        == [(n.id, n.attrs.get("line"), n.attrs.get("module")) for n in engine.nodes]
    page = shown._repr_html_()
    assert page.count("<svg") >= 2 and "Outputs and gradients agree" in page
    assert "Executed path" in page and "Leaf gradients" in page


def test_what_has_no_twin_gets_the_apps_lesson_word_for_word():
    path = SNIPPETS / "capture_custom_function.py"
    module, args = as_module(path)
    shown = explorer.show(module.forward, *args)
    app = twin.compare(path.read_text(), seed=0)
    assert shown.twin["status"] == app["status"] == "no-twin"
    for key in ("message", "line", "construct", "reason", "source_line", "missing"):
        assert shown.twin[key] == app[key], key
    assert shown.tf is None and shown.torch.graph.count("op") > 0  # the torch graph stands
    assert "No static twin." in shown._repr_html_()


class Gate(torch.nn.Module):
    def __init__(self, hidden, scale=1.0):
        super().__init__()
        self.hidden, self.scale = hidden, scale
        self.inner = torch.nn.Linear(hidden, hidden)
        self.out = torch.nn.Sequential(torch.nn.Tanh(), torch.nn.Linear(hidden, 1))

    def forward(self, x):
        h = self.inner(x) * self.scale
        while h.norm() > 1:
            h = h / 2
        return self.out(h).sum()


def test_a_module_of_a_notebook_with_its_live_weights_and_grads_kept():
    torch.manual_seed(3)
    net = Gate(5, scale=4.0)
    with torch.no_grad():
        net.inner.weight.mul_(3)  # trained: weights no constructor would draw
    x = torch.randn(2, 5)
    sentinel = torch.full_like(net.inner.weight, 7.0)
    net.inner.weight.grad = sentinel.clone()
    shown = explorer.show(net, x)
    assert torch.equal(net.inner.weight.grad, sentinel) and net.inner.bias.grad is None
    assert shown.equivalent, shown.twin["message"]
    assert "While" in str(ops(shown.twin["graph"]))
    expected = torch.autograd.grad(net(x), [net.inner.weight])[0]
    row = next(r for r in shown.gradients if r["leaf"] == "net.inner.weight")
    assert float(row["torch |grad|"]) == pytest.approx(expected.norm().item(), rel=1e-3)
    assert row["agree"] == "yes"
    h, halvings = net.inner(x) * net.scale, 0
    while h.norm() > 1:
        h, halvings = h / 2, halvings + 1
    assert halvings >= 1
    assert [(b.kind, b.iterations if b.kind == "while" else b.runs) for b in shown.branches] \
        == [("call", 0), ("call", 1), ("while", halvings)]  # __init__ did not run in show


def test_compare_inputs_paints_the_runs_on_one_static_graph():
    module, (x,) = as_module(SNIPPETS / "example_if_twice.py")
    x = x.abs()  # then-arm; its negation takes the else-arm
    view = explorer.compare(module.forward, x, -x)
    assert [r["inputs"] for r in view.rows] == ["inputs a", "inputs b"]
    assert view.rows[0]["vs inputs a"] == "same graph" and view.rows[1]["vs inputs a"] != \
        "same graph"
    assert view.model.graphs["inputs b"].count("op") > view.model.graphs["inputs a"].count("op")
    (lines,) = view.model.static_lines.values()
    assert lines == ["line 12: then in 1/2 runs, else in 1/2"]
    assert view._repr_html_().count("<svg") == 3


class NeedsArgument(torch.nn.Module):
    def __init__(self, n):
        super().__init__()
        self.layer = torch.nn.Linear(n, n)  # n is not kept: nothing to rebuild it from

    def forward(self, x):
        return self.layer(x).sum()


def test_a_module_that_cannot_be_written_out_says_why_and_keeps_the_torch_graph():
    with pytest.raises(live.LiveError, match="'n'"):
        live.write_out(NeedsArgument(3), ["x"])
    shown = explorer.show(NeedsArgument(3), torch.randn(1, 3))
    assert shown.twin["status"] == "error" and "'n'" in shown.twin["message"]
    assert shown.torch.graph.count("op") > 0 and "<svg" in shown._repr_html_()


SQUARE = (SNIPPETS / "capture_custom_function.py").read_text()  # its class Square, reused
CELL = ("def forward(x):\n    return Square.apply(x * w).sum()\n\n\n"
        + SQUARE[SQUARE.index("class Square"):SQUARE.index("\n\n\nw = ")] + "\n")


def test_a_cell_that_starts_with_the_function_keeps_its_own_line_numbers(tmp_path):
    """Line 1 of the cell leaves no room for the imports above it: the written-out code is
    a line lower, and the lesson still names the cell's line 5 (the class, as the app
    names it)."""
    path = tmp_path / "cell.py"
    path.write_text(CELL)
    scope = {"torch": torch, "w": torch.ones(3, requires_grad=True), "__name__": "__main__"}
    exec(compile(CELL, str(path), "exec"), scope)
    source = live.write_out(scope["forward"], ["x"])
    assert source.offset == 1 and source.code.splitlines()[2] == CELL.splitlines()[1]
    shown = explorer.show(scope["forward"], torch.randn(3))
    assert shown.twin["status"] == "no-twin" and shown.twin["reason"] == "autograd_function"
    assert shown.twin["line"] == 5 and shown.twin["message"].startswith(
        "No TensorFlow twin: line 5 uses a custom torch.autograd.Function (class Square)")
    assert shown.twin["source_line"] == CELL.splitlines()[4]
    assert [m["line"] for m in shown.twin["missing"]] == [5]
    assert [b.line for b in shown.branches if b.kind == "call"] == [1, 7, 12]


def test_train_mode_dropout_and_batchnorm_and_a_keyword_argument():
    """Random masks: the check takes a second pass with dropout as the identity (as the app
    does, and says so); BatchNorm's statistics move once, as in one run of the user's code."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Dropout(0.5),
                              torch.nn.BatchNorm1d(8), torch.nn.Linear(8, 1))
    x = torch.randn(6, 4)

    def scaled(x, scale=1.0):
        return net(x * scale).sum()

    shown = explorer.show(scaled, x, scale=2.0)
    assert shown.equivalent and shown.twin["torch"]["run"] == "second pass"
    assert int(net[2].num_batches_tracked) == 1
    args, names = runs.arguments(scaled, (x,), {"scale": 2.0})  # as forward's positions
    assert args[0] is x and args[1:] == (2.0,) and names == ["x", "scale"]


LESSONS = Path(explorer.__file__).parent / "lessons"


@pytest.mark.parametrize("name", ["03_variable_length_rnn", "04_tree_recursion",
                                  "07_detach_no_grad", "08_dropout_train_eval"])
def test_lessons_get_the_apps_verdict_live(name):
    """Nested inputs, a tree walked by recursion, no_grad's lesson, dropout's second pass:
    the live twin's status, verdict and line are the app's for the same lesson."""
    path = LESSONS / f"{name}.py"
    module, args = as_module(path)
    shown = explorer.show(module.forward, *args)
    code = path.read_text()  # as the explorer page checks: on the drawn run's numbers
    app = twin.compare(code, seed=0, run=execution.execute(code, seed=0, keep_values=True))
    fields = ("status", "equivalent", "line", "reason", "message")
    assert {k: shown.twin.get(k) for k in fields} == {k: app.get(k) for k in fields}


weights = [torch.randn(3, 3, requires_grad=True), torch.randn(3, 3, requires_grad=True)]
settings = {"scale": 2.0}
odd = [object()]


def stacked(x):
    for w in weights:
        x = torch.tanh(x @ w) * settings["scale"]
    return x.sum()


def uses_odd(x):
    return (x * len(odd)).sum()


def test_lists_and_dicts_of_tensors_are_written_out_with_their_live_values():
    x = torch.randn(2, 3)
    shown = explorer.show(stacked, x)
    assert shown.equivalent, shown.twin["message"]
    expected = torch.autograd.grad(stacked(x), weights)
    assert [r["leaf"] for r in shown.gradients] == ["weights[0]", "weights[1]"]
    assert [float(r["torch |grad|"]) for r in shown.gradients] == pytest.approx(
        [g.norm().item() for g in expected], rel=1e-3)
    assert all(r["agree"] == "yes" for r in shown.gradients)
    with pytest.raises(live.LiveError, match="odd holds a object"):
        live.write_out(uses_odd, ["x"])
