"""The twin's control flow: tensor-dependent if/while become If/While ops, Python-constant ones
are settled while tracing; what has no twin is told as a lesson naming the user's line; a
hand-edited twin runs instead; every lesson and course example checks equivalent."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import torch

from explorer import lessons, snippet
from explorer.graph import Graph
from tests.conftest import SNIPPETS

twin = pytest.importorskip("explorer.twin")
IF_OPS = ("If", "StatelessIf")
WHILE_OPS = ("While", "StatelessWhile")
EXAMPLES = sorted(SNIPPETS.glob("example_*.py"))


def compare(name: str, **kwargs: object) -> dict:
    return twin.compare((SNIPPETS / f"{name}.py").read_text(), **kwargs)


def graph_of(result: dict) -> Graph:
    assert result["status"] == "ok", result.get("message")
    graph = Graph.from_json(result["graph"])
    assert graph.lint() == []  # subgraphs included
    return graph


def ops(graph: Graph) -> Counter:
    return Counter(n.op for n in graph.nodes if n.kind == "op")


def torch_value(name: str) -> float:
    """The snippet's own torch output: the independent truth the twin must reproduce."""
    program = snippet.load((SNIPPETS / f"{name}.py").read_text())
    return float(program.run_forward()[0].detach())


def line_of(name: str, text: str) -> int:
    lines = (SNIPPETS / f"{name}.py").read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


def test_tensor_if_becomes_an_if_op_with_both_arms() -> None:
    result = compare("example_if_twice")
    graph = graph_of(result)
    [op] = [n for n in graph.nodes if n.op in IF_OPS]
    links = op.attrs["subgraphs"]
    assert set(links) == {"then_branch", "else_branch"}
    # the code: the then arm applies the layer once, the else arm twice
    assert ops(graph.subgraphs[links["then_branch"]])["MatMul"] == 1
    assert ops(graph.subgraphs[links["else_branch"]])["MatMul"] == 2
    assert result["equivalent"] is True
    assert result["tf"]["output"]["value"][0] == pytest.approx(torch_value("example_if_twice"),
                                                               rel=1e-5)


def test_tracing_runs_the_python_of_both_arms() -> None:
    """Prints inside forward: torch runs one arm, the trace runs both, once; the twin's
    prints come back apart from the torch run's."""
    code = (SNIPPETS / "example_if_twice.py").read_text().replace(
        "        y = linear_layer(x)\n    else:",
        "        print('then arm')\n        y = linear_layer(x)\n"
        "    else:\n        print('else arm')")
    result = twin.compare(code)
    assert result["tf_stdout"].split() == ["then", "arm", "else", "arm"]
    assert result["equivalent"] is True


def test_tensor_while_becomes_a_while_op() -> None:
    result = compare("capture_while")
    graph = graph_of(result)
    [op] = [n for n in graph.nodes if n.op in WHILE_OPS]
    body = graph.subgraphs[op.attrs["subgraphs"]["body"]]
    assert ops(body)["Mul"] == 1  # one halving, traced once, run three times
    assert op.attrs["subgraphs"]["cond"] in graph.subgraphs
    assert result["tf"]["output"]["value"][0] == pytest.approx(torch_value("capture_while"))


def test_loop_over_a_tensor_becomes_a_while_op() -> None:
    graph = graph_of(compare("rnn_steps"))
    [op] = [n for n in graph.nodes if n.op in WHILE_OPS]
    assert ops(graph.subgraphs[op.attrs["subgraphs"]["body"]])["Tanh"] == 1
    assert ops(graph)["Tanh"] == 0  # torch recorded twelve; the static graph holds one


def test_python_conditions_and_range_are_settled_while_tracing() -> None:
    result = compare("twin_python_if")
    graph = graph_of(result)
    counts = ops(graph)
    assert not any(counts[op] for op in IF_OPS + WHILE_OPS)
    assert counts["Tanh"] == 1 and counts["Sigmoid"] == 0  # x.shape[0] > 1 is static
    assert counts["Relu"] == 3                               # range(3) unrolled
    assert result["equivalent"] is True


