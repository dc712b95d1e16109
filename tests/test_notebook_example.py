"""The example notebook runs top to bottom in a real Jupyter kernel (ipykernel on this
interpreter, driven by nbclient) and its outputs hold what a user should see: the graph, both
graphs of ``show`` with the agreement badge, the compare table, the saved picture."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

from explorer import render  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "examples" / "explorer_in_a_notebook.ipynb"
KERNEL = "explorer-tests"

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not render.dot_available(), reason="needs Graphviz")]


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The notebook after a run, in a kernel of this interpreter (a kernelspec written to
    a temporary Jupyter path) that imports the explorer from this checkout."""
    home = tmp_path_factory.mktemp("jupyter")
    spec = home / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "explorer tests", "language": "python",
        "env": {"PYTHONPATH": str(ROOT)}}))
    patch = pytest.MonkeyPatch()
    patch.setenv("JUPYTER_PATH", str(home))
    patch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    try:
        notebook = nbformat.read(NOTEBOOK, as_version=4)
        client = nbclient.NotebookClient(notebook, kernel_name=KERNEL, timeout=180,
                                         resources={"metadata": {"path": str(home)}})
        client.execute()
    finally:
        patch.undo()
    return notebook


def outputs(cell) -> dict[str, str]:
    """A code cell's displayed result by MIME type, and its errors as text."""
    found: dict[str, str] = {}
    for out in cell.get("outputs", []):
        if out["output_type"] in ("execute_result", "display_data"):
            found.update({k: v if isinstance(v, str) else "".join(v)
                          for k, v in out["data"].items()})
        elif out["output_type"] == "error":
            found["error"] = "\n".join(out["traceback"])
    return found


def cell_with(notebook, text: str):
    return next(c for c in notebook.cells if c.cell_type == "code" and text in c.source)


def test_every_cell_ran_without_an_error(executed):
    code = [c for c in executed.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code)
    assert not [outputs(c)["error"] for c in code if "error" in outputs(c)]


def test_graph_draws_one_svg_in_html_and_as_an_image(executed):
    out = outputs(cell_with(executed, "explorer.graph(forward(x))"))
    assert "image/svg+xml" in out and "<svg" in out["image/svg+xml"]
    assert out["text/html"].count("<svg") == 1 and "AddmmBackward0" in out["text/html"]


@pytest.mark.parametrize("call", ["explorer.show(forward, x)", "explorer.show(net,"])
def test_show_holds_both_graphs_and_the_badge(executed, call):
    page = outputs(cell_with(executed, call))["text/html"]
    assert page.count("<svg") >= 2
    assert "Outputs and gradients agree" in page
    assert "PyTorch" in page and "tf.function" in page and "Executed path" in page
    assert ("If" if "forward" in call else "While") in page


def test_compare_and_save(executed):
    page = outputs(cell_with(executed, "explorer.compare("))["text/html"]
    assert page.count("<svg") == 3 and "same graph" in page and "then in 1/2 runs" in page
    assert outputs(cell_with(executed, ".save("))["text/plain"] == "('forward.png', True)"
