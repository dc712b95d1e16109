"""Subcommands of ``python -m explorer``; shared argument helpers live here."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


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
