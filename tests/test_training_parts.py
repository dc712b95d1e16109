"""The training engine's parts on their own: settings, data sets and batch order, the TF
update rules against torch.optim on one tensor, the agreement verdict, the CSV."""
from __future__ import annotations

import csv
import io
import subprocess
import sys

import numpy as np
import pytest
import torch

from explorer.training import compare, data, presets
from explorer.training.config import BOUNDARY_GRIDS, TrainConfig


def test_a_request_takes_the_presets_defaults_and_overrides_them():
    config = TrainConfig.from_request({"preset": "digits"})
    assert (config.optimizer, config.lr, config.steps) == ("adam", 0.005, 300)
    config = TrainConfig.from_request({"preset": "digits", "lr": "0.1", "frameworks": "tf"})
    assert (config.lr, config.frameworks) == (0.1, ("tf",))
    assert TrainConfig.from_request(config.to_request()) == config


@pytest.mark.parametrize("request_, words", [
    ({"preset": "nope"}, "Unknown preset"), ({"lr": 0}, "learning rate"),
    ({"steps": 0}, "steps"), ({"optimizer": "rmsprop"}, "optimizer"),
    ({"frameworks": ["jax"]}, "frameworks"), ({"clip": -1}, "clipping"),
    ({"preset": "snippet"}, "needs the code"), ({"batch_size": "many"}, "batch_size")])
def test_bad_settings_are_refused_with_a_reason(request_, words):
    with pytest.raises(ValueError, match=words):
        TrainConfig.from_request(request_)


def test_boundary_grids_are_few_and_on_record_steps():
    config = TrainConfig(steps=400, log_every=10)
    every = config.boundary_every()  # a multiple of log_every, BOUNDARY_GRIDS per run at most
    assert every % 10 == 0 and 400 / every <= BOUNDARY_GRIDS < 400 / (every - 10)
    every = TrainConfig(steps=5000, log_every=100).boundary_every()
    assert every % 100 == 0 and 5000 / every <= BOUNDARY_GRIDS


@pytest.mark.parametrize("name", presets.names())
def test_presets_are_snippets_whose_data_set_fits_their_model(name):
    preset = presets.get(name)
    dataset = data.build(preset.data)
    assert len(dataset.labels) == len(dataset.inputs[0]) >= 600
    assert set(np.unique(dataset.labels)) == set(range(dataset.classes))
    assert np.bincount(dataset.labels).min() > len(dataset) / dataset.classes / 2
    assert all(a.dtype in (np.float32, np.int64) for a in dataset.inputs)
    assert "def forward" in preset.code and "def inputs" in preset.code
    assert data.build(preset.data).inputs[0].tobytes() == dataset.inputs[0].tobytes()


def test_digits_come_from_the_wheel_without_a_download():
    """scikit-learn reads the digits from a file inside its package."""
    dataset = data.digits()
    assert dataset.inputs[0].shape == (1797, 64) and dataset.classes == 10
    assert dataset.inputs[0].min() >= 0 and dataset.inputs[0].max() <= 1


def test_sequences_are_padded_past_their_length():
    dataset = data.sequences()
    waves, lengths = dataset.inputs
    assert waves.shape == (1000, 20, 1) and lengths.min() >= 4 and lengths.max() == 20
    for row, n in zip(waves[:50], lengths[:50]):
        assert not row[n:].any() and row[:n].any()


