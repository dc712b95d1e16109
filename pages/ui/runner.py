"""Running jobs for a page through the sandbox's scheduler: one running job per browser
session and lane (a new one cancels the old), the visitor's place in the queue while waiting,
and a Cancel button. A ticket survives reruns, so touching a widget mid-run does not lose it.

Lanes: a training run is long (minutes), and a visitor who looks at another page meanwhile
must not lose it, so it has a lane of its own: a Run on the Explorer or Gradients page cancels the
previous Run there, never the training. A session holds at most two workers, one of them for
a short interactive job."""
from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from explorer import jobs, sandbox

TICKETS = "runner.tickets"  # slot -> Ticket waiting for its result
CANCELLED = "runner.cancelled"  # slots whose run the visitor cancelled with the button
SHOWN = "runner.shown"  # slot -> record index of the partial result the page shows
PARTIAL_AFTER_S = 1.0  # a run still going after this long shows what it has done so far
CANCELLED_MESSAGE = ("You cancelled this run. Your code is kept as it is; press Run to run it "
                     "again.")


def session_id() -> str:
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx else f"bare-{uuid.uuid4().hex}"


def session_alive(session: str) -> bool:
    """Whether browser session ``session`` is still connected (outside a server: yes)."""
    from streamlit import runtime

    return not runtime.exists() or runtime.get_instance().is_active_session(session)


INTERACTIVE, TRAINING = "interactive", "training"  # lanes


def lane_key(session: str, lane: str) -> str:
    """The scheduler's key for one lane of a session: its previous job there is cancelled."""
    return f"{session}/{lane}"


def submit(slot: str, job: str, request: dict, timeout: float | None = None,
           lane: str = INTERACTIVE) -> None:
    """Queue ``job`` for this session's ``lane``: on the warm pool, or, when the request names
    a CUDA device, as a GPU run (a worker confined so that CUDA can initialise)."""
    sandbox.registry.use(jobs.TABLE)
    st.session_state.get(CANCELLED, set()).discard(slot)  # a new run: not cancelled yet
    st.session_state.get(SHOWN, {}).pop(slot, None)
    sandbox.scheduler().watch(session_alive)  # a session that left drops its runs
    ticket = sandbox.scheduler().submit(lane_key(session_id(), lane), job, request,
                                        timeout=timeout, pool=sandbox.choose_pool("warm"),
                                        gpu=str(request.get("device", "cpu")).startswith("cuda"))
    st.session_state.setdefault(TICKETS, {})[slot] = ticket


def waiting(slot: str) -> bool:
    return slot in st.session_state.get(TICKETS, {})


def showing_partial(slot: str) -> bool:
    """Whether the page shows a partial result of the job still running in ``slot``."""
    return waiting(slot) and slot in st.session_state.get(SHOWN, {})


def _newer_partial(slot: str, ticket: sandbox.Ticket) -> dict | None:
    """A provisional result newer than the one shown, once the run has gone on for
    ``PARTIAL_AFTER_S`` (a quick run goes straight to its answer)."""
    if time.perf_counter() - ticket.submitted < PARTIAL_AFTER_S:
        return None
    shown = st.session_state.setdefault(SHOWN, {})
    found = ticket.partial(shown.get(slot, -1) + 1)
    if found is None:
        return None
    shown[slot] = found[0]
    return {**found[1], "partial": True}


def wait(slot: str, label: str, partial: bool = False) -> dict | None:
    """The result of the job in ``slot`` (None if there is none), showing progress. With
    ``partial``, a run that takes a while returns early with what it has streamed so far
    (marked ``partial``); the job goes on, and the next call waits for more."""
    ticket = st.session_state.get(TICKETS, {}).get(slot)
    if ticket is None:
        return None
    def cancel() -> None:
        st.session_state.setdefault(CANCELLED, set()).add(slot)
        ticket.cancel()

    box = st.empty()
    with box.container():
        cols = st.columns([5, 1])
        note = cols[0].empty()
        cols[1].button("Cancel", key=f"runner.cancel.{slot}", on_click=cancel,
                       icon=":material/stop:")
        said = None
        while not ticket.done():
            st.session_state.get(TICKETS)  # Streamlit stops or reruns a script at a read of
            early = _newer_partial(slot, ticket) if partial else None  # session state: a
            if early is not None:  # click (Cancel) still reruns at once
                box.empty()
                return early
            ahead = ticket.position()
            words = (f"{label} {ahead} run(s) ahead of yours in the queue, about "
                     f"{ticket.estimated_wait_s():.0f} s to wait." if ahead else label)
            if words != said:  # sent when it changes: a page with big graphs on it is not
                note.info(words, icon=":material/hourglass_top:")  # redrawn 20 times a second
                said = words
            time.sleep(0.05)
    box.empty()
    del st.session_state[TICKETS][slot]
    st.session_state.get(SHOWN, {}).pop(slot, None)
    result = ticket.result()
    if isinstance(result, dict) and result.get("cached"):  # quietly: the same run was done
        st.toast("Same code and settings as a run already done: its answer is shown (its "
                 "timings are that run's).", icon=":material/bolt:")
    if slot in st.session_state.get(CANCELLED, set()):
        st.session_state[CANCELLED].discard(slot)
        if isinstance(result, dict) and result.get("status") == "cancelled":
            result = {**result, "message": CANCELLED_MESSAGE, "cancelled_by": "you"}
    return result


def run_job(job: str, request: dict, *, label: str, timeout: float | None = None) -> dict:
    """Submit and wait in one call, for short jobs that need no slot of their own."""
    slot = f"oneshot.{job}"
    submit(slot, job, request, timeout)
    return wait(slot, label)


@dataclass
class Progress:
    """Where a streaming job stands: its new records, its result once done, the place in the
    queue while it waits, and how to stop it (it finishes early and keeps its results)."""

    records: list[dict]
    result: dict | None
    position: int
    stop: Callable[[], None]


def follow(slot: str, start: int = 0) -> Progress | None:
    """The job in ``slot`` without waiting for it (a page polls it from a fragment that
    reruns every few tenths of a second): records from index ``start``, and once it is done
    its result, after which the slot is free. None if nothing was submitted to ``slot``."""
    ticket = st.session_state.get(TICKETS, {}).get(slot)
    if ticket is None:
        return None
    done = ticket.done()  # before reading records, so a finished job's last ones are in
    progress = Progress(ticket.records(start), ticket.result(0) if done else None,
                        ticket.position(), ticket.stop)
    if done:
        del st.session_state[TICKETS][slot]
    return progress
