"""``check``: run a snippet in PyTorch and as its TensorFlow twin; are they equivalent?"""
from __future__ import annotations

import argparse
from pathlib import Path

from explorer.commands import add_snippet_arguments, fail, print_json, read_snippet, run_job

HELP = "check that the tf.function twin computes the same outputs and gradients as PyTorch"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_snippet_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print the check as JSON")
    parser.add_argument("--tf-code", metavar="FILE",
                        help="run this TensorFlow code (an edit of the generated twin) instead "
                             "of translating the snippet")


def _number(value: float | str) -> str:
    return f"{value:.3g}" if isinstance(value, (int, float)) else str(value)  # "inf"


def main(args: argparse.Namespace) -> int:
    request = {"code": read_snippet(args.snippet), "seed": args.seed, "device": args.device}
    if args.tf_code:
        request["tf_code"] = Path(args.tf_code).read_text()
    result = run_job("check", request, args.timeout or None)
    if args.json:
        print_json(result)
        return 0 if result.get("equivalent") else 1
    if result.get("status") != "ok":
        return fail(result)
    print(f"equivalent: {str(result['equivalent']).lower()}")
    print(f"max |output difference|:   {_number(result['max_abs_diff_output'])}")
    print(f"max |gradient difference|: {_number(result['max_abs_diff_grads'])}")
    for row in result["grads"]:
        print(f"  {row['name']}: {_number(row['max_abs_diff'])}")
    print(result["message"])
    return 0 if result["equivalent"] else 1
