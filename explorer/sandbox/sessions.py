"""A browser session that leaves drops its runs (issue 13): the page tells the scheduler how
to ask whether a session is still there (``Scheduler.watch``), and a sweep every ``SWEEP_S``
cancels the queued and running runs of those that left, then forgets their tickets. Runs
of no browser session (the lessons computed at start, the CLI, ``run_job``, a worker host's
runs for a replica) are never swept."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from explorer.sandbox.schedule import Scheduler

SWEEP_S = 2.0
NOT_BROWSERS = ("precompute", "run_job-", "cli-", "remote")
LEFT = {"status": "cancelled", "message": "The run was dropped: its browser session ended.",
        "elapsed_s": 0.0, "stdout": ""}


class Sessions:
    def __init__(self, scheduler: Scheduler) -> None:
        self.scheduler = scheduler
        self.alive: Callable[[str], bool] | None = None
        self._thread: threading.Thread | None = None
        self.dropped = 0

    def watch(self, alive: Callable[[str], bool]) -> None:
        self.alive = alive
        if self._thread is None:
            self._thread = threading.Thread(target=self._sweep, daemon=True,
                                            name="sandbox-sessions")
            self._thread.start()

    def drop(self, session: str) -> int:
        """Cancel the runs of ``session`` and its lanes; how many were still going."""
        going = [t for t in self.scheduler.tickets_of(session) if not t.done()]
        for ticket in going:
            self.scheduler.leave(ticket, LEFT)
        self.dropped += len(going)
        return len(going)

    def _sweep(self) -> None:
        while not self.scheduler.closed:
            time.sleep(SWEEP_S)
            alive = self.alive
            for session in self.scheduler.sessions():
                if session.startswith(NOT_BROWSERS) or alive is None:
                    continue
                try:
                    gone = not alive(session)
                except Exception:  # noqa: BLE001 - a failing check keeps the runs
                    gone = False
                if gone:
                    self.drop(session)
                    self.scheduler.forget(session)
