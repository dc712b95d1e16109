"""The Dockerfile, built and run where no Docker engine can: its steps run as a script on a
clean Debian tree (``scripts/dockerfile_steps.py``), then its CMD started as
``docker run -p 8501:8501 IMAGE`` would start it (root with Docker's default capabilities, no
CAP_SYS_ADMIN, new namespaces refused), in the strict mode the image sets.

The build takes minutes (a debootstrap, then pip installs torch and TensorFlow), so these tests
carry the ``dockerfile`` mark, which the default run leaves out (pyproject's addopts);
``make test`` runs them after the suite, as CI does. The quick tests of the script's parts
run in the suite."""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from explorer import execution

REPO = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("dockerfile_steps",
                                              REPO / "scripts" / "dockerfile_steps.py")
steps = importlib.util.module_from_spec(spec)
spec.loader.exec_module(steps)
launcher_spec = importlib.util.spec_from_file_location(
    "without_namespaces", REPO / "scripts" / "without_namespaces.py")
launcher = importlib.util.module_from_spec(launcher_spec)
launcher_spec.loader.exec_module(launcher)


def test_parse_joins_continuations_and_drops_comments():
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "Dockerfile"
        path.write_text("# a comment\nFROM base:1\n\nRUN a \\\n    && b\n"
                        'ENV K=v\nCMD ["x", "--y=1"]\n')
        assert steps.parse(path) == [("FROM", "base:1"), ("RUN", "a  && b"),
                                     ("ENV", "K=v"), ("CMD", '["x", "--y=1"]')]


def test_dockerignore_patterns():
    patterns = [".venv", ".git", "**/__pycache__", "artifacts"]
    assert steps.ignored(".venv/bin/python", patterns)
    assert steps.ignored("explorer/__pycache__/app.cpython-311.pyc", patterns)
    assert steps.ignored("artifacts/x.png", patterns)
    assert not steps.ignored("explorer/app.py", patterns)
    assert not steps.ignored("tests/browser/conftest.py", patterns)


def test_only_dockers_default_capabilities_are_kept():
    if os.geteuid() != 0:
        pytest.skip("needs root")
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "without_namespaces.py"), "--keep-caps",
         "docker", "--", "grep", "CapEff", "/proc/self/status"],
        capture_output=True, text=True, check=True)
    if not shutil.which("capsh"):
        pytest.skip("no capsh (apt-get install libcap2-bin) to decode the capabilities")
    held = done.stdout.split()[-1]
    decoded = subprocess.run(["capsh", f"--decode={held}"], capture_output=True, text=True,
                             check=True).stdout.strip().split("=", 1)[1]
    names = [name.removeprefix("cap_").upper() for name in decoded.split(",")]
    assert sorted(names) == sorted(launcher.DOCKER_CAPS)


def _can_build() -> str | None:
    if os.geteuid() != 0:
        return "needs root (chroot and mounts), as a Docker build has"
    for tool in ("debootstrap", "chroot", "mount"):
        if not shutil.which(tool):
            return f"no {tool} (apt-get install debootstrap)"
    return None


@pytest.fixture(scope="module")
def image():
    reason = _can_build()
    if reason:
        pytest.skip(reason)
    built = os.environ.get("EXPLORER_IMAGE_TREE")  # by hand: a tree `build` made before
    if built:
        root = Path(built)
        meta = json.loads((root / ".dockerfile-steps.json").read_text())
        yield root, {**meta, "size": steps.size(root)}
        return
    root = Path(tempfile.mkdtemp(prefix="explorer-image-")) / "root"
    try:
        meta = steps.build(root)
        meta["size"] = steps.size(root)
        artifacts = REPO / "artifacts"
        artifacts.mkdir(exist_ok=True)
        (artifacts / "dockerfile_steps.json").write_text(json.dumps(meta, indent=1))
        print(f"\nimage tree: {meta['size'] / 1e9:.2f} GB, built in {meta['build_s']:.0f} s")
        yield root, meta
    finally:
        steps.remove(root.parent)


def inside(root: Path, *command: str, timeout: int = 300) -> subprocess.CompletedProcess:
    """``command`` in the image as ``docker run IMAGE command`` would run it."""
    argv = steps.run_command(root, 8501)
    argv[-1] = f"cd {json.loads((root / '.dockerfile-steps.json').read_text())['workdir']} " \
               f"&& exec {' '.join(command)}"
    with steps.Tree(root, sources=False):
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)


@pytest.mark.dockerfile
def test_the_image_holds_the_app_and_a_cpu_torch(image):
    root, meta = image
    app = root / meta["workdir"].lstrip("/")
    assert (app / "explorer" / "app.py").is_file()
    assert not (app / ".venv").exists() and not (app / ".git").exists()
    done = inside(root, "python", "-c", "'import torch, tensorflow, streamlit; "
                  "print(torch.__version__, torch.version.cuda)'")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["2.13.0+cpu", "None"]
    site = list((root / "usr" / "local" / "lib").glob("python3.11/site-packages"))[0]
    assert not [p.name for p in site.iterdir() if p.name.startswith(("nvidia", "triton"))]
    assert meta["size"] < 6e9


@pytest.mark.dockerfile
def test_doctor_in_the_image_says_which_layers_hold(image):
    root, _ = image
    done = inside(root, "python", "-m", "explorer", "doctor")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "profile: no namespaces" in done.stdout
    assert done.stdout.rstrip().endswith("user code: runs")


@pytest.mark.dockerfile
def test_a_lesson_draws_its_graph_in_the_image(image):
    root, _ = image
    path = next((REPO / "explorer" / "lessons").glob("*_variable_length_rnn.py"))
    done = inside(root, "python", "-m", "explorer", "graph",
                  f"explorer/lessons/{path.name}", "--format", "json")
    assert done.returncode == 0, done.stderr[-2000:]
    drawn = json.loads(done.stdout)
    reference = execution.execute(path.read_text(), seed=0).to_json()["graph"]
    assert len(drawn["nodes"]) == len(reference["nodes"]) > 0
    assert len(drawn["edges"]) == len(reference["edges"])


@pytest.mark.dockerfile
def test_the_image_serves_the_app_without_privileges(image):
    root, _ = image
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with steps.Tree(root, sources=False):
        server = subprocess.Popen(steps.run_command(root, port), stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, start_new_session=True)
        try:
            deadline, health = time.monotonic() + 180, None
            while time.monotonic() < deadline and server.poll() is None:
                try:
                    with urllib.request.urlopen(
                            f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as answer:
                        health = answer.read().decode()
                        break
                except OSError:
                    time.sleep(1)
            assert health == "ok", server.stdout.read() if server.poll() is not None else ""
            pids = subprocess.run(["pgrep", "-s", str(server.pid)], capture_output=True,
                                  text=True).stdout.split()
            for pid in pids:
                status = Path(f"/proc/{pid}/status").read_text()
                held = int(status.split("CapEff:")[1].split()[0], 16)
                assert not held >> 21 & 1, f"process {pid} holds CAP_SYS_ADMIN"
        finally:
            os.killpg(server.pid, 9)
            server.wait(timeout=30)
