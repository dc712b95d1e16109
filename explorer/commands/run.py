"""``run``: run a snippet's forward and backward once in the sandbox; say how it went."""
from __future__ import annotations

import argparse
import json
import sys

from explorer.commands import add_snippet_arguments, fail, read_snippet, run_job

HELP = "run a snippet once (forward and backward) in a sandboxed worker"
FIELDS = ("status", "message", "line", "stdout", "elapsed_s")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_snippet_arguments(parser)
    parser.add_argument("--json", action="store_true",
                        help='print {"status", "message", "line", "stdout", "elapsed_s"}')
    parser.add_argument("--pool", choices=("warm", "cold"), default="cold",
                        help="cold (default for a one-shot command: imports only what the "
                             "job needs) or warm (a template that imports torch and "
                             "TensorFlow once, worth it for many runs)")


def main(args: argparse.Namespace) -> int:
    request = {"code": read_snippet(args.snippet), "seed": args.seed, "device": args.device}
    result = run_job("run", request, args.timeout, pool=args.pool)
    if args.json:
        print(json.dumps({key: result.get(key) for key in FIELDS}))
        return 0 if result["status"] == "ok" else 1
    if result.get("stdout"):
        sys.stdout.write(result["stdout"])
    if result["status"] != "ok":
        return fail(result)
    for output in result["outputs"]:
        print(f"output {output['shape']} {output['dtype']}: {output['values']}")
    for name, norm in result["grad_norms"].items():
        print(f"|grad {name}| = {norm:.6g}")
    print(f"{result['elapsed_s']:.3f} s")
    return 0
