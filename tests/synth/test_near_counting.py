"""NEAR counting selector holes: what they compute when hard, that they train, where they appear."""
import math

import numpy as np
import torch

from rasplab.lang import LT, Select, SelectorWidth, evaluate, tokens
from rasplab.synth.near import SearchConfig, get_grammar
from rasplab.synth.near.grammar import first_hole, holes, replace
from rasplab.synth.near.holes import MultiSelectorFiller, SelectorHole, SOpHole
from rasplab.synth.near.relaxed import Encoder, RelaxedInputs, relaxed_eval
from rasplab.synth.near.search import SearchData, train_completion


def _int_inputs(n: int, seed: int = 0) -> list[list[int]]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 5, int(rng.integers(2, 8))).tolist() for _ in range(n)]


def test_hard_counting_hole_can_be_an_exact_comparison() -> None:
    """Query (t, 1) and key (1, -t) projections: the width is `selector_width(tokens < ...)`."""
    xs = _int_inputs(30, seed=3)
    batch = RelaxedInputs.build(xs, Encoder([t for x in xs for t in x]))
    hole = SelectorHole(multi=True)
    att = MultiSelectorFiller()
    with torch.no_grad():
        for lin in (att.q, att.k):
            lin.weight.zero_()
            lin.bias.zero_()
        att.q.weight[0, 0], att.q.bias[1] = 1.0, 1.0   # query: (t_q, 1)
        att.k.bias[0], att.k.weight[1, 0] = 1.0, -1.0  # key: (1, -t_k)
    got = relaxed_eval(SelectorWidth(hole), batch, {hole.hole_id: att}, hard=True)
    want = evaluate(SelectorWidth(Select(tokens, tokens, LT)), xs)
    for b, row in enumerate(want):
        assert got[b, : len(row)].tolist() == [float(v) for v in row]
    assert (got * ~batch.mask).abs().sum() == 0


def test_counting_hole_learns_a_tie_broken_rank_that_one_hot_attention_cannot() -> None:
    """Target: each token's place in the stable sort. One-hot attention's width is always 1."""
    xs = _int_inputs(80, seed=5)
    ys = [[sorted(range(len(x)), key=lambda i: (x[i], i)).index(j) for j in range(len(x))]
          for x in xs]
    data = SearchData.build(xs, ys)
    cfg = SearchConfig(steps=150, restarts=1)
    counting, _ = train_completion(SelectorWidth(SelectorHole(multi=True)), data, cfg)
    one_hot, _ = train_completion(SelectorWidth(SelectorHole()), data, cfg)
    assert math.isfinite(counting) and counting < 0.3 * one_hot


def test_macro_grammar_counts_under_widths_and_plain_keeps_the_seed_holes() -> None:
    macro, plain = get_grammar("macro"), get_grammar("plain")
    width = {p.name: p for p in macro.for_hole(SOpHole())}["selector_width"].build(SOpHole())
    assert first_hole(width).multi
    sel = first_hole(width)
    for name in ("or", "and"):
        combined = {p.name: p for p in macro.for_hole(sel)}[name].build(sel)
        assert all(h.multi for h in holes(combined))
    shared = {p.name: p for p in macro.for_hole(sel)}["select_shared<"].build(sel)
    assert shared.keys is shared.queries and isinstance(shared.keys, SOpHole)
    filled = replace(width, sel, shared)
    assert len({h.hole_id for h in holes(filled)}) == 1  # one s-op hole, used twice
    seed_width = {p.name: p for p in plain.for_hole(SOpHole())}["selector_width"].build(SOpHole())
    assert not first_hole(seed_width).multi
    assert not any(p.name.startswith("select_shared") for p in plain.productions)
