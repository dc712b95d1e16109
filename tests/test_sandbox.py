"""The sandbox as the app and the CLI use it: concurrency, sessions, streaming, warm and cold
workers, strict mode, the CLI and the doctor. Results are checked against torch run in the
test process itself (the reference the worker must agree with)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest
import torch

from explorer import jobs, lessons, sandbox
from explorer.sandbox import Limits, Scheduler, priority, privileges, worker
from explorer.sandbox.limits import for_job
from explorer.sandbox.report import REQUIRED, Report

sandbox.registry.use(jobs.TABLE)

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
    scheduler = Scheduler(workers=2, queue_limit=64, default_pool="cold")
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
    scheduler = Scheduler(workers=1, queue_limit=2, pool=shared.pool, default_pool="cold")
    try:
        slow = "import torch, time\ntime.sleep(30)\n" + benign(1.0).split("\n", 1)[1]
        running = scheduler.submit("s1", "run", {"code": slow}, limits=LIMITS)
        while running.position() != 0:  # taken by the worker thread: running
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


PROVISIONAL = """import torch, time
from explorer.sandbox import channel
channel.provisional({"status": "ok", "done": "the first half"})
time.sleep(60)
""" + benign(1.0).split("\n", 1)[1]


def test_a_provisional_result_stands_when_the_run_runs_out_of_time(scheduler):
    result = scheduler.submit("p1", "run", {"code": PROVISIONAL},
                              limits=LIMITS.replace(wall_s=3.0)).result(timeout=30)
    assert result["status"] == "ok" and result["done"] == "the first half"
    assert result["unfinished"]["status"] == "timeout"
    assert "longer than 3 s" in result["unfinished"]["message"]


PROVISIONAL_PARTS = """import torch, time
from explorer.sandbox import channel
channel.provisional({"status": "ok", "first": 1, "second": "not yet"})
time.sleep(1.0)
channel.provisional({"second": 2})
time.sleep(60)
""" + benign(1.0).split("\n", 1)[1]


def test_provisional_results_add_up_and_reach_the_ticket_while_the_run_goes_on(scheduler):
    """Each provisional result adds to those before it; the ticket sees the sum so far while
    the worker still runs (a page draws it), and a timeout returns the last sum."""
    ticket = scheduler.submit("p3", "run", {"code": PROVISIONAL_PARTS},
                              limits=LIMITS.replace(wall_s=4.0))
    seen = []
    while not ticket.done():
        found = ticket.partial()
        if found and (not seen or seen[-1] != found[1]):
            seen.append(found[1])
        time.sleep(0.02)
    assert seen[:2] == [{"status": "ok", "first": 1, "second": "not yet"},
                        {"status": "ok", "first": 1, "second": 2}]
    index, _ = ticket.partial()
    assert ticket.partial(index + 1) is None  # nothing newer than the last
    result = ticket.result()
    assert (result["first"], result["second"], result["unfinished"]["status"]) == \
        (1, 2, "timeout")


def test_a_cancelled_run_does_not_fall_back_on_its_provisional_result(scheduler):
    ticket = scheduler.submit("p2", "run", {"code": PROVISIONAL}, limits=LIMITS)
    while ticket.position() != 0:  # taken by the worker thread: running
        time.sleep(0.01)
    time.sleep(1.0)
    ticket.cancel()
    assert ticket.result(timeout=30)["status"] == "cancelled"


LONG_LOOP = """import torch

w = torch.ones(4, requires_grad=True)


def inputs():
    return torch.ones(4)


def forward(x):
    h = x
    for _ in range(1500):
        h = torch.tanh(h * w)
    return h.sum()
