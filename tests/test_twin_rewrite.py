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


KINDS = '''import torch
import torch.nn as nn
import torch.nn.functional as F

layer = nn.Linear(4, 4)
w = torch.randn(4, 4)


def helper(a):
    return a.sum()


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.layers = nn.ModuleList([nn.Linear(4, 4)])

    def forward(self, x):
        h = F.relu(layer(x))
        for block in self.layers:
            h = block(h).sigmoid()
        outs = []
        outs.append(h)
        seen = set()
        seen.add(1)
        return h.sum() + outs[0].mean() + self.fc.weight.t().sum() + w.t().sum() + helper(h)
'''


def test_what_is_a_tensor_is_known_positively() -> None:
    """Results of functional calls, layers, lists of tensors, parameters and module-level
    tensors get their methods rewritten; a set's .add stays Python."""
    text = translate(KINDS).code.splitlines()
    assert text[19] == "        h = tf.nn.relu(layer(x))"
    assert text[21] == "            h = tf.sigmoid(block(h))"
    assert text[25] == "        seen.add(1)"
    assert text[26] == ("        return tf.reduce_sum(h) + tf.reduce_mean(outs[0]) + "
                        "tf.reduce_sum(tf.transpose(self.fc.weight)) + "
                        "tf.reduce_sum(tf.transpose(w)) + helper(h)")
    assert text[9] == "    return tf.reduce_sum(a)"  # a helper called with a tensor


def test_a_receiver_of_unknown_kind_is_a_no_twin_naming_its_line() -> None:
    code = "import torch\n\n\ndef forward(x, box):\n    y = box.thing\n    return y.add(x)\n"
    with pytest.raises(NoTwin) as raised:
        translate(code)
    assert (raised.value.line, raised.value.reason) == (6, "unknown_receiver")
    assert "y.add()" in raised.value.message and "is y a tensor?" in raised.value.message


def test_missing_names_tensor_methods_outside_the_table() -> None:
    """translate leaves them for TensorFlow to refuse at trace time; missing names them."""
    code = "import torch\n\n\ndef forward(x):\n    y = x * 2\n    return y.logcumsumexp(0).sum()\n"
    found = [(m.line, m.construct, m.reason) for m in missing(code)]
    assert found == [(6, "the tensor method .logcumsumexp", "tensor_method")]
    assert "y.logcumsumexp(0)" in translate(code).code
