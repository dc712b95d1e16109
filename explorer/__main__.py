"""``python -m explorer <command>``: the engine from a shell. Each command is a module of
``explorer.commands`` with ``HELP``, ``add_arguments(parser)`` and ``main(args) -> int``."""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from explorer import commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m explorer",
        description="Graph Explorer: dynamic (PyTorch) and static (tf.function) graphs of a "
                    "snippet, from a shell.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        command = sub.add_parser(info.name, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
        command.set_defaults(main=module.main)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.main(args)


if __name__ == "__main__":
    sys.exit(main())
