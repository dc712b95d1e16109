"""``python -m explorer train`` and the train job through the sandbox: records as they
arrive, a final record, and a stop that keeps what was learned."""
from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid

import numpy as np

from explorer import jobs, sandbox
from explorer.training import loop
from explorer.training.config import TrainConfig

sandbox.registry.use(jobs.TABLE)  # the sandbox runs our jobs


def test_cli_prints_a_json_record_per_logged_step_then_the_final_one():
    done = subprocess.run([sys.executable, "-m", "explorer", "train", "moons", "--framework",
                           "tf", "--steps", "30", "--optimizer", "sgd", "--lr", "0.3",
                           "--json"], capture_output=True, text=True, timeout=150)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    *steps, final = lines
    assert [r["step"] for r in steps] == [10, 20, 30]
    assert all({"step", "loss", "accuracy", "grad_norm", "elapsed_s"} <= set(r) for r in steps)
    assert final["kind"] == "final" and final["status"] == "ok"
    assert final["steps_done"] == {"tf": 30} and final["final"]["tf"] == steps[-1]
    # the sandboxed twin learned what PyTorch learns in this process, step for step
    truth = loop.train(TrainConfig.from_request({"preset": "moons", "frameworks": ["torch"],
                                                 "steps": 30, "optimizer": "sgd", "lr": 0.3,
                                                 "boundary": False}))
    np.testing.assert_allclose(final["final"]["tf"]["loss"], truth["final"]["torch"]["loss"],
                               rtol=1e-4)


def test_stop_through_the_sandbox_returns_the_run_so_far():
    ticket = sandbox.scheduler().submit(f"test-{uuid.uuid4().hex}", "train", {
        "preset": "spirals", "frameworks": ["torch"], "steps": 20000, "boundary": False})
    deadline = time.time() + 120
    while len([r for r in ticket.records() if r.get("kind") == "metrics"]) < 3:
        assert time.time() < deadline and not ticket.done(), ticket.result(0)
        time.sleep(0.05)
    ticket.stop()
    result = ticket.result(timeout=30)
    assert result["status"] == "ok" and result["stopped"], result
    rows = [r for r in ticket.records() if r.get("kind") == "metrics"]
    assert 30 <= result["steps_done"]["torch"] < 20000
    assert rows[-1]["step"] == result["steps_done"]["torch"]
    assert rows[-1]["loss"] < rows[0]["loss"]
