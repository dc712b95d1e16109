"""Subcommands of ``python -m explorer``; shared argument helpers live here."""
from __future__ import annotations

import argparse
import json
import sys
import uuid
from pathlib import Path

from explorer import jobs, sandbox


def add_snippet_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments every command that runs a snippet takes."""
    parser.add_argument("snippet", help="a snippet file (see DESIGN.md), lesson:NAME for a "
                        "lesson preset, or - for stdin")
    parser.add_argument("--seed", type=int, default=0, help="torch.manual_seed before the run")
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--timeout", type=float, default=None,
                        help="wall-clock limit of the run in seconds")


def read_snippet(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    if source.startswith("lesson:"):
        from explorer import lessons

        try:
            return lessons.get(source.removeprefix("lesson:")).code
        except KeyError as err:
            raise SystemExit(f"error: {err.args[0]}") from None
    path = Path(source)
    if not path.is_file():
        raise SystemExit(f"error: no snippet file {source!r}")
    return path.read_text()


def fail(result: dict) -> int:
    """Print a failed run's user-facing message to stderr; exit status 1."""
    print(result.get("message") or result.get("status"), file=sys.stderr)
    if result.get("source_line"):
        print(f"    {result['source_line'].strip()}", file=sys.stderr)
    if result.get("hint"):
        print(f"hint: {result['hint']}", file=sys.stderr)
    return 1


def write_output(data: str | bytes, out: str | None) -> None:
    if out is None:
        if isinstance(data, bytes):
            sys.stdout.buffer.write(data)
        else:
            sys.stdout.write(data if data.endswith("\n") else data + "\n")
    elif isinstance(data, bytes):
        Path(out).write_bytes(data)
    else:
        Path(out).write_text(data)


def print_json(data: dict) -> None:
    print(json.dumps(data, indent=2))


def submit(job: str, request: dict, timeout: float | None = None,
           pool: str | None = None) -> sandbox.Ticket:
    """Queue ``job`` in the sandbox as a one-shot command does and return its ticket: the
    jobs' table, a cold worker (a warm template's seconds of imports would be paid for one
    run) unless ``pool`` or ``$EXPLORER_POOL`` says otherwise, a GPU run when the request
    names a CUDA device."""
    sandbox.registry.use(jobs.TABLE)
    return sandbox.scheduler().submit(
        f"cli-{uuid.uuid4().hex}", job, request, timeout=timeout,
        pool=pool or sandbox.choose_pool("cold"),
        gpu=str(request.get("device", "cpu")).startswith("cuda"))


def run_job(job: str, request: dict, timeout: float | None = None,
            pool: str | None = None) -> dict:
    """``submit`` and wait for the result."""
    return submit(job, request, timeout, pool).result()
