"""Find repeated identical chains (loop iterations, recursion) in a graph's op order.

A block is ``copies`` consecutive runs of ``period`` ops whose signatures match: same op, same
shape, and inputs at the same relative distance (or the same leaf). ``render`` draws one copy
with an "x N" badge. Pure presentation: the graph itself is never changed.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explorer.graph import Graph

MAX_PERIOD = 512
MIN_COPIES = 2
MIN_NODES = 4


@dataclass(frozen=True)
class Block:
    start: int    # position in the op order of the first op of the first copy
    period: int   # ops per copy
    copies: int

    @property
    def end(self) -> int:
        return self.start + self.period * self.copies

    def copy_and_offset(self, position: int) -> tuple[int, int]:
        return divmod(position - self.start, self.period)


def op_order(graph: Graph, skip_ops: frozenset[str] = frozenset({"AccumulateGrad"})) -> list[str]:
    """Ids of the op nodes in graph order (for torch: the order forward created them)."""
    return [n.id for n in graph.nodes if n.kind == "op" and n.op not in skip_ops]


def signatures(graph: Graph, order: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """One integer per op: equal integers mean equal op, shape and relative inputs; and
    whether each op starts a fresh chain (no input from another op in the order)."""
    position = {node_id: i for i, node_id in enumerate(order)}
    nodes = graph.by_id()
    incoming = graph.inputs_of()
    codes: dict[tuple, int] = {}
    out = np.empty(len(order), dtype=np.int64)
    fresh = np.ones(len(order), dtype=bool)
    for i, node_id in enumerate(order):
        node = nodes[node_id]
        refs = tuple((e.kind, i - position[e.src]) if e.src in position else (e.kind, e.src)
                     for e in incoming.get(node_id, []))
        key = (node.op, tuple(node.shape or ()), refs)
        out[i] = codes.setdefault(key, len(codes))
        fresh[i] = not any(isinstance(ref, int) for _, ref in refs)
    return out, fresh


def find_blocks(codes: np.ndarray, fresh: np.ndarray | None = None) -> list[Block]:
    """Non-overlapping tandem repeats, the ones covering the most ops first.

    Where ``fresh`` says which ops start a new chain, each repeat is shifted to begin at
    one (``t, addmm, add, tanh`` rather than ``tanh, t, addmm, add``), as the code reads."""
    n = len(codes)
    candidates: list[tuple[int, int, int, int, int]] = []  # (-covered, period, start, copies, end)
    for period in range(1, min(MAX_PERIOD, n // 2) + 1):
        same = codes[:-period] == codes[period:]
        if not same.any():
            continue
        # Runs of True in ``same``: a run of length r at s gives r // period + 1 copies at s.
        padded = np.concatenate(([False], same, [False]))
        bounds = np.flatnonzero(padded[1:] != padded[:-1])
        starts, lengths = bounds[::2], bounds[1::2] - bounds[::2]
        copies = lengths // period + 1
        keep = (copies >= MIN_COPIES) & (copies * period >= MIN_NODES)
        # The periodic stretch a run stands for ends ``period`` ops after the run.
        candidates.extend((-int(c) * period, period, int(s), int(c), int(s + r + period))
                          for s, c, r in zip(starts[keep], copies[keep], lengths[keep]))
    candidates.sort()
    taken = np.zeros(n, dtype=bool)
    blocks: list[Block] = []
    for _, period, start, copies, end in candidates:
        block = _phase(Block(start, period, copies), end, fresh)
        if not taken[block.start:block.end].any():
            taken[block.start:block.end] = True
            blocks.append(block)
    return sorted(blocks, key=lambda b: b.start)


def _phase(block: Block, end: int, fresh: np.ndarray | None) -> Block:
    """Shift ``block`` inside its periodic stretch ``[start, end)`` to a fresh chain start."""
    if fresh is None or fresh[block.start]:
        return block
    for shift in range(1, block.period):
        if fresh[block.start + shift]:
            copies = (end - block.start - shift) // block.period
            if copies >= MIN_COPIES and copies * block.period >= MIN_NODES:
                return Block(block.start + shift, block.period, copies)
            break
    return block


def rolled_blocks(graph: Graph) -> tuple[list[str], list[Block]]:
    order = op_order(graph)
    return order, find_blocks(*signatures(graph, order)) if order else []
