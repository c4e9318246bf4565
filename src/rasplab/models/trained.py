"""A trained transformer with its vocabularies: runs on token lists like a RASP program does.

`predict` gives decoded outputs; `attention` gives each layer's patterns per input as
(heads, n + 1, n + 1) arrays with BOS at position 0 (`strip_bos` removes it).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from rasplab.errors import ExamplesError
from rasplab.lang.values import value_key
from rasplab.models.transformer import BOS, PAD, Transformer

Token = str | int
BATCH = 512


def strip_bos(pattern: np.ndarray) -> np.ndarray:
    """An attention pattern (..., n + 1, n + 1) without BOS's row and column: (..., n, n)."""
    return pattern[..., 1:, 1:]


@dataclass
class TrainedModel:
    """The network plus what it needs to read inputs and name its outputs."""

    net: Transformer
    vocab: tuple[Token, ...]
    output_vocab: tuple[Any, ...]
    task: str | None = None
    max_len: int = 10  # the longest input length it was trained on
    min_len: int = 1
    info: dict[str, Any] = field(default_factory=dict)  # training settings, metrics, heads

    def __post_init__(self) -> None:
        self._ids = {value_key(t): i + 2 for i, t in enumerate(self.vocab)}
        by_text: dict[str, list[int]] = {}
        for i, t in enumerate(self.vocab):
            by_text.setdefault(str(t), []).append(i + 2)
        # command-line inputs arrive as strings: accept "3" for the integer token 3 if unambiguous
        self._ids_by_text = {s: ids[0] for s, ids in by_text.items() if len(ids) == 1}

    @property
    def max_input_len(self) -> int:
        """The longest input the network accepts (it has positions beyond `max_len`)."""
        return self.net.cfg.n_ctx - 1

    def token_id(self, token: Token) -> int:
        got = self._ids.get(value_key(token))
        if got is None and isinstance(token, str):
            got = self._ids_by_text.get(token)
        if got is None:
            raise ExamplesError(f"unknown token {token!r}: the model's vocabulary is "
                                f"{list(self.vocab)}")
        return got

    def encode(self, inputs: Sequence[Sequence[Token]]) -> torch.Tensor:
        """Ids (batch, 1 + longest input): BOS, the tokens, then PAD."""
        if not inputs:
            return torch.zeros(0, 1, dtype=torch.long)
        longest = max(len(x) for x in inputs)
        for x in inputs:
            if len(x) == 0:
                raise ExamplesError("empty input: inputs are non-empty token sequences")
            if len(x) > self.max_input_len:
                raise ExamplesError(f"input of length {len(x)} is longer than the model's "
                                    f"{self.max_input_len} positions: {list(x)!r}")
        ids = torch.full((len(inputs), longest + 1), PAD, dtype=torch.long)
        ids[:, 0] = BOS
        for b, x in enumerate(inputs):
            ids[b, 1:len(x) + 1] = torch.tensor([self.token_id(t) for t in x], dtype=torch.long)
        return ids

    @torch.no_grad()
    def logits(self, inputs: Sequence[Sequence[Token]]) -> list[np.ndarray]:
        """Per input, (n, classes) output logits (BOS dropped)."""
        self.net.eval()
        out: list[np.ndarray] = []
        for start in range(0, len(inputs), BATCH):
            chunk = inputs[start:start + BATCH]
            res = self.net(self.encode(chunk)).numpy()
            out.extend(res[b, 1:len(x) + 1] for b, x in enumerate(chunk))
        return out

    def predict(self, inputs: Sequence[Sequence[Token] | str]) -> list[list[Any]]:
        """Decoded outputs, one list per input (a string input is split into characters)."""
        seqs = [list(x) for x in inputs]
        return [[self.output_vocab[i] for i in row.argmax(-1).tolist()]
                for row in self.logits(seqs)]

    @torch.no_grad()
    def attention(self, inputs: Sequence[Sequence[Token] | str]) -> dict[str, list[np.ndarray]]:
        """`blocks.{l}.attn.hook_pattern` -> per input a (heads, n + 1, n + 1) array, BOS first."""
        self.net.eval()
        seqs = [list(x) for x in inputs]
        out: dict[str, list[np.ndarray]] = {}
        for start in range(0, len(seqs), BATCH):
            chunk = seqs[start:start + BATCH]
            _, patterns = self.net(self.encode(chunk), return_attention=True)
            for name, pat in patterns.items():
                arr = pat.numpy()
                out.setdefault(name, []).extend(
                    arr[b, :, :len(x) + 1, :len(x) + 1].copy() for b, x in enumerate(chunk))
        return out

    def __call__(self, inputs: Sequence[Sequence[Token] | str]) -> list[list[Any]]:
        return self.predict(inputs)
