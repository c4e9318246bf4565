"""Prefix goals whose first step is a conjunction, `v != c` tests, and booleans against 1."""
import importlib

import numpy as np

from rasplab.lang.ast import EQ, LE, SelectorWidth, indices, select, tokens
from rasplab.synth.bottomup import split
from rasplab.synth.bottomup.bank import Bank
from rasplab.synth.bottomup.grammar import Grammar, causal_part
from rasplab.synth.bottomup.search import per_example, search
from rasplab.synth.bottomup.values import BOOL, NUM, Space
from rasplab.synth.library.body import Body


def _breaks(n: int, seed: int) -> tuple[list, list]:
    """1 from the first "b" at which the share of "a" so far is not one half."""
    rng = np.random.default_rng(seed)
    xs = [list(rng.choice(list("abc"), size=int(k))) for k in rng.integers(1, 10, size=n)]
    ys = []
    for x in xs:
        out, broke, a = [], False, 0
        for i, t in enumerate(x):
            a += t == "a"
            broke = broke or (t == "b" and a / (i + 1) != 0.5)
            out.append(int(broke))
        ys.append(out)
    return xs, ys


def test_a_first_step_splits_into_a_conjunct_and_an_inequality(monkeypatch):
    # the first step (a "b", and a share that is not 1/2) costs too much as one bank value;
    # split into `tokens == "b"` and a `!= 0.5` test of a share, it is found within seconds
    # (500 examples: with fewer, a cheaper program fits them by chance)
    xs, ys = _breaks(500, 0)
    monkeypatch.setattr(split, "CONJOIN_FIRST_STEPS", False)
    assert not search(xs, ys, budget=8, progress=False).solved
    monkeypatch.setattr(split, "CONJOIN_FIRST_STEPS", True)
    result = search(xs, ys, budget=30, progress=False)
    assert result.solved and " != " in result.source and " and " in result.source
    fx, fy = _breaks(300, 1)
    assert per_example(result.program, fx, fy).all()


def test_differs_meets_a_goal_whose_unwanted_positions_share_one_value():
    xs = [list("ab"), list("ba")]
    sp = Space(xs, [[0, 1], [1, 0]])
    cs = split.CaseSplit(sp, Bank(sp), Grammar(), propose=lambda c: None)
    goal = split.BoolGoal(np.array([[False, True], [True, False]]), sp.valid.copy(), "g")
    values = np.array([[[0.5, 1.0], [0.0, 0.5]],     # unwanted: 0.5 only, wanted 1 and 0
                       [[0.5, 0.5], [0.0, 0.5]]])    # a wanted position holds 0.5 too
    fits = cs._fits(NUM, values, goal, slice(None))
    differs = split.CaseSplit.HOWS.index("differs")
    assert fits[:, differs].tolist() == [True, False]
    assert not fits[0, split.CaseSplit.HOWS.index("equals")]


def test_booleans_compare_with_one_as_true():
    # `select(opens, 1, ==)` is how a prefix count of a class is written; 1 must mean True
    sp = Space([list("(()")], [[1, 2, 1]])
    assert sp.encode(1, BOOL) == 1.0 and sp.encode(0, BOOL) == 0.0
    assert np.isnan(sp.encode(2, BOOL))
    body = Body('(selector_width (and (select (eq tokens "\\u0028") 1 eq) '
                '(select indices indices le)))')
    assert body.values(sp, [], []).array[0, 0].tolist() == [1, 2, 2]


def test_a_found_program_waits_a_share_of_the_time_it_took(monkeypatch):
    search_module = importlib.import_module("rasplab.synth.bottomup.search")
    driver = search_module.Driver([["a"]], [["a"]], Grammar())
    clock = [100.0]
    monkeypatch.setattr(search_module.time, "monotonic", lambda: clock[0])
    driver.start, driver.level = 0.0, 9
    driver.solution_cost, driver.solution_level, driver.solution_time = 21, 9, 40.0
    clock[0] = 45.0  # found after 40 s, waited 5 s: a cheaper program may still come
    assert not driver.accept_pending()
    clock[0] = 50.5  # waited more than a quarter of 40 s
    assert driver.accept_pending()
    driver.solution_time, clock[0] = 0.2, 1.9  # found at once: the level rule decides
    assert not driver.accept_pending()
    driver.level = 11
    assert driver.accept_pending()


def test_a_causal_mask_is_one_step_on_top_of_its_selector():
    g = Grammar()
    same = select(tokens, tokens, EQ)
    running = SelectorWidth(same & select(indices, indices, LE))
    assert causal_part(running.selector) == same
    assert g.program_cost(running) == g.cost("selector_width") + g.cost("and.prevs") + \
        g.program_cost(same)
    strict = SelectorWidth(same & select(indices, indices, "lt"))  # not the causal mask
    assert causal_part(strict.selector) is None
    assert g.program_cost(strict) > g.program_cost(running)
