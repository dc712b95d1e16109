"""Issue 12, item 5 and item 8 (shell commands): a run stopped by a limit names the line it
was running, and the loop around it, as a timeout does; a shell command says why it is not
run, at its line. The worker's own ``serve`` runs the user's code in this process (no
sandbox: these snippets are ours); the lines expected are found in the snippet's text."""
from __future__ import annotations

import pytest

from explorer import jobs, snippet
from explorer.sandbox import outcome, worker
from explorer.sandbox.limits import Limits

FLOOD = '''import torch


def inputs():
    return torch.ones(3)


def forward(x):
    for i in range(10**9):
        print("x" * 1000)
    return x.sum()
'''

CAUGHT_FLOOD = '''import torch


def inputs():
    return torch.ones(3)


def forward(x):
    try:
        while True:
            print("x" * 1000)
    except BaseException:
        pass
    return x.sum()
'''

# 4 EiB: malloc refuses it at once, so the test never really takes memory
MEMORY = '''import torch


def inputs():
    return torch.ones(3)


def forward(x):
    for step in range(3):
        y = x * step
        if step == 2:
            chunk = bytearray(2**62)
    return y.sum()
'''

NO_LOOP = MEMORY.replace("    for step in range(3):\n        y = x * step\n        if step == 2:\n"
                         "            chunk", "    y = x\n    chunk")


def line_of(code: str, text: str) -> int:
    return next(i for i, line in enumerate(code.splitlines(), 1) if text in line)


def serve(code: str, job: str = "run", **limits) -> dict:
    request = {"job": job, "code": code, "seed": 0, "twin": False}
    return worker.serve(request, Limits(**limits), jobs.TABLE)


@pytest.mark.parametrize("code", [FLOOD, CAUGHT_FLOOD], ids=["flood", "caught"])
def test_a_print_flood_names_the_printing_line_and_its_loop(code):
    result = serve(code, output_bytes=5_000)
    printing = line_of(code, 'print("x" * 1000)')
    loop = line_of(code, "for i in" if code is FLOOD else "while True")
    assert result["status"] == "output-limit"
    assert result["line"] == printing
    assert result["source_line"].strip() == 'print("x" * 1000)'
    assert result["message"].startswith(f"line {printing}: your code printed more than 5,000 "
                                        "characters")
    assert f"inside the loop at line {loop}" in result["message"]
    assert len(result["stdout"]) == 5_000


@pytest.mark.parametrize("job", ["run", "explore"])
def test_memory_names_the_line_and_the_loop(job):
    result = serve(MEMORY, job)
    line, loop = line_of(MEMORY, "bytearray"), line_of(MEMORY, "for step")
    assert result["status"] == "memory"
    assert result["line"] == line
    assert result["message"].startswith(f"line {line}: your code asked for more memory")
    assert f"inside the loop at line {loop} (for step in range(3):)" in result["message"]
    assert "Does the loop keep adding to the graph?" in result["message"]


def test_memory_outside_a_loop_names_the_line_only():
    result = serve(NO_LOOP)
    line = line_of(NO_LOOP, "bytearray")
    assert result["status"] == "memory" and result["line"] == line
    assert "loop" not in result["message"]


def test_a_timeout_message_is_unchanged_by_the_shared_wording():
    """The timeout wording the sandbox tests know, from the same table."""
    verdict = outcome.at_line({"status": "timeout", "message": "x"},
                              {"line": 7, "source_line": "    while True:"}, Limits(wall_s=10))
    assert verdict["message"] == ("line 7: your code ran longer than 10 s and was stopped "
                                  "while running this line. " + outcome.TIMEOUT_HINT)


def test_a_shell_command_from_the_snippet_is_refused_at_its_line():
    """The audit hook the worker installs, called as the interpreter calls it, from a frame
    of the user's code (os.system's own frame is C, so the caller is the snippet)."""
    code = "def forward(hook):\n    x = 1\n    hook('os.system', (b'ls',))\n"
    scope: dict = {}
    exec(compile(code, snippet.SNIPPET_FILE, "exec"), scope)
    with pytest.raises(PermissionError) as err:
        scope["forward"](worker.refuse_programs)
    assert err.value.errno == 1
    assert "shell commands and other programs are not run in the sandbox" in str(err.value)
    assert "os.system('ls')" in str(err.value)
    assert err.traceback[-2].lineno + 1 == 3  # the snippet's line 3 asked for it


def test_our_own_code_may_still_ask_and_meet_the_kernel():
    worker.refuse_programs("os.system", ("ls",))  # from a test frame: nothing raised
    worker.refuse_programs("open", ("/tmp/x",))   # not a program at all