"""


def test_the_pytorch_graph_stands_when_the_twin_does_not_finish(scheduler):
    """A 1,500-step Python loop: PyTorch's side takes a fraction of a second, the twin
    (AutoGraph unrolls the loop, then differentiates 1,500 steps) several seconds more than
    the run may take. The torch graph still comes back, and the twin says why it is missing."""
    from explorer.jobs import explore

    result = scheduler.submit("p3", "explore", {"code": LONG_LOOP, "seed": 0},
                              limits=for_job("explore").replace(wall_s=4.0)).result(timeout=60)
    assert result["status"] == "ok", result
    assert result["unfinished"]["status"] == "timeout"
    assert result["twin"]["status"] == "unfinished"
    direct = explore.run({"code": LONG_LOOP, "seed": 0, "twin": False})["run"]["graph"]
    assert len(result["run"]["graph"]["nodes"]) == len(direct["nodes"]) > 3000  # 2 a step


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
    result = sandbox.run_job("graph", {"code": lessons.default().code}, timeout=30,
                             pool="cold")
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
    report = Report()
    for name in REQUIRED:
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
    report = sandbox.about(pool="cold")
    assert set(REQUIRED) <= set(report["layers"])
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
    layers_shown = app.table[0].value
    assert set(REQUIRED) <= set(layers_shown["layer"])
    assert set(layers_shown["works"]) == {"yes"}
    assert set(app.table[1].value["passed"]) == {"yes"}
    assert any("Relaxed mode" in w.value for w in app.warning)
    required = dict(zip(layers_shown["layer"], layers_shown["required"], strict=True))
    assert {name for name, needed in required.items() if needed == "yes"} == set(REQUIRED)
    assert any("Profile: **namespaces**" in c.value for c in app.caption)


def _layers(names: tuple[str, ...], broken: str | None = None) -> Report:
    report = Report()
    for name in names:
        report.add(name, name != broken, "detail")
    return report


def test_strict_mode_holds_each_profile_to_its_own_layers():
    """Without namespaces (a report with "private temp"), the layers that stand in for them
    are required and the namespaces are not; a report of the namespaces profile needs those."""
    from explorer.sandbox.report import REQUIRED_WITHOUT_NAMESPACES

    stand_ins = _layers(("namespaces", "pid namespace"), broken="namespaces")
    stand_ins["pid namespace"]["works"] = False
    for name in REQUIRED_WITHOUT_NAMESPACES:
        stand_ins.add(name, True, "detail")
    assert stand_ins.missing() == [] and worker.refusal(stand_ins, "strict") is None
    stand_ins.add("process limit", False, "could not set RLIMIT_NPROC")
    assert stand_ins.missing() == ["process limit"]
    assert "process limit" in worker.refusal(stand_ins, "strict")["message"]
    assert _layers(REQUIRED, broken="namespaces").missing() == ["namespaces"]
    assert set(REQUIRED_WITHOUT_NAMESPACES) - set(REQUIRED) == {"private temp",
                                                                "process limit"}


# -- spare workers: forked, confined and warmed up before their request ----------------------

SPARE_LIMITS = Limits(wall_s=10.0, cpu_s=10.0, memory_mb=512)
SHOW_WORKER = """import torch, os
from pathlib import Path
print(os.getuid(), os.environ["TMPDIR"], hasattr(torch, "LEAKED"),
      sorted(Path(os.environ["TMPDIR"]).iterdir()))
torch.LEAKED = True
Path(os.environ["TMPDIR"], "mine").write_text("x")
""" + benign(1.0).split("\n", 1)[1]


@pytest.fixture(scope="module")
def spares():
    """A scheduler whose runs wait for a spare (up to 20 s) instead of forking a worker."""
    from explorer.sandbox.pool import WarmPool

    scheduler = Scheduler(workers=2, queue_limit=16,
                          pool=WarmPool(spares=2, spare_wait_s=20.0))
    scheduler.warm_up(spares=True)
    yield scheduler
    scheduler.shutdown()


def _on_spare(scheduler, code, job="run", limits=SPARE_LIMITS, session="spare"):
    ticket = scheduler.submit(session, job, {"code": code}, limits=limits, pool="warm")
    result = ticket.result(timeout=120)
    assert result["status"] == "ok", result
    assert result["sandbox"]["spare"] is True, result["sandbox"]
    return ticket, result


def test_a_spare_serves_one_run_only(spares):
    first, one = _on_spare(spares, SHOW_WORKER, session="s1")
    second, two = _on_spare(spares, SHOW_WORKER, session="s2")
    assert first.worker_pid() != second.worker_pid()
    uid_1, dir_1, leaked_1, files_1 = one["stdout"].split(" ", 3)
    uid_2, dir_2, leaked_2, files_2 = two["stdout"].split(" ", 3)
    assert dir_1 != dir_2 and leaked_1 == leaked_2 == "False"
    assert files_1.strip() == files_2.strip() == "[]"   # no trace of the warm-up or the first
    # a uid of the spares' own range, never a scheduler slot's (forked workers' uids)
    if privileges.can_drop_uid():
        assert int(uid_1) >= privileges.UID_BASE + 64 and int(uid_2) >= privileges.UID_BASE + 64
    state = spares.pool.state()
    assert state["served"]["spare"] >= 2 and state["spares"]["target"] == 2


LIMITS_SNIPPET = """import torch
for line in open("/proc/self/limits"):
    print(line.rstrip())
