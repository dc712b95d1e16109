"""TensorFlow twins of torch.nn's normalisation, flatten, the dropout family, embeddings, containers and linear forms: torch's parameter names and layouts, so
the torch run's values copy over by path. Part of the twin runtime (``explorer.twin.lib``)."""
from __future__ import annotations

from typing import Any

import tensorflow as tf

from explorer.twin.lib import Module, _uniform, do_not_convert, linear

__all__: list[str] = []
