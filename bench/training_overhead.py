"""Steps per second of the training page's instrumented loop against the same bare loop, for
every preset and both frameworks, in one run. Run by hand:
``.venv/bin/python bench/training_overhead.py [--repeats 11] [--presets spirals,moons]``.

- instrumented: ``explorer.training.loop.Run.train`` with the page's settings (about 20
  metrics records a run, decision-boundary grids for 2-D data), each record encoded and
  sent through ``explorer.sandbox.channel`` on a socket to another process, as a worker
  sends it, and the stop request read as the loop reads it;
- bare: the same trainer's step on the same batches, nothing read, recorded or sent.

Each repeat builds both afresh (same seed) and times them back to back, alternating which
goes first; the figure is the median. Budget (DESIGN.md): instrumented at least 0.9x bare.

``--speed`` also prints the page's speed chart for each preset, measured in this process,
where torch runs Inductor's C++ compiler itself (in the sandbox the compiler helper runs
it: ``bench/compile_speed.py``).
"""
from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import time

from explorer.sandbox import channel
from explorer.training import loop, presets
from explorer.training.config import TrainConfig
from pages.ui.training_controls import log_every

BUDGET = 0.9
VARIANTS = ("torch eager", "torch.compile", "TF eager", "tf.function")


def config(preset: str, framework: str) -> TrainConfig:
    steps = presets.defaults(preset)["steps"]
    return TrainConfig.from_request({"preset": preset, "frameworks": [framework],
                                     "log_every": log_every(steps), "boundary": True})


def instrumented(preset: str, framework: str) -> float:
    run = loop.Run(config(preset, framework), emit=channel.emit, stop=channel.stop_requested)
    start = time.perf_counter()
    run.train()
    return run.config.steps / (time.perf_counter() - start)


def bare(preset: str, framework: str) -> float:
    run = loop.Run(config(preset, framework))
    trainer, steps = run.trainers[framework], run.config.steps
    start = time.perf_counter()
    for step in range(steps):
        trainer.step(step)
    trainer.sync()
    return steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--presets", default=",".join(presets.names()))
    parser.add_argument("--speed", action="store_true",
                        help="then the speed chart's figures, torch.compile included")
    args = parser.parse_args()
    ours, theirs = socket.socketpair()
    # the server's side of the data channel, in another process as in the app: read, drop
    reader = subprocess.Popen(["cat"], stdin=theirs, stdout=subprocess.DEVNULL)
    theirs.close()
    channel.attach(ours)
    print(f"{'preset':<10} {'framework':<9} {'steps':>5} {'bare steps/s':>13} "
          f"{'instrumented':>13} {'ratio':>6}  budget {BUDGET}x")
    worst = 1.0
    with loop.one_thread():
        for preset in args.presets.split(","):
            for framework in ("torch", "tf"):
                pairs = []
                for k in range(args.repeats):
                    order = (bare, instrumented) if k % 2 else (instrumented, bare)
                    rates = {f.__name__: f(preset, framework) for f in order}
                    pairs.append((rates["bare"], rates["instrumented"]))
                plain = statistics.median(p[0] for p in pairs)
                measured = statistics.median(p[1] for p in pairs)
                ratio = statistics.median(p[1] / p[0] for p in pairs)
                worst = min(worst, ratio)
                print(f"{preset:<10} {framework:<9} {presets.defaults(preset)['steps']:>5} "
                      f"{plain:>13,.0f} {measured:>13,.0f} {ratio:>5.2f}x"
                      + ("" if ratio >= BUDGET else "  OVER BUDGET"), flush=True)
    print(f"worst ratio {worst:.2f}x: {'within' if worst >= BUDGET else 'over'} budget")
    ours.close()
    reader.wait()
    if args.speed:
        speed_chart(args.presets.split(","))


def speed_chart(names: list[str]) -> None:
    """Steps/s of torch eager, TF eager, tf.function and torch.compile, after training."""
    from explorer.training import speed

    print(f"\n{'preset':<10} " + " ".join(f"{v:>14}" for v in VARIANTS))
    for preset in names:
        with loop.one_thread():
            run = loop.Run(TrainConfig.from_request({"preset": preset, "boundary": False}))
            run.train()
            rows = {r["variant"]: r for r in speed.measure(run, emit=lambda r: None)}
        cells = [f"{rows[v]['steps_per_s']:>14,.0f}" if rows[v].get("steps_per_s")
                 else f"{'n/a':>14}" for v in VARIANTS]
        compiled = rows["torch.compile"]
        note = f"compile {compiled['setup_s']:.0f} s" if compiled.get("setup_s") else \
            compiled.get("reason", "")
        print(f"{preset:<10} " + " ".join(cells) + f"  ({note})", flush=True)


if __name__ == "__main__":
    main()
