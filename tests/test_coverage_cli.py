"""``python -m explorer coverage``: every construct without a rule in one snippet, and the
corpus counts, checked against hand-written expectations."""
from __future__ import annotations

import json

import pytest

from explorer.__main__ import main
from explorer.commands import coverage
from explorer.twin import corpus

TWO_GAPS = """import torch
import torch.nn.functional as F


def inputs():
    return (torch.randn(3),)


def forward(x):
    h = torch.frobnicate(x)
    return F.wibble(h).sum() + torch.tanh(x).sum()
"""
EQUIVALENT = """# family: ops
# expect: equivalent
import torch


def inputs():
    return (torch.randn(3, requires_grad=True),)


def forward(x):
    return torch.tanh(x).sum()
"""
NO_GRAD = """# family: static
# expect: no-twin no_grad
import torch


def inputs():
    return (torch.randn(3, requires_grad=True),)


def forward(x):
    with torch.no_grad():  # <- no twin
        y = x * 2
    return (x * y).sum()
"""


def test_snippet_names_every_call_without_a_rule(tmp_path, capsys) -> None:
    path = tmp_path / "gaps.py"
    path.write_text(TWO_GAPS)
    assert main(["coverage", str(path), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["count"] == 2 and not report["translates"]
    assert [(m["line"], m["construct"], m["reason"]) for m in report["missing"]] == [
        (10, "torch.frobnicate()", "outside_table"), (11, "F.wibble()", "outside_table")]
    assert main(["coverage", str(path)]) == 1
    assert "line 11: F.wibble() (outside_table)" in capsys.readouterr().out


def test_a_snippet_that_translates_says_so(tmp_path, capsys) -> None:
    path = tmp_path / "fine.py"
    path.write_text(EQUIVALENT)
    assert main(["coverage", str(path)]) == 0
    assert "translates" in capsys.readouterr().out


def test_outcome_is_as_declared_only_with_the_declared_reason_and_line() -> None:
    entry = corpus.parse("n", NO_GRAD)
    right = {"status": "no-twin", "reason": "no_grad", "line": 11, "message": "m"}
    assert coverage.outcome(entry, right)["as_declared"]
    assert not coverage.outcome(entry, {**right, "line": 12})["as_declared"]
    assert not coverage.outcome(entry, {**right, "reason": "outside_table"})["as_declared"]
    wrong = coverage.outcome(corpus.parse("e", EQUIVALENT), {
        "status": "ok", "equivalent": False, "message": "Not equivalent"})
    assert (wrong["outcome"], wrong["as_declared"], wrong["message"]) == \
        ("not-equivalent", False, "Not equivalent")


def test_measure_counts_per_family() -> None:
    pytest.importorskip("explorer.twin.check")  # imports TensorFlow
    report = coverage.measure([corpus.parse("e", EQUIVALENT), corpus.parse("n", NO_GRAD)])
    assert report["families"] == {
        "ops": {"snippets": 1, "expect_equivalent": 1, "equivalent": 1, "as_declared": 1},
        "static": {"snippets": 1, "expect_equivalent": 0, "equivalent": 0, "as_declared": 1}}
    assert report["overall"] == {"snippets": 2, "expect_equivalent": 1, "equivalent": 1,
                                 "as_declared": 2}


def test_unknown_family_or_corpus_name_is_an_error() -> None:
    with pytest.raises(SystemExit, match="no corpus snippets"):
        main(["coverage", "--family", "nonesuch"])
    with pytest.raises(SystemExit, match="no corpus snippet"):
        main(["coverage", "corpus:nonesuch"])
