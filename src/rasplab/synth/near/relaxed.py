"""A differentiable RASP in PyTorch: the seed report's relaxation, used to score partial programs.

Values are float tensors (batch, n); boolean operations are shifted sigmoids with temperature 10
(`x > y` is `sigmoid(10 (x - y - 0.5))` on integer-valued data); `select` is a key-query
attention pattern (relaxed Bernoulli, i.e. binary Gumbel-softmax, noise while training,
thresholded when hard); `aggregate` is a batched matrix product normalised by the selection.
Holes are evaluated by their trained neural fillers (see `holes.py`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import torch
from torch import nn

from rasplab.errors import RaspRuntimeError
from rasplab.lang.ast import (
    Aggregate,
    Full,
    IndicesType,
    LengthType,
    Map,
    Node,
    Select,
    SelectorAnd,
    SelectorNot,
    SelectorOr,
    SelectorWidth,
    SequenceMap,
    TokensType,
)
from rasplab.lang.functions import Const, Fn
from rasplab.synth.near.holes import TRUNK, BoolFnHole, FnHole, SelectorHole, SOpHole

TEMPERATURE = 10.0


def _natural_key(v: Any) -> tuple:
    """Numbers by value, then strings alphabetically: the order `<` on tokens must keep."""
    if isinstance(v, bool):
        return (0, int(v), "")
    if isinstance(v, int | float):
        return (0, v, "")
    return (1, 0, str(v))


class Encoder:
    """Tokens and output values as floats: numbers stay themselves, other values their rank."""

    def __init__(self, tokens: Sequence[Any], outputs: Sequence[Any] = ()):
        vocab = sorted({t for t in tokens}, key=_natural_key)
        numeric = all(isinstance(t, int | float) and not isinstance(t, bool) for t in vocab)
        self.code: dict[Any, float] = {t: float(t) if numeric else float(i)
                                       for i, t in enumerate(vocab)}
        extra = sorted({v for v in outputs if v is not None and not isinstance(v, int | float)
                        and v not in self.code}, key=_natural_key)
        for v in extra:
            self.code[v] = float(len(self.code))

    def __call__(self, value: Any) -> float:
        if value is None:
            return 0.0
        if isinstance(value, bool):
            return float(value)
        if value in self.code:
            return self.code[value]
        if isinstance(value, int | float):
            return float(value)
        raise RaspRuntimeError(f"value {value!r} is not in the vocabulary of the examples")


@dataclass
class RelaxedInputs:
    """A padded batch of encoded inputs: token codes, indices, length, validity mask, features."""

    tokens: torch.Tensor   # (B, N) float
    indices: torch.Tensor  # (B, N) float
    length: torch.Tensor   # (B, N) float
    mask: torch.Tensor     # (B, N) bool
    features: torch.Tensor  # (B, N, 6) float: raw and scaled, what the neural fillers read
    encoder: Encoder

    @staticmethod
    def build(seqs: Sequence[Sequence[Any]], encoder: Encoder) -> "RelaxedInputs":
        """Encode and pad the input sequences."""
        n = max(len(s) for s in seqs)
        tok = torch.zeros(len(seqs), n)
        mask = torch.zeros(len(seqs), n, dtype=torch.bool)
        for b, s in enumerate(seqs):
            tok[b, : len(s)] = torch.tensor([encoder(t) for t in s])
            mask[b, : len(s)] = True
        lengths = mask.sum(1, keepdim=True).float()
        idx = torch.arange(n).float()[None, :].expand(len(seqs), n) * mask
        length = lengths.expand(len(seqs), n) * mask
        scale = max(1.0, float(tok.abs().max()))
        feats = torch.stack([tok, idx, length, tok / scale, idx / n, length / n], dim=-1)
        feats = feats * mask[..., None]
        return RelaxedInputs(tok, idx, length, mask, feats, encoder)


def _soft_bool(d: torch.Tensor, hard: bool, temperature: float = TEMPERATURE) -> torch.Tensor:
    """A boolean from a margin `d` (true when d > 0): a step when hard, a sigmoid otherwise."""
    return (d > 0).float() if hard else torch.sigmoid(temperature * d)


def _compare_margin(op: str, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor | None:
    """The margin of `op(a, b)` shifted by 0.5, which separates integers (seed: x > 0.5)."""
    if op == "gt":
        return a - b - 0.5
    if op == "ge":
        return a - b + 0.5
    if op == "lt":
        return b - a - 0.5
    if op == "le":
        return b - a + 0.5
    # equality uses the squared distance: on integers the same margins as the seed's shifted
    # sigmoid (+-0.5), but the relative weights of keys still depend on a query outside their
    # range (no flat spots for the gradient)
    if op == "eq":
        return 0.5 - (a - b) ** 2
    if op == "ne":
        return (a - b) ** 2 - 0.5
    return None


def apply_fn(fn: Fn, values: Sequence[torch.Tensor], encoder: Encoder, hard: bool,
             node: Node | None = None, temperature: float = TEMPERATURE) -> torch.Tensor:
    """The relaxation of an element-wise function on tensors."""
    shape = values[0]
    args = [values[a.index] if not isinstance(a, Const) else
            torch.full_like(shape, encoder(a.value)) for a in fn.args]
    op = fn.op
    margin = _compare_margin(op, *args) if len(args) == 2 else None
    if margin is not None:
        return _soft_bool(margin, hard, temperature)
    if op == "table":
        x = args[0]
        out = torch.zeros_like(x)
        for k, v in fn.data:
            out = torch.where((x - encoder(k)).abs() < 0.5, torch.full_like(x, encoder(v)), out)
        return out
    simple = {
        "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
        "div": lambda a, b: a / torch.where(b == 0, torch.ones_like(b), b),
        "mod": lambda a, b: torch.remainder(a, torch.where(b == 0, torch.ones_like(b), b)),
        "pow": lambda a, b: torch.pow(a, b), "min": torch.minimum, "max": torch.maximum,
        "and": lambda a, b: a * b, "or": lambda a, b: a + b - a * b,
        "true": lambda a, b: torch.ones_like(a), "false": lambda a, b: torch.zeros_like(a),
        "ifelse": lambda a, c, b: c * a + (1 - c) * b,
        "neg": lambda a: -a, "pos": lambda a: a, "identity": lambda a: a,
        "not": lambda a: 1 - a, "abs": torch.abs, "float": lambda a: a,
        "int": torch.trunc, "floor": torch.floor, "round": torch.round,
        "indicator": lambda a: _soft_bool(a.abs() - 0.5, hard, temperature),
        "bool": lambda a: _soft_bool(a.abs() - 0.5, hard, temperature),
    }
    if op in simple:
        return simple[op](*args)
    raise RaspRuntimeError(f"element-wise operation {op!r} has no differentiable relaxation",
                           node)


def select_pattern(pred: Fn, keys: torch.Tensor, queries: torch.Tensor, mask: torch.Tensor,
                   hard: bool, noise: bool, temperature: float = TEMPERATURE) -> torch.Tensor:
    """S[b, q, k] = pred(keys[k], queries[q]) as a relaxed (or, when hard, 0/1) matrix."""
    k = keys[:, None, :]
    q = queries[:, :, None]
    valid = (mask[:, None, :] & mask[:, :, None]).float()
    if pred.op in ("true", "false"):
        return valid * (1.0 if pred.op == "true" else 0.0)
    margin = None
    if [getattr(a, "index", None) for a in pred.args] == [0, 1]:
        margin = _compare_margin(pred.op, k.expand(-1, q.shape[1], -1),
                                 q.expand(-1, -1, k.shape[2]))
    if margin is None:
        raise RaspRuntimeError(f"select predicate {pred.op!r} has no differentiable relaxation")
    if hard:
        return (margin > 0).float() * valid
    logits = temperature * margin
    if noise:  # binary Gumbel-softmax: logistic noise on the logits while training
        u = torch.rand_like(logits).clamp(1e-6, 1 - 1e-6)
        logits = logits + torch.log(u) - torch.log1p(-u)
    return torch.sigmoid(logits) * valid


class RelaxedEvaluator:
    """Evaluates a (partial) program on a RelaxedInputs batch; holes use `fillers[hole_id]`."""

    def __init__(self, inputs: RelaxedInputs, fillers: dict[int, nn.Module] | None = None,
                 hard: bool = False, noise: bool = True, temperature: float = TEMPERATURE):
        self.x, self.fillers, self.hard, self.noise = inputs, fillers or {}, hard, noise
        self.t = temperature
        self.memo_trunk: dict[str, torch.Tensor] = {}
        self.memo: dict[int, torch.Tensor] = {}

    def __call__(self, node: Node) -> torch.Tensor:
        key = id(node)
        if key not in self.memo:
            self.memo[key] = self._eval(node)
        return self.memo[key]

    def _eval(self, node: Node) -> torch.Tensor:
        x, m = self.x, self.x.mask
        mf = m.float()
        if isinstance(node, TokensType):
            return x.tokens
        if isinstance(node, IndicesType):
            return x.indices
        if isinstance(node, LengthType):
            return x.length
        if isinstance(node, Full):
            return torch.full_like(x.tokens, x.encoder(node.value)) * mf
        if isinstance(node, Map):
            return apply_fn(node.fn, [self(node.arg)], x.encoder, self.hard, node, self.t) * mf
        if isinstance(node, SequenceMap):
            return apply_fn(node.fn, [self(a) for a in node.args], x.encoder, self.hard,
                            node, self.t) * mf
        if isinstance(node, Select):
            return select_pattern(node.predicate, self(node.keys), self(node.queries), m,
                                  self.hard, self.noise and not self.hard, self.t)
        if isinstance(node, SelectorAnd):
            return self(node.left) * self(node.right)
        if isinstance(node, SelectorOr):
            a, b = self(node.left), self(node.right)
            return a + b - a * b
        if isinstance(node, SelectorNot):
            return (1 - self(node.inner)) * (mf[:, None, :] * mf[:, :, None])
        if isinstance(node, SelectorWidth):
            return self(node.selector).sum(-1) * mf
        if isinstance(node, Aggregate):
            return self._aggregate(node)
        if isinstance(node, SOpHole):
            if TRUNK not in self.memo_trunk:
                self.memo_trunk[TRUNK] = self.fillers[TRUNK](x.features)
            return self.fillers[node.hole_id](self.memo_trunk[TRUNK], x.features) * mf
        if isinstance(node, SelectorHole):
            return self.fillers[node.hole_id](x.features, m, self.hard, self.noise)
        if isinstance(node, FnHole | BoolFnHole):
            return self.fillers[node.hole_id](self(node.arg)) * mf
        raise RaspRuntimeError(f"no differentiable relaxation of {type(node).__name__}", node)

    def _aggregate(self, node: Aggregate) -> torch.Tensor:
        """Mean of the selected values (a batched matrix product); the default where none is."""
        sel = self(node.selector)
        vals = self(node.sop)
        total = torch.bmm(sel, vals.unsqueeze(-1)).squeeze(-1)
        count = sel.sum(-1)
        default = node.default if isinstance(node.default, int | float) else 0.0
        # a tiny floor keeps far-apart keys and queries trainable: the ratio is then a softmax
        mean = total / count.clamp_min(1e-30)
        if self.hard:
            mean = torch.where(count > 0.5, mean, torch.full_like(mean, float(default)))
        return mean * self.x.mask.float()


def relaxed_eval(program: Node, inputs: RelaxedInputs, fillers: dict[int, nn.Module] | None = None,
                 hard: bool = False, noise: bool = True,
                 temperature: float = TEMPERATURE) -> torch.Tensor:
    """The relaxed value of `program`: (B, N) for s-ops, (B, Q, K) for selectors."""
    return RelaxedEvaluator(inputs, fillers, hard, noise, temperature)(program)


def decode(values: torch.Tensor, inputs: RelaxedInputs, candidates: Sequence[Any]) -> list[list]:
    """Hard outputs: each float replaced by the nearest candidate output value's code."""
    codes = torch.tensor([inputs.encoder(c) for c in candidates])
    nearest = (values[..., None] - codes).abs().argmin(-1)
    out = []
    for b in range(values.shape[0]):
        n = int(inputs.mask[b].sum())
        out.append([candidates[i] for i in nearest[b, :n].tolist()])
    return out
