"""GPU runs through the sandbox (a worker of their own that initialises CUDA, with the layers
loosened just enough for CUDA): skipped without a CUDA device. On a GPU host these check that
a lesson's graph is captured on the GPU, that its gradients match torch's own backward on the
GPU in this process, and that the layers that still hold do hold."""
from __future__ import annotations

import pytest
import torch

from explorer import jobs, lessons, sandbox

sandbox.registry.use(jobs.TABLE)
pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def test_a_lessons_graph_is_captured_on_the_gpu():
    result = sandbox.run_job("graph", {"code": lessons.get("variable_length_rnn").code,
                                       "seed": 0, "device": "cuda"}, timeout=120, gpu=True)
    assert result["status"] == "ok", result
    devices = {n.get("device") for n in result["graph"]["nodes"] if n.get("device")}
    assert devices == {"cuda:0"}, devices


def test_gpu_gradients_in_a_worker_match_torch_here():
    code = ("import torch\nw = torch.arange(4.0, requires_grad=True)\n\n\ndef inputs():\n"
            "    return torch.ones(4)\n\n\ndef forward(x):\n    return (w * x).exp().sum()\n")
    result = sandbox.run_job("grads", {"code": code, "seed": 0, "device": "cuda"}, timeout=120,
                             gpu=True)
    assert result["status"] == "ok", result
    w = torch.arange(4.0, device="cuda", requires_grad=True)
    (w * torch.ones(4, device="cuda")).exp().sum().backward()
    assert result["leaves"]["w"]["grad"] == pytest.approx(w.grad.cpu().tolist(), rel=1e-5)


@pytest.mark.parametrize("snippet, refused", [
    ("import socket\nsocket.socket(socket.AF_INET).connect(('127.0.0.1', 22))\n", "network"),
    ("open('/etc/explorer-gpu-test', 'w').write('x')\n", "file"),
    ("import os\nos.fork()\n", "process"),
])
def test_the_layers_that_stay_hold_on_a_gpu_run(snippet, refused):
    code = "import torch\n" + snippet + lessons.get("data_dependent_if").code
    result = sandbox.run_job("run", {"code": code, "device": "cuda"}, timeout=120, gpu=True)
    assert result["status"] == "blocked" and result["blocked"] == refused, result


@pytest.mark.parametrize("preset", ["spirals", "sequences", "digits"])
def test_presets_train_on_the_gpu_in_a_worker(preset):
    """The whole training job on the GPU: CUDA's libraries need gigabytes of host memory
    beyond the run's limit, and a preset must make its tensors on its input's device."""
    request = {"preset": preset, "frameworks": ["torch"], "device": "cuda", "steps": 200,
               "boundary": False, "speed": False}
    result = sandbox.run_job("train", request, timeout=300, gpu=True)
    assert result["status"] == "ok", result
    assert result["steps_done"] == {"torch": 200}
    assert result["eval"]["torch"]["accuracy"] > 0.9, result["eval"]


def test_the_device_picker_sees_the_gpu():
    """What the pages ask (pages/ui/devices.py): as a GPU run, the only kind of worker in
    which CUDA can initialise."""
    result = sandbox.run_job("environment", {"device": "cuda"}, timeout=120, gpu=True)
    assert result["status"] == "ok" and result["cuda"] is True, result
    assert result["cuda_devices"] == [torch.cuda.get_device_name(0)]
