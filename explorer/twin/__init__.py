"""The TensorFlow twin of a snippet: the same code as a tf.function graph, checked equal.

``translate`` rewrites snippet text onto the table of TF equivalents (pure text: no torch, no
TensorFlow imported). ``compare`` runs the snippet in PyTorch and its twin in TensorFlow on
the same numbers, captures the static graph and checks outputs and gradients; it imports
TensorFlow on first use, so only workers pay for it (DESIGN.md, "The TensorFlow twin").
"""
from __future__ import annotations

from explorer.twin.limits import REASONS, NoTwin
from explorer.twin.rewrite import Translation, translate

__all__ = ["REASONS", "NoTwin", "Translation", "compare", "translate"]


def compare(code: str, seed: int = 0, device: str = "cpu", tf_code: str | None = None) -> dict:
    """Everything the ``tf_graph`` and ``check`` jobs return, from one run of each side:

    - ``{"status": "ok", "graph": <tf Graph JSON>, "tf_code", "autograph_code", "torch":
      {"output"}, "tf": {"output"}, "equivalent", "max_abs_diff_output",
      "max_abs_diff_grads", "grads": [{"name", "max_abs_diff", "close"}], "tolerance",
      "message", "tf_stdout", "timings"}``; ``tf_stdout`` is what the twin printed while
      tracing (both arms of a tensor-dependent if run their Python code);
    - ``{"status": "no-twin", "message", "line", "construct", "reason", "source_line",
      "torch"[, "tf_code", "tf_stdout"]}``: the lesson of what has no twin;
    - the torch side's ``SnippetError.to_json()`` for an error in the user's code;
    - ``{"status": "error", "source": "tf_code", "line", "message", "hint", ...}`` when
      TensorFlow refuses a hand-edited ``tf_code``.
    """
    from explorer.twin.check import compare as run_compare  # imports TensorFlow

    return run_compare(code, seed=seed, device=device, tf_code=tf_code)
