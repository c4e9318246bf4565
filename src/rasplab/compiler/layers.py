"""Pass 4: layer allocation — each op to the earliest sublayer its inputs allow, then residual
dimensions to spaces, reusing the dimensions of values no later sublayer reads.

Sublayer 2L is layer L's attention, 2L+1 its MLP. A dead space's dimensions are erased by
clearing units added to the first MLP at or after its last read, and are free after that MLP.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rasplab.compiler.lower import Lowered
from rasplab.compiler.mlp import clearing_units
from rasplab.compiler.residual import AttnOp, CatRep, Lin, MLPOp, Op, Space

NEVER = 10**9


@dataclass
class Layout:
    """Where everything went: ops by sublayer (clearing ops included), and residual width."""

    ops: list[Op]
    n_layers: int
    d_model: int
    spaces: list[Space]
    reused_dims: int


def prune(lowered: Lowered) -> None:
    """Drop ops nothing reads (e.g. a width that is constant needs no attention head)."""
    needed = set(_output_spaces(lowered))
    live = []
    for op in reversed(lowered.ops):  # readers come after the ops they read
        if op.out in needed:
            live.append(op)
            needed |= op.reads()
    lowered.ops[:] = live[::-1]


def schedule(lowered: Lowered) -> int:
    """Give every op the earliest sublayer of its kind after the ops it reads; returns layers."""
    prune(lowered)
    last = -1
    for op in lowered.ops:  # ops were created children-first, so producers come first
        ready = max((s.op.sublayer for s in op.reads() if s.op is not None), default=-1)
        sub = ready + 1
        if isinstance(op, AttnOp) and sub % 2 == 1:
            sub += 1
        if isinstance(op, MLPOp) and sub % 2 == 0:
            sub += 1
        op.sublayer = sub
        last = max(last, sub)
    return 0 if last < 0 else last // 2 + 1


def _output_spaces(lowered: Lowered) -> set[Space]:
    rep = lowered.output
    lins: list[Lin] = rep.ind if isinstance(rep, CatRep) else [rep.lin]
    return {s for lin in lins for s in lin.spaces()}


def allocate(lowered: Lowered, n_layers: int, reuse: bool = True) -> Layout:
    """Assign residual dimensions; with `reuse`, dead spaces' dimensions are recycled."""
    ctx = lowered.ctx
    last_read: dict[Space, int] = {}
    for op in lowered.ops:
        for s in op.reads():
            last_read[s] = max(last_read.get(s, -1), op.sublayer)
    for s in _output_spaces(lowered):
        last_read[s] = NEVER
    for s in (ctx.one, ctx.bos):
        last_read[s] = NEVER

    embed = [ctx.one, ctx.bos, lowered.tokens] + ([lowered.indices] if lowered.indices else [])
    spaces = embed + [op.out for op in lowered.ops]
    written = {s: (-1 if s.op is None else s.op.sublayer) for s in spaces}
    order = sorted(spaces, key=lambda s: written[s])

    next_dim = 0
    pool: list[tuple[int, int, Space, int]] = []  # (free from sublayer, dim, old space, index)
    to_clear: dict[tuple[Space, int], list[int]] = {}
    reused = 0
    for space in order:
        if space not in last_read:  # never read (e.g. tokens of a program that ignores them)
            space.dims = []
            continue
        w = written[space]
        dims = []
        if reuse:
            pool.sort()
            while len(dims) < space.size and pool and pool[0][0] <= w:
                free_from, dim, old, index = pool.pop(0)
                clear_at = free_from - 1
                to_clear.setdefault((old, clear_at), []).append(index)
                dims.append(dim)
                reused += 1
        while len(dims) < space.size:
            dims.append(next_dim)
            next_dim += 1
        space.dims = dims
        r = last_read[space]
        if reuse and r < NEVER and space not in (ctx.one, ctx.bos):
            clear_at = r if r % 2 == 1 else r + 1
            pool += [(clear_at + 1, d, space, i) for i, d in enumerate(dims)]

    ops = list(lowered.ops)
    for (old, clear_at), indices in to_clear.items():
        units, weights = clearing_units(old, sorted(indices))
        w_out = np.zeros((len(units), old.size))
        row = 0
        for i in sorted(indices):
            w_out[row, i] = weights[row]
            row += 1
            if not old.nonneg:
                w_out[row, i] = weights[row]
                row += 1
        clear = MLPOp(f"clear {old.label}", old.op.node if old.op else None,  # type: ignore
                      units, w_out, old, gated=[False] * len(units), kind="clear")
        clear.sublayer = clear_at
        ops.append(clear)
    return Layout(ops, n_layers, next_dim, [s for s in spaces if s.dims is not None], reused)
