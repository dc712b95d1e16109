"""The "Compare inputs" display model against graphs, traces and rows written by hand."""
from __future__ import annotations

from explorer import compare
from explorer.graph import Graph

CODE = '''def inputs():
    return ()


def forward(x):
    if x.sum() > 0:
        return x * 2
    return x
'''


def graph(*ids: str, value: float = 1.0) -> dict:
    return {"framework": "torch", "subgraphs": {}, "output": {"shape": [], "value": [value]},
            "nodes": [{"id": i, "kind": "op", "op": i.rstrip("_0123456789"), "label": i,
                       "shape": [], "dtype": "float32", "device": "cpu", "attrs": {}}
                      for i in ids],
            "edges": [{"src": a, "dst": b} for a, b in zip(ids[1:], ids)]}


def run(seed: int, ids: tuple[str, ...], then: bool) -> dict:
    lines = {"6": 1, "7": 1} if then else {"6": 1, "8": 1}
    return {"status": "ok", "input_seed": seed, "graph": graph(*ids, value=float(seed)),
            "trace": {"lines": lines, "calls": {"5": 1}}}


RUNS = [run(0, ("mul_0", "x"), True), run(1, ("x",), False), run(2, ("mul_0", "x"), True),
        {"status": "error", "input_seed": 3, "message": "line 6: boom"}]


def test_rows_count_and_diff_against_the_first_run() -> None:
    view = compare.comparison(CODE, RUNS)
    assert view.base_seed == 0 and view.failure is None
    assert [r["input seed"] for r in view.rows] == [0, 1, 2, 3]
    assert [r.get("nodes") for r in view.rows] == [2, 1, 2, None]
    assert [r.get("vs seed 0") for r in view.rows] == ["same graph", "+0 / \u22121",
                                                        "same graph", None]
    assert view.rows[1]["line 6: if"] == "took else \u00d71"
    assert view.rows[0]["line 6: if"] == "took then \u00d71"
    assert view.rows[3]["result"] == "line 6: boom"
    assert view.added == {0: [], 1: [], 2: []}
    assert view.graphs[1].count("op") == 1


def test_static_if_gets_what_the_runs_did() -> None:
    static = Graph.from_json({**graph("If", "x"), "framework": "tf"})
    static.nodes[0].attrs["line"] = 6
    view = compare.comparison(CODE, RUNS, static)
    assert view.static_lines == {"If": ["line 6: then in 2/3 runs, else in 1/3"]}


def test_all_runs_failed_gives_the_first_error() -> None:
    failed = [{"status": "error", "input_seed": 0, "message": "a"},
              {"status": "error", "input_seed": 1, "message": "b"}]
    assert compare.comparison(CODE, failed).failure["message"] == "a"


def test_diff_names_the_added_and_removed_nodes() -> None:
    base, other = Graph.from_json(graph("a_1", "b_1")), Graph.from_json(graph("b_1", "c_2"))
    d = compare.diff(base, other)
    assert (d.added, d.removed, d.same) == (["c_2"], ["a_1"], False)
    assert d.op_delta == {"a": -1, "c": 1}
