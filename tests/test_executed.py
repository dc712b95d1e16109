"""The executed path: line counts from the tracer, arms and iterations read off the code."""
from __future__ import annotations

from explorer import snippet
from explorer.capture.torch import capture
from explorer.compare import across_runs, branches_by_run, diff
from explorer.executed import LineTracer, control_flow, line_notes
from tests.conftest import SNIPPETS


def traced(path, seed=0, input_seed=None):
    code = path.read_text()
    program = snippet.load(code, seed=seed, input_seed=input_seed)
    tracer = LineTracer(snippet.SNIPPET_FILE)
    outputs = program.run_forward(tracer)
    return code, tracer.to_json(), capture(outputs, program.leaves())


def by_kind(branches, kind):
    return [b for b in branches if b.kind == kind]


def test_while_iterations_match_the_halvings_written_in_the_snippet():
    code, trace, _ = traced(SNIPPETS / "capture_while.py")  # 6 -> 3 -> 1.5 -> 0.75
    (loop,) = by_kind(control_flow(code, trace), "while")
    assert (loop.runs, loop.iterations, loop.summary()) == (1, 3, "3 iterations")


def test_for_loops_over_two_sequences_count_each_step():
    code, trace, _ = traced(SNIPPETS / "example_rnn_two_lengths.py")  # lengths 3 and 5
    (loop,) = by_kind(control_flow(code, trace), "for")
    assert (loop.runs, loop.iterations) == (2, 8)
    calls = {b.text.split("(")[0]: b.runs for b in by_kind(control_flow(code, trace), "call")}
    assert calls == {"def process_sequence": 2, "def forward": 1}


def test_recursion_counts_calls_and_arms():
    code, trace, _ = traced(SNIPPETS / "capture_tree.py")  # ((a, b), c): 5 calls, 3 leaves
    (branch,) = by_kind(control_flow(code, trace), "if")
    assert (branch.runs, branch.then, branch.orelse) == (5, 3, 2)
    assert branch.summary() == "took then \u00d73, else \u00d72"


def test_only_snippet_lines_are_counted():
    code, trace, _ = traced(SNIPPETS / "capture_module.py")
    lines = {int(k) for k in trace["lines"]}
    assert lines and max(lines) <= len(code.splitlines())


def test_line_notes_put_the_arm_on_the_if_line():
    code, trace, _ = traced(SNIPPETS / "example_if_twice.py")
    if_line = code.splitlines().index("    if x.sum() > 0:") + 1
    assert line_notes(code, trace)[if_line].startswith("if: took ")


def test_compare_runs_of_different_inputs():
    path = SNIPPETS / "example_if_twice.py"
    runs = [traced(path, input_seed=s) for s in range(4)]
    code = runs[0][0]
    table = branches_by_run(code, [t for _, t, _ in runs])
    if_line = code.splitlines().index("    if x.sum() > 0:") + 1
    thens = sum(1 for b in table[if_line] if b.then)
    assert across_runs(table[if_line]) == f"then in {thens}/4 runs, else in {4 - thens}/4"
    assert 0 < thens < 4  # these four inputs go both ways
    graphs = {sum(1 for n in g.nodes if n.op == "AddmmBackward0"): g for _, _, g in runs}
    d = diff(graphs[1], graphs[2])
    assert d.op_delta == {"AddmmBackward0": 1, "TBackward0": 1}
    assert set(d.added) == {"t_1", "addmm_1"} and d.removed == []
    assert diff(graphs[1], graphs[1]).same
