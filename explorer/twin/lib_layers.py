"""TensorFlow twins of torch.nn's layers family: normalisation (``lib_layers_norm``,
``lib_layers_batch``), flatten, the dropout family and linear forms (``lib_layers_blocks``),
embeddings (``lib_layers_embedding``) and containers (``lib_layers_containers``), gathered here
for the twin runtime (``explorer.twin.lib`` re-exports this module's ``__all__``).
"""
from __future__ import annotations

from explorer.twin import (
    lib_layers_batch,
    lib_layers_blocks,
    lib_layers_containers,
    lib_layers_embedding,
    lib_layers_norm,
)
from explorer.twin.lib_layers_batch import *  # noqa: F403
from explorer.twin.lib_layers_blocks import *  # noqa: F403
from explorer.twin.lib_layers_containers import *  # noqa: F403
from explorer.twin.lib_layers_embedding import *  # noqa: F403
from explorer.twin.lib_layers_norm import *  # noqa: F403

__all__ = [name for family in (lib_layers_norm, lib_layers_batch, lib_layers_blocks,
                               lib_layers_embedding, lib_layers_containers)
           for name in family.__all__]
