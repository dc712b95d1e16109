"""The ``environment`` job: what the worker's torch sees (GPU or not), for the device picker.
On a CPU build the server knows without a worker (``torch_build``)."""
from __future__ import annotations

import torch

from explorer import torch_build


def run(request: dict) -> dict:
    cuda = torch.cuda.is_available()
    devices = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] \
        if cuda else []
    return {"status": "ok", "torch": torch.__version__, "cuda": cuda, "cuda_devices": devices,
            "cuda_version": torch.version.cuda, "source": "worker",
            "reason": None if cuda else (
                torch_build.CPU_BUILD if torch.version.cuda is None else torch_build.NO_DEVICE)}
