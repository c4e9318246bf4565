"""NEAR: holes and grammar surgery, training a completion, the search and its entry point."""
import math

import numpy as np
import pytest

from rasplab.errors import ExamplesError, RaspNameError
from rasplab.lang import (
    EQ,
    Aggregate,
    Select,
    SelectorWidth,
    SequenceMap,
    evaluate,
    indices,
    tokens,
)
from rasplab.lang.functions import binary
from rasplab.synth.near import Grammar, SearchConfig, get_grammar, synthesize_near
from rasplab.synth.near.grammar import first_hole, holes, is_complete, replace, show
from rasplab.synth.near.holes import SelectorHole, SOpHole
from rasplab.synth.near.search import SearchData, train_completion

FAST = SearchConfig(steps=15, warm_steps=10, restarts=1)


def _int_inputs(n: int, seed: int = 0) -> list[list[int]]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 5, int(rng.integers(2, 7))).tolist() for _ in range(n)]


def test_replace_fills_the_first_hole_and_keeps_the_rest() -> None:
    k, v = SOpHole(), SOpHole()
    partial = Aggregate(Select(k, SOpHole(), EQ), v, 0, None)
    assert first_hole(partial) is k
    filled = replace(partial, k, indices)
    assert show(filled) == "(aggregate (select indices ?sop ==) ?sop)"
    assert list(holes(filled))[-1] is v  # untouched holes keep their identity (warm starts)
    assert not is_complete(filled)
    done = replace(replace(filled, first_hole(filled), indices), v, tokens)
    assert is_complete(done) and evaluate(done, ["abc"]) == [list("abc")]


def test_grammars_and_types() -> None:
    plain, macro = get_grammar("plain"), get_grammar("macro")
    names = {p.name for p in macro.for_hole(SOpHole())}
    assert "select_aggregate==" in names and "select_aggregate==" not in {
        p.name for p in plain.for_hole(SOpHole())}
    assert {p.fills for p in plain.for_hole(SelectorHole())} == {"sel"}
    macro.numeric_tokens = False  # string tokens never fill a hole under arithmetic ...
    assert "tokens" not in {p.name for p in macro.for_hole(SOpHole(kind="num"))}
    cat = {p.name for p in macro.for_hole(SOpHole(kind="cat"))}  # ... nor do counts make tokens
    assert "tokens" in cat and "selector_width" not in cat and "add" not in cat
    with pytest.raises(RaspNameError, match="unknown NEAR grammar"):
        get_grammar("fancy")


def test_training_the_neural_completion_lowers_its_loss() -> None:
    """One hole, `tokens + ?`, target `tokens + length`: training must beat the untrained net."""
    xs = _int_inputs(60)
    ys = [[t + len(x) for t in x] for x in xs]
    data = SearchData.build(xs, ys)
    program = SequenceMap(binary("add"), tokens, SOpHole())
    before, _ = train_completion(program, data, SearchConfig(steps=0, restarts=1))
    after, fillers = train_completion(program, data, SearchConfig(steps=80, restarts=1))
    assert math.isfinite(before) and after < 0.5 * before
    assert set(fillers) >= {h.hole_id for h in holes(program)}


def _small_grammar() -> Grammar:
    """A few productions of the macro grammar, so the test search is seconds long."""
    keep = {"tokens", "indices", "length", "select_width==", "select_aggregate=="}
    macro = get_grammar("macro")
    return Grammar("small", [p for p in macro.productions if p.name in keep])


def test_synthesis_finds_hist_and_reports_like_other_methods() -> None:
    xs = _int_inputs(30, seed=1)
    ys = evaluate(SelectorWidth(Select(tokens, tokens, EQ)), xs)
    result = synthesize_near(list(zip(xs, ys)), budget=60, grammar=_small_grammar(),
                             config=FAST, progress=False)
    assert result.solved and result.accuracy == 1.0
    assert evaluate(result.program, xs) == ys
    assert result.candidates == len(result.trace) > 0 and result.seconds > 0
    assert result.method == "near" and result.sexpr


def test_iddfs_and_interrupt_keep_the_best_so_far() -> None:
    xs = _int_inputs(20, seed=2)
    ys = [[len(x)] * len(x) for x in xs]
    result = synthesize_near(list(zip(xs, ys)), budget=30, search="iddfs", config=FAST,
                             progress=False)
    assert result.solved and evaluate(result.program, xs) == ys

    def refuse(program):  # the user presses Ctrl-C when a candidate is being checked
        raise KeyboardInterrupt

    stopped = synthesize_near(list(zip(xs, ys)), budget=30, config=FAST, progress=False,
                              verify=refuse)
    assert stopped.interrupted and not stopped.solved and stopped.program is not None


def test_bad_input_is_one_clear_error() -> None:
    with pytest.raises(ExamplesError, match="example 1: input has 2 tokens but output has 1"):
        synthesize_near([([1, 2], [1])], budget=5)
    with pytest.raises(ExamplesError, match="budget"):
        synthesize_near([([1], [1])], budget=0)
    with pytest.raises(ExamplesError, match="search"):
        synthesize_near([([1], [1])], budget=5, search="bfs")


def test_plot_writes_a_png(tmp_path) -> None:
    from rasplab.viz.near_plot import plot_near_trace

    trace = [(0.1, 0.9, False, "?sop"), (0.5, 0.2, False, "x"), (0.7, 0.0, True, "y"),
             (0.8, math.inf, False, "z")]
    path = plot_near_trace({"a": trace, "b": trace}, tmp_path / "near.png", "t")
    assert path.stat().st_size > 1000


def test_attention_hole_is_argmax_when_hard_and_noise_free_when_scoring() -> None:
    import torch

    from rasplab.synth.near.holes import SelectorFiller
    from rasplab.synth.near.relaxed import Encoder, RelaxedInputs

    xs = _int_inputs(8, seed=4)
    batch = RelaxedInputs.build(xs, Encoder([t for x in xs for t in x]))
    torch.manual_seed(0)
    att = SelectorFiller()
    hard = att(batch.features, batch.mask, hard=True)
    rows = batch.mask.sum().item()
    assert set(hard.unique().tolist()) <= {0.0, 1.0} and hard.sum().item() == rows
    assert (hard * ~batch.mask[:, None, :]).sum() == 0  # never a padding key
    a = att(batch.features, batch.mask, hard=False, noise=False)
    b = att(batch.features, batch.mask, hard=False, noise=False)
    assert torch.equal(a, b) and torch.allclose(a.sum(-1), batch.mask.float())
