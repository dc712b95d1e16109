"""The torch build read from its files (no import) against torch's own answer."""
from __future__ import annotations

import torch

from explorer import torch_build
from explorer.jobs import environment


def test_the_build_read_from_files_is_torchs_own():
    assert torch_build.build() == {"torch": torch.__version__, "cuda": torch.version.cuda}


def test_without_a_worker_agrees_with_the_worker_job():
    quick = torch_build.environment_without_worker()
    job = environment.run({})
    if torch.version.cuda is None:  # a CPU build: decided from the files
        assert {k: quick[k] for k in ("torch", "cuda", "reason")} == \
            {k: job[k] for k in ("torch", "cuda", "reason")}
    else:  # a CUDA build: only a worker can say whether a device is visible
        assert quick is None


def test_a_cuda_build_needs_a_worker(tmp_path, monkeypatch):
    (tmp_path / "version.py").write_text(
        "from typing import Optional\n__version__ = '2.13.0+cu128'\ndebug = False\n"
        "cuda: Optional[str] = '12.8'\nhip: Optional[str] = None\n")
    monkeypatch.setattr(torch_build, "version_file", lambda: tmp_path / "version.py")
    assert torch_build.build() == {"torch": "2.13.0+cu128", "cuda": "12.8"}
    assert torch_build.environment_without_worker() is None


def test_a_cpu_build_file_decides_alone(tmp_path, monkeypatch):
    (tmp_path / "version.py").write_text("__version__ = '2.13.0+cpu'\ncuda = None\n")
    monkeypatch.setattr(torch_build, "version_file", lambda: tmp_path / "version.py")
    quick = torch_build.environment_without_worker()
    assert quick["cuda"] is False and quick["reason"] == torch_build.CPU_BUILD


def test_no_torch_file_means_ask_a_worker(monkeypatch):
    monkeypatch.setattr(torch_build, "version_file", lambda: None)
    assert torch_build.environment_without_worker() is None
