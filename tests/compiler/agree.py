"""Shared check: a compiled model against the interpreter on random inputs."""
from __future__ import annotations

import math
import random
from typing import Any, Sequence

from rasplab.errors import RaspRuntimeError
from rasplab.lang import evaluate


def same(got: Any, want: Any) -> bool:
    """Equal values; numbers (not booleans) within 1e-6."""
    numbers = (int, float)
    if (isinstance(got, numbers) and isinstance(want, numbers)
            and not isinstance(got, bool) and not isinstance(want, bool)):
        return math.isclose(got, want, rel_tol=0, abs_tol=1e-6)
    return type(got) is type(want) and got == want


def random_inputs(vocab: Sequence[Any], max_len: int, n: int, seed: int = 0) -> list[list[Any]]:
    """`n` inputs of lengths 1..max_len, every length represented."""
    rng = random.Random(seed)
    return [[rng.choice(list(vocab)) for _ in range(1 + i % max_len)] for i in range(n)]


def disagreements(model: Any, program: Any, inputs: list[list[Any]]) -> list[tuple]:
    """(input, compiled, interpreted) for every input where the two differ; inputs on which the
    interpreter itself fails (no defined output) are left out."""
    try:
        defined, wanted = list(inputs), evaluate(program, inputs)
    except RaspRuntimeError:
        defined, wanted = [], []
        for x in inputs:
            try:
                wanted.append(evaluate(program, [x])[0])
                defined.append(x)
            except RaspRuntimeError:
                continue
    assert len(defined) >= len(inputs) // 2, "most inputs should have a defined output"
    got = model.predict(defined)
    return [(x, g, w) for x, g, w in zip(defined, got, wanted)
            if len(g) != len(w) or not all(same(a, b) for a, b in zip(g, w))]
