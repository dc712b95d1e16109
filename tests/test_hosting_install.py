"""The install files of a hosted server: CPU torch chosen explicitly, the Dockerfile's steps,
what Streamlit Community Cloud reads (explorer/requirements.txt, packages.txt,
.streamlit/config.toml).

The resolution test asks pip what ``requirements-hosted.txt`` installs on this Linux CPU host
(``pip install --dry-run --report``, from PyPI, nothing installed), with PyPI as the only
index reachable: PyTorch's CPU index stands in as a local folder holding its
``torch-2.13.0+cpu`` wheel (``$EXPLORER_CPU_WHEELS``, default /opt/wheels). Its control asks
PyPI what the bare pin ``torch==2.13.0`` is on Linux: the CUDA build, which names nvidia-*
wheels, so the check that the hosted resolution names none can fail."""
from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
CPU_WHEELS = Path(os.environ.get("EXPLORER_CPU_WHEELS", "/opt/wheels"))
CUDA_NAMES = re.compile(r"^(nvidia-|triton$|cuda-)", re.IGNORECASE)


def lines(name: str) -> list[str]:
    return [line.strip() for line in (ROOT / name).read_text().splitlines()
            if line.strip() and not line.strip().startswith("#")]


def pins(name: str) -> dict[str, str]:
    return dict(line.split("==", 1) for line in lines(name) if "==" in line)


def test_hosted_requirements_name_the_cpu_build_of_the_same_torch():
    hosted = lines("requirements-hosted.txt")
    assert f"--extra-index-url {CPU_INDEX}" in hosted
    assert "-r requirements.txt" in hosted
    torch = pins("requirements-hosted.txt")["torch"]
    assert torch == pins("requirements.txt")["torch"] + "+cpu"


def test_community_cloud_reads_the_hosted_requirements_next_to_the_entrypoint():
    assert (ROOT / "explorer" / "app.py").exists()
    assert lines("explorer/requirements.txt") == ["-r ../requirements-hosted.txt"]
    assert set(lines("packages.txt")) == {"graphviz", "libseccomp2"}
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["headless"] is True
    assert config["browser"]["gatherUsageStats"] is False


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    steps = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            instruction, _, rest = line.strip().partition(" ")
            steps.append((instruction.upper(), rest.strip()))
    return steps


def test_dockerfile_needs_no_privilege_and_installs_the_hosted_files():
    steps = dockerfile()
    text = (ROOT / "Dockerfile").read_text()
    assert steps[0] == ("FROM", "python:3.11-slim")
    assert "--cap-add" not in text and "unconfined" not in text and "--privileged" not in text
    runs = [args for instruction, args in steps if instruction == "RUN"]
    assert any("xargs -a packages.txt apt-get install" in run for run in runs)
    assert any("pip install --no-cache-dir -r requirements-hosted.txt" in run for run in runs)
    for instruction, args in steps:
        if instruction == "COPY" and args != ". .":
            for name in shlex.split(args)[:-1]:
                assert (ROOT / name).exists(), name
    assert ("ENV", "EXPLORER_SANDBOX=strict") in steps
    command = json.loads(dict(steps)["CMD"])
    assert command[:4] == ["python", "-m", "streamlit", "run"]
    assert "--server.port=8501" in command and "--server.address=0.0.0.0" in command


def pypi_reachable() -> bool:
    try:
        urllib.request.urlopen("https://pypi.org/simple/pip/", timeout=10).close()
    except OSError:
        return False
    return True


def dry_run(tmp_path: Path, requirements: str, *extra: str) -> list[dict]:
    """What pip would install for ``requirements`` (a file's text) on this host."""
    (tmp_path / "requirements.txt").write_text((ROOT / "requirements.txt").read_text())
    (tmp_path / "wanted.txt").write_text(requirements)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--isolated", "install", "--dry-run", "--ignore-installed",
         "--quiet", "--only-binary", ":all:", "--index-url", "https://pypi.org/simple",
         "--report", str(tmp_path / "report.json"), "-r", str(tmp_path / "wanted.txt"), *extra],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((tmp_path / "report.json").read_text())["install"]


@pytest.mark.slow
def test_resolved_hosted_install_names_no_cuda_wheel(tmp_path):
    if not pypi_reachable():
        pytest.skip("PyPI is not reachable")
    if not list(CPU_WHEELS.glob("torch-2.13.0+cpu-*.whl")):
        pytest.skip(f"no torch 2.13.0+cpu wheel in {CPU_WHEELS} (set EXPLORER_CPU_WHEELS)")
    text = (ROOT / "requirements-hosted.txt").read_text()
    assert f"--extra-index-url {CPU_INDEX}" in text
    local = text.replace(f"--extra-index-url {CPU_INDEX}", f"--find-links {CPU_WHEELS}")
    installed = dry_run(tmp_path, local)
    names = {re.sub(r"[-_.]+", "-", item["metadata"]["name"]).lower(): item
             for item in installed}
    torch = names["torch"]
    assert torch["metadata"]["version"] == "2.13.0+cpu"
    assert "%2Bcpu" in torch["download_info"]["url"] or "+cpu" in torch["download_info"]["url"]
    assert not [name for name in names if CUDA_NAMES.match(name)]
    assert {"tensorflow-cpu", "streamlit", "pyseccomp"} <= set(names)


@pytest.mark.slow
def test_control_pypi_torch_pin_alone_is_the_cuda_build(tmp_path):
    """Why the pin above matters: the bare pin from PyPI requires CUDA's wheels on Linux."""
    if not pypi_reachable():
        pytest.skip("PyPI is not reachable")
    installed = dry_run(tmp_path, "torch==2.13.0\n", "--no-deps")
    (torch,) = installed
    assert "+cpu" not in torch["metadata"]["version"]
    requires = [re.split(r"[ ;=<>!~\[]", dep)[0] for dep in
                torch["metadata"].get("requires_dist", [])]
    assert [name for name in requires if CUDA_NAMES.match(name)]
