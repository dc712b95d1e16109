"""The ``environment`` job: what the worker's torch sees (GPU or not), for the device picker."""
from __future__ import annotations

import torch


def run(request: dict) -> dict:
    cuda = torch.cuda.is_available()
    devices = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] \
        if cuda else []
    return {"status": "ok", "torch": torch.__version__, "cuda": cuda, "cuda_devices": devices,
            "cuda_version": torch.version.cuda,
            "reason": None if cuda else (
                "this server's PyTorch is a CPU build" if torch.version.cuda is None
                else "no CUDA device is visible to the worker")}
