"""Typed holes of a partial RASP program and the neural networks that stand in for them.

A hole is a program node of a given type (s-op, selector, element-wise T→T or T→bool function);
NEAR fills each with a small network of that type (the seed report's table) and trains it, so
the partial program becomes a complete differentiable one whose loss scores the partial program.
"""
from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field

import torch
from torch import nn

from rasplab.lang.ast import Encoding, Selector, SOp

_ids = itertools.count()


def fresh_id() -> int:
    """A new hole identity (holes are distinct nodes even when their types match)."""
    return next(_ids)


@dataclass(frozen=True, eq=False)
class SOpHole(SOp):
    """`hole :: list<T> -> list<T>`: an unknown s-op of the input (filled by a bidirectional GRU).

    `kind` is "num" under arithmetic (string tokens cannot fill it), "cat" where the values
    must be tokens (the output of a task over string tokens), "any" elsewhere.
    """

    hole_id: int = field(default_factory=fresh_id)
    kind: str = "any"
    encoding: Encoding | None = None
    name: str | None = field(default=None, compare=False)


@dataclass(frozen=True, eq=False)
class SelectorHole(Selector):
    """`hole :: (list, list) -> selector`: filled by hard scaled dot-product attention.

    `multi` holes (under a selector width, or combined by and/or there) may select any number
    of keys per query: their attention is a sigmoid per entry, not a softmax over keys.
    """

    hole_id: int = field(default_factory=fresh_id)
    name: str | None = field(default=None, compare=False)
    multi: bool = False


@dataclass(frozen=True, eq=False)
class FnHole(SOp):
    """`Map(hole :: T -> T, arg)`: an unknown element-wise function (filled by a ReLU MLP)."""

    arg: SOp = None  # type: ignore[assignment]
    hole_id: int = field(default_factory=fresh_id)
    encoding: Encoding | None = None
    name: str | None = field(default=None, compare=False)

    @property
    def children(self) -> tuple:
        return (self.arg,)


@dataclass(frozen=True, eq=False)
class BoolFnHole(SOp):
    """`Map(hole :: T -> bool, arg)`: an unknown predicate (filled by an MLP with a sigmoid)."""

    arg: SOp = None  # type: ignore[assignment]
    hole_id: int = field(default_factory=fresh_id)
    encoding: Encoding | None = None
    name: str | None = field(default=None, compare=False)

    @property
    def children(self) -> tuple:
        return (self.arg,)


HOLE_TYPES = (SOpHole, SelectorHole, FnHole, BoolFnHole)


def is_hole(node: object) -> bool:
    return isinstance(node, HOLE_TYPES)


# ------------------------------------------------------------------------- neural fillers ---
#: the program's inputs per position: tokens, indices, length, raw and scaled to about [0, 1]
N_FEATURES = 6


class SequenceTrunk(nn.Module):
    """The bidirectional GRU over the input features that the s-op holes of a program share."""

    def __init__(self, hidden: int = 16):
        super().__init__()
        self.gru = nn.GRU(N_FEATURES, hidden, batch_first=True, bidirectional=True)
        self.width = 2 * hidden

    def forward(self, features: torch.Tensor) -> torch.Tensor:  # (B, N, F) -> (B, N, 2H)
        return self.gru(features)[0]


