"""Predicted production probabilities as integer production costs for the bottom-up engine.

A production's cost is its default cost shifted by how much more (or less) likely the model
finds it for this task than for programs in general, `log2(prior / p)`, rounded and clipped to
[1, 6]: likely productions get cheaper, unlikely ones dearer, and none becomes impossible, so
a task the engine solves without the model is at worst searched more slowly.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

from rasplab.synth.bottomup.grammar import Grammar

MIN_COST, MAX_COST = 1, 6
#: the most a prediction moves a production's cost away from its default
MAX_SHIFT = 2
#: engine names that share a prediction with a labelled production
ALIASES = {"map.rsub": "map.sub"}


def costs_from_probabilities(probs: dict[str, float], priors: dict[str, float] | None = None,
                             base: Grammar | None = None, strength: float = 1.0,
                             floor: float = 1e-3, max_shift: int = MAX_SHIFT) -> dict[str, int]:
    """Production name -> cost: default cost + strength * log2(prior / p), clipped to [1, 6].

    The shift is at most `max_shift` either way, which bounds how much slower a task the model
    misjudges can get. Without priors, p is compared with 1/2."""
    base = base or Grammar()
    out: dict[str, int] = {}
    for name, p in probs.items():
        prior = 0.5 if priors is None else priors.get(name, 0.5)
        shift = strength * math.log2(max(prior, floor) / max(p, floor))
        shift = max(-max_shift, min(max_shift, shift))
        out[name] = int(min(MAX_COST, max(MIN_COST, round(base.cost(name) + shift))))
    for alias, name in ALIASES.items():
        if name in out:
            out.setdefault(alias, out[name])
    return out


def recognition_weights(model: Any, inputs: Sequence[Sequence[Any]],
                        outputs: Sequence[Sequence[Any]], base: Grammar | None = None,
                        strength: float = 1.0) -> dict[str, int]:
    """The production costs a recognition model proposes for these examples (relative to
    `base`, by default the grammar its dreams came from)."""
    base = base or model.base_grammar()
    return costs_from_probabilities(model.predict(inputs, outputs), model.priors(), base,
                                    strength)


def recognition_grammar(model: Any, inputs: Sequence[Sequence[Any]],
                        outputs: Sequence[Sequence[Any]], base: Grammar | None = None,
                        strength: float = 1.0) -> Grammar:
    """`base` (default: the model's own base grammar) with its costs for these examples."""
    base = base or model.base_grammar()
    return base.with_weights(recognition_weights(model, inputs, outputs, base, strength))
