"""Uid slots: each live worker holds one (its uid is ``UID_BASE + slot`` on a root host), so
two live workers never share a uid and RLIMIT_NPROC stays per worker. A slot given back goes
to the end of the line: the worker that held it may still be ending."""
from __future__ import annotations

import collections


class Slots:
    """Slots ``first`` to ``first + count - 1``, handed out oldest-returned first."""

    def __init__(self, first: int, count: int) -> None:
        self.free = collections.deque(range(first, first + count))

    def __bool__(self) -> bool:
        return bool(self.free)

    def take(self) -> int:
        """A free slot (IndexError when none is)."""
        return self.free.popleft()

    def give_back(self, slot: int) -> None:
        self.free.append(slot)