""" + benign(1.0).split("\n", 1)[1]


def _limits_table(stdout: str) -> dict[str, str]:
    table = {}
    for line in stdout.splitlines()[1:]:
        name = line[:26].strip()
        table[name] = line[26:].split()[0]
    return table


def test_a_spare_lowers_its_rlimits_to_the_runs(spares):
    """Confined with the loosest limits of any job; the request brings them down to its own
    (the CPU limit counts from the request: the spare's warm-up time comes on top)."""
    graph, train = for_job("graph"), for_job("train")
    seen = {}
    for name, lim in (("graph", graph), ("train", train)):
        _ticket, result = _on_spare(spares, LIMITS_SNIPPET, limits=lim, session=name)
        table = _limits_table(result["stdout"])
        warm_cpu = result["sandbox"]["warm_cpu_s"]
        assert lim.cpu_s <= int(table["Max cpu time"]) <= lim.cpu_s + warm_cpu + 1, table
        assert int(table["Max open files"]) == lim.open_files
        assert int(table["Max file size"]) == lim.file_mb << 20
        if privileges.can_drop_uid():
            assert int(table["Max processes"]) == lim.threads
        seen[name] = table
    assert int(seen["graph"]["Max cpu time"]) < int(seen["train"]["Max cpu time"])
    low = SPARE_LIMITS.replace(threads=40, open_files=64, cpu_s=5.0, memory_mb=256)
    _ticket, result = _on_spare(spares, LIMITS_SNIPPET, limits=low, session="low")
    table = _limits_table(result["stdout"])
    assert int(table["Max open files"]) == 64 and int(table["Max cpu time"]) <= 7
    if privileges.can_drop_uid():
        assert int(table["Max processes"]) == 40
    data_mb = int(table["Max data size"]) >> 20
    assert data_mb - int(seen["graph"]["Max data size"]) // (1 << 20) == pytest.approx(
        256 - 1024, abs=64)  # the memory budget follows the run's too


THREADS_SNIPPET = """import torch, os
rows = []
for tid in os.listdir("/proc/self/task"):
    fields = dict(line.split(":", 1) for line in open(f"/proc/self/task/{tid}/status"))
    rows.append((fields["Seccomp"].strip(), fields["NoNewPrivs"].strip(),
                 fields["Uid"].split()[0]))
print(len(rows), sorted(set(rows)))
""" + benign(1.0).split("\n", 1)[1]


def test_a_spare_warmed_up_after_confinement_before_its_request(spares):
    """The warm-up ran (our own code), before the request, and only once the spare was
    confined: one thread at confinement; every thread it started since (TensorFlow's and
    torch's pools) is under the same seccomp filter, no_new_privs and uid."""
    _ticket, result = _on_spare(spares, THREADS_SNIPPET)
    info = result["sandbox"]
    assert info["warm"]["ok"], info["warm"]
    assert set(info["warm"]["steps"]) == {"tensorflow", "torch no_grad", "torch", "explore"}
    assert info["warm"]["sequence_nr"] == 0  # autograd's per-thread count: as if fresh
    assert info["warmed_before_request"] and info["waited_s"] >= 0
    assert info["threads_at_confine"] == 1
    assert info["threads_at_request"] > 1      # the warm-up's pools, started after it
    count, rows = result["stdout"].split(" ", 1)
    assert int(count) > 1
    rows = eval(rows)  # noqa: S307 - our own snippet's printed list of tuples
    assert len(rows) == 1 and rows[0][:2] == ("2", "1"), rows  # seccomp filter, no_new_privs
    if priority.can_renice():
        assert info["nice"] == 0 and info["autogroup_nice"] in (0, None)


def test_a_spares_wall_clock_starts_at_the_request(spares):
    """A spare that waited seconds still gives its run the whole wall clock."""
    assert spares.pool.wait_spares(2, timeout=60)
    time.sleep(3.0)
    code = "import torch, time\ntime.sleep(2.5)\n" + benign(1.0).split("\n", 1)[1]
    _ticket, result = _on_spare(spares, code, limits=SPARE_LIMITS.replace(wall_s=3.5))
    assert result["sandbox"]["waited_s"] >= 2.5
    assert 2.5 <= result["elapsed_s"] < 3.5


