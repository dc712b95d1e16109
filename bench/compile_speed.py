"""torch.compile's steps per second against eager on the training page's presets, measured
where the page measures them: in a sandboxed worker whose compiler helper runs Inductor's C++
compiler (``explorer.sandbox.compiler``). The same figures measured in this process, where
torch runs the compiler itself, are the reference: the helper should cost the compile time a
little (one JSON round trip a command) and the steps nothing. Run by hand:
``.venv/bin/python bench/compile_speed.py [--presets spirals,moons,digits] [--steps 100]``.

Per preset and place: eager and compiled steps/s, their ratio, and the compile's seconds
(``setup_s``: torch.compile's first step, forward and backward compiled)."""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from explorer import jobs  # noqa: E402
from explorer.sandbox import Scheduler, registry  # noqa: E402
from explorer.sandbox.pool import WarmPool  # noqa: E402


def in_sandbox(scheduler: Scheduler, preset: str, steps: int) -> dict:
    request = {"preset": preset, "steps": steps, "frameworks": ["torch"], "boundary": False,
               "speed": True, "compiler": True}
    result = scheduler.submit(f"bench-{preset}", "train", request).result(timeout=300)
    if result.get("status") != "ok":
        raise SystemExit(f"{preset}: {result.get('status')}: {result.get('message')}")
    return {r["variant"]: r for r in result["speed"]}


def in_process(preset: str, steps: int) -> dict:
    from explorer.training import loop, speed
    from explorer.training.config import TrainConfig

    os.environ.setdefault("TORCHINDUCTOR_COMPILE_THREADS", "1")  # as in a worker
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = tempfile.mkdtemp()  # compiled afresh, as there
    with loop.one_thread():  # as a worker runs: one thread
        run = loop.Run(TrainConfig.from_request({"preset": preset, "steps": steps,
                                                 "frameworks": ["torch"], "boundary": False}))
        run.train()
        return {r["variant"]: r for r in speed.measure(run, emit=lambda r: None)}


def line(preset: str, where: str, rows: dict) -> str:
    eager, compiled = rows["torch eager"], rows["torch.compile"]
    if compiled["status"] != "ok":
        return f"{preset:8} {where:9} eager {eager['steps_per_s']:8,.0f}/s  compile: " \
               f"{compiled['reason']}"
    ratio = compiled["steps_per_s"] / eager["steps_per_s"]
    return (f"{preset:8} {where:9} eager {eager['steps_per_s']:8,.0f}/s  compiled "
            f"{compiled['steps_per_s']:8,.0f}/s  x{ratio:.2f}  compile {compiled['setup_s']:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", default="spirals,moons,digits")
    parser.add_argument("--steps", type=int, default=100)
    args = parser.parse_args()
    registry.use(jobs.TABLE)
    print(f"load {os.getloadavg()[0]:.1f}")
    scheduler = Scheduler(workers=1, pool=WarmPool(spares=0))
    try:
        for preset in args.presets.split(","):
            clock = time.perf_counter()
            print(line(preset, "sandbox", in_sandbox(scheduler, preset, args.steps)),
                  f"(run {time.perf_counter() - clock:.0f} s)", flush=True)
            print(line(preset, "process", in_process(preset, args.steps)), flush=True)
    finally:
        scheduler.shutdown()
    print(f"load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
