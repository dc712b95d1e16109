"""``train``: train a preset (or a snippet) in PyTorch or as its tf.function twin, in a
sandboxed worker, printing a record per logged step as it arrives, then the final record."""
from __future__ import annotations

import argparse
import json
import time

from explorer.commands import fail, read_snippet, submit
from explorer.training import config as train_config
from explorer.training import presets

HELP = "train a preset model in PyTorch or as its tf.function twin; stream the metrics"
FIELDS = ("step", "loss", "accuracy", "grad_norm", "elapsed_s")
POLL_S = 0.1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("preset", choices=[*presets.names(), presets.SNIPPET],
                        help="a preset, or 'snippet' with --code")
    parser.add_argument("--code", metavar="SNIPPET",
                        help="for the snippet preset: a snippet file, lesson:NAME, or -")
    parser.add_argument("--framework", default="torch", choices=("torch", "tf", "both"),
                        help="torch (eager), tf (the tf.function twin) or both, interleaved")
    parser.add_argument("--steps", type=int, help="optimisation steps (preset's default)")
    parser.add_argument("--lr", type=float, help="learning rate (preset's default)")
    parser.add_argument("--optimizer", choices=train_config.OPTIMIZERS)
    parser.add_argument("--momentum", type=float, help="SGD momentum (default 0.9)")
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--clip", type=float, help="clip the global gradient norm to this")
    parser.add_argument("--mode", choices=train_config.MODES, help="the model's mode while "
                        "it trains (train: dropout on)")
    parser.add_argument("--seed", type=int, help="initial weights and batch order (0)")
    parser.add_argument("--device", choices=("cpu", "cuda"))
    parser.add_argument("--log-every", type=int, help="steps per record (10)")
    parser.add_argument("--speed", action="store_true",
                        help="afterwards, measure steps/s of torch eager, torch.compile, "
                             "TF eager and tf.function")
    parser.add_argument("--json", action="store_true",
                        help="one JSON record per logged step, then the final record")
    parser.add_argument("--timeout", type=float, help="wall-clock limit of the run in seconds")


def build_request(args: argparse.Namespace) -> dict:
    request = {"preset": args.preset, "boundary": False, "speed": args.speed,
               "compiler": args.speed,  # torch.compile's row: a worker with the compiler helper
               "frameworks": ["torch", "tf"] if args.framework == "both" else [args.framework]}
    if args.preset == presets.SNIPPET:
        if not args.code:
            raise SystemExit("error: the snippet preset needs --code FILE")
        request["code"] = read_snippet(args.code)
    for key in ("steps", "lr", "optimizer", "momentum", "batch_size", "clip", "mode", "seed",
                "device", "log_every"):
        if getattr(args, key) is not None:
            request[key] = getattr(args, key)
    try:
        train_config.TrainConfig.from_request(request)  # a bad value fails here, not later
    except ValueError as err:
        raise SystemExit(f"error: {err}") from None
    return request


def line(record: dict) -> str:
    """A metrics record as one readable line."""
    accuracy = record.get("accuracy")
    return (f"{record['framework']:>5}  step {record['step']:>6}  loss {record['loss']:.6g}  "
            + (f"accuracy {accuracy:.3f}  " if accuracy is not None else "")
            + f"grad_norm {record['grad_norm']}  {record['elapsed_s']:.2f} s")


def show(record: dict, as_json: bool) -> None:
    if record.get("kind") == "metrics":
        print(json.dumps(record) if as_json else line(record), flush=True)
    elif record.get("kind") == "speed" and not as_json:
        rate = record.get("steps_per_s")
        print(f"speed  {record['variant']:<14} " + (f"{rate:,.0f} steps/s" if rate is not None
              else f"not available: {record.get('reason')}"), flush=True)


def main(args: argparse.Namespace) -> int:
    request = build_request(args)
    ticket = submit("train", request, timeout=args.timeout)
    seen = 0
    try:
        while not ticket.done():
            for record in ticket.records(seen):
                show(record, args.json)
                seen += 1
            time.sleep(POLL_S)
    except KeyboardInterrupt:  # Ctrl-C: stop training, keep (and print) what it learned
        ticket.stop()
    result = ticket.result()
    for record in ticket.records(seen):
        show(record, args.json)
    if args.json:
        print(json.dumps({"kind": "final", **result}))
    elif result.get("status") == "ok":
        print(summary(result))
    else:
        return fail(result)
    return 0 if result.get("status") == "ok" else 1


def summary(result: dict) -> str:
    out = []
    for framework, done in result["steps_done"].items():
        evaluation = result["eval"].get(framework) or {}
        out.append(f"{framework}: {done} of {result['steps']} steps"
                   + (f", accuracy on all data {evaluation['accuracy']:.3f}"
                      if evaluation.get("accuracy") is not None else ""))
    if result.get("stopped"):
        out.append("stopped early; the model keeps what it learned so far")
    if result.get("agreement"):
        out.append(result["agreement"]["message"])
    if result.get("twin", {}).get("status") not in ("ok", "not asked"):
        out.append(result["twin"].get("message", ""))
    return "\n".join(out)
