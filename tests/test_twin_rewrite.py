"""The twin's rewrite as text (no torch, no TensorFlow): every construct without a rule is
listed with its line, and the translation keeps the snippet's lines."""
from __future__ import annotations

import pytest

from explorer import lessons
from explorer.twin.limits import NoTwin
from explorer.twin.rewrite import missing, translate

UNRULED = '''import torch
import torch.nn.functional as F


def forward(x):
    h = torch.foo(torch.bar(x))
    g = F.baz(h, torch.relu(x))
    with torch.no_grad():
        k = x * 2
    return torch.sum(torch.qux(x)) + h.grad_fn
'''


def test_missing_lists_every_construct_without_a_rule() -> None:
    found = [(m.line, m.construct, m.reason) for m in missing(UNRULED)]
    assert found == [(6, "torch.foo()", "outside_table"), (6, "torch.bar()", "outside_table"),
                     (7, "F.baz()", "outside_table"), (8, "torch.no_grad()", "no_grad"),
                     (10, "torch.qux()", "outside_table"), (10, ".grad_fn", "grad_fn")]


def test_missing_starts_where_translate_stops() -> None:
    with pytest.raises(NoTwin) as raised:
        translate(UNRULED)
    first = missing(UNRULED)[0]
    assert (first.line, first.construct) == (raised.value.line, raised.value.construct)


@pytest.mark.parametrize("lesson", lessons.all_lessons(), ids=lambda lesson: lesson.name)
def test_missing_agrees_with_translate_on_lessons(lesson) -> None:
    """A lesson that translates has nothing missing; one that does not names its first."""
    try:
        translate(lesson.code)
    except NoTwin as problem:
        assert missing(lesson.code)[0].construct == problem.construct
    except SyntaxError:
        pytest.skip("an error lesson")
    else:
        assert missing(lesson.code) == []