def test_recursion_over_python_data_is_unrolled() -> None:
    """A tree of the snippet's own objects: the recursion follows Python data, not tensor
    values, so the trace unrolls it, with no control-flow op."""
    result = compare("twin_object_tree")
    graph = graph_of(result)
    assert not any(ops(graph)[op] for op in IF_OPS + WHILE_OPS)
    assert ops(graph)["Tanh"] == 4  # one merge per child: two under the root, two below
    assert result["equivalent"] is True


def test_and_or_not_on_tensors() -> None:
    result = compare("twin_and_or")
    graph = graph_of(result)
    assert sum(ops(graph)[op] for op in IF_OPS) >= 2
    assert result["equivalent"] is True
    assert result["tf"]["output"]["value"][0] == pytest.approx(torch_value("twin_and_or"),
                                                               rel=1e-5)


@pytest.mark.parametrize("name, reason, marker", [
    ("capture_custom_function", "autograd_function", "class Square"),
    ("twin_recursion", "recursion", "return shrink("),
    ("capture_no_grad", "no_grad", "torch.no_grad()"),
    ("twin_method_outside_table", "tensor_method", "y.logcumsumexp(0)"),
    ("twin_nested_write", "item_assignment", "h[0][1] = 0.0"),
    ("twin_one_arm", "branch_variable", "if x.sum() > 0:"),
    ("twin_growing_loop", "loop_shape", "while h.sum() < 10:"),
])
def test_no_twin_names_the_construct_and_the_line(name: str, reason: str, marker: str) -> None:
    result = compare(name)
    assert result["status"] == "no-twin"
    assert result["reason"] == reason
    assert result["line"] == line_of(name, marker)
    assert result["message"].startswith(f"No TensorFlow twin: line {result['line']} uses")
    assert twin.REASONS[reason] in result["message"]  # the why, as a lesson
    assert result["torch"]["output"]["value"][0] == pytest.approx(torch_value(name))


def test_outside_the_table_at_translation() -> None:
    code = "import torch\n\n\ndef inputs():\n    return (torch.randn(3),)\n\n\n" \
           "def forward(x):\n    return torch.logcumsumexp(x, 0).sum()\n"
    with pytest.raises(twin.NoTwin) as caught:
        twin.translate(code)
    assert (caught.value.line, caught.value.reason) == (9, "outside_table")
    assert "torch.logcumsumexp()" in caught.value.message


def test_hand_edited_twin_runs_instead() -> None:
    code = (SNIPPETS / "twin_method_outside_table.py").read_text()
    generated = twin.compare(code)["tf_code"]
    fixed = "tf.math.cumulative_logsumexp(y, 0)"
    edited = generated.replace("y.logcumsumexp(0)", fixed)
    result = twin.compare(code, tf_code=edited)
    assert result["status"] == "ok" and result["equivalent"] is True
    assert result["tf_code"] == edited
    broken = twin.compare(code, tf_code=edited.replace(fixed, f"{fixed} @ y"))
    assert broken["status"] == "error" and broken["source"] == "tf_code"
    assert broken["line"] == line_of("twin_method_outside_table", "y.logcumsumexp(0)")


def test_writes_into_a_tensor_become_new_tensors() -> None:
    """``h[0] = 0.0`` (autograd's CopySlices) is tf.tensor_scatter_nd_update on a copy."""
    result = compare("capture_inplace")
    graph = graph_of(result)
    assert ops(graph)["TensorScatterUpdate"] == 1
    assert result["equivalent"] is True, result["message"]


def test_different_edit_is_not_equivalent() -> None:
    code = (SNIPPETS / "capture_shared.py").read_text()
    edited = twin.compare(code)["tf_code"].replace("layer(layer(layer(x)))", "layer(layer(x))")
    result = twin.compare(code, tf_code=edited)
    assert result["equivalent"] is False
    assert result["max_abs_diff_output"] > 1e-3
    assert "Not equivalent" in result["message"]


