"""The check's no-twin answer names every construct without a rule, each at its line (lines
written here by hand), not only the first."""
from __future__ import annotations

import pytest

CODE = '''import torch


def inputs():
    return (torch.randn(4),)


def forward(x):
    a = torch.fft.rfft(x).abs()
    b = torch.special.bessel_j0(x)
    return a.sum() + b.sum()
'''


def test_no_twin_lists_every_missing_rule_with_its_line() -> None:
    pytest.importorskip("tensorflow")
    from explorer import twin

    result = twin.compare(CODE)
    assert result["status"] == "no-twin" and result["line"] == 9
    assert [m["line"] for m in result["missing"]] == [9, 10]
    assert "rfft" in result["missing"][0]["construct"]
    assert "bessel_j0" in result["missing"][1]["construct"]
    assert result["missing"][1]["source_line"].strip() == "b = torch.special.bessel_j0(x)"