FDS_SNIPPET = """import torch, os
kinds = []
for fd in os.listdir("/proc/self/fd"):
    try:
        kinds.append(os.readlink(f"/proc/self/fd/{fd}").split(":")[0])
    except OSError:
        pass
print(sorted(kinds))
""" + benign(1.0).split("\n", 1)[1]


def test_a_worker_holds_no_other_runs_channel(spares, scheduler):
    """The template holds every spare's and every run's channels; a worker keeps only its
    own: one socket (its data channel), no pipe (a spare's ready pipe is closed)."""
    slow = "import torch, time\ntime.sleep(1.0)\n" + benign(1.0).split("\n", 1)[1]
    other = spares.submit("busy", "run", {"code": slow}, limits=SPARE_LIMITS, pool="warm")
    _ticket, result = _on_spare(spares, FDS_SNIPPET)
    assert eval(result["stdout"]).count("socket") == 1, result["stdout"]  # noqa: S307
    assert "pipe" not in result["stdout"]
    forked = scheduler.submit("fds", "run", {"code": FDS_SNIPPET}, limits=SPARE_LIMITS.replace(
        file_mb=32), pool="warm").result(timeout=60)  # a temp folder no spare has: forked
    assert forked["status"] == "ok" and forked["sandbox"]["spare"] is False
    assert eval(forked["stdout"]).count("socket") == 1, forked["stdout"]  # noqa: S307
    assert other.result(timeout=60)["status"] == "ok"


def test_concurrent_spares_have_their_own_uids(spares):
    code = ("import torch, os, time\ntime.sleep(1.5)\nprint(os.getuid())\n"
            + benign(1.0).split("\n", 1)[1])
    tickets = [spares.submit(f"uid-{i}", "run", {"code": code}, limits=SPARE_LIMITS,
                             pool="warm") for i in range(2)]
    results = [t.result(timeout=60) for t in tickets]
    assert all(r["status"] == "ok" and r["sandbox"]["spare"] for r in results), results
    if privileges.can_drop_uid():  # root: a uid per worker; else all run as the server's own
        assert results[0]["stdout"] != results[1]["stdout"]
    else:
        assert results[0]["stdout"] == results[1]["stdout"] == f"{os.getuid()}\n"


def test_a_spare_gives_the_same_result_as_a_forked_worker(spares):
    from explorer.sandbox.pool import WarmPool

    lesson = next(item for item in lessons.all_lessons() if item.name == "dropout_train_eval")
    request = {"code": lesson.code, "seed": 3}
    on_spare = spares.submit("same", "explore", request, pool="warm").result(timeout=120)
    forked = Scheduler(workers=1, pool=WarmPool(spares=0))
    try:
        plain = forked.submit("same", "explore", request, pool="warm").result(timeout=120)
    finally:
        forked.shutdown()
    assert on_spare["sandbox"]["spare"] and not plain["sandbox"]["spare"]
    assert on_spare["run"]["status"] == plain["run"]["status"] == "ok"
    assert on_spare["run"]["graph"] == plain["run"]["graph"]
    assert on_spare["twin"]["status"] == plain["twin"]["status"] == "ok"
    for key in ("torch", "tf", "grads", "equivalent", "graph", "autograph_code"):
        assert on_spare["twin"][key] == plain["twin"][key], key


def test_spares_that_waited_too_long_are_replaced():
    from explorer.sandbox.pool import WarmPool

    scheduler = Scheduler(workers=1, pool=WarmPool(spares=1, spare_wait_s=20.0,
                                                   spare_max_age_s=1.0))
    try:
        scheduler.warm_up(spares=True)
        deadline = time.monotonic() + 60
        while scheduler.pool.state()["served"].get("recycled", 0) < 1:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        result = scheduler.submit("r", "run", {"code": benign(2.0)}, limits=SPARE_LIMITS,
                                  pool="warm").result(timeout=60)
        assert result["status"] == "ok" and result["sandbox"]["spare"]
        assert result["sandbox"]["waited_s"] < 1.5
    finally:
        scheduler.shutdown()


