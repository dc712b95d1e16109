"""A graph break before any op of its frame ends no graph, so neither the recording backend
nor ``torch._dynamo.explain`` hears of it: an nn.LSTM called first in forward runs in Python
and explain says "1 graph, 0 breaks". The compile view reports it from Dynamo's own graph-break
log; checked against what torch itself logs with ``TORCH_LOGS=graph_breaks``."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

from explorer.modes import compile as compile_mode

TAGGER = """import torch
from torch import nn

class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(20, 8)
        self.lstm = nn.LSTM(8, 16, batch_first=True)
        self.head = nn.Linear(16, 3)

    def forward(self, tokens):
        h, _ = self.lstm(self.emb(tokens))
        logits = self.head(h[:, -1])
        if logits.max() > 0.5:
            logits = logits * 2
        return logits

model = Tagger()

def inputs():
    return torch.randint(0, 20, (2, 5))

def forward(tokens):
    return model(tokens).logsumexp(-1).sum()
"""

RUN = """import runpy, sys, torch
space = runpy.run_path(sys.argv[1])
torch.manual_seed(0)
torch.compile(space["forward"], backend="eager")(space["inputs"]())
"""


def torch_logged_lines(code: str) -> set[int]:
    """The lines torch's own graph-break log names for ``code`` run as a file."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tagger.py"
        path.write_text(code)
        done = subprocess.run([sys.executable, "-c", RUN, str(path)], capture_output=True,
                              text=True, timeout=300,
                              env={**os.environ, "TORCH_LOGS": "graph_breaks"})
        assert done.returncode == 0, done.stderr[-2000:]
        return {int(n) for n in re.findall(r"Graph break in user code at .*tagger\.py:(\d+)",
                                           done.stderr)}


def test_a_break_before_any_op_is_reported_at_its_line():
    view = compile_mode.view(TAGGER)
    assert view["status"] == "ok" and view["check"]["equivalent"] is True
    lstm_line = next(i for i, text in enumerate(TAGGER.splitlines(), 1) if "self.lstm(" in text)
    lines = {b["line"] for b in view["graph"]["graph_breaks"]}
    assert lstm_line in lines
    assert lines == torch_logged_lines(TAGGER)
    told = next(b for b in view["graph"]["graph_breaks"] if b["line"] == lstm_line)
    assert told["before_any_op"] and "LSTM" in told["reason"]
    assert view["break_count"] == len(lines)  # counted, though no graph ended there
    assert told["reason"].startswith(f"line {lstm_line}: `h, _ = self.lstm(")
    # what the view adds: torch's explain counts no break here
    import runpy

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tagger.py"
        path.write_text(TAGGER)
        space = runpy.run_path(str(path))
        torch._dynamo.reset()
        explained = torch._dynamo.explain(space["forward"])(space["inputs"]())
        torch._dynamo.reset()
    assert explained.graph_break_count == 0 and not explained.break_reasons
