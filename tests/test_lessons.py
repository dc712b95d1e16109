"""The lesson gallery: every lesson is a valid snippet whose card tells the truth.

Each lesson runs through the ``graph`` job as the app runs it; what its card claims is checked
against torch itself: the lesson's own tensors, autograd's gradients, a plain-Python count.
"""
from __future__ import annotations

import re
from collections import Counter
from functools import cache

import pytest
import torch

from explorer import lessons, snippet
from explorer.capture.torch import capture
from explorer.graph import Graph
from explorer.jobs import graph as graph_job

LESSONS = {lesson.name: lesson for lesson in lessons.all_lessons()}
SEEDS = range(6)
FAILS_HERE = "# <- fails here"
NO_TWIN = re.compile(r"^# no twin: \S", re.MULTILINE)
SENTENCE_END = re.compile(r"[.!?](?=\s|$)")

# Error lessons and the hint (snippet.HINTS) each must get.
ERRORS = {"error_shape_mismatch": "Shape mismatch", "error_device_mismatch": "Device mismatch",
          "error_no_grad_fn": "No grad_fn"}
# Lessons whose graph depends on the data: their cards say another seed draws another graph.
DYNAMIC = {"data_dependent_if", "variable_length_rnn", "tree_recursion", "while_loop"}
# Lessons a tf.function twin cannot be made of, each saying why in a "# no twin:" line.
WITHOUT_TWIN = {"detach_no_grad", "custom_function", *ERRORS}
WORKING = sorted(set(LESSONS) - set(ERRORS))


@cache
def job(name: str, seed: int = 0) -> dict:
    return graph_job.run({"code": LESSONS[name].code, "seed": seed})


def graph_of(name: str, seed: int = 0) -> Graph:
    result = job(name, seed)
    assert result["status"] == "ok", result.get("message")
    return Graph.from_json(result["graph"])


def traced(name: str, seed: int = 0) -> tuple[snippet.Program, Graph]:
    """The lesson run in this process, its tensors at hand: program, graph (before backward)."""
    program = snippet.load(LESSONS[name].code, seed=seed)
    outputs = program.run_forward()
    return program, capture(outputs, program.leaves())


def ops(graph: Graph) -> Counter:
    return Counter(n.op for n in graph.nodes if n.kind == "op" and n.op != "AccumulateGrad")


def upstream(graph: Graph, node_id: str) -> list[str]:
    """The ops of every node ``node_id`` depends on (explicit stack)."""
    incoming, nodes = graph.inputs_of(), graph.by_id()
    seen, stack = {node_id}, [node_id]
    while stack:
        for edge in incoming[stack.pop()]:
            if edge.src not in seen:
                seen.add(edge.src)
                stack.append(edge.src)
    return [nodes[i].op for i in seen if nodes[i].kind == "op"]


def outputs(graph: Graph) -> list[str]:
    return [n.id for n in graph.nodes if n.kind == "output"]


# -- the gallery as a whole ----------------------------------------------------------------

def test_names_are_unique_and_the_default_exists():
    names = [lesson.name for lesson in lessons.all_lessons()]
    assert len(names) == len(set(names))
    assert lessons.default().name == lessons.DEFAULT
    assert set(ERRORS) | DYNAMIC | WITHOUT_TWIN <= set(names)


@pytest.mark.parametrize("name", LESSONS)
def test_card_has_a_title_and_two_or_three_sentences(name):
    lesson = LESSONS[name]
    assert lesson.title and len(lesson.title) <= 50 and not lesson.title.endswith(".")
    assert 2 <= len(SENTENCE_END.findall(lesson.text)) <= 3, lesson.text


@pytest.mark.parametrize("name", LESSONS)
def test_lessons_without_twin_say_why(name):
    assert bool(NO_TWIN.search(LESSONS[name].code)) == (name in WITHOUT_TWIN)


@pytest.mark.parametrize("name", WORKING)
def test_lesson_runs_and_backward_works(name):
    result = job(name)
    assert result["status"] == "ok", result.get("message")
    assert "backward_error" not in result
    assert Graph.from_json(result["graph"]).lint() == []


