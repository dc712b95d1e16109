"""The snippet contract: every failure names the user's line; seeds make runs repeatable."""
from __future__ import annotations

import textwrap

import pytest
import torch

from explorer import snippet
from explorer.snippet import SnippetError

GOOD = """\
import torch
import torch.nn as nn

layer = nn.Linear(3, 2)


def inputs():
    return (torch.randn(4, 3),)


def forward(x):
    return layer(x).sum()
"""


def fails(code: str, **kwargs) -> SnippetError:
    with pytest.raises(SnippetError) as info:
        program = snippet.load(textwrap.dedent(code), **kwargs)
        program.run_forward()
        program.backward()
    return info.value


def test_syntax_error_names_the_line():
    err = fails("import torch\n\ndef forward(x)\n    return x\n")
    assert err.status == "syntax" and err.line == 3
    assert err.message.startswith("line 3: SyntaxError")
    assert err.source_line == "def forward(x)"


def test_indentation_error_is_a_syntax_error():
    err = fails("def inputs():\nreturn 1\n")
    assert (err.status, err.line, err.error_type) == ("syntax", 2, "IndentationError")


def test_missing_forward_and_missing_inputs_say_what_the_contract_asks():
    assert "defines no forward()" in fails("def inputs():\n    return 1\n").message
    assert "defines no inputs()" in fails("def forward(x):\n    return x\n").message


def test_exception_inside_forward_names_the_line_where_it_happened():
    code = GOOD.replace("return layer(x).sum()", "h = layer(x)\n    return h @ h")
    err = fails(code)
    assert err.status == "error" and err.line == 13 and err.error_type == "RuntimeError"
    assert err.source_line.strip() == "return h @ h"
    assert "line 13: RuntimeError" in err.message and "shapes cannot be multiplied" in err.message
    assert err.hint.startswith("Shape mismatch")


def test_error_deep_in_a_helper_names_the_deepest_user_line():
    code = """\
    import torch
    def helper(v):
        return v.reshape(7)
    def inputs():
        return torch.ones(2, 3)
    def forward(x):
        return helper(x)
    """
    err = fails(code)
    assert err.line == 3 and "reshape" in err.source_line


def test_errors_at_module_level_and_in_inputs_name_their_lines():
    assert fails("import torch\nw = torch.ones(2) + torch.ones(3)\n").line == 2
    err = fails("import torch\ndef inputs():\n    return undefined_name\n"
                "def forward(x):\n    return x\n")
    assert (err.line, err.error_type) == (3, "NameError")


def test_forward_must_return_tensors():
    err = fails("import torch\ndef inputs():\n    return torch.ones(1)\n"
                "def forward(x):\n    return 3\n")
    assert "forward returned int" in err.message
    assert (err.line, err.source_line) == (4, "def forward(x):")  # the contract's function


def test_argument_count_mismatch_is_explained():
    err = fails("import torch\ndef inputs():\n    return (torch.ones(1), torch.ones(1))\n"
                "def forward(x):\n    return x\n")
    assert "inputs() returned 2 argument(s) but forward takes 1" in err.message
    assert (err.line, err.source_line) == (4, "def forward(x):")


def test_backward_of_an_output_without_grad_fn_teaches_the_lesson():
    err = fails("import torch\ndef inputs():\n    return torch.ones(2)\ndef forward(x):\n"
                "    return (x * 2).sum()\n")
    assert "does not have a grad_fn" in err.message and err.hint.startswith("No grad_fn")


def test_backward_inside_forward_names_the_line():
    err = fails("import torch\ndef inputs():\n    return torch.ones(2)\ndef forward(x):\n"
                "    y = (x * 2).sum()\n    y.backward()\n    return y\n")
    assert err.line == 6 and err.hint.startswith("No grad_fn")


def test_device_mismatch_hint():
    assert snippet.hint_for("Expected all tensors to be on the same device, but found at "
                            "least two devices, cuda:0 and cpu!").startswith("Device mismatch")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message of a CPU-only host")
def test_cuda_on_a_host_without_gpu_is_a_clear_error():
    assert "no CUDA device" in fails(GOOD, device="cuda").message


def test_same_seed_same_numbers_other_seed_other_numbers():
    def output(seed):
        program = snippet.load(GOOD, seed=seed)
        return program.run_forward()[0].item()

    assert output(3) == output(3)
    assert output(3) != output(4)


def test_recursion_error_says_what_to_look_for():
    err = fails("import torch\ndef inputs():\n    return torch.ones(1)\n"
                "def forward(x):\n    return forward(x)\n")
    assert err.error_type == "RecursionError" and "base case" in err.message and err.line == 5


def test_names_of_inputs_follow_forward_signature_and_nested_data():
    code = ("import torch\ndef inputs():\n    return ([torch.ones(1), torch.ones(2)], "
            "{'k': torch.ones(3)})\ndef forward(seqs, extra):\n    return seqs[0]\n")
    program = snippet.load(code)
    assert [name for name, _ in program.input_tensors()] == ["seqs[0]", "seqs[1]", "extra['k']"]


def test_module_tensors_are_named_by_module_path():
    program = snippet.load(GOOD)
    assert [name for name, _ in program.module_tensors()] == ["layer.weight", "layer.bias"]
