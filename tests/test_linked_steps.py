"""The stepper's loop iterations (explorer/executed.loop_steps, linked.step_caption) against
hand-written expectations: which iteration of which loop each executed line of forward is.

Lesson 03 (seed 0 draws sequences of 2 and 5 rows): ``read`` runs twice, its ``for`` at line
22 goes round 2 times, then 5; the generator at line 28 calls ``read`` (other lines between
the loop's steps do not end an entry). Lesson 02: the ``while`` at line 22 halves twice."""
from __future__ import annotations

from pathlib import Path

from explorer import executed, execution, linked

LESSONS = Path(__file__).resolve().parent.parent / "explorer" / "lessons"


def steps_of(name: str) -> tuple[str, list[int], object]:
    code = (LESSONS / name).read_text()
    graph = execution.execute(code, backward=False).graph
    return code, [s["line"] for s in graph.steps], graph


def texts(code: str, lines: list[int]) -> list[str | None]:
    return [s.text() if s else None for s in executed.loop_steps(code, lines)]


def test_lesson_03_each_sequence_is_its_own_entry_of_the_loop():
    code, lines, graph = steps_of("03_variable_length_rnn.py")
    assert lines == [28, 28, 21] + [22, 23] * 2 + [22, 24, 28, 21] + [22, 23] * 5 + [22, 24, 28]
    loop = "of the loop at line 22"
    expected = ([None] * 3
                + [f"the loop at line 22 starts iteration {k} of 2" if h else
                   f"iteration {k} of 2 {loop}"
                   for k in (1, 2) for h in (True, False)]
                + ["the loop at line 22 ends after 2 iterations", None, None, None]
                + [f"the loop at line 22 starts iteration {k} of 5" if h else
                   f"iteration {k} of 5 {loop}" for k in range(1, 6) for h in (True, False)]
                + ["the loop at line 22 ends after 5 iterations", None, None])
    assert texts(code, lines) == expected
    # step 17: the 3rd row of the 2nd sequence; cell(x_t) (t, addmm), + h, tanh
    assert linked.step_caption(graph, 16, code) == (
        "step 17 of 24 \u00b7 line 23, run 5 \u00b7 iteration 3 of 5 of the loop at line 22 "
        "\u00b7 4 new nodes")
    assert linked.step_caption(graph, 16) == \
        "step 17 of 24 \u00b7 line 23, run 5 \u00b7 4 new nodes"


def test_lesson_02_while_loop_counts_its_halvings():
    code, lines, _ = steps_of("02_while_loop.py")
    assert lines == [21, 22, 23, 22, 23, 22, 24]
    assert texts(code, lines) == [
        None, "the loop at line 22 starts iteration 1 of 2",
        "iteration 1 of 2 of the loop at line 22", "the loop at line 22 starts iteration 2 of 2",
        "iteration 2 of 2 of the loop at line 22", "the loop at line 22 ends after 2 iterations",
        None]


NESTED = """\
def forward(x):
    for i in range(2):
        for j in range(3):
            x = x * 2
        x = x + 1
    return x
"""


def test_nested_loops_name_the_innermost_and_a_one_line_loop_is_left_out():
    # for i: i=0 (j 3 times), i=1 (j 3 times); the header of each loop is a step per test
    inner = [3, 4] * 3 + [3]
    lines = [2] + inner + [5, 2] + inner + [5, 2, 6]
    got = texts(NESTED, lines)
    assert got[:9] == [
        "the loop at line 2 starts iteration 1 of 2",
        "the loop at line 3 starts iteration 1 of 3", "iteration 1 of 3 of the loop at line 3",
        "the loop at line 3 starts iteration 2 of 3", "iteration 2 of 3 of the loop at line 3",
        "the loop at line 3 starts iteration 3 of 3", "iteration 3 of 3 of the loop at line 3",
        "the loop at line 3 ends after 3 iterations", "iteration 1 of 2 of the loop at line 2"]
    assert got[9] == "the loop at line 2 starts iteration 2 of 2"
    assert got[-3:] == ["iteration 2 of 2 of the loop at line 2",
                        "the loop at line 2 ends after 2 iterations", None]
    assert texts("def forward(x):\n    for i in range(2): x = x * 2\n    return x\n",
                 [2, 2, 2, 3]) == [None] * 4