@pytest.mark.parametrize("name", ERRORS)
def test_error_lesson_fails_on_its_marked_line_with_the_hint(name):
    code = LESSONS[name].code
    marked = [i for i, line in enumerate(code.splitlines(), 1) if line.endswith(FAILS_HERE)]
    assert len(marked) == 1
    result = job(name)
    assert result["status"] == "error"
    assert result["line"] == marked[0], result["message"]
    assert result["hint"].startswith(ERRORS[name]), result["message"]
    assert snippet.hint_for(result["message"]) == result["hint"]


@pytest.mark.parametrize("name", WORKING)
def test_graph_changes_with_the_seed_exactly_for_dynamic_lessons(name):
    sizes = {len(graph_of(name, seed).nodes) for seed in SEEDS}
    assert (len(sizes) >= 2) == (name in DYNAMIC), sizes


# -- what each lesson teaches, checked against torch ---------------------------------------

def test_data_dependent_if_applies_the_layer_once_for_seed_0_and_twice_for_seed_2():
    for seed, times in ((0, 1), (2, 2)):
        program, graph = traced("data_dependent_if", seed)
        (x,) = program.args
        assert (x.sum() > 0).item() == (times == 1)
        assert ops(graph)["AddmmBackward0"] == times


@pytest.mark.parametrize("seed", SEEDS)
def test_variable_length_rnn_has_one_tanh_per_step_of_each_sequence(seed):
    program, graph = traced("variable_length_rnn", seed)
    (sequences,) = program.args
    tanh_per_output = [upstream(graph, out).count("TanhBackward0") for out in outputs(graph)]
    assert tanh_per_output == [len(sequence) for sequence in sequences]


def tree_paths(tree) -> tuple[list[str], int]:
    """The Python paths of a tree's words (``tree[0][1]``) and its number of pairs."""
    words, pairs, stack = [], 0, [("tree", tree)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, tuple):
            pairs += 1
            stack.extend((f"{path}[{i}]", child) for i, child in enumerate(node))
        else:
            words.append(path)
    return words, pairs


@pytest.mark.parametrize("seed", SEEDS)
def test_tree_recursion_graph_has_the_shape_of_the_tree(seed):
    program, graph = traced("tree_recursion", seed)
    words, pairs = tree_paths(program.args[0])
    counts = ops(graph)
    assert counts["EmbeddingBackward0"] == len(words)
    assert counts["CatBackward0"] == counts["TanhBackward0"] == pairs
    assert sorted(n.label for n in graph.nodes if n.kind == "input") == sorted(words)


def test_module_parameters_are_named_as_named_parameters_lists_them():
    program, graph = traced("module_parameters")
    model = program.namespace["model"]
    assert [n.id for n in graph.nodes if n.kind == "param"] == \
        [f"model.{name}" for name, _ in model.named_parameters()]
    assert ops(graph)["ReluBackward0"] == 1


def test_tensor_properties_leaves_are_the_leaf_tensors_that_require_grad():
    program, graph = traced("tensor_properties")
    tensors = dict(program.module_tensors()) | dict(program.input_tensors())
    assert {n.label for n in graph.nodes if n.attrs.get("requires_grad") and n.kind != "output"} \
        == {name for name, t in tensors.items() if t.requires_grad and t.is_leaf}
    out = program.outputs[0]
    assert out.grad_fn.name() == "MeanBackward0" and not out.is_leaf
    # The grey boxes are exactly the grad_fns torch reaches from the output.
    found, stack = set(), [program.outputs[0].grad_fn]
    while stack:
        fn = stack.pop()
        found.add(fn.name())
        stack.extend(nxt for nxt, _ in fn.next_functions if nxt is not None)
    assert set(ops(graph)) | {"torch::autograd::AccumulateGrad"} == found
    assert "offset" not in {n.label for n in graph.nodes}


