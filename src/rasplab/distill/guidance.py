"""White-box guidance: which RASP selectors do the model's attention heads look like?

Each head's attention on the query inputs (BOS removed) is compared with the row-normalised
pattern of candidate selectors; a selector that some head matches closely is likely part of the
program, so the search tries it first. The same comparison names the head behind each selector
of the final program.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

from rasplab.distill.oracle import Patterns
from rasplab.errors import RaspLabError
from rasplab.lang import EQ, GE, GT, LE, LT, NE, TRUE, Select, Selector, evaluate, indices, length
from rasplab.lang import tokens as tokens_sop
from rasplab.lang.ast import walk

PREDICATES = (EQ, NE, LT, LE, GT, GE, TRUE)


def selector_target(matrix: np.ndarray) -> np.ndarray:
    """Row-normalised selector: the attention a head implementing it would show (empty rows 0)."""
    m = matrix.astype(np.float64)
    rows = m.sum(axis=-1, keepdims=True)
    return np.divide(m, rows, out=np.zeros_like(m), where=rows > 0)


def head_rows(attention: np.ndarray, sink: float = 0.1) -> np.ndarray:
    """Attention rows renormalised over the real (non-BOS) keys.

    Heads often keep some weight on BOS (compiled selector_width heads always do; trained heads
    use it as a sink), so what they select is the shape of the rest of the row; a row whose
    mass outside BOS is below `sink` selects nothing.
    """
    mass = attention.sum(axis=-1, keepdims=True)
    return np.divide(attention, mass, out=np.zeros_like(attention), where=mass > sink)


def similarity(head: list[np.ndarray], selector: list[np.ndarray]) -> float:
    """1 - mean total-variation distance between attention rows and selector rows (1 = same)."""
    dists = [0.5 * np.abs(head_rows(h) - selector_target(s)).sum(axis=-1)
             for h, s in zip(head, selector)]
    return float(1.0 - np.concatenate(dists).mean()) if dists else 0.0


def candidate_selectors() -> list[Select]:
    """Selects over the small s-ops that attention heads usually key on."""
    sops = [tokens_sop, indices, length, indices + 1, indices - 1, length - indices - 1]
    names = ["tokens", "indices", "length", "indices+1", "indices-1", "length-indices-1"]
    sops = [s.named(n) if n.isidentifier() else s for s, n in zip(sops, names)]
    return [Select(k, q, p) for k in sops for q in sops for p in PREDICATES]


def selector_patterns(selectors: Iterable[Selector], inputs: list[list[Any]]
                      ) -> list[tuple[Selector, list[np.ndarray]]]:
    """Each selector evaluated on the inputs; those undefined there (str < int) are skipped."""
    out = []
    for sel in selectors:
        try:
            out.append((sel, evaluate(sel, inputs)))
        except RaspLabError:
            continue
    return out


@dataclass
class HeadMatch:
    """A selector and the head whose attention is closest to it."""

    selector: Selector
    head: str
    score: float


def best_heads(patterns: Patterns, selectors: list[tuple[Selector, list[np.ndarray]]]
               ) -> list[HeadMatch]:
    """For each selector, the best-matching head."""
    out = []
    for sel, mats in selectors:
        scored = [(similarity(att, mats), head) for head, att in patterns.items()]
        if scored:
            score, head = max(scored)
            out.append(HeadMatch(sel, head, score))
    return out


def head_priors(patterns: Patterns, inputs: list[list[Any]], threshold: float = 0.85,
                per_head: int = 3) -> tuple[dict[Selector, float], list[HeadMatch]]:
    """Candidate selectors that some head matches well, with a prior in (0, 1] (1 = perfect).

    Distinct selectors often have the same pattern on the query inputs; all of them are kept,
    since the search deduplicates by pattern anyway.
    """
    cands = selector_patterns(candidate_selectors(), inputs)
    priors: dict[Selector, float] = {}
    best: list[HeadMatch] = []
    for head, att in patterns.items():
        scored = sorted(((similarity(att, mats), i) for i, (_, mats) in enumerate(cands)),
                        reverse=True)
        if not scored:
            continue
        top = scored[0][0]
        kept = [(s, i) for s, i in scored if s >= threshold and s >= top - 1e-9][:per_head]
        for s, i in kept or []:
            priors[cands[i][0]] = max(priors.get(cands[i][0], 0.0), s)
        best.append(HeadMatch(cands[scored[0][1]][0], head, top))
    return priors, best


def program_selectors(program: Any) -> list[Selector]:
    """The outermost selectors of a program (those an aggregate or selector_width reads)."""
    from rasplab.lang.ast import Aggregate, SelectorWidth

    return [n.selector for n in walk(program) if isinstance(n, Aggregate | SelectorWidth)]
