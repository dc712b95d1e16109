"""The TensorFlow twin of a snippet: the same code as a tf.function graph, checked equal.

``translate`` rewrites snippet text onto the table of TF equivalents (pure text: no torch, no
TensorFlow imported). ``compare`` runs the snippet in PyTorch and its twin in TensorFlow on
the same numbers, captures the static graph and checks outputs and gradients; it imports
TensorFlow on first use, so only workers pay for it (DESIGN.md, "The TensorFlow twin").
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from explorer.twin.limits import REASONS, NoTwin
from explorer.twin.rewrite import Translation, translate

if TYPE_CHECKING:
    from explorer.execution import Execution

__all__ = ["REASONS", "NoTwin", "Translation", "compare", "compare_or_error", "translate"]


def compare(code: str, seed: int = 0, device: str = "cpu", tf_code: str | None = None,
            run: Execution | None = None, on_graph=None) -> dict:
    """Everything the ``tf_graph`` and ``check`` jobs return, from one run of each side.

    ``run``: the PyTorch run the page draws (``execution.execute(..., keep_values=True)``),
    whose numbers the check then takes, so the badge is about that run; without it the check
    makes a run of its own. ``on_graph(graph, autograph_code, timings)`` is called with the
    tf.function graph once it is captured, before the check runs. Returns:

    - ``{"status": "ok", "graph": <tf Graph JSON>, "tf_code", "autograph_code", "torch":
      {"output", "run"}, "tf": {"output"}, "equivalent", "max_abs_diff_output",
      "max_abs_diff_grads", "grads": [{"name", "max_abs_diff", "close"}], "tolerance",
      "message", "tf_stdout", "timings"}``; ``torch.run`` is ``"drawn"``, or ``"second
      pass"`` where train-mode dropout drew random masks (the message says why);
      ``tf_stdout`` is what the twin printed while tracing (both arms of a tensor-dependent
      if run their Python code);
    - ``{"status": "no-twin", "message", "line", "construct", "reason", "source_line",
      "torch"[, "tf_code", "tf_stdout"]}``: the lesson of what has no twin;
    - the torch side's ``SnippetError.to_json()`` for an error in the user's code;
    - ``{"status": "error", "source": "tf_code", "line", "message", "hint", ...}`` when
      TensorFlow refuses a hand-edited ``tf_code``.
    """
    from explorer.snippet import SnippetError
    from explorer.twin import torch_side
    from explorer.twin.check import compare as run_compare  # imports TensorFlow

    try:
        torch_run = None if run is None else torch_side.for_check(run, code, seed, device)
    except SnippetError as err:
        return err.to_json()
    return run_compare(code, seed=seed, device=device, tf_code=tf_code, torch_run=torch_run,
                       on_graph=on_graph)


def compare_or_error(code: str, seed: int = 0, device: str = "cpu", tf_code: str | None = None,
                     run: Execution | None = None, on_graph=None) -> dict:
    """``compare``, with a gap in the translator reported as an error result: a failure of
    the twin never hides the PyTorch graph."""
    from explorer.snippet import SnippetError

    try:
        return compare(code, seed=seed, device=device, tf_code=tf_code, run=run,
                       on_graph=on_graph)
    except SnippetError as err:
        return err.to_json()
    except Exception as err:  # a gap in the translator: report it, keep the torch side
        return {"status": "error", "message": f"{type(err).__name__}: {err}"}
