"""The sandbox's seams: it imports and names no job or engine part (the jobs register their
table), a GPU run and the pool are asked for explicitly, a run's output holds what the user's
code printed and nothing else, and no module of it is too long to read."""
from __future__ import annotations

import ast
import errno
import socket
from pathlib import Path

import pytest

from explorer import jobs
from explorer.sandbox import Limits, Scheduler, channel, refusals, registry, worker
from explorer.sandbox.limits import choose_pool
from explorer.sandbox.pool import WarmPool

registry.use(jobs.TABLE)

SANDBOX = Path(__file__).resolve().parent.parent / "explorer" / "sandbox"
FORBIDDEN = ("explorer.jobs", "explorer.twin", "explorer.training", "explorer.gradients",
             "explorer.capture")
LIMITS = Limits(wall_s=60.0, cpu_s=60.0, memory_mb=512)


def _mentions(path: Path) -> list[str]:
    """Every import of, and every string naming, a forbidden package in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names = [node.value]
        else:
            continue
        found += [f"{path.name}:{node.lineno}: {name!r}" for name in names
                  if any(word in name for word in FORBIDDEN)]
    return found


def test_the_sandbox_names_no_job_and_no_engine_part():
    modules = sorted(SANDBOX.glob("*.py"))
    assert len(modules) > 10  # the walk found the package
    assert [m for path in modules for m in _mentions(path)] == []


def test_the_check_would_see_an_import_and_a_string(tmp_path):
    """The walk above is not blind: both ways of naming a job are caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("from explorer.jobs import explore\nPRELOAD = ['explorer.twin.check']\n")
    assert _mentions(bad) == ["bad.py:1: 'explorer.jobs'", "bad.py:1: 'explorer.jobs.explore'",
                              "bad.py:2: 'explorer.twin.check'"]


def test_no_sandbox_module_passes_400_lines():
    lengths = {p.name: len(p.read_text().splitlines()) for p in SANDBOX.glob("*.py")}
    assert max(lengths.values()) <= 400, lengths


def test_the_jobs_table_names_every_job_and_its_warm_up():
    table = registry.load(jobs.TABLE)
    assert {f"explorer.jobs.{name}" for name in jobs.names()} <= set(table.preload)
    assert "explorer.jobs.table" not in table.preload and "explore" in jobs.names()
    assert [name for name, _step in table.warm_up] == ["explore"]
    assert [name for name, _step in table.template_warm_up] == ["dynamo", "export",
                                                                "torchscript"]
    assert table.dispatch("no-such-job", {})["status"] == "error"
    with pytest.raises(LookupError):
        registry.load(None)


def test_the_pool_is_warm_unless_asked_or_overridden(monkeypatch):
    """No guess from the modules loaded: a script gets the warm pool; $EXPLORER_POOL wins
    over a caller's preference; a GPU run is always cold (CUDA does not survive fork)."""
    monkeypatch.delenv("EXPLORER_POOL", raising=False)
    assert choose_pool() == "warm" and choose_pool("cold") == "cold"
    monkeypatch.setenv("EXPLORER_POOL", "cold")
    assert choose_pool("warm") == "cold"
    monkeypatch.delenv("EXPLORER_POOL")
    full = Scheduler(workers=1, queue_limit=0, pool=WarmPool(spares=0))  # every submit: busy
    try:
        plain = full.submit("a", "run", {"code": "", "device": "cuda"})
        gpu = full.submit("b", "run", {"code": ""}, gpu=True, pool="warm")
        assert plain.result(timeout=0)["status"] == "busy"
        assert (plain.pool, plain.gpu) == ("warm", False)  # the request's device: not read
        assert (gpu.pool, gpu.gpu) == ("cold", True)
    finally:
        full.shutdown()


def test_a_request_and_the_controls_after_it_reach_the_channel():
    server, worker_end = socket.socketpair()
    try:
        server.sendall(b'{"job": "run"}\n{"control": "stop"}\n')
        message, pending = worker.read_request(worker_end)
        assert (message, pending) == ({"job": "run"}, b'{"control": "stop"}\n')
        channel.attach(worker_end, pending)
        assert channel.stop_requested()
    finally:
        channel.attach(None)
        server.close()
        worker_end.close()


@pytest.fixture(scope="module")
def cold():
    scheduler = Scheduler(workers=1, pool=WarmPool(spares=0), default_pool="cold")
    yield scheduler
    scheduler.shutdown()


def _run(scheduler: Scheduler, code: str, **kwargs) -> dict:
    result = scheduler.submit("seams", "run", {"code": code}, limits=LIMITS,
                              **kwargs).result(timeout=180)
    assert result["status"] == "ok", result
    return result


