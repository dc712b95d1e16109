"""``worker``: a sandbox worker host for replicas joined through Redis (issue 13)."""
from __future__ import annotations

import argparse

from explorer import jobs, sandbox

HELP = ("serve runs from a Redis queue as a sandbox worker host (python -m explorer worker "
        "--redis redis://HOST:6379/0)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--redis", required=True, metavar="URL",
                        help="the Redis the Streamlit replicas use ($EXPLORER_REDIS there)")
    parser.add_argument("--threads", type=int, default=None,
                        help="runs at once on this host (default: its cores)")
    parser.add_argument("--pool", choices=("warm", "cold"), default="warm",
                        help="warm: one template with spares for every run (default)")
    parser.add_argument("--jobs", default=jobs.TABLE,
                        help="the job table module the workers run (default: the explorer's)")


def main(args: argparse.Namespace) -> int:
    from explorer.distributed import host

    sandbox.registry.use(args.jobs)
    return host.run_forever(args.redis, args.threads, args.pool)