def test_without_spares_a_run_forks_its_worker():
    from explorer.sandbox.pool import WarmPool

    scheduler = Scheduler(workers=1, pool=WarmPool(spares=0))
    try:
        result = scheduler.submit("f", "run", {"code": benign(2.0)}, limits=SPARE_LIMITS,
                                  pool="warm").result(timeout=120)
        assert result["status"] == "ok" and result["sandbox"]["spare"] is False
        assert result["sandbox"]["threads_at_confine"] == 1
        assert scheduler.pool.state()["served"] == {"spare": 0, "forked": 1, "recycled": 0,
                                                    "spares_made": 0}
    finally:
        scheduler.shutdown()


def test_spare_limits_cover_every_job():
    from explorer.sandbox import limits as limits_module

    for job in ("graph", "explore", "train", "check", "tf_graph", "run", "_probe"):
        assert limits_module.fits_spare(for_job(job)), job
    assert not limits_module.fits_spare(for_job("train").replace(cpu_s=1000.0))
    assert not limits_module.fits_spare(for_job("graph").replace(file_mb=32))


RANDOM_SNIPPET = """import torch, random
import numpy as np
import tensorflow as tf
from tensorflow.python.eager import context
print(random.random(), np.random.rand(), context.global_seed(), torch.initial_seed())
""" + benign(1.0).split("\n", 1)[1]


def test_a_spares_random_generators_are_a_forked_workers(spares, scheduler):
    """The warm-up's jobs seed the generators; a spare puts them back as the template left
    them (the ``run`` job seeds Python's, numpy's and torch's, not TensorFlow's global seed)."""
    _ticket, on_spare = _on_spare(spares, RANDOM_SNIPPET)
    forked = scheduler.submit("random", "run", {"code": RANDOM_SNIPPET}, pool="warm",
                              limits=SPARE_LIMITS.replace(file_mb=32)).result(timeout=60)
    assert forked["status"] == "ok" and not forked["sandbox"]["spare"]
    assert on_spare["stdout"] == forked["stdout"]
    assert on_spare["stdout"].split()[2] == "None"


def test_the_templates_preload_starts_no_thread(spares):
    """torch._dynamo, the twin and the rest are imported by the template too, so that no run
    pays for them (an op on the "meta" device imported torch._dynamo: 1 to 4 s); imports only,
    no thread beyond those torch's and TensorFlow's own imports start."""
    info = spares.pool.get().info
    by_import = info["threads_by_import"]
    assert {"torch._dynamo", "explorer.twin.check", "explorer.sandbox.warm"} <= set(by_import)
    assert max(by_import.values()) == by_import["tensorflow"], by_import
    # its warm-up (Dynamo, torch.export, TorchScript on the meta device) ran, and left none
    assert by_import["template warm-up"] == by_import["tensorflow"], by_import
    warmed = info["template_warm_up"]
    assert set(warmed) == {"dynamo", "export", "torchscript"}, warmed
    assert all(isinstance(seconds, float) for seconds in warmed.values()), warmed


DYNAMO_STATE = """import torch
import torch._dynamo.variables.torch as dynamo_torch
print(dynamo_torch.get_overridable_functions.cache_info().currsize)
""" + benign(1.0).split("\n", 1)[1]


def test_a_worker_forked_from_the_template_starts_with_dynamo_warm(spares, scheduler):
    """The template's warm-up compiled once before it forked: a table Dynamo builds on its
    first compile (torch's overridable functions, about a second of it with the rest) is in
    a spare's memory already; a cold worker, which imports torch itself, has it empty."""
    _ticket, on_spare = _on_spare(spares, DYNAMO_STATE)
    cold = scheduler.submit("dynamo", "run", {"code": DYNAMO_STATE}, pool="cold",
                            limits=LIMITS).result(timeout=120)
    assert cold["status"] == "ok" and not cold["sandbox"]["spare"], cold
    assert (on_spare["stdout"], cold["stdout"]) == ("1\n", "0\n")


def test_a_pidfds_pid_is_read_in_our_own_pid_namespace():
    """The server takes a worker's pid from its pidfd, not from the template's word: on a
    non-root host the template is pid 1 of a pid namespace of its own, whose numbers are
    not ours."""
    from explorer.sandbox.pool import pid_of

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    pidfd = os.pidfd_open(child.pid)
    try:
        assert pid_of(pidfd) == child.pid
        child.kill()
        child.wait()
        assert pid_of(pidfd) is None  # reaped: its number may be someone else's now
    finally:
        os.close(pidfd)
