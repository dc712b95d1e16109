"""What the notebook calls cost against the engine's own path for the same code, warm, in one
process (ratios hold under load; absolute times do not).

    .venv/bin/python bench/notebook_show.py [SNIPPET ...]

For each snippet (default: two of tests/snippets), imported as the user's own module:
``explorer.show(forward, *args)`` (a live run, the code written out, the twin check) against
``explorer.twin.compare(code)`` (the app's run and check of the snippet text), and
``explorer.graph(y)._repr_svg_()`` against ``render.to_svg`` of the engine's capture.
Median of 5 runs after one warm-up.
"""
from __future__ import annotations

import importlib.util
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

import explorer  # noqa: E402
from explorer import execution, render, twin  # noqa: E402

DEFAULT = [ROOT / "tests" / "snippets" / n for n in ("example_if_twice.py", "rnn_steps.py")]


def median_s(fn, repeat: int = 5) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(paths: list[Path]) -> None:
    print(f"{'snippet':24} {'show':>8} {'compare':>8} {'ratio':>6} {'graph svg':>10} "
          f"{'engine svg':>10} {'ratio':>6}")
    for path in paths:
        torch.manual_seed(0)
        spec = importlib.util.spec_from_file_location(f"bench_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        args = module.inputs()
        args = args if isinstance(args, tuple) else (args,)
        code = path.read_text()
        show = median_s(lambda: explorer.show(module.forward, *args))
        app = median_s(lambda: twin.compare(code, seed=0))
        names = {**vars(module), **dict(zip(module.forward.__code__.co_varnames, args))}
        live = median_s(lambda: explorer.graph(module.forward(*args), names=names)._repr_svg_())
        engine = median_s(lambda: render.to_svg(execution.execute(code, backward=False).graph))
        print(f"{path.name:24} {show:8.3f} {app:8.3f} {show / app:6.2f} {live:10.3f} "
              f"{engine:10.3f} {live / engine:6.2f}")


if __name__ == "__main__":
    main([Path(p) for p in sys.argv[1:]] or DEFAULT)