class SOpFiller(nn.Module):
    """`list -> list`: a read-out of the bidirectional GRU, one value per position.

    A linear skip from the raw features lets the hole become a linear mix of tokens, indices
    and length (the seed's "LinearSelect" s-ops) within a few steps. The GRU itself is shared
    by the s-op holes of a program (one recurrent pass per step instead of one per hole).
    """

    def __init__(self, width: int = 32, spread: bool = False):
        super().__init__()
        self.out = nn.Linear(width, 1)
        self.skip = nn.Linear(N_FEATURES, 1)
        nn.init.zeros_(self.skip.bias)
        if spread:  # positions start with different values (a selector's keys can tell apart)
            nn.init.uniform_(self.skip.weight, -0.5, 0.5)
        else:  # start near 0, inside the range of indices and tokens
            nn.init.zeros_(self.skip.weight)

    def forward(self, hidden: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        return (self.out(hidden) + self.skip(features)).squeeze(-1)


class SelectorFiller(nn.Module):
    """Scaled dot-product attention scores; Gumbel-softmax in training, argmax at test time."""

    def __init__(self, dim: int = 8, tau: float = 1.0):
        super().__init__()
        self.q = nn.Linear(N_FEATURES, dim)
        self.k = nn.Linear(N_FEATURES, dim)
        self.dim, self.tau = dim, tau

    def forward(self, features: torch.Tensor, mask: torch.Tensor, hard: bool,
                noise: bool = True) -> torch.Tensor:
        scores = self.q(features) @ self.k(features).transpose(1, 2) / self.dim ** 0.5
        scores = scores.masked_fill(~mask[:, None, :], -1e9)  # (B, Q, K), no padding keys
        if hard:
            pattern = nn.functional.one_hot(scores.argmax(-1), scores.shape[-1]).float()
        elif noise:
            pattern = nn.functional.gumbel_softmax(scores, tau=self.tau, dim=-1)
        else:  # scoring: the relaxation without sampling noise
            pattern = torch.softmax(scores / self.tau, dim=-1)
        return pattern * mask[:, :, None]


class MultiSelectorFiller(nn.Module):
    """Scaled dot-product scores, each a relaxed Bernoulli (binary Gumbel noise in training,
    no noise when scoring, thresholded at 0 when hard) at temperature 10: a selector that counts.

    It reads the scaled features (tokens, indices, length in about [0, 1]; raw ones saturate
    the sigmoids and the pattern collapses to selecting nothing). The projections have biases,
    so a score can be `a(f_q) - b(f_k)`: a comparison of two linear mixes of the inputs (ranks,
    ranks with an index tie-break).
    """

    def __init__(self, dim: int = 8, temperature: float = 10.0):
        super().__init__()
        self.q = nn.Linear(N_FEATURES // 2, dim)
        self.k = nn.Linear(N_FEATURES // 2, dim)
        self.dim, self.t = dim, temperature

    def forward(self, features: torch.Tensor, mask: torch.Tensor, hard: bool,
                noise: bool = True) -> torch.Tensor:
        scaled = features[..., N_FEATURES // 2:]
        scores = self.q(scaled) @ self.k(scaled).transpose(1, 2) / self.dim ** 0.5
        valid = (mask[:, :, None] & mask[:, None, :]).float()
        if hard:
            return (scores > 0).float() * valid
        logits = self.t * scores
        if noise:
            u = torch.rand_like(logits).clamp(1e-6, 1 - 1e-6)
            logits = logits + torch.log(u) - torch.log1p(-u)
        return torch.sigmoid(logits) * valid


class FnFiller(nn.Module):
    """A ReLU MLP applied to each value (`T -> T`), with a linear skip."""

    def __init__(self, hidden: int = 16):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(1, hidden), nn.ReLU(), nn.Linear(hidden, 1))
        self.skip = nn.Linear(1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.unsqueeze(-1)
        return (self.net(x) + self.skip(x)).squeeze(-1)


class BoolFnFiller(nn.Module):
    """An MLP with a sigmoid output applied to each value (`T -> bool`)."""

    def __init__(self, hidden: int = 16):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(1, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.net(x.unsqueeze(-1)).squeeze(-1))


TRUNK = "trunk"  # the key of the shared GRU in a program's filler dictionary


def make_fillers(holes: list, inherited: dict | None = None, spread: bool = False) -> dict:
    """Fresh networks for `holes` (by hole id), reusing `inherited` ones where ids match."""
    inherited = inherited or {}
    fillers: dict = {}
    for hole in holes:
        old = inherited.get(hole.hole_id)
        fillers[hole.hole_id] = copy.deepcopy(old) if old is not None else \
            make_filler(hole, spread)
    if any(isinstance(h, SOpHole) for h in holes):
        old = inherited.get(TRUNK)
        fillers[TRUNK] = copy.deepcopy(old) if old is not None else SequenceTrunk()
    return fillers


def make_filler(hole: object, spread: bool = False) -> nn.Module:
    """The neural relaxation for a hole of this type."""
    if isinstance(hole, SOpHole):
        return SOpFiller(spread=spread)
    if isinstance(hole, SelectorHole):
        return MultiSelectorFiller() if hole.multi else SelectorFiller()
    if isinstance(hole, FnHole):
        return FnFiller()
    if isinstance(hole, BoolFnHole):
        return BoolFnFiller()
    raise TypeError(f"not a hole: {hole!r}")
