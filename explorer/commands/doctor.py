"""``doctor``: which sandbox layers work on this host, checked from inside a worker."""
from __future__ import annotations

import argparse

from explorer.commands import print_json
from explorer.sandbox import doctor

HELP = "report the sandbox layers that protect user code on this host (works / missing)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def main(args: argparse.Namespace) -> int:
    data = doctor.report(pool="cold")  # one-shot: no need to import TensorFlow first
    if args.json:
        print_json(data)
    else:
        print(doctor.format_report(data))
    return 0 if data["runs_user_code"] else 2
