"""An encoder of an examples set: per-position features, a GRU per example, pooled over the set.

Design: within one example order matters (reversal, shifts, prefix counts), so a small
bidirectional GRU reads its positions; across examples only the set matters, so example vectors
are mean- and max-pooled (DeepSets), which makes the code invariant to the examples' order.
Tokens differ between tasks, so each position is described by vocabulary-independent relations
(output equals this token, the reversed token, the first token; how often it occurs; the
output as a number next to the index and the length) plus a hashed identity of the token.
"""
from __future__ import annotations

import math
import zlib
from collections import Counter
from typing import Any, Sequence

import numpy as np
import torch
from torch import nn

HASH_BUCKETS = 12
SCALE = 16.0  # numbers (indices, lengths, counts) are divided by this
N_FEATURES = 2 * HASH_BUCKETS + 27


def _bucket(v: Any) -> int:
    return zlib.crc32(repr(v).encode()) % HASH_BUCKETS


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def example_features(x: Sequence[Any], y: Sequence[Any]) -> np.ndarray:
    """(n, N_FEATURES) float32 features of one input/output pair."""
    n = len(x)
    f = np.zeros((n, N_FEATURES), dtype=np.float32)
    counts = Counter(map(repr, x))
    vocab = sorted(counts)
    rank = {t: i for i, t in enumerate(vocab)}
    ys = [repr(v) for v in y]
    perm = sorted(ys) == sorted(counts.elements())
    is_sorted = all(a <= b for a, b in zip(ys, ys[1:]))
    y_const = len(set(ys)) == 1
    nums = [float(v) for v in y if _is_num(v)]
    ymax = max(nums) if nums else 0.0
    h = 2 * HASH_BUCKETS
    for i in range(n):
        t, v = repr(x[i]), y[i]
        f[i, _bucket(x[i])] = 1.0
        f[i, HASH_BUCKETS + _bucket(v)] = 1.0
        num = float(v) if _is_num(v) else math.nan
        f[i, h: h + 27] = (
            i / SCALE, (n - 1 - i) / SCALE, n / SCALE, i == 0, i == n - 1,
            rank[t] / max(1, len(vocab) - 1), counts[t] / n, x[:i].count(x[i]) / SCALE,
            isinstance(v, bool), v is None, _is_num(v), isinstance(v, str),
            ys[i] == t, ys[i] in counts, ys[i] == repr(x[n - 1 - i]), ys[i] == repr(x[0]),
            ys[i] == repr(x[-1]), counts.get(ys[i], 0) / n,
            0.0 if math.isnan(num) else max(-4.0, min(4.0, num / SCALE)),
            0.0 if math.isnan(num) else float(num != round(num)),
            num == i, num == n, num == i + 1, num == ymax if nums else 0.0,
            perm, is_sorted, y_const)
    return f


def featurise(inputs: Sequence[Sequence[Any]], outputs: Sequence[Sequence[Any]],
              max_examples: int = 16, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(E, N, F) features and an (E, N) validity mask for up to `max_examples` examples.

    With more examples than that, a fixed-seed random subset is taken, longest ones kept first
    so that the encoder sees the behaviour on long inputs."""
    idx = list(range(len(inputs)))
    if len(idx) > max_examples:
        rng = np.random.default_rng(seed)
        idx = sorted(rng.permutation(len(idx))[: 4 * max_examples].tolist(),
                     key=lambda i: -len(inputs[i]))
        idx = idx[: max_examples // 2] + rng.permutation(idx[max_examples // 2:])[
            : max_examples - max_examples // 2].tolist()
    n_max = max(len(inputs[i]) for i in idx)
    feats = np.zeros((len(idx), n_max, N_FEATURES), dtype=np.float32)
    mask = np.zeros((len(idx), n_max), dtype=bool)
    for e, i in enumerate(idx):
        n = len(inputs[i])
        feats[e, :n] = example_features(inputs[i], outputs[i])
        mask[e, :n] = True
    return feats, mask


class ExamplesEncoder(nn.Module):
    """(B, E, N, F) features + (B, E, N) mask -> (B, 2 * 2 * hidden) set embedding."""

    def __init__(self, n_features: int = N_FEATURES, hidden: int = 64):
        super().__init__()
        self.inp = nn.Sequential(nn.Linear(n_features, hidden), nn.ReLU())
        self.gru = nn.GRU(hidden, hidden, batch_first=True, bidirectional=True)
        self.out_dim = 4 * hidden

    def forward(self, feats: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        B, E, N, F = feats.shape
        h, _ = self.gru(self.inp(feats.reshape(B * E, N, F)))  # (B*E, N, 2H)
        m = mask.reshape(B * E, N, 1).float()
        per_example = (h * m).sum(1) / m.sum(1).clamp(min=1.0)  # mean over real positions
        per_example = per_example.reshape(B, E, -1)
        ex_mask = mask.any(-1).float().unsqueeze(-1)  # (B, E, 1): padded examples ignored
        mean = (per_example * ex_mask).sum(1) / ex_mask.sum(1).clamp(min=1.0)
        big = per_example.masked_fill(ex_mask == 0, -1e4).max(1).values
        return torch.cat([mean, big], dim=-1)
