"""The compiler's intermediate form: residual spaces, linear read-outs, node representations, ops.

Every s-op lives in the residual stream as linear functionals of residual dimensions: a numerical
s-op is one functional (its value), a categorical one has a functional per value (its indicator).
Functionals may mix spaces, so categorical maps and additive numerical maps cost no layer at all.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rasplab.lang.ast import Node


@dataclass(eq=False)
class Space:
    """A block of residual dimensions written by one op (or by the embedding when `op` is None)."""

    label: str
    size: int
    op: Any = None
    #: values stay within [0, 1] (one-hot or attention weights), so one ReLU clears a dimension
    nonneg: bool = True
    dims: list[int] | None = None

    def __repr__(self) -> str:
        return f"Space({self.label!r}, {self.size})"


class Lin(dict):
    """A linear functional of the residual: {(space, index): coefficient}."""

    @staticmethod
    def of(space: Space, index: int = 0, coef: float = 1.0) -> "Lin":
        return Lin({(space, index): float(coef)})

    def __add__(self, other: "Lin") -> "Lin":  # type: ignore[override]
        out = Lin(self)
        for k, v in other.items():
            total = out.get(k, 0.0) + v
            if total == 0.0:
                out.pop(k, None)  # cancelled: the functional no longer reads this dimension
            else:
                out[k] = total
        return out

    def __sub__(self, other: "Lin") -> "Lin":
        return self + other * -1.0

    def __mul__(self, c: float) -> "Lin":
        return Lin({k: v * float(c) for k, v in self.items() if v * float(c) != 0.0})

    __rmul__ = __mul__

    def spaces(self) -> set[Space]:
        return {s for (s, _), v in self.items() if v != 0.0}

    def vector(self, d_model: int) -> np.ndarray:
        """The functional as a dense vector once dimensions are allocated."""
        out = np.zeros(d_model)
        for (space, i), v in self.items():
            out[space.dims[i]] += v  # type: ignore[index]
        return out


def lin_sum(items: list[Lin]) -> Lin:
    out = Lin()
    for x in items:
        out = out + x
    return out


@dataclass
class CatRep:
    """A categorical s-op: `ind[i]` is the indicator functional of `values[i]` (0 at BOS)."""

    values: list[Any]
    ind: list[Lin]
    #: when this s-op is a function of one categorical s-op `base` (its indicators are sums of
    #: base's), `of_base[i]` is the index of our value at base's i-th value (None: undefined)
    base: Node | None = None
    of_base: list[int | None] | None = None


@dataclass
class NumRep:
    """A numerical s-op: `lin` is its value (0 at BOS); `values` its sorted value set, if known."""

    lin: Lin
    values: list[float] | None


Rep = CatRep | NumRep


@dataclass(eq=False)
class AttnOp:
    """One attention head: score(q, k) = sum of (query functional)(q) * (key functional)(k).

    Selected keys score 1, unselected at most 0, BOS `bos_score`; the head writes the value
    functionals (read at the keys) into `out`, one functional per dimension.
    """

    label: str
    node: Node
    qk: list[tuple[Lin, Lin]]
    ov: list[Lin]
    out: Space
    bos_score: float = 0.5
    kind: str = "aggregate"
    sublayer: int = -1

    def reads(self) -> set[Space]:
        found: set[Space] = set()
        for q, k in self.qk:
            found |= q.spaces() | k.spaces()
        for v in self.ov:
            found |= v.spaces()
        return found


@dataclass(eq=False)
class MLPOp:
    """A group of ReLU units: unit u computes ReLU(units[u]) (gated off at BOS when `gated[u]`)
    and writes `w_out[u]` into `out`."""

    label: str
    node: Node
    units: list[Lin]
    w_out: np.ndarray  # (len(units), out.size)
    out: Space
    gated: list[bool] = field(default_factory=list)
    kind: str = "map"
    sublayer: int = -1

    def __post_init__(self) -> None:
        if not self.gated:
            self.gated = [True] * len(self.units)

    def reads(self) -> set[Space]:
        found: set[Space] = set()
        for u in self.units:
            found |= u.spaces()
        return found


Op = AttnOp | MLPOp


@dataclass
class Ctx:
    """The two fixed residual dimensions: `one` (1 everywhere) and `bos` (1 at BOS only)."""

    one: Space
    bos: Space

    @property
    def ONE(self) -> Lin:
        return Lin.of(self.one)

    @property
    def NB(self) -> Lin:
        """1 at every real position, 0 at BOS: the constant of an s-op functional."""
        return Lin.of(self.one) - Lin.of(self.bos)
