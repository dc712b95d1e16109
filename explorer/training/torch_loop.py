"""The PyTorch side: the model snippet loaded as a program and trained the way the lessons
end, ``optimizer.zero_grad()``, forward, loss, ``loss.backward()``, ``optimizer.step()``.

A step returns tensors without reading them (no ``.item()``), so the loop only pays for a
device sync on the steps it records."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from explorer import snippet
from explorer.training import metrics
from explorer.training.config import ADAM_BETAS, ADAM_EPS, TrainConfig
from explorer.training.data import Batches, DataSet

StepOut = tuple[Any, Any, Any]  # loss, what counts the right ones (or None), norms (or None)


def array(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().cpu().numpy().copy()


def make_optimizer(params: list[torch.Tensor], config: TrainConfig) -> torch.optim.Optimizer:
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum)
    return torch.optim.Adam(params, lr=config.lr, betas=ADAM_BETAS, eps=ADAM_EPS)


def chunks(arrays: tuple[np.ndarray, ...], size: int):
    """Rows of ``arrays`` in chunks of exactly ``size`` (the last one padded with copies of
    its first row), with how many rows of each chunk are real: every forward call sees a
    batch of the training shape, so a traced function is traced once."""
    total = len(arrays[0])
    for start in range(0, total, size):
        part = [a[start:start + size] for a in arrays]
        real = len(part[0])
        if real < size:
            part = [np.concatenate([p, np.repeat(p[:1], size - real, axis=0)]) for p in part]
        yield part, real


class TorchTrainer:
    """One model, its optimizer and its data on ``config.device``."""

    framework = "torch"

    def __init__(self, config: TrainConfig, dataset: DataSet | None) -> None:
        self.config, self.dataset = config, dataset
        self.program = snippet.load(config.model_code, seed=config.seed, device=config.device)
        self.device = self.program.device
        named = self.program.module_tensors()
        self.initial = {path: array(t) for path, t in named}  # where the twin starts from
        trainable = [(p, t) for p, t in named if t.requires_grad and t.is_leaf]
        if not trainable:
            raise snippet.SnippetError(
                "error", "Nothing to train: no module-level tensor requires grad. Build the "
                "layers (nn.Linear...) or tensors with requires_grad=True at module level.",
                error_type="ContractError")
        self.paths = [p for p, _ in trainable]
        self.params = [t for _, t in trainable]
        self.groups = metrics.layers(self.paths)
        self.optimizer = make_optimizer(self.params, config)
        self.training = config.mode == "train"
        self.set_mode(self.training)
        self.loss_fn: Callable[..., tuple[torch.Tensor, torch.Tensor | None]] = self.loss
        if dataset is not None:
            self.batches = Batches(len(dataset), config.batch_size, config.seed)
            self.predict_batch = config.predict_batch()
            self.inputs = tuple(torch.from_numpy(a).to(self.device) for a in dataset.inputs)
            self.labels = torch.from_numpy(dataset.labels).to(self.device)

    def set_mode(self, training: bool) -> None:
        for _, module in self.program.modules():
            module.train(training)

    def loss(self, *args: Any) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Cross entropy of forward's logits (a preset), or the sum of what forward
        returns (a snippet: everything that requires grad, summed, as its backward does)."""
        *inputs, labels = args
        if labels is None:
            outputs = snippet.output_tensors(self.program.forward(*inputs), self.program.forward)
            terms = [o.sum() for o in outputs if o.requires_grad]
            if not terms:
                raise snippet.SnippetError(
                    "error", "Nothing to minimise: the output of forward does not require "
                    "grad.", hint=snippet.hint_for("does not require grad and does not have "
                                                   "a grad_fn"), error_type="RuntimeError")
            return (terms[0] if len(terms) == 1 else torch.stack(terms).sum()), None
        logits = self.program.forward(*inputs)
        return F.cross_entropy(logits, labels), logits

    def batch(self, step: int) -> tuple:
        """forward's arguments for ``step``, then the labels (None for a snippet)."""
        if self.dataset is None:
            return (*self.program.args, None)
        index = torch.from_numpy(self.batches(step)).to(self.device)
        return (*(a[index] for a in self.inputs), self.labels[index])

    def step(self, step: int, log: bool = False, count: bool = False) -> StepOut:
        """One optimisation step on the batch of ``step``. With ``log``, the gradient norm of
        each parameter (before clipping) comes back too; with ``count``, what ``right``
        needs to count the examples the model (before the update) classified right: the
        logits and labels, so that counting costs one set of ops per record, not per step."""
        try:
            self.optimizer.zero_grad()
            *args, labels = self.batch(step)
            loss, logits = self.loss_fn(*args, labels)
            loss.backward()
        except snippet.SnippetError:
            raise
        except Exception as exc:  # the model is user code
            raise snippet.as_user_error(exc, "training step") from None
        norms = None
        if log:  # one call for every gradient's norm (clip_grad_norm_ uses it too)
            norms = torch.stack(torch._foreach_norm(
                [p.grad if p.grad is not None else torch.zeros_like(p) for p in self.params]))
        if self.config.clip is not None:
            torch.nn.utils.clip_grad_norm_(self.params, self.config.clip)
        self.optimizer.step()
        tally = (logits, labels) if count and logits is not None else None
        return loss, tally, norms  # not detached (an op each): read under no_grad

    @torch.no_grad()
    def numbers(self, tensors: list[torch.Tensor]) -> list[float]:
        """Scalar step outputs as Python numbers: one device sync for the lot."""
        return torch.stack(tensors).tolist()

    def vector(self, tensor: torch.Tensor) -> list[float]:
        return tensor.tolist()

    @torch.no_grad()
    def right(self, tallies: list[tuple[torch.Tensor, torch.Tensor]]) -> int:
        """Examples classified right in the steps of ``tallies``."""
        logits = torch.stack([t[0] for t in tallies])
        labels = torch.stack([t[1] for t in tallies])
        return int((logits.argmax(-1) == labels).sum())

    @torch.no_grad()
    def predict(self, arrays: tuple[np.ndarray, ...]) -> np.ndarray:
        """forward's logits for every row of ``arrays``, in eval mode, a batch at a time."""
        self.set_mode(False)
        try:
            out = []
            for part, real in chunks(arrays, self.predict_batch):
                logits = self.program.forward(*(torch.from_numpy(p).to(self.device)
                                                for p in part))
                out.append(logits[:real].float().cpu().numpy())
            return np.concatenate(out)
        finally:
            self.set_mode(self.training)

    def weights(self) -> dict[str, np.ndarray]:
        return {path: array(t) for path, t in zip(self.paths, self.params)}

    def sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
