"""Attention-supervision targets: the reference program's selectors, placed on heads by depth.

Each selector that an `aggregate` or `selector_width` reads becomes one supervised head, in the
layer given by its attention depth (`length` counts as one attention layer: a trained model has to
count the positions, as the RASP paper's `length = selector_width(select(1, 1, ==))` does). The
target is the selector's row-normalised pattern over keys, with BOS at key 0: aggregates put all
weight on BOS where a query selects nothing; selector widths always attend to BOS as well, so
that BOS's share, 1 / (width + 1), carries the count.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from rasplab.errors import describe_node
from rasplab.lang.ast import (
    Aggregate,
    Full,
    IndicesType,
    LengthType,
    Map,
    Node,
    Select,
    Selector,
    SelectorAnd,
    SelectorNot,
    SelectorOr,
    SelectorWidth,
    SequenceMap,
    TokensType,
    walk,
)
from rasplab.lang.evaluator import Batch


@dataclass(frozen=True)
class SupervisedHead:
    """One head pulled toward one selector of the reference program."""

    layer: int
    head: int
    selector: Selector | None  # None: the implicit select-all that `length` needs
    width: bool  # read by selector_width (or length): BOS is always attended too

    def describe(self) -> str:
        what = "length" if self.selector is None else describe_node(self.selector)
        return f"blocks.{self.layer}.attn head {self.head}: {what}"


def _depths(program: Node) -> tuple[dict[Node, int], list[tuple[Selector | None, bool, int]]]:
    """Attention depth of every s-op and, in program order, each (selector, width?, layer)."""
    depth: dict[Node, int] = {}
    uses: list[tuple[Selector | None, bool, int]] = []

    def sel_depth(sel: Node) -> int:
        if isinstance(sel, Select):
            return max(depth[sel.keys], depth[sel.queries])
        return max((sel_depth(c) for c in sel.children), default=0)

    for node in walk(program):
        if isinstance(node, TokensType | IndicesType | Full):
            depth[node] = 0
        elif isinstance(node, LengthType):
            depth[node] = 1
            uses.append((None, True, 0))
        elif isinstance(node, Map | SequenceMap):
            depth[node] = max(depth[c] for c in node.children)
        elif isinstance(node, Aggregate):
            layer = max(sel_depth(node.selector), depth[node.sop])
            depth[node] = layer + 1
            uses.append((node.selector, False, layer))
        elif isinstance(node, SelectorWidth):
            layer = sel_depth(node.selector)
            depth[node] = layer + 1
            uses.append((node.selector, True, layer))
        elif isinstance(node, Select | SelectorAnd | SelectorOr | SelectorNot):
            pass
        else:  # an unknown s-op: be conservative
            depth[node] = max((depth.get(c, 0) for c in node.children), default=0)
    return depth, uses


def program_shape(program: Node) -> tuple[int, int]:
    """(layers, most heads in one layer) a transformer needs to hold the program's selectors."""
    depth, uses = _depths(program)
    unique = list(dict.fromkeys((s, w, layer) for s, w, layer in uses))
    if not unique:
        return 1, 1
    layers = max(layer for _, _, layer in unique) + 1
    per_layer = [sum(1 for *_, layer in unique if layer == i) for i in range(layers)]
    return layers, max(per_layer)


def plan_heads(program: Node, n_layers: int, n_heads: int
               ) -> tuple[list[SupervisedHead], list[str]]:
    """Heads to supervise, and a note for every selector that did not fit the architecture."""
    _, uses = _depths(program)
    heads: list[SupervisedHead] = []
    dropped: list[str] = []
    used: dict[int, int] = {}
    for sel, width, layer in dict.fromkeys(uses):
        head = used.get(layer, 0)
        candidate = SupervisedHead(layer, head, sel, width)
        if layer >= n_layers or head >= n_heads:
            dropped.append(candidate.describe())
            continue
        used[layer] = head + 1
        heads.append(candidate)
    return heads, dropped


def selection_masks(heads: Sequence[SupervisedHead], inputs: Sequence[Sequence[Any]],
                    n_pos: int) -> np.ndarray:
    """Bool (inputs, heads, n_pos, n_pos) of selected keys, BOS at 0 (not yet normalised)."""
    out = np.zeros((len(inputs), len(heads), n_pos, n_pos), dtype=bool)
    for start in range(0, len(inputs), 4096):
        chunk = [list(x) for x in inputs[start:start + 4096]]
        batch = Batch(chunk, strict=False)
        n = batch.n
        valid = batch.valid[:, :, None] & batch.valid[:, None, :]
        for h, head in enumerate(heads):
            if head.selector is None:
                sel = valid
            else:
                sel = np.asarray(batch.value(head.selector), dtype=bool) & valid
            out[start:start + len(chunk), h, 1:n + 1, 1:n + 1] = sel
    return out


def targets(masks: torch.Tensor, width: torch.Tensor) -> torch.Tensor:
    """Row-normalised patterns from bool masks (batch, heads, n, n); `width` (heads,) bool."""
    m = masks.float()
    empty = m.sum(-1) == 0  # (batch, heads, n)
    bos = (empty | width[None, :, None]).float()
    m[..., 0] = torch.maximum(m[..., 0], bos)
    return m / m.sum(-1, keepdim=True)


def attention_loss(patterns: dict[str, torch.Tensor], heads: Sequence[SupervisedHead],
                   masks: torch.Tensor, width: torch.Tensor, query_ok: torch.Tensor
                   ) -> torch.Tensor:
    """Mean squared error between supervised heads' patterns and targets, over input queries."""
    n = masks.shape[-1]
    got = torch.stack([patterns[f"blocks.{h.layer}.attn.hook_pattern"][:, h.head, :n, :n]
                       for h in heads], dim=1)
    want = targets(masks, width)
    err = ((got - want) ** 2).mean(-1)  # (batch, heads, query)
    rows = query_ok[:, None, :n].float()
    return (err * rows).sum() / (rows.sum() * len(heads)).clamp(min=1)


@torch.no_grad()
def attention_mse(net: torch.nn.Module, heads: Sequence[SupervisedHead], ids: torch.Tensor,
                  masks: torch.Tensor, query_ok: torch.Tensor) -> float:
    """Held-out mean squared error of the supervised heads against their targets."""
    if not heads:
        return float("nan")
    was_training = net.training
    net.eval()
    _, patterns = net(ids, return_attention=True)
    width = torch.tensor([h.width for h in heads], dtype=torch.bool)
    err = float(attention_loss(patterns, heads, masks, width, query_ok))
    net.train(was_training)
    return err
