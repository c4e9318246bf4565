"""MLP construction: exact lookup tables made of ReLU units.

A numerical input is discretised by pairs of ReLUs forming a clean 0/1 step halfway between
neighbouring values (only where the output changes); categorical inputs are combined by one
AND unit per tuple of values. Units are switched off at BOS by a large negative BOS weight.
"""
from __future__ import annotations

import itertools
import math
from collections import Counter
from typing import Any, Callable, Sequence

import numpy as np

from rasplab.compiler.residual import CatRep, Ctx, Lin, MLPOp, NumRep, Rep, Space, lin_sum
from rasplab.errors import CompileError, describe_node
from rasplab.lang.ast import Node
from rasplab.lang.values import value_key

#: one MLP may not use more hidden units than this
MAX_UNITS = 50_000
#: neighbouring numerical values closer than this (relative) cannot be told apart reliably
MIN_GAP = 1e-9


class InseparableValues(CompileError):
    """Two values of a numerical input are too close to step between, yet f tells them apart
    (such as 0.5 and 0.4999999999999999, both a half to the model, not to the interpreter)."""


def _finish(ctx: Ctx, label: str, node: Node, units: list[Lin], outs: list[Any],
            coefs: list[list[tuple[int, float]]], first: Any, out_kind: str,
            signed: bool, kind: str) -> tuple[MLPOp, Rep]:
    """Build the op and the node's representation from units and per-unit output values.

    `coefs[u]` lists (index into `outs`, weight) that unit u adds; the value `first` holds
    wherever no unit fires (the implicit value, represented by all-zero dimensions).
    """
    if out_kind == "num":
        w_out = np.zeros((len(units), 1))
        for u, pairs in enumerate(coefs):
            for j, c in pairs:
                w_out[u, 0] += c * (float(outs[j]) - float(first))
        space = Space(label, 1, nonneg=False)
        op = MLPOp(label, node, units, w_out, space, kind=kind)
        space.op = op
        values = sorted({float(v) for v in outs} | {float(first)})
        return op, NumRep(Lin.of(space) + ctx.NB * float(first), values)
    keys = {value_key(first): 0}
    values = [first]
    for v in outs:
        if value_key(v) not in keys:
            keys[value_key(v)] = len(values)
            values.append(v)
    w_out = np.zeros((len(units), len(values) - 1))
    for u, pairs in enumerate(coefs):
        for j, c in pairs:
            col = keys[value_key(outs[j])]
            if col:
                w_out[u, col - 1] += c
    space = Space(label, len(values) - 1, nonneg=not signed)
    op = MLPOp(label, node, units, w_out, space, kind=kind)
    space.op = op
    ind = [Lin.of(space, i) for i in range(space.size)]
    return op, CatRep(values, [ctx.NB - lin_sum(ind)] + ind)


def numeric_lookup(ctx: Ctx, label: str, node: Node, x: Lin, xs: Sequence[float],
                   f: Callable[[float], Any], out_kind: str) -> tuple[MLPOp, Rep]:
    """An MLP computing f(x) for a numerical input whose values are exactly `xs`.

    Between neighbours v < v' where f changes, two units make the step ReLU(a(x-t)+1/2) -
    ReLU(a(x-t)-1/2) with t = (v+v')/2, a = 2/(v'-v): exactly 0 at v and 1 at v'.
    """
    xs = sorted(set(float(v) for v in xs))
    if not xs:
        raise CompileError(f"no values reach {describe_node(node)}")
    defined = []
    for v in xs:
        try:
            defined.append((v, f(v)))
        except Exception:
            continue  # undefined there: the interpreter fails wherever x takes this value
    if not defined:
        raise CompileError(f"the function is undefined on every value at {describe_node(node)}")
    xs, outs = [v for v, _ in defined], [o for _, o in defined]
    units: list[Lin] = []
    coefs: list[list[tuple[int, float]]] = []
    for i in range(1, len(xs)):
        if value_key(outs[i]) == value_key(outs[i - 1]):
            continue
        gap = xs[i] - xs[i - 1]
        if gap <= MIN_GAP * max(1.0, abs(xs[i])):
            raise InseparableValues(f"values {xs[i - 1]!r} and {xs[i]!r} are too close to "
                                    f"separate in float64 at {describe_node(node)}")
        t, a = (xs[i] + xs[i - 1]) / 2, 2.0 / gap
        units.append(x * a + ctx.ONE * (0.5 - a * t))
        units.append(x * a + ctx.ONE * (-0.5 - a * t))
        # the pair's difference is the step: it adds outs[i] and removes outs[i-1]
        coefs.append([(i, 1.0), (i - 1, -1.0)])
        coefs.append([(i, -1.0), (i - 1, 1.0)])
    return _finish(ctx, label, node, units, outs, coefs, outs[0], out_kind,
                   out_kind == "num", "lookup")


def and_table(ctx: Ctx, label: str, node: Node, args: Sequence[CatRep],
              f: Callable[..., Any], out_kind: str) -> tuple[MLPOp, Rep]:
    """An MLP computing f on every tuple of categorical argument values: one AND unit per tuple
    (ReLU(sum of indicators - (k-1))), except tuples giving the most common (implicit) value."""
    total = math.prod(len(a.values) for a in args)
    if total > MAX_UNITS:
        raise CompileError(f"{total} value combinations exceed the {MAX_UNITS}-unit MLP limit at "
                           f"{describe_node(node)}")
    results: list[tuple[tuple[int, ...], Any]] = []
    for combo in itertools.product(*(range(len(a.values)) for a in args)):
        try:
            results.append((combo, f(*(a.values[i] for a, i in zip(args, combo)))))
        except Exception:
            continue  # undefined: the interpreter fails wherever this combination occurs
    if not results:
        raise CompileError(f"the function is undefined on every value at {describe_node(node)}")
    common = Counter(value_key(v) for _, v in results).most_common(1)[0][0]
    first = next(v for _, v in results if value_key(v) == common)
    units, outs, coefs = [], [], []
    k = len(args)
    for combo, value in results:
        if value_key(value) == common:
            continue
        units.append(lin_sum([a.ind[i] for a, i in zip(args, combo)]) - ctx.ONE * (k - 1))
        outs.append(value)
        coefs.append([(len(outs) - 1, 1.0)])
    if out_kind == "cat":
        return _finish(ctx, label, node, units, outs, coefs, first, "cat", False, "table")
    return _finish(ctx, label, node, units, outs, coefs, first, "num", True, "table")


def clearing_units(space: Space, dims: Sequence[int]) -> tuple[list[Lin], list[list[float]]]:
    """Units that erase the given dimensions of a dead space (so a later value can reuse them):
    one ReLU per dimension for values in [0, 1], two (x = ReLU(x) - ReLU(-x)) otherwise."""
    units, weights = [], []
    for i in dims:
        units.append(Lin.of(space, i))
        weights.append(-1.0)
        if not space.nonneg:
            units.append(Lin.of(space, i, -1.0))
            weights.append(1.0)
    return units, weights  # type: ignore[return-value]
