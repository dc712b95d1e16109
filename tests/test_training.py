"""The training engine, in-process: every preset learns in both frameworks, the TF twin's
losses follow a hand-written SGD loop and torch.optim, the records have their documented
shape, and a stop keeps what was learned. Truths come from outside the code under test: a
numpy forward of the weights, a plain SGD loop written here, torch.optim, algebra."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from explorer import snippet
from explorer.training import data, loop, presets
from explorer.training.config import BOUNDARY_GRIDS, TrainConfig

METRIC_KEYS = {"kind", "framework", "step", "loss", "accuracy", "grad_norm", "layers",
               "elapsed_s"}


def train(**request) -> tuple[dict, list[dict]]:
    records: list[dict] = []
    result = loop.train(TrainConfig.from_request(request), emit=records.append)
    return result, records


def metrics(records: list[dict], framework: str) -> list[dict]:
    return [r for r in records if r["kind"] == "metrics" and r["framework"] == framework]


def accuracy_in_torch(preset: str, weights: dict[str, np.ndarray], batch: int) -> float:
    """Accuracy of ``weights`` on the preset's data, from a fresh torch copy of the model,
    batch by batch (the depth preset's graph depends on the batch), counted here."""
    dataset = data.build(presets.get(preset).data)
    program = snippet.load(presets.get(preset).code)
    tensors = dict(program.module_tensors())
    right = 0
    with torch.no_grad():
        for path, value in weights.items():
            tensors[path].copy_(torch.from_numpy(value))
        for _, module in program.modules():
            module.eval()
        for start in range(0, len(dataset), batch):
            rows = [torch.from_numpy(a[start:start + batch]) for a in dataset.inputs]
            predicted = program.forward(*rows).argmax(dim=1).numpy()
            right += int((predicted == dataset.labels[start:start + batch]).sum())
    return right / len(dataset)


@pytest.fixture(scope="module")
def spirals() -> tuple[loop.Run, dict, list[dict]]:
    """The spirals preset with its defaults (400 steps), both frameworks."""
    records: list[dict] = []
    with loop.one_thread():
        run = loop.Run(TrainConfig.from_request({"preset": "spirals"}), records.append)
        run.emit(run.setup_record())
        run.train()
        result = run.result()
    return run, result, records


def mlp_accuracy(weights: dict[str, np.ndarray], dataset: data.DataSet) -> float:
    """The spirals MLP (Linear, tanh, Linear, tanh, Linear) in numpy."""
    h = dataset.inputs[0].astype(np.float64)
    for k in (0, 2, 4):
        h = h @ weights[f"model.{k}.weight"].T + weights[f"model.{k}.bias"]
        h = np.tanh(h) if k < 4 else h
    return float(np.mean(h.argmax(axis=1) == dataset.labels))


def test_spirals_reaches_90_percent_within_400_steps_in_both_frameworks(spirals):
    run, result, records = spirals
    assert result["steps_done"] == {"torch": 400, "tf": 400}
    for framework, trainer in run.trainers.items():
        assert mlp_accuracy(trainer.weights(), run.dataset) >= 0.9, framework
        assert result["eval"][framework]["accuracy"] >= 0.9
    first, last = metrics(records, "tf")[0], metrics(records, "tf")[-1]
    assert last["loss"] < first["loss"] / 10


def test_records_have_the_documented_shape(spirals):
    run, result, records = spirals
    assert records[0]["kind"] == "setup"
    assert records[0]["layers"] == ["model.0", "model.2", "model.4"]
    assert records[0]["parameters"] == 2 * 64 + 64 + 64 * 64 + 64 + 64 * 2 + 2
    assert records[0]["data"]["examples"] == 1000 and records[0]["data"]["plane"]
    for framework in ("torch", "tf"):
        rows = metrics(records, framework)
        assert [r["step"] for r in rows] == list(range(10, 401, 10))
        assert all(set(r) == METRIC_KEYS for r in rows)
        assert all(set(r["layers"]) == {"model.0", "model.2", "model.4"} for r in rows)
        for r in rows:  # the total norm is the 2-norm of the layers' norms
            assert r["grad_norm"] == pytest.approx(
                np.sqrt(sum(v ** 2 for v in r["layers"].values())), rel=1e-5)
        assert all(0 <= r["accuracy"] <= 1 for r in rows)
        elapsed = [r["elapsed_s"] for r in rows]
        assert elapsed == sorted(elapsed)
    grids = [r for r in records if r["kind"] == "boundary"]
    every = run.config.boundary_every()
    assert run.config.steps / every <= BOUNDARY_GRIDS
    for framework in ("torch", "tf"):  # every ``every`` steps at most, and at the end
        steps = [g["step"] for g in grids if g["framework"] == framework]
        assert steps[-1] == 400 and set(steps) <= set(range(every, 401, every)) | {400}
    z = np.array(grids[-1]["z"])
    assert z.shape == (32, 32) and z.min() >= 0 and z.max() <= 100  # percent
    json.dumps(records + [result], allow_nan=False)  # what the worker sends is plain JSON


@pytest.mark.parametrize("preset, least", [("moons", 0.95), ("depth", 0.9),
                                           ("sequences", 0.9), ("digits", 0.9)])
def test_every_preset_learns_in_both_frameworks(preset, least):
    defaults = presets.defaults(preset)
    result, records = train(preset=preset, boundary=False)
    assert result["status"] == "ok" and result["twin"]["status"] == "ok"
    for framework in ("torch", "tf"):
        rows = metrics(records, framework)
        assert rows[-1]["step"] == defaults["steps"]
        assert rows[-1]["loss"] < rows[0]["loss"] / 3, framework
    assert min(result["eval"][f]["accuracy"] for f in ("torch", "tf")) >= least


def test_learned_weights_classify_in_a_fresh_torch_model():
    """The TF twin's final weights, put into the torch model, classify the data: what the
    twin learned is the same model, counted without the trainers' code."""
    with loop.one_thread():
        run = loop.Run(TrainConfig.from_request({"preset": "depth", "boundary": False}))
        run.train()
    for framework, trainer in run.trainers.items():
        assert accuracy_in_torch("depth", trainer.weights(), 64) >= 0.9, framework


def hand_written_sgd(preset: str, lr: float, steps: int, seed: int = 0) -> list[float]:
    """The lessons' loop without torch.optim: p -= lr * p.grad, on the same batches."""
    dataset = data.build(presets.get(preset).data)
    program = snippet.load(presets.get(preset).code, seed=seed)
    params = [t for _, t in program.module_tensors() if t.requires_grad]
    batches = data.Batches(len(dataset), presets.defaults(preset)["batch_size"], seed)
    losses = []
    for step in range(steps):
        index = batches(step)
        x, y = torch.from_numpy(dataset.inputs[0][index]), torch.from_numpy(
            dataset.labels[index])
        loss = F.cross_entropy(program.forward(x), y)
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
        losses.append(loss.item())
    return losses


def test_plain_sgd_losses_agree_with_a_hand_written_loop_for_20_steps():
    result, records = train(preset="moons", optimizer="sgd", momentum=0.0, lr=0.5, steps=20,
                            log_every=1, boundary=False)
    truth = np.array(hand_written_sgd("moons", 0.5, 20))
    for framework in ("torch", "tf"):
        losses = np.array([r["loss"] for r in metrics(records, framework)])
        assert np.max(np.abs(losses - truth) / truth) < 1e-4, framework
    assert truth[-1] < truth[0] * 0.8  # they moved: the comparison is not of constants
    assert result["agreement"]["agree"] and result["agreement"]["max_rel_first"] < 1e-4


@pytest.mark.parametrize("request_", [{"optimizer": "adam", "lr": 0.05},
                                      {"optimizer": "sgd", "momentum": 0.9, "lr": 0.3,
                                       "clip": 0.05}])
def test_tf_updates_follow_torch_optim_step_for_step(request_):
    """Adam, and SGD with momentum and clip_grad_norm_ (0.05 clips every step), written by
    hand in TF, follow torch.optim's losses and weights."""
    with loop.one_thread():
        run = loop.Run(TrainConfig.from_request({"preset": "moons", "steps": 20, "log_every": 1,
                                                 "boundary": False, **request_}))
        run.train()
    torch_losses = [r["loss"] for r in run.records if r["framework"] == "torch"]
    tf_losses = [r["loss"] for r in run.records if r["framework"] == "tf"]
    np.testing.assert_allclose(tf_losses, torch_losses, rtol=1e-4)
    assert all(r["grad_norm"] > 0.05 for r in run.records if r["framework"] == "torch")
    for path, value in run.torch.weights().items():
        np.testing.assert_allclose(run.tf.weights()[path], value, rtol=1e-4, atol=1e-5)
    start = run.torch.initial
    assert any(not np.allclose(start[p], v) for p, v in run.torch.weights().items())


def test_stop_keeps_what_was_learned_so_far():
    records: list[dict] = []
    asked = {"n": 0}

    def stop() -> bool:  # the user presses Stop once three records are on the chart
        asked["n"] += 1
        return len(records) >= 4

    with loop.one_thread():
        run = loop.Run(TrainConfig.from_request({"preset": "moons", "steps": 300,
                                                 "boundary": False}), records.append, stop)
        run.emit(run.setup_record())
        run.train()
        result = run.result()
    assert result["stopped"] and result["halted"] == "stop"
    done = result["steps_done"]
    assert done["torch"] == done["tf"] < 300  # the second framework caught up
    for framework in ("torch", "tf"):
        rows = metrics(records, framework)
        assert rows[-1]["step"] == done[framework] == result["final"][framework]["step"]
        assert rows[-1] == result["final"][framework]
        assert result["eval"][framework]["accuracy"] == pytest.approx(
            accuracy_in_torch("moons", run.trainers[framework].weights(), 64))
    assert result["eval"]["torch"]["accuracy"] > 0.75  # learned something before the stop


SQUARES = """import torch

w = torch.ones(3, requires_grad=True)


def inputs():
    return (torch.tensor([1.0, 2.0, 3.0]),)


def forward(x):
    return (w - x) ** 2  # not a scalar: the loss is its sum
"""


def test_snippet_preset_minimises_what_forward_returns():
    """loss(w) = |w - x|^2; SGD with lr 0.1 shrinks w - x by 0.8 a step, so loss_k is
    0.64^k times the first: algebra, not the trainer, says so."""
    result, records = train(preset="snippet", code=SQUARES, optimizer="sgd", momentum=0.0,
                            lr=0.1, steps=10, log_every=1)
    expected = 5.0 * 0.64 ** np.arange(10)  # |(1,1,1) - (1,2,3)|^2 = 5
    for framework in ("torch", "tf"):
        rows = metrics(records, framework)
        np.testing.assert_allclose([r["loss"] for r in rows], expected, rtol=1e-5)
        assert all(r["accuracy"] is None for r in rows)
        assert rows[0]["layers"] == {"w": pytest.approx(2 * 5 ** 0.5)}  # |2(w - x)|
    assert result["eval"] == {"torch": {}, "tf": {}}


CUSTOM_FUNCTION = """import torch


class Double(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return 2 * x

    @staticmethod
    def backward(ctx, grad):
        return 2 * grad


w = torch.ones(2, requires_grad=True)


def inputs():
    return (torch.ones(2),)


def forward(x):
    return Double.apply(w * x).sum()
"""


def test_a_snippet_without_twin_trains_in_torch_and_says_why():
    result, records = train(preset="snippet", code=CUSTOM_FUNCTION, steps=3, log_every=1)
    assert result["twin"]["status"] == "no-twin"
    assert "autograd.Function" in result["twin"]["message"]
    assert [r["framework"] for r in metrics(records, "torch")] == ["torch"] * 3
    assert records[0]["frameworks"] == ["torch"]
    only_tf, _ = train(preset="snippet", code=CUSTOM_FUNCTION, steps=3, frameworks=["tf"])
    assert only_tf["status"] == "no-twin" and "line 4" in only_tf["message"]


def test_job_streams_records_and_reports_user_errors(monkeypatch):
    from explorer.jobs import train as job
    from explorer.sandbox import channel

    monkeypatch.setattr(channel, "kept", [])
    result = job.run({"preset": "moons", "frameworks": ["torch"], "steps": 20})
    assert result["status"] == "ok" and result["steps_done"] == {"torch": 20}
    assert [r["kind"] for r in channel.kept][:3] == ["setup", "metrics", "boundary"]
    broken = job.run({"preset": "snippet", "code": "import torch\n\ndef forward(x):\n"
                      "    return x +* 2\n"})
    assert (broken["status"], broken["line"]) == ("syntax", 4)
    assert job.run({"preset": "moons", "lr": -1})["status"] == "error"


def test_speed_rows_for_the_four_variants(monkeypatch):
    """Each variant is timed; torch.compile, made to fail, says why instead of a rate."""
    from explorer.training import speed

    def refuse(*args, **kwargs):
        raise PermissionError("[Errno 1] Operation not permitted")

    monkeypatch.setattr(torch, "compile", refuse)
    with loop.one_thread():
        run = loop.Run(TrainConfig.from_request({"preset": "moons", "steps": 10,
                                                 "boundary": False}))
        run.train()
        rows = speed.measure(run, emit=lambda r: None, seconds=0.05)
    assert [r["variant"] for r in rows] == ["torch eager", "TF eager", "tf.function",
                                            "torch.compile"]
    assert all(r["steps_per_s"] > 0 and r["steps"] >= 5 for r in rows[:3])
    assert rows[3]["status"] == "not available" and "sandbox" in rows[3]["reason"]


def test_a_run_out_of_time_stops_itself_and_keeps_its_records():
    """The job gives training a time budget below the sandbox's wall clock, so a long run
    ends with a result instead of being killed; a budget of 0 ends it after one step."""
    result, records = train(preset="moons", steps=300, time_budget_s=0.0, boundary=False)
    assert result["halted"] == "time" and not result["stopped"]
    assert result["steps_done"] == {"torch": 1, "tf": 1}
    assert [r["step"] for r in metrics(records, "tf")] == [1]