def test_train_mode_dropout_is_checked_as_identity_and_drawn_as_is() -> None:
    result = twin.compare(lessons.get("dropout_train_eval").code)
    graph = graph_of(result)
    assert result["equivalent"] is True
    assert "Dropout ran in training mode" in result["message"]
    assert any(n.op.startswith("RandomUniform") for n in graph.nodes)  # the real mask


def test_torch_errors_come_back_as_the_snippet_error() -> None:
    result = twin.compare("import torch\n\ndef inputs():\n    return (torch.randn(3),)\n\n"
                          "def forward(x):\n    return x @ torch.ones(4, 4)\n")
    assert result["status"] == "error" and result["line"] == 7


def _expect_no_twin(code: str) -> bool:
    return any(line.startswith("# no twin:") for line in code.splitlines())


@pytest.mark.parametrize("lesson", lessons.all_lessons(), ids=lambda l: l.name)
def test_every_lesson_checks_equivalent_or_is_marked_no_twin(lesson: lessons.Lesson) -> None:
    """Marked lessons have no twin, or fail in PyTorch first (the error lessons)."""
    result = twin.compare(lesson.code)
    if _expect_no_twin(lesson.code):
        assert result["status"] in ("no-twin", "error"), result.get("message")
        assert result.get("source") != "tf_code"
    else:
        graph_of(result)
        assert result["equivalent"] is True, result["message"]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_course_example_checks_equivalent(path: Path) -> None:
    result = twin.compare(path.read_text())
    graph_of(result)
    assert result["equivalent"] is True, result["message"]


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_run_is_compared_with_the_cpu_twin() -> None:
    result = compare("example_rnn_two_lengths", device="cuda")
    assert result["equivalent"] is True, result["message"]


# Loops with a tensor-dependent exit: (snippet, its LIMIT line, a limit that exits at the
# first step, one that never exits, the ops the static graph must hold)
EXITS = [("twin_break_modulelist", "LIMIT = 1.5", "0.0", "1e9", IF_OPS),
         ("twin_return_range", "LIMIT = 3.0", "-1e9", "1e9", IF_OPS),
         ("twin_break_tensor", "LIMIT = 2.0", "0.0", "1e9", WHILE_OPS)]


@pytest.mark.parametrize("name, line, early, never, kinds", EXITS, ids=[e[0] for e in EXITS])
def test_tensor_exits_from_loops_match_torch(name: str, line: str, early: str, never: str,
                                             kinds: tuple) -> None:
    """Outputs and every gradient equal torch's for inputs that leave the loop at once and
    that never do; the static graph holds an If per unrolled step (or one While)."""
    code = (SNIPPETS / f"{name}.py").read_text()
    values = []
    for limit in (early, never):
        variant = code.replace(line, line.split("=")[0] + f"= {limit}")
        result = twin.compare(variant)
        graph = graph_of(result)
        assert result["equivalent"] is True, result["message"]
        assert result["tf_code"].count("\n") == variant.count("\n")  # the same lines
        counts = ops(graph)
        assert sum(counts[op] for op in kinds) >= (1 if kinds == WHILE_OPS else 3)
        values.append(result["torch"]["output"]["value"])
    assert values[0] != values[1]  # the exit changed what torch computed


def test_break_in_a_loop_is_a_flag_on_the_same_lines() -> None:
    code = (SNIPPETS / "twin_break_modulelist.py").read_text()
    text = twin.translate(code).code.splitlines()
    start = line_of("twin_break_modulelist", "def forward(self, x)") - 1
    assert text[start:start + 5] == [
        "    def forward(self, x, stopped=False):", "        for layer in self.layers:",
        "            if not stopped: x = tf.tanh(layer(x)) * 2",
        "            if not stopped and (tf.norm(x) > LIMIT):", "                stopped = True"]


def test_a_loop_exit_the_flag_cannot_hold_is_a_no_twin() -> None:
    code = ("import torch\n\n\ndef forward(x):\n    for i in range(3):\n        x = x * 2\n"
            "        if x.sum() > 1:\n            return x + i\n    return x\n")
    with pytest.raises(twin.NoTwin) as caught:
        twin.translate(code)
    assert (caught.value.line, caught.value.reason) == (8, "loop_exit")