def test_detach_no_grad_only_the_recorded_branch_gets_gradients():
    program, graph = traced("detach_no_grad")
    program.backward()
    layers = {name: program.namespace[name] for name in
              ("trained", "frozen", "detached", "unrecorded", "head")}
    with_grad = {name for name, layer in layers.items()
                 if all(p.grad is not None for p in layer.parameters())}
    assert with_grad == {"trained", "head"}
    assert all(p.grad is None for name in layers.keys() - with_grad
               for p in layers[name].parameters())
    assert {n.label.split(".")[0] for n in graph.nodes if n.kind == "param"} == with_grad


def test_dropout_appears_in_train_mode_only():
    program, graph = traced("dropout_train_eval")
    noisy, clean = outputs(graph)
    assert "MulBackward0" in upstream(graph, noisy)
    assert "MulBackward0" not in upstream(graph, clean)
    model, (x,) = program.namespace["model"], program.args
    assert not model.training  # forward ends in eval mode
    expected = model.out(torch.relu(model.hidden(x))).sum()
    torch.testing.assert_close(program.outputs[1], expected)


def test_custom_function_passes_the_gradient_straight_through():
    program, graph = traced("custom_function")
    assert ops(graph)["RoundThroughBackward"] == 1
    program.backward()
    layer, (x,) = program.namespace["layer"], program.args

    def weight_grad(step):
        layer.weight.grad = None
        (step(layer(x) * 4) / 4).pow(2).sum().backward()
        return layer.weight.grad.clone()

    custom = layer.weight.grad.clone()
    straight_through = weight_grad(lambda h: h + (torch.round(h) - h).detach())
    torch.testing.assert_close(custom, straight_through)
    assert not weight_grad(torch.round).any()  # round's own gradient is zero: nothing to learn


def test_broadcasting_shapes_are_torch_broadcast_shapes():
    program, graph = traced("broadcasting")
    (x,) = program.args
    scale, bias = program.namespace["scale"], program.namespace["bias"]
    broadcast = list(torch.broadcast_shapes(x.shape, scale.shape, bias.shape))
    shapes = {n.op: n.shape for n in graph.nodes if n.kind == "op"}
    for op in ("MulBackward0", "AddBackward0", "SubBackward0", "PowBackward0"):
        assert shapes[op] == broadcast
    assert shapes["MeanBackward1"] == broadcast[:-1] + [1]
    program.backward()
    assert scale.grad.shape == scale.shape and bias.grad.shape == bias.shape


def test_inplace_operations_record_copy_slices_and_zero_the_written_column():
    program, graph = traced("inplace_operations")
    assert ops(graph) == {"MulBackward0": 2, "AddBackward0": 1, "CopySlices": 1,
                          "SumBackward0": 1}
    program.backward()
    w, (x,) = program.namespace["w"], program.args
    expected = torch.cat([torch.zeros(1), 2 * x[:, 1:].sum(0)])
    torch.testing.assert_close(w.grad, expected)


def test_inplace_operations_the_ones_its_comments_forbid_fail_with_their_hints():
    w, x = torch.randn(4, requires_grad=True), torch.randn(3, 4)
    with pytest.raises(RuntimeError) as leaf:
        w.add_(1.0)
    s = torch.exp(x * w)
    s.mul_(2.0)
    with pytest.raises(RuntimeError) as saved:
        s.sum().backward()
    assert snippet.hint_for(str(leaf.value)).startswith("In-place on a leaf")
    assert snippet.hint_for(str(saved.value)).startswith("In-place after save")


def test_error_shape_mismatch_message_names_the_shapes_its_card_explains():
    assert "(2x8 and 5x3)" in job("error_shape_mismatch")["message"]
    assert "(2x8 and 5x3)" in LESSONS["error_shape_mismatch"].text


@pytest.mark.parametrize("seed", SEEDS)
def test_while_loop_halves_as_often_as_the_norm_asks(seed):
    program, graph = traced("while_loop", seed)
    norm, halvings = program.args[0].norm().item(), 0
    while norm > 1:
        norm, halvings = norm / 2, halvings + 1
    assert ops(graph)["MulBackward0"] == halvings


def test_teaches_error_is_true_exactly_for_the_lessons_that_fail_on_purpose():
    assert {n for n, lesson in LESSONS.items() if lesson.teaches_error} == set(ERRORS)
