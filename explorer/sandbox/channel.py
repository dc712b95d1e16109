"""What a job sees of the data channel: stream records to the server, ask whether it should
stop early. Outside a worker (a job called directly in a test) records are kept in a list and
a stop is never requested, so jobs need no special case.

    from explorer.sandbox import channel
    for step in range(steps):
        ...
        channel.emit({"step": step, "loss": loss})
        if channel.stop_requested():
            break          # then return the final result as usual: results so far are kept

    channel.provisional(partial)   # stands if what follows runs out of time or memory
"""
from __future__ import annotations

import json
import socket

from explorer.sandbox.protocol import encode_record

_sock: socket.socket | None = None
_pending = b""
_stopped = False
kept: list[dict] = []  # records emitted outside a worker


def attach(sock: socket.socket | None, pending: bytes = b"") -> None:
    """Called by the worker before the job runs; later lines from the server are controls
    (``pending``: those that came with the request, already read). None detaches."""
    global _sock, _pending, _stopped
    _sock, _pending, _stopped = sock, pending, False


def emit(record: dict) -> None:
    """Send one intermediate JSON record (a metric row, a progress note) to the server now."""
    if _sock is None:
        kept.append(record)
        return
    _sock.sendall(encode_record("event", record))


def provisional(result: dict) -> None:
    """A result that stands if this run ends without its final one (out of time or memory,
    crashed): what a job has done so far, before a step that may not finish. The server then
    returns it with ``unfinished`` saying what went wrong. Each one sent adds to those before
    it (its keys replace theirs), so a job sends only what changed; the server streams the
    sum so far to the page (``Ticket.partial``) while the run goes on."""
    if _sock is not None:  # outside a worker the job's own return is all there is
        _sock.sendall(encode_record("provisional", result))


def where(line: int, source_line: str | None) -> None:
    """Which line of the user's code is running now (sent just before the wall clock runs
    out, so that a timeout can name it)."""
    if _sock is not None:
        _sock.sendall(encode_record("where", {"line": line, "source_line": source_line}))


def stop_requested() -> bool:
    """True once the server asked this run to finish early (cheap: a non-blocking read)."""
    global _pending, _stopped
    if _sock is None or _stopped:
        return _stopped
    try:
        data = _sock.recv(4096, socket.MSG_DONTWAIT)
    except BlockingIOError:
        data = None  # nothing new; a control that came with the request may be pending
    if data == b"":  # the server went away: stopping is the only sensible thing
        _stopped = True
        return True
    _pending += data or b""
    *lines, _pending = _pending.split(b"\n")
    _stopped = any(json.loads(line).get("control") == "stop" for line in lines if line.strip())
    return _stopped


def finish(result: dict) -> None:
    """The final record; the worker calls this once, after the job returned."""
    if _sock is not None:
        _sock.sendall(encode_record("result", result))
