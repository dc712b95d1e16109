"""The wire protocols of the sandbox. JSON only, in both directions: nothing from a worker is
ever unpickled or evaluated.

Three parties: the *server* (the Streamlit process or the CLI), the *template* (a process that
imported torch, TensorFlow and the jobs, and forks workers), and the *worker* (one child of the
template per run, used once; a *spare* is a worker forked before its request, which tells the
template on a pipe of its own, one JSON line ``{"ready": true, "cpu_s": T, "warm": bool}``,
once it is confined and warmed up).

Control channel, server <-> template (a SOCK_SEQPACKET socket pair made when the template
starts; one JSON object per message, file descriptors ride along with SCM_RIGHTS):

    template -> server  {"ready": true, "pid": P, "preloaded": [...], "memory": {...},
                         "spares": K, "threads": T}
    server -> template  {"op": "run", "backstop_s": S, "limits": {...}, "spare_wait_s": W}
                        + fds [worker_data, run_control]
    server -> template  {"op": "state"}
    template -> server  {"spares": {"target", "ready", "warming", ...}, "running": N, ...}

Run control channel, template -> server (SOCK_SEQPACKET, one per run):

    {"pid": P}  + fd [pidfd of the worker]       once the worker is forked for this run
    {"pid": P, "spare": true}  + fds [pidfd, data]   or a spare took the run: its data
                                                  channel replaces worker_data
    {"exit": {"code": C|None, "signal": N|None, "cpu_s": T, "maxrss_mb": M,
              "backstop": bool, "spare": bool}}   once it has been reaped (a spare's cpu_s
                                                  counts from its request)

Data channel, server <-> worker (SOCK_STREAM socket pair; newline-delimited JSON):

    server -> worker  {"job": J, "request": {...}, "limits": {...}, "mode": M, "slot": K,
                       "gpu": bool}             a GPU run: confined so that CUDA initialises
                      (request "compiler": true: a worker forked for the run, never a spare,
                      with the compiler helper of ``compiler``)
    server -> worker  {"control": "stop"}         later, any number: finish early, keep results
    worker -> server  {"kind": "event", "data": {...}}   any number, streamed as they happen
    worker -> server  {"kind": "result", "data": {...}}  exactly one, last

A worker that dies leaves no "result" record; the server then classifies its exit (signal,
CPU time, who killed it). The user's code shares the worker's process, so it could write to the
data channel itself: records are treated as untrusted data (size-bounded, parsed as JSON,
never executed), which is all a forged record could be."""
from __future__ import annotations

import array
import json
import socket

MAX_CONTROL_MESSAGE = 65536


def send_message(sock: socket.socket, message: dict, fds: list[int] = ()) -> None:
    """One JSON object (with optional file descriptors) on a SOCK_SEQPACKET socket."""
    data = json.dumps(message).encode()
    if fds:
        sock.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
    else:
        sock.send(data)


def receive_message(sock: socket.socket) -> tuple[dict | None, list[int]]:
    """The next message and the file descriptors that came with it; ``None`` at EOF."""
    data, ancillary, _flags, _addr = sock.recvmsg(MAX_CONTROL_MESSAGE,
                                                  socket.CMSG_SPACE(16 * 4))
    fds: list[int] = []
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.extend(array.array("i", payload[:len(payload) - len(payload) % 4]))
    if not data:
        for fd in fds:
            socket.close(fd)
        return None, []
    return json.loads(data), fds


def encode_record(kind: str, data: dict) -> bytes:
    """One line of the data channel. ``allow_nan``: NaN losses are real results."""
    return json.dumps({"kind": kind, "data": data}, default=_jsonable).encode() + b"\n"


def _jsonable(value: object) -> object:
    """Last resort for values a job left in its result (numpy scalars, tuples of them)."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    return repr(value)


class LineReader:
    """Split a byte stream into lines, refusing to hold more than ``limit`` bytes in all."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.total = 0
        self.buffer = b""

    def feed(self, data: bytes) -> list[bytes]:
        self.total += len(data)
        if self.total > self.limit:
            raise OverflowError(self.total)
        self.buffer += data
        *lines, self.buffer = self.buffer.split(b"\n")
        return [line for line in lines if line.strip()]
