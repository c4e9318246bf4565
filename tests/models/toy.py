"""A tiny task (reverse over 4 letters, length <= 5) so the model tests need no registry."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from rasplab.lang import EQ, aggregate, evaluate, indices, length, select, tokens


def reverse_program() -> Any:
    opp = length - indices - 1
    return aggregate(select(indices, opp, EQ), tokens)


@dataclass
class ToyTask:
    """Duck-typed like rasplab.tasks.Task: what `train` reads."""

    name: str = "toy_reverse"
    vocab: tuple = tuple("abcd")
    min_len: int = 1
    max_len: int = 5
    output_vocab: tuple | None = tuple("abcd")
    numeric_output: bool = False

    @property
    def program(self) -> Any:
        return reverse_program()

    def sample(self, n: int, rng: np.random.Generator, min_len: int | None = None,
               max_len: int | None = None) -> list[list[str]]:
        lo, hi = min_len or self.min_len, max_len or self.max_len
        lengths = rng.integers(lo, hi + 1, size=n)
        return [[self.vocab[i] for i in rng.integers(0, len(self.vocab), size=k)]
                for k in lengths]

    def outputs(self, inputs: list[list[str]]) -> list[list[Any]]:
        return evaluate(self.program, inputs)
