"""One training run's settings: the request of the ``train`` job, checked, with the preset's
defaults filled in. Pure: the page and the CLI build requests with it."""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from explorer.training import presets

FRAMEWORKS = ("torch", "tf")
OPTIMIZERS = ("sgd", "adam")
MODES = ("train", "eval")
MAX_STEPS = 20_000
MAX_BATCH = 4096
BOUNDARY_GRIDS = 3  # decision-boundary grids per run, at most (2-D data only)
ADAM_BETAS = (0.9, 0.999)  # torch.optim.Adam's defaults; the TF side uses the same
ADAM_EPS = 1e-8
CLIP_EPS = 1e-6            # clip_grad_norm_: coefficient max_norm / (total_norm + 1e-6)
PREDICT_BATCH = 1024       # rows per forward call when predicting (a boundary grid)


@dataclass(frozen=True)
class TrainConfig:
    preset: str = "spirals"            # a preset name, or presets.SNIPPET with ``code``
    code: str | None = None            # the snippet's text, for presets.SNIPPET
    frameworks: tuple[str, ...] = FRAMEWORKS
    optimizer: str = "adam"            # "sgd" (with momentum) or "adam"
    lr: float = 0.01
    momentum: float = 0.9              # SGD only; 0 is plain SGD
    batch_size: int = 64
    steps: int = 400
    clip: float | None = None          # max global gradient norm (clip_grad_norm_)
    mode: str = "train"                # the model's mode while it trains (dropout on or off)
    device: str = "cpu"                # torch's device; the twin always runs on the CPU
    seed: int = 0                      # weights (torch.manual_seed) and the batch order
    log_every: int = 10                # steps per streamed metrics record
    boundary: bool = True              # stream decision-boundary grids (2-D data)
    speed: bool = False                # measure steps/s of the four variants afterwards
    time_budget_s: float | None = None  # stop training after this long (the job sets it)

    @property
    def snippet(self) -> bool:
        return self.preset == presets.SNIPPET

    @property
    def model_code(self) -> str:
        return self.code if self.snippet else presets.get(self.preset).code

    def predict_batch(self) -> int:
        """Rows per forward call for predictions (accuracy, boundary grids): the training
        batch where the model's graph depends on the whole batch (a Python if on its
        values), so it predicts as it trained; else one call for a whole data set, padded
        to one shape so that the twin's predict function is traced once."""
        if not self.snippet and presets.get(self.preset).batch_dependent:
            return self.batch_size
        return PREDICT_BATCH

    def boundary_every(self) -> int:
        """Steps between boundary grids: a multiple of ``log_every``, at most
        ``BOUNDARY_GRIDS`` per run, so drawing costs the loop little."""
        grids = max(1, math.ceil(self.steps / self.log_every / BOUNDARY_GRIDS))
        return grids * self.log_every

    def to_request(self) -> dict:
        data = dataclasses.asdict(self)
        data["frameworks"] = list(self.frameworks)
        return {k: v for k, v in data.items() if v is not None}

    @classmethod
    def from_request(cls, request: dict) -> TrainConfig:
        """The preset's defaults, overridden by the request; raises ValueError with a
        message for the user when a value is out of range."""
        preset = str(request.get("preset", cls.preset))
        if preset != presets.SNIPPET and preset not in presets.PRESETS:
            raise ValueError(f"Unknown preset {preset!r}: choose one of "
                             f"{', '.join(presets.PRESETS)} or {presets.SNIPPET!r}.")
        values = {**presets.defaults(preset),
                  **{k: v for k, v in request.items() if k in FIELDS and v is not None}}
        values["preset"] = preset
        config = cls(**_coerce(values))
        config.check()
        return config

    def check(self) -> None:
        problems = []
        if self.snippet and not (self.code or "").strip():
            problems.append("the snippet preset needs the code to train")
        if not self.frameworks or any(f not in FRAMEWORKS for f in self.frameworks):
            problems.append(f"frameworks must be some of {', '.join(FRAMEWORKS)}")
        if self.optimizer not in OPTIMIZERS:
            problems.append(f"optimizer must be one of {', '.join(OPTIMIZERS)}")
        if self.mode not in MODES:
            problems.append(f"mode must be one of {', '.join(MODES)}")
        if not (math.isfinite(self.lr) and 0 < self.lr <= 10):
            problems.append("the learning rate must be above 0 and at most 10")
        if not 0 <= self.momentum < 1:
            problems.append("momentum must be in [0, 1)")
        if not 1 <= self.batch_size <= MAX_BATCH:
            problems.append(f"the batch size must be from 1 to {MAX_BATCH}")
        if not 1 <= self.steps <= MAX_STEPS:
            problems.append(f"steps must be from 1 to {MAX_STEPS:,}")
        if self.clip is not None and not (math.isfinite(self.clip) and self.clip > 0):
            problems.append("gradient clipping needs a norm above 0")
        if self.log_every < 1:
            problems.append("log_every must be at least 1")
        if problems:
            raise ValueError("Cannot train: " + "; ".join(problems) + ".")


FIELDS = {f.name for f in dataclasses.fields(TrainConfig)}
_TYPES = {"lr": float, "momentum": float, "clip": float, "time_budget_s": float,
          "batch_size": int, "steps": int, "seed": int, "log_every": int,
          "boundary": bool, "speed": bool, "optimizer": str, "mode": str, "device": str}


def _coerce(values: dict) -> dict:
    out = dict(values)
    try:
        for key, kind in _TYPES.items():
            if out.get(key) is not None:
                out[key] = kind(out[key])
    except (TypeError, ValueError) as err:
        raise ValueError(f"Cannot train: {key} must be a {kind.__name__} ({err}).") from None
    frameworks = out.get("frameworks", FRAMEWORKS)
    out["frameworks"] = (frameworks,) if isinstance(frameworks, str) else tuple(frameworks)
    return out
