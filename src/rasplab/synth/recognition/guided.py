"""Bottom-up search ordered by a recognition model, with an optional hedge on plain costs.

The model's costs make likely productions cheap; when it misjudges a task, the search under
them can take longer than the plain one. `fallback` keeps that share of the budget for a
search under the engine's default costs if the guided one finds nothing, so a task the plain
engine solves within the kept share is never lost.
"""
from __future__ import annotations

import time
from typing import Any, Sequence

from rasplab.synth.bottomup.grammar import Grammar
from rasplab.synth.result import SynthResult


def guided_search(inputs: Sequence[Sequence[Any]], outputs: Sequence[Sequence[Any]],
                  model: Any, *, budget: float = 60.0, fallback: float = 0.0,
                  base: Grammar | None = None, strength: float = 1.0,
                  selector_priors: dict | None = None, seed: int = 0,
                  progress: bool | None = None) -> SynthResult:
    """Search under the model's predicted costs; then, unsolved, under the default costs for
    the `fallback` share of the budget (candidates and seconds of both searches add up)."""
    from rasplab.synth.bottomup.search import search
    from rasplab.synth.recognition.weights import recognition_grammar

    if not 0.0 <= fallback < 1.0:
        raise ValueError(f"fallback must be in [0, 1), got {fallback}")
    start = time.monotonic()
    inputs, outputs = [list(x) for x in inputs], [list(y) for y in outputs]
    grammar = recognition_grammar(model, inputs, outputs, base, strength)
    options: dict[str, Any] = dict(selector_priors=selector_priors, seed=seed, progress=progress)
    first = search(inputs, outputs, budget=budget * (1.0 - fallback), grammar=grammar,
                   **options)
    first.stats["guided"] = True
    left = budget - (time.monotonic() - start)
    if first.solved or fallback == 0.0 or first.interrupted or left <= 0.05:
        return first
    second = search(inputs, outputs, budget=left, grammar=Grammar(), **options)
    best = second if (second.solved or second.accuracy > first.accuracy) else first
    best.candidates = first.candidates + second.candidates
    if best is second and second.stats.get("candidates_to_solution") is not None:
        best.stats["candidates_to_solution"] = (first.candidates
                                                + second.stats["candidates_to_solution"])
    best.seconds = first.seconds + second.seconds
    best.stats["fallback"] = True
    return best
