"""What the installed PyTorch is built for, read from its files without importing it: the
app's process never imports torch (seconds and hundreds of MB), yet the device picker must
know at once, on a CPU build, that there is no GPU. Only a CUDA build needs a worker's word
on whether a device is visible (``jobs.environment``)."""
from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

CPU_BUILD = "this server's PyTorch is a CPU build"
NO_DEVICE = "no CUDA device is visible to the worker"


def version_file() -> Path | None:
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "version.py"
    return path if path.is_file() else None


def build() -> dict:
    """``{"torch": version or None, "cuda": the CUDA version it was built with or None}``,
    from ``torch/version.py``'s assignments (literals only; nothing of it runs)."""
    found: dict = {"torch": None, "cuda": None}
    path = version_file()
    if path is None:
        return found
    try:
        tree = ast.parse(path.read_text())
    except (OSError, SyntaxError):
        return found
    for node in tree.body:
        target = node.target if isinstance(node, ast.AnnAssign) else (
            node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None)
        if isinstance(target, ast.Name) and node.value is not None:
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                continue
            if target.id == "__version__":
                found["torch"] = value
            elif target.id == "cuda":
                found["cuda"] = value
    return found


def environment_without_worker() -> dict | None:
    """The ``environment`` job's answer when the build alone decides it (a CPU build: no GPU,
    whatever the machine has); None when only a worker can tell (a CUDA build)."""
    info = build()
    if info["torch"] is None or info["cuda"] is not None:
        return None
    return {"status": "ok", "torch": info["torch"], "cuda": False, "cuda_devices": [],
            "cuda_version": None, "reason": CPU_BUILD, "source": "build"}
