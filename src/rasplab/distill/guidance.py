"""White-box guidance: which RASP selectors do the model's attention heads look like?

Each head's attention on the query inputs (BOS removed) is compared with the row-normalised
pattern of candidate selectors; a selector that some head matches closely is likely part of the
program, so the search tries it first. The same comparison names the head behind each selector
of the final program.

Heads of rasplab's own models are sharp, so an absolute threshold suffices (`head_priors`).
Heads trained elsewhere are soft and share the work, so `relative_priors` reads each head
against what says nothing (attending everywhere, or only to BOS) and keeps the heads that stand
out from the rest of the model.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

from rasplab.distill.oracle import Patterns
from rasplab.errors import RaspLabError
from rasplab.lang import (
    EQ,
    FALSE,
    GE,
    GT,
    LE,
    LT,
    NE,
    TRUE,
    Full,
    Select,
    Selector,
    evaluate,
    indices,
    length,
)
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


def selector_patterns(selectors: Iterable[Selector], inputs: list[list[Any]],
                      causal: bool = False) -> list[tuple[Selector, list[np.ndarray]]]:
    """Each selector evaluated on the inputs (causally: keys up to the query); those undefined
    there (str < int) are skipped."""
    out = []
    for sel in selectors:
        try:
            out.append((sel, evaluate(sel, inputs, causal=causal)))
        except RaspLabError:
            continue
    return out


@dataclass
class HeadMatch:
    """A selector and the head whose attention is closest to it."""

    selector: Selector
    head: str
    score: float
    #: relative_priors: whether this head stood out enough to hint its selectors to the search
    counted: bool = False
    #: match_program_heads: the similarity itself (the score is its gain over the baseline)
    similarity: float | None = None


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


# --- heads trained elsewhere: soft attention read against uninformative heads ------------------
#: soft rows are raised to this power (and renormalised) so that a head's favourite keys stand
#: out; a sharp head (one-hot or uniform over its keys) is unchanged
SHARPEN = 2.0
#: a head counts when its best selector beats the uninformative readings by this much ...
MARGIN = 0.1
#: ... and by at least this share of the best such gain among all heads of the model
SHARE = 0.5
#: selectors within this of a head's best are kept with it (equal patterns on the probes)
TIE = 0.02
#: the cost discount of the best-supported selector (a select costs about 3; 2 makes it a leaf)
DISCOUNT = 2.0


def trained_candidates() -> list[Select]:
    """Selects over tokens and indices against the s-ops trained heads key on, constants
    (the first, the last position) included, simplest first: ties keep the simplest name."""
    queries = [("tokens", tokens_sop), ("indices", indices), ("", Full(0)), ("", length - 1),
               ("", indices - 1), ("", indices + 1), ("length", length)]
    queries = [(s.named(n) if n else s) for n, s in queries]
    preds = (EQ, LT, GT, LE, GE, NE)
    return [Select(k, q, p) for k in (tokens_sop, indices) for q in queries for p in preds]


def sink_rows(attention: np.ndarray, sharpen: float = SHARPEN) -> np.ndarray:
    """(n, n+1) rows over [nothing, key 0, ..., key n-1]: what the row lacks of summing to one
    went to BOS (or the sink token), which reads as "selects nothing"; sharpened."""
    rest = np.clip(1.0 - attention.sum(axis=-1, keepdims=True), 0.0, 1.0)
    rows = np.concatenate([rest, np.clip(attention, 0.0, None)], axis=-1) ** sharpen
    total = rows.sum(axis=-1, keepdims=True)
    return np.divide(rows, total, out=np.zeros_like(rows), where=total > 0)


def sink_target(matrix: np.ndarray) -> np.ndarray:
    """(n, n+1) rows a head implementing the selector shows: uniform over the selected keys, or
    all on "nothing" where the query selects no key."""
    m = matrix.astype(np.float64)
    width = m.sum(axis=-1, keepdims=True)
    keys = np.divide(m, width, out=np.zeros_like(m), where=width > 0)
    return np.concatenate([(width == 0).astype(np.float64), keys], axis=-1)


def _cut(mats: list[np.ndarray], skip_first: bool) -> list[np.ndarray]:
    return [m[1:, 1:] for m in mats] if skip_first else list(mats)


def sink_similarity(head: list[np.ndarray], selector: list[np.ndarray],
                    sharpen: float = SHARPEN) -> float:
    """1 - mean total-variation distance between sharpened sink rows and selector rows."""
    dists = [0.5 * np.abs(sink_rows(h, sharpen) - sink_target(s)).sum(axis=-1)
             for h, s in zip(head, selector) if h.size]
    return float(1.0 - np.concatenate(dists).mean()) if dists else 0.0


@dataclass
class HeadReading:
    """One head read against the candidates: its best selectors and how far they beat the
    uninformative readings (everything, nothing)."""

    head: str
    baseline: float
    scored: list[tuple[float, int]]  # (similarity, candidate index), best first

    @property
    def gain(self) -> float:
        return self.scored[0][0] - self.baseline if self.scored else 0.0


def _by_length(mats: list[np.ndarray]) -> dict[int, list[int]]:
    groups: dict[int, list[int]] = {}
    for i, m in enumerate(mats):
        if m.size:
            groups.setdefault(m.shape[-1], []).append(i)
    return groups


def read_heads(patterns: Patterns, cands: list[tuple[Selector, list[np.ndarray]]],
               inputs: list[list[Any]], causal: bool = False, skip_first: bool = False
               ) -> list[HeadReading]:
    """Every head scored against every candidate pattern (sink rows, sharpened); one numpy
    pass per input length over all candidates at once."""
    flat = selector_patterns([Select(tokens_sop, tokens_sop, TRUE),
                              Select(tokens_sop, tokens_sop, FALSE)], inputs, causal)
    mats = [_cut(m, skip_first) for _, m in flat] + [_cut(m, skip_first) for _, m in cands]
    if not mats:
        return []
    groups = _by_length(mats[0])
    # per length: candidate targets (C, B, n, n+1)
    targets = {n: np.stack([np.stack([sink_target(m[i]) for i in idx]) for m in mats])
               for n, idx in groups.items()}
    rows = sum(len(idx) * n for n, idx in groups.items())
    out = []
    for head, att in patterns.items():
        att = _cut(att, skip_first)
        total = np.zeros(len(mats))
        for n, idx in groups.items():
            h = np.stack([sink_rows(att[i]) for i in idx])  # (B, n, n+1)
            total += 0.5 * np.abs(targets[n] - h[None]).sum(axis=(1, 2, 3))
        sims = 1.0 - total / max(rows, 1)
        base = float(sims[: len(flat)].max())
        cand = sims[len(flat):]
        order = np.lexsort((np.arange(len(cand)), -cand))
        out.append(HeadReading(head, base, [(float(cand[i]), int(i)) for i in order]))
    return out


def sibling(sel: Selector) -> Selector | None:
    """The strict/non-strict twin of a comparison select (`<` and `<=`, `>` and `>=`): a soft
    head says little about its own query's key, so it hints both."""
    twins = {LT: LE, LE: LT, GT: GE, GE: GT}
    if isinstance(sel, Select) and sel.predicate in twins:
        return Select(sel.keys, sel.queries, twins[sel.predicate])
    return None


