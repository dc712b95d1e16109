"""The check's comparison, against arrays written by hand: float32 tolerance, missing
gradients as zeros, NaN where both have NaN, shapes that differ, and the verdict's words."""
from __future__ import annotations

import numpy as np
import pytest

twin_check = pytest.importorskip("explorer.twin.check")
from explorer.twin.run import TorchRun  # noqa: E402


def torch_run(outputs: list, grads: dict, **extra: object) -> TorchRun:
    return TorchRun(program=None, values={}, trainable={}, modes={}, args=(), outputs=outputs,
                    differentiable=[True] * len(outputs), grads=grads,
                    dropout=bool(extra.get("dropout")), backward_error=extra.get("error"))


@pytest.mark.parametrize("a, b, gap, close", [
    (None, None, 0.0, True),
    (np.zeros(3, np.float32), None, 0.0, True),              # not connected: zeros
    (np.ones(3), np.ones(3) + 1e-7, 1e-7, True),
    (np.ones(3, np.float32), np.ones(3, np.float32) + 1e-3, 1e-3, False),
    (np.full(2, 1e4, np.float32), np.full(2, 1e4 + 0.5, np.float32), 0.5, True),  # relative
    (np.array([np.nan, 1.0]), np.array([np.nan, 1.0]), 0.0, True),
    (np.array([np.nan, 1.0]), np.array([0.0, 1.0]), np.inf, False),
    (np.array([1, 2]), np.array([1, 3]), 1.0, False),        # integers: exact
    (np.ones((2, 3)), np.ones((3, 2)), np.inf, False),
])
def test_difference(a, b, gap, close) -> None:
    got_gap, got_close = twin_check.difference(a, b)
    assert got_close is close
    assert got_gap == pytest.approx(gap, rel=1e-2, abs=1e-9)


def test_verdict_equivalent() -> None:
    run = torch_run([np.float32(1.5)], {"w": np.ones(2, np.float32)})
    result = twin_check.verdict(run, [np.float32(1.5000001)], {"w": np.ones(2, np.float32)}, False)
    assert result["equivalent"] is True
    ones = {"norm": pytest.approx(2 ** 0.5), "values": [1.0, 1.0]}
    assert result["grads"] == [{"name": "w", "max_abs_diff": 0.0, "close": True,
                                "torch": ones, "tf": ones}]
    assert result["message"].startswith("Equivalent: outputs and the gradients of 1 tensor(s)")


def test_verdict_names_the_gradient_that_differs() -> None:
    run = torch_run([np.float32(1.0)], {"a": np.ones(2), "b": np.ones(2)})
    result = twin_check.verdict(run, [np.float32(1.0)], {"a": np.ones(2), "b": np.zeros(2)}, False)
    assert result["equivalent"] is False and result["max_abs_diff_grads"] == 1.0
    assert "Gradients differ for b." in result["message"]


def test_verdict_says_why_random_and_dropout_runs_differ() -> None:
    run = torch_run([np.ones(3)], {}, dropout=True)
    result = twin_check.verdict(run, [np.zeros(3)], {}, True)
    assert result["equivalent"] is False
    assert "different random generators" in result["message"]
    assert twin_check.DROPOUT_NOTE in result["message"]


def test_verdict_without_torch_gradients_is_not_equivalent() -> None:
    run = torch_run([np.ones(1)], {}, error={"message": "backward: RuntimeError: boom"})
    result = twin_check.verdict(run, [np.ones(1)], {}, False)
    assert result["equivalent"] is False and "boom" in result["message"]
