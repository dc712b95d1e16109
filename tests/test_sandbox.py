"""The sandbox as the app and the CLI use it: concurrency, sessions, streaming, warm and cold
workers, strict mode, the CLI and the doctor. Results are checked against torch run in the
test process itself (the reference the worker must agree with)."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest
import torch

from explorer import lessons, sandbox
from explorer.sandbox import Limits, Scheduler, layers, worker
from explorer.sandbox.limits import for_job

LIMITS = Limits(wall_s=10.0, cpu_s=10.0, memory_mb=512)  # generous: CI machines are busy


def benign(scale: float) -> str:
    return f"""import torch
w = torch.arange(3.0, requires_grad=True)
def inputs():
    return torch.ones(3) * {scale}
def forward(x):
    return (w * x).pow(2).sum()
"""


def reference(scale: float) -> tuple[float, float]:
    """Output and |grad w| computed here, in plain torch."""
    w = torch.arange(3.0, requires_grad=True)
    out = (w * torch.ones(3) * scale).pow(2).sum()
    out.backward()
    return out.item(), w.grad.norm().item()


HOSTILE = {"loop": "import torch\nwhile True:\n    pass\n",
           "memory": "import torch\nx = bytearray(8 * 1024 ** 3)\n",
           "fork": "import torch, os\nwhile True:\n    os.fork()\n"}


@pytest.fixture(scope="module")
def scheduler():
    scheduler = Scheduler(workers=2, queue_limit=64)
    yield scheduler
    scheduler.shutdown()


def test_eight_concurrent_runs_with_hostile_ones(scheduler):
    tickets = {}
    for i in range(8):
        hostile = {1: "loop", 3: "memory", 6: "fork"}.get(i)
        code = HOSTILE[hostile] + "def forward(x):\n    return x\n" if hostile else benign(i)
        tickets[i] = (hostile, scheduler.submit(f"session-{i}", "run", {"code": code},
                                                limits=LIMITS))
    for i, (hostile, ticket) in tickets.items():
        result = ticket.result(timeout=120)
        if hostile:
            assert result["status"] in ("timeout", "memory", "blocked"), result
            continue
        assert result["status"] == "ok", result
        value, grad = reference(i)
        assert result["outputs"][0]["values"][0] == pytest.approx(value, rel=1e-6)
        assert result["grad_norms"]["w"] == pytest.approx(grad, rel=1e-6)


def test_no_state_leaks_between_runs(scheduler):
    poison = ("import torch\ntorch.add = lambda *a, **k: 42\ntorch.LEAKED = True\n"
              "GLOBAL = 1\n" + benign(1.0).split("\n", 1)[1])
    assert scheduler.submit("a", "run", {"code": poison}, limits=LIMITS).result()["status"] \
        == "ok"
    probe = "import torch\nprint(hasattr(torch, 'LEAKED'), torch.add(1, 1))\n" + \
        benign(1.0).split("\n", 1)[1]
    result = scheduler.submit("b", "run", {"code": probe}, limits=LIMITS).result()
    assert result["stdout"] == "False tensor(2)\n"


def test_new_run_of_a_session_cancels_the_old_one(scheduler):
    slow = "import torch, time\ntime.sleep(30)\n" + benign(1.0).split("\n", 1)[1]
    first = scheduler.submit("same-session", "run", {"code": slow}, limits=LIMITS)
    time.sleep(0.5)
    second = scheduler.submit("same-session", "run", {"code": benign(2.0)}, limits=LIMITS)
    assert first.result(timeout=30)["status"] == "cancelled"
    assert second.result(timeout=30)["status"] == "ok"


def test_queue_positions_and_cancel_while_queued(scheduler):
    shared = scheduler
    scheduler = Scheduler(workers=1, queue_limit=2, pool=shared.pool)
    try:
        slow = "import torch, time\ntime.sleep(30)\n" + benign(1.0).split("\n", 1)[1]
        running = scheduler.submit("s1", "run", {"code": slow}, limits=LIMITS)
        while running.state != "running":
            time.sleep(0.01)
        second = scheduler.submit("s2", "run", {"code": benign(1.0)}, limits=LIMITS)
        third = scheduler.submit("s3", "run", {"code": benign(1.0)}, limits=LIMITS)
        busy = scheduler.submit("s4", "run", {"code": benign(1.0)}, limits=LIMITS)
        assert (second.position(), third.position()) == (1, 2)
        assert busy.result(timeout=0)["status"] == "busy"
        second.cancel()
        assert second.result(timeout=0)["status"] == "cancelled"
        assert third.position() == 1
        running.cancel()
        assert running.result(timeout=30)["status"] == "cancelled"
        assert third.result(timeout=60)["status"] == "ok"
        assert scheduler.state()["queued"] == 0
    finally:
        scheduler.shutdown(close_pool=False)


STREAMING = """import torch, time
from explorer.sandbox import channel
step = 0
while not channel.stop_requested() and step < 1000:
    channel.emit({"step": step, "loss": 1.0 / (step + 1)})
    step += 1
    time.sleep(0.02)
