"""The module_db census (bench/twin_census.py): the snippets it writes reproduce torch's own
samples, and at least 85% of module_db's classes get an equivalent twin (slow; the table goes
to artifacts/twin_census.txt)."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from bench import twin_census
from explorer import snippet

common_modules = pytest.importorskip("torch.testing._internal.common_modules")  # expecttest
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
# Classes whose first sample is small enough to be written value by value, and deterministic.
EXACT = ("Linear", "Conv1d", "CrossEntropyLoss", "NLLLoss", "LSTMCell", "Embedding", "GELU",
         "MultiheadAttention")


def info(name: str):
    return next(i for i in common_modules.module_db if i.module_cls.__name__ == name)


def test_tensor_literals_keep_values_dtypes_and_grad() -> None:
    labels = torch.tensor([3, 0, 2])
    weights = torch.tensor([[0.1, -2.5], [3.0, float("inf")]], requires_grad=True)
    made = eval(twin_census.tensor_literal(labels), {"torch": torch})
    assert made.dtype == torch.int64 and torch.equal(made, labels)
    made = eval(twin_census.tensor_literal(weights), {"torch": torch})
    assert made.requires_grad and torch.equal(made, weights.detach())
    big = twin_census.tensor_literal(torch.rand(20, 20))
    assert big == "torch.rand(20, 20, dtype=torch.float32)"


@pytest.mark.parametrize("name", EXACT)
def test_written_snippet_reproduces_the_sample(name: str) -> None:
    """The snippet's output equals the module_db sample run through its module directly."""
    module_info = info(name)
    torch.manual_seed(0)
    sample = module_info.module_inputs_func(module_info, device="cpu", dtype=torch.float32,
                                            requires_grad=True, training=True)[0]
    torch.manual_seed(0)  # as snippet.load seeds before the module level builds the module
    module = module_info.module_cls(*sample.constructor_input.args,
                                    **sample.constructor_input.kwargs)
    expected = module(*sample.forward_input.args, **sample.forward_input.kwargs)
    program = snippet.load(twin_census.snippet_for(module_info))
    outputs = program.run_forward()
    expected = [expected] if isinstance(expected, torch.Tensor) else list(expected)
    assert len(outputs) == len(expected)
    for got, want in zip(outputs, expected):
        torch.testing.assert_close(got, want, rtol=0, atol=0)


def test_row_reads_each_kind_of_result() -> None:
    assert twin_census.row_for("A", {"status": "ok", "equivalent": True, "message": "x"}) == \
        twin_census.Row("A", "equivalent", "")
    no_twin = {"status": "no-twin", "reason": "outside_table", "line": 4,
               "construct": "nn.Foo()", "message": "No TensorFlow twin"}
    assert twin_census.row_for("B", no_twin) == \
        twin_census.Row("B", "no-twin", "outside_table: line 4 uses nn.Foo()")
    assert twin_census.row_for("C", {"status": "error", "message": "boom\nmore"}) == \
        twin_census.Row("C", "error", "boom")


@pytest.mark.slow
def test_census_reaches_the_target() -> None:
    """Issue 11: at least 85% of module_db's classes with an equivalent twin."""
    rows = twin_census.census()
    text = twin_census.table(rows)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "twin_census.txt").write_text(text)
    assert len(rows) == len(common_modules.module_db)
    misses = [f"{r.name}: {r.outcome} {r.detail}" for r in rows if not r.equivalent]
    assert sum(r.equivalent for r in rows) >= twin_census.TARGET * len(rows), "\n".join(misses)
