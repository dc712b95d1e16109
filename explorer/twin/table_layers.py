"""The twin's table rows for torch.nn's normalisation, flatten, the dropout family, embeddings, containers and linear forms: class names with a twin in
``explorer.twin.lib_layers`` and the rules of their functional forms. Pure text, like ``table``."""
from __future__ import annotations

from explorer.twin.rules import Rule

CLASSES: tuple[str, ...] = ()
FUNCTIONS: dict[str, tuple[Rule, ...]] = {}
METHODS: dict[str, tuple[Rule, ...]] = {}