print("stopped at", step)
""" + benign(1.0).split("\n", 1)[1]


def test_streaming_records_and_early_stop_keep_results(scheduler):
    ticket = scheduler.submit("trainer", "run", {"code": STREAMING},
                              limits=LIMITS.replace(wall_s=30.0))
    deadline = time.monotonic() + 20
    while len(ticket.records()) < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    ticket.stop()
    result = ticket.result(timeout=10)
    records = ticket.records()
    assert result["status"] == "ok"
    assert 5 <= len(records) < 1000
    assert [r["step"] for r in records] == list(range(len(records)))
    assert result["stdout"] == f"stopped at {len(records)}\n"


def test_cold_worker_gives_the_same_result_as_warm(scheduler):
    warm = scheduler.submit("w", "run", {"code": benign(3.0)}, limits=LIMITS).result()
    cold = scheduler.submit("c", "run", {"code": benign(3.0)}, pool="cold",
                            limits=LIMITS.replace(wall_s=60.0)).result()
    assert warm["status"] == cold["status"] == "ok"
    assert warm["outputs"] == cold["outputs"] and warm["grad_norms"] == cold["grad_norms"]


def test_run_job_keeps_its_contract():
    result = sandbox.run_job("graph", {"code": lessons.default().code}, timeout=30)
    assert result["status"] == "ok" and result["graph"]["nodes"]
    assert isinstance(result["elapsed_s"], float)


def test_scheduler_is_one_per_process_across_threads():
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(sandbox.scheduler()))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(s) for s in seen}) == 1


def test_strict_mode_refuses_when_a_layer_is_missing():
    report = layers.Report()
    for name in layers.REQUIRED:
        report.add(name, name != "seccomp", "test")
    refused = worker.refusal(report, "strict")
    assert refused["status"] == "blocked" and "seccomp" in refused["message"]
    assert worker.refusal(report, "relaxed") is None


def test_strict_mode_runs_when_every_layer_works(scheduler, monkeypatch):
    monkeypatch.setenv("EXPLORER_SANDBOX", "strict")
    result = scheduler.submit("strict", "run", {"code": benign(1.0)}, limits=LIMITS).result()
    assert result["status"] == "ok", result


def test_training_gets_a_longer_wall_clock():
    assert for_job("train").wall_s == 120.0 and for_job("graph").wall_s == 10.0
    assert for_job("graph", timeout=3).wall_s == 3.0


def test_cli_run_json(tmp_path):
    path = tmp_path / "snippet.py"
    path.write_text(benign(2.0).replace("def forward", "print('hi')\ndef forward"))
    done = subprocess.run([sys.executable, "-m", "explorer", "run", str(path), "--json"],
                          capture_output=True, text=True, timeout=120)
    data = json.loads(done.stdout)
    assert set(data) == {"status", "message", "line", "stdout", "elapsed_s"}
    assert (data["status"], data["stdout"], done.returncode) == ("ok", "hi\n", 0)


def test_cli_run_json_reports_the_users_line(tmp_path):
    path = tmp_path / "snippet.py"
    path.write_text("import torch\n\ndef forward(x):\n    return x +\n")
    done = subprocess.run([sys.executable, "-m", "explorer", "run", str(path), "--json"],
                          capture_output=True, text=True, timeout=120)
    data = json.loads(done.stdout)
    assert (data["status"], data["line"], done.returncode) == ("syntax", 4, 1)


def test_doctor_reports_every_layer_working_here():
    """This container (root, Linux 6.x, libseccomp) has every layer; a host that lacks one
    must say so, which the report's format shows as MISSING."""
    report = sandbox.about()
    assert set(layers.REQUIRED) <= set(report["layers"])
    assert report["missing"] == [], report["layers"]
    assert all(check["ok"] for check in report["checks"].values()), report["checks"]
    assert report["runs_user_code"]


def test_about_page_shows_the_layers(root):
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_string(f"""
import streamlit as st
st.navigation([st.Page({str(root / 'pages' / 'about.py')!r}, title="About this server")]).run()
""", default_timeout=120)
    app.run()
    assert not app.exception
    layers_shown = app.dataframe[0].value
    assert set(layers.REQUIRED) <= set(layers_shown["layer"]) and layers_shown["works"].all()
    assert any("Relaxed mode" in w.value for w in app.warning)
