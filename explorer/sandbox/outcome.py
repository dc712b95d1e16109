"""One status per outcome of a run, with a plain message, from what the server saw: the
worker's final record (if any), how the worker ended, and why the server killed it."""
from __future__ import annotations

import signal

from explorer.sandbox.limits import Limits

STATUSES = ("ok", "error", "syntax", "timeout", "memory", "output-limit", "blocked", "crashed")
SIGNAL_WORDS = {signal.SIGSEGV: "a segmentation fault (often recursion too deep for the C "
                                "stack, or a bad ctypes call)",
                signal.SIGABRT: "an abort", signal.SIGBUS: "a bus error",
                signal.SIGILL: "an illegal instruction", signal.SIGFPE: "an arithmetic fault"}


TIMEOUT_HINT = "Is there a loop that never ends, or a long sleep?"
MEMORY_HINT = "Are the tensors too large for a run?"
MEMORY_HINT_LOOP = ("Does the loop keep adding to the graph? Each of its steps keeps its "
                    "tensors for backward until forward returns.")
OUTPUT_HINT = "Print less (a shape, not a whole tensor)."
# What stopped a run, said of the line the user's code was running when it stopped.
STOPPED_AT = {
    "timeout": "your code ran longer than {wall:g} s and was stopped while running this "
               "line{loop}. " + TIMEOUT_HINT,
    "memory": "your code asked for more memory than a run may use, while running this "
              "line{loop}. {hint}",
    "output-limit": "your code printed more than {printed:,} characters and was stopped at "
                    "this line{loop}. " + OUTPUT_HINT,
}
UNFINISHED = ("timeout", "memory", "crashed")  # what a provisional result stands in for


def classify(result: dict | None, exit_info: dict, kill_reason: str | None, limits: Limits,
             elapsed: float, provisional: dict | None = None,
             where: dict | None = None) -> dict:
    """The user-facing result dict; always has ``status``, ``message`` unless ok, ``elapsed_s``.
    A timeout names the line the user's code was running (``where``, sent by the worker just
    before the wall clock ran out). A run that ran out of time or memory, or crashed, after
    sending a ``provisional`` result returns that, with ``unfinished``: the status and message
    of what stopped it."""
    verdict = _verdict(result, exit_info, kill_reason, limits)
    if verdict["status"] == "timeout":
        verdict = at_line(verdict, where, limits)
    if verdict["status"] in UNFINISHED and not _valid(result) and _valid(provisional):
        verdict = {**provisional, "unfinished": {"status": verdict["status"],
                                                 "message": verdict["message"]}}
    verdict["elapsed_s"] = round(elapsed, 4)
    verdict.setdefault("stdout", "")
    return verdict


def at_line(verdict: dict, where: dict | None, limits: Limits) -> dict:
    """``verdict`` (a run stopped by a limit: ``STOPPED_AT``'s statuses) naming the line of
    the user's code it was running (``where``: line, source_line and, when that line is in a
    loop, the loop's ``loop``: line and source_line). Unchanged without a line."""
    if verdict.get("status") not in STOPPED_AT or not isinstance(where, dict) \
            or not isinstance(where.get("line"), int):
        return verdict
    loop = where.get("loop")
    inside = ""
    if isinstance(loop, dict) and isinstance(loop.get("line"), int) \
            and loop["line"] != where["line"]:
        header = str(loop.get("source_line") or "").strip()
        inside = f", inside the loop at line {loop['line']} ({header})"
    text = STOPPED_AT[verdict["status"]].format(wall=limits.wall_s, printed=limits.output_bytes,
                                                loop=inside,
                                                hint=MEMORY_HINT_LOOP if inside else MEMORY_HINT)
    return {**verdict, "line": where["line"], "source_line": where.get("source_line"),
            "message": f"line {where['line']}: {text}"}


def _verdict(result: dict | None, exit_info: dict, kill_reason: str | None,
             limits: Limits) -> dict:
    if kill_reason == "output-limit":
        return {"status": "output-limit", "message": "Your code sent back more than "
                f"{limits.result_bytes:,} bytes of results and was stopped."}
    if kill_reason in ("cancel", "stopped") and not _valid(result):
        return {"status": "cancelled", "message": "The run was stopped before it finished."
                if kill_reason == "stopped" else "The run was cancelled (a newer run replaced "
                "it)."}
    if _valid(result):
        return dict(result)
    if kill_reason == "timeout" or exit_info.get("backstop"):
        return {"status": "timeout", "message": f"Your code ran longer than {limits.wall_s:g} s "
                "and was stopped. " + TIMEOUT_HINT}
    if exit_info.get("temp_full"):  # killed by the template (``tempfolder``): no tmpfs here
        return {"status": "blocked", "blocked": "file", "message": "Your code filled its "
                f"temporary folder ({exit_info['temp_full']}) and was stopped."}
    sig, cpu = exit_info.get("signal"), float(exit_info.get("cpu_s") or 0)
    if sig == signal.SIGXCPU or (sig == signal.SIGKILL and cpu >= limits.cpu_s):
        return {"status": "timeout", "message": f"Your code used more than {limits.cpu_s:g} s "
                "of CPU time and was stopped."}
    if sig == signal.SIGKILL:
        return {"status": "memory", "message": "The worker was killed by the system, most "
                f"likely for memory (it peaked at {exit_info.get('maxrss_mb', '?')} MB)."}
    if sig:
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        return {"status": "crashed", "signal": name, "message": "The worker crashed with "
                f"{name}: {SIGNAL_WORDS.get(sig, 'a fatal signal')}. Your code is kept; "
                "try a smaller or simpler version."}
    return {"status": "crashed", "message": "The worker stopped without a result (exit "
            f"code {exit_info.get('code', '?')}). Did your code exit the process?"}


def _valid(result: object) -> bool:
    return isinstance(result, dict) and isinstance(result.get("status"), str)