def relative_priors(patterns: Patterns, inputs: list[list[Any]], *, causal: bool = False,
                    skip_first: bool = False, per_head: int = 2
                    ) -> tuple[dict[Selector, float], list[HeadMatch]]:
    """Selector priors from soft (trained) heads: a head counts when its best candidate beats
    attending everywhere or nowhere by `MARGIN` and by `SHARE` of the model's best such gain;
    its best selectors (distinct patterns, ties within `TIE`), and their strict/non-strict
    twins, get a cost discount up to `DISCOUNT`, in proportion to the gain. `skip_first`:
    position 0 is a sink token the program also sees (a `<bos>` inside the prompts), read like
    BOS.

    Returns the priors and, per head, its best candidate with the gain over its baseline as
    the score.
    """
    cands = selector_patterns(trained_candidates(), inputs, causal)
    readings = read_heads(patterns, cands, inputs, causal, skip_first)
    flat = {_key(m) for _, m in selector_patterns(
        [Select(tokens_sop, tokens_sop, TRUE), Select(tokens_sop, tokens_sop, FALSE)],
        inputs, causal)}
    index = {sel: i for i, (sel, _) in enumerate(cands)}
    top = max((r.gain for r in readings), default=0.0)
    priors: dict[Selector, float] = {}
    best: list[HeadMatch] = []
    for r in readings:
        if not r.scored:
            continue
        counted = r.gain >= MARGIN and r.gain >= SHARE * top
        best.append(HeadMatch(cands[r.scored[0][1]][0], r.head, r.gain, counted))
        if not counted:
            continue
        seen = set(flat)
        for s, i in r.scored:
            if s < r.scored[0][0] - TIE or len(seen) - len(flat) >= per_head:
                break
            key = _key(cands[i][1])
            if key in seen:
                continue
            seen.add(key)
            discount = DISCOUNT * (s - r.baseline) / top
            for sel in (cands[i][0], sibling(cands[i][0])):
                if sel is None or sel not in index or _key(cands[index[sel]][1]) in flat:
                    continue
                priors[sel] = max(priors.get(sel, 0.0), discount)
    return priors, best


def match_program_heads(patterns: Patterns, program: Any, inputs: list[list[Any]], *,
                        causal: bool = False, skip_first: bool = False) -> list[HeadMatch]:
    """Each selector of `program` (those an aggregate or selector_width reads, and the selects
    they combine) with the head that matches it best; the score is the similarity's gain over
    that head's uninformative readings (0: no head shows it)."""
    sels = list(dict.fromkeys(s for outer in program_selectors(program) for s in walk(outer)
                              if isinstance(s, Selector)))
    cands = selector_patterns(sels, inputs, causal)
    if not cands or not patterns:
        return []
    readings = read_heads(patterns, cands, inputs, causal, skip_first)
    out = []
    for i, (sel, _) in enumerate(cands):
        scores = [(sim - r.baseline, sim, r.head) for r in readings
                  for sim, j in r.scored if j == i]
        gain, sim, head = max(scores)
        out.append(HeadMatch(sel, head, gain, similarity=sim))
    return out


def _key(mats: list[np.ndarray]) -> bytes:
    return b"|".join(np.packbits(m.astype(bool)).tobytes() + bytes(m.shape) for m in mats)