CONTRACT = """
def inputs():
    return torch.ones(2, requires_grad=True)
def forward(x):
    return x.sum()
"""
SKLEARN = "import torch\nimport sklearn.datasets\nprint('hi')\n" + CONTRACT
JOBLIB_UNSET = ("import os, torch\nos.environ.pop('JOBLIB_MULTIPROCESSING')\n"
                "import joblib._multiprocessing_helpers\nprint('hi')\n" + CONTRACT)
WARNS = ("import torch, warnings\nprint('hi')\nwarnings.warn('mine')\n"
         "warnings.warn_explicit('from a library', RuntimeWarning, 'somelib.py', 7)\n" + CONTRACT)


def test_a_snippet_that_imports_sklearn_prints_only_what_it_printed(cold):
    """A cold worker imports sklearn (and joblib) after it is confined: joblib's probe for a
    shared semaphore is refused, and it used to warn into the user's output."""
    result = _run(cold, SKLEARN)
    assert result["stdout"] == "hi\n"
    assert "warnings" not in result


def test_joblibs_warning_would_be_kept_apart_labelled(cold):
    """Without JOBLIB_MULTIPROCESSING=0, joblib's import warns, as the issue saw; the warning
    is a library's, so it lands in ``warnings``, not in what the user's code printed."""
    result = _run(cold, JOBLIB_UNSET)
    assert result["stdout"] == "hi\n"
    assert [w["category"] for w in result["warnings"]] == ["UserWarning"]
    assert "joblib will operate in serial mode" in result["warnings"][0]["message"]
    assert result["warnings"][0]["source"].startswith("_multiprocessing_helpers.py:")


def test_the_users_own_warning_prints_where_a_librarys_does_not(cold):
    result = _run(cold, WARNS)
    assert result["stdout"] == ('hi\n<snippet>:3: UserWarning: mine\n'
                                "  warnings.warn('mine')\n")
    assert result["warnings"] == [{"category": "RuntimeWarning", "message": "from a library",
                                   "source": "somelib.py:7"}]


LIMITS_SNIPPET = """import torch
for line in open("/proc/self/limits"):
    if line.startswith("Max address space"):
        print(line.split()[3])
""" + CONTRACT


def test_a_gpu_run_is_asked_for_not_guessed_from_the_device(cold):
    """``gpu=True`` confines the worker for CUDA (no address-space limit, here even without a
    GPU); without it, the address space is bounded."""
    assert _run(cold, LIMITS_SNIPPET, gpu=True)["stdout"] == "unlimited\n"
    plain = _run(cold, LIMITS_SNIPPET)["stdout"].strip()
    assert plain.isdigit() and int(plain) > 0


class ResourceExhaustedError(Exception):
    """Stands for TensorFlow's type of that name (the sandbox knows it by name only)."""


def _verdict(exc: BaseException, audit_last: tuple[str, str] | None = None) -> tuple:
    audit = refusals.Audit()
    audit.last = audit_last
    result = refusals.classify({"status": "error", "error_type": type(exc).__name__,
                                "message": str(exc), **refusals.facts(exc)}, audit)
    return result["status"], result.get("blocked")


@pytest.mark.parametrize("exc, audit_last, expected", [
    (MemoryError(), None, ("memory", None)),
    (OSError(errno.ENOMEM, "Cannot allocate memory"), None, ("memory", None)),
    (ResourceExhaustedError("OOM when allocating tensor"), None, ("memory", None)),
    (RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 1 TB"),
     None, ("memory", None)),
    (PermissionError(errno.EACCES, "Permission denied", "/etc/x"), ("file", "open /etc/x"),
     ("blocked", "file")),
    (PermissionError(errno.EPERM, "Operation not permitted"), ("network", "socket.connect"),
     ("blocked", "network")),
    (PermissionError(errno.EPERM, "Operation not permitted"), None, ("blocked", "system call")),
    (OSError(errno.ENETUNREACH, "Network is unreachable"), None, ("blocked", "network")),
    (OSError(errno.EFBIG, "File too large"), None, ("blocked", "file")),
    (BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable"), None,
     ("blocked", "process")),
    (RuntimeError("can't start new thread"), None, ("blocked", "process")),
    (OSError(errno.ENOENT, "No such file or directory"), None, ("error", None)),
    (ValueError("Permission denied, says the message only"), None, ("error", None)),
])
def test_a_refusal_is_known_by_its_type_and_errno(exc, audit_last, expected):
    assert _verdict(exc, audit_last) == expected


def test_a_result_without_facts_is_still_read_from_its_text():
    """A job that reports only ``error_type`` and ``message`` (no ``error_types``/``errno``)
    keeps today's reading: the text decides."""
    result = refusals.classify({"status": "error", "error_type": "ValueError",
                                "message": "Permission denied, says the message only"}, None)
    assert result["status"] == "blocked"
