"""The twin's table rows for torch.nn's activation functions (as modules and functions): class names with a twin in
``explorer.twin.lib_activations`` and the rules of their functional forms. Pure text, like ``table``."""
from __future__ import annotations

from explorer.twin.rules import Rule

CLASSES: tuple[str, ...] = ()
FUNCTIONS: dict[str, tuple[Rule, ...]] = {}
METHODS: dict[str, tuple[Rule, ...]] = {}