def test_batches_are_full_permutations_the_same_for_every_caller():
    batches = data.Batches(10, 3, seed=7)
    epoch = np.concatenate([batches(s) for s in range(3)])
    assert len(set(epoch)) == 9 and all(len(batches(s)) == 3 for s in range(10))
    again = data.Batches(10, 3, seed=7)
    assert [again(s).tolist() for s in (5, 0, 4)] == [batches(s).tolist() for s in (5, 0, 4)]
    assert data.Batches(10, 3, seed=8)(0).tolist() != batches(0).tolist()
    assert data.Batches(4, 64, seed=0).batch_size == 4


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam", "clip"])
def test_tf_update_rules_match_torch_optim_on_one_tensor(name):
    """Five steps with the same gradients: torch.optim (the truth) and tf_optim."""
    import tensorflow as tf

    from explorer.training import tf_optim

    rng = np.random.default_rng(0)
    start = rng.normal(size=(4, 3)).astype(np.float32)
    grads = [rng.normal(size=(4, 3)).astype(np.float32) * 3 for _ in range(5)]
    p = torch.nn.Parameter(torch.from_numpy(start.copy()))
    v = tf.Variable(start.copy())
    optimizers = {"sgd": (torch.optim.SGD([p], lr=0.1), tf_optim.SGD([v], 0.1, 0.0)),
                  "momentum": (torch.optim.SGD([p], lr=0.1, momentum=0.9),
                               tf_optim.SGD([v], 0.1, 0.9)),
                  "adam": (torch.optim.Adam([p], lr=0.01), tf_optim.Adam([v], 0.01)),
                  "clip": (torch.optim.SGD([p], lr=0.1), tf_optim.SGD([v], 0.1, 0.0))}
    torch_opt, tf_opt = optimizers[name]
    for g in grads:
        p.grad = torch.from_numpy(g.copy())
        g_tf = [tf.constant(g)]
        if name == "clip":
            torch.nn.utils.clip_grad_norm_([p], 1.0)
            g_tf = tf_optim.clip(g_tf, tf_optim.norms(g_tf), 1.0)
        torch_opt.step()
        tf_opt.apply(g_tf, [v])
    np.testing.assert_allclose(v.numpy(), p.detach().numpy(), rtol=1e-6, atol=1e-7)
    assert not np.allclose(v.numpy(), start)


def records(losses: dict[str, list[float]], every: int = 10) -> dict[str, list[dict]]:
    return {f: [{"step": every * (k + 1), "loss": x} for k, x in enumerate(values)]
            for f, values in losses.items()}


def test_agreement_names_where_the_curves_part():
    rows = records({"torch": [1.0, 0.5, 0.30, 0.20, 0.10],
                    "tf": [1.0, 0.50000001, 0.30, 0.205, 0.12]})
    found = compare.agreement(rows["torch"], rows["tf"])
    assert found["agree"] and found["first_steps"] == 20
    assert found["diverge_step"] == 40 and found["max_abs"] == pytest.approx(0.02)
    assert "from step 40 they differ by more than 1%" in found["message"]
    same = compare.agreement(rows["torch"], rows["torch"])
    assert same["diverge_step"] is None and same["max_abs"] == 0
    noisy = compare.agreement(rows["torch"], records({"tf": [1.1] * 5})["tf"], dropout=True)
    assert not noisy["agree"] and "Dropout" in noisy["message"]
    assert compare.agreement(rows["torch"], [])["compared"] == 0


def test_metrics_csv_has_a_row_per_record_and_a_column_per_layer():
    from pages.ui.training_history import to_csv

    run = {"n": 2, "request": {"preset": "moons", "optimizer": "adam", "lr": 0.01,
                               "batch_size": 64, "seed": 0},
           "records": [{"kind": "setup"},
                       {"kind": "metrics", "framework": "torch", "step": 10, "loss": 0.5,
                        "accuracy": 0.75, "grad_norm": 0.3, "elapsed_s": 0.1,
                        "layers": {"model.0": 0.1, "model.2": 0.2}},
                       {"kind": "boundary"}]}
    table = list(csv.DictReader(io.StringIO(to_csv([run]))))
    assert len(table) == 1
    assert table[0]["run"] == "2" and table[0]["loss"] == "0.5"
    assert table[0]["grad_norm[model.2]"] == "0.2"


def test_the_app_side_imports_neither_torch_nor_tensorflow():
    code = ("import sys; import explorer.training.config, explorer.training.compare, "
            "explorer.commands.train, pages.ui.training_controls, pages.ui.training_live; "
            "print(sorted(m for m in ('torch', 'tensorflow') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"
