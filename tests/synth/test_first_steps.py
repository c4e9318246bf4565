"""Prefix goals whose first step is a conjunction, `v != c` tests, and booleans against 1."""
import numpy as np

from rasplab.synth.bottomup import split
from rasplab.synth.bottomup.bank import Bank
from rasplab.synth.bottomup.grammar import Grammar
from rasplab.synth.bottomup.search import search
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
    xs, ys = _breaks(150, 0)
    monkeypatch.setattr(split, "CONJOIN_FIRST_STEPS", False)
    assert not search(xs, ys, budget=8, progress=False).solved
    monkeypatch.setattr(split, "CONJOIN_FIRST_STEPS", True)
    result = search(xs, ys, budget=20, progress=False)
    assert result.solved and " != " in result.source and " and " in result.source


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
