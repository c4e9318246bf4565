"""Goals worked backwards from the output: case splits, sorting, and search shards."""
import numpy as np

from rasplab.lang import evaluate
from rasplab.lang.parser import parse
from rasplab.synth import synthesize
from rasplab.synth.bottomup.grammar import Grammar
from rasplab.synth.bottomup.portfolio import VARIANTS, shard_grammar, shard_seed
from rasplab.synth.bottomup.search import per_example
from rasplab.synth.bottomup.split import _monotone_subgoal
from rasplab.tasks import get_task


def _examples(task: str, n: int, seed: int) -> tuple[list, list]:
    t = get_task(task)
    xs = t.sample(n, seed)
    return xs, t.outputs(xs)


def _right_on_fresh(program, task: str) -> bool:
    xs, ys = _examples(task, 300, 999)
    return bool(per_example(program, xs, ys).all())


def test_dyck1_is_a_decision_list_over_prefix_goals():
    # F once a prefix closed too much (an "ever" over prefixes), else T when balanced, else P
    xs, ys = _examples("dyck1", 150, 3)
    result = synthesize(list(zip(xs, ys)), budget=60, progress=False)
    assert result.solved and _right_on_fresh(result.program, "dyck1")
    assert '"F" if' in result.source and "ever_" in result.source
    assert evaluate(parse(result.source).last, ["(()", "())("]) == [list("PPP"), list("PTFF")]


def test_a_cheap_superset_splits_a_goal_into_a_conjunction(monkeypatch):
    from rasplab.synth.bottomup import enumerate as enumeration
    from rasplab.synth.bottomup import pairs

    # a two-argument table over (tokens == "a", a count) says it too, and so does a read of
    # position 3 of `shift(indices, 2)` chosen by the token (1 when the input is that long):
    # both switched off here
    monkeypatch.setattr(pairs, "MAX_VALUES", 1)
    monkeypatch.setattr(enumeration, "MAX_SHIFTED", 0)
    # 1 where the token is "a" in an input of at least 4 tokens: tokens == "a", then a threshold
    rng = np.random.default_rng(0)
    xs = [list(rng.choice(list("abc"), size=int(n))) for n in rng.integers(1, 9, size=120)]
    ys = [[int(t == "a" and len(x) >= 4) for t in x] for x in xs]
    result = synthesize(list(zip(xs, ys)), budget=30, progress=False)
    assert result.solved and " and " in result.source
    fresh = [list("aaa"), list("abca"), list("cccccca")]
    assert evaluate(result.program, fresh) == [[0, 0, 0], [1, 0, 0, 1], [0] * 6 + [1]]


def test_most_freq_is_a_sort_of_first_copies_by_count():
    xs, ys = _examples("most_freq", 100, 3)
    result = synthesize(list(zip(xs, ys)), budget=30, progress=False)
    assert result.solved and result.seconds < 30
    assert _right_on_fresh(result.program, "most_freq")
    assert "hist" in result.source and "first_copies" in result.source


def test_sort_freq_sorts_by_a_found_key():
    xs, ys = _examples("sort_freq", 100, 3)
    result = synthesize(list(zip(xs, ys)), budget=30, progress=False)
    assert result.solved and _right_on_fresh(result.program, "sort_freq")


def test_monotone_subgoal_marks_the_switch_and_rejects_non_monotone_goals():
    care = np.ones((2, 4), dtype=bool)
    want = np.array([[0, 0, 1, 1], [0, 1, 1, 1]], dtype=bool)
    sub_want, sub_care = _monotone_subgoal(want, care)
    assert sub_want.tolist() == [[False, False, True, False], [False, True, False, False]]
    assert sub_care.tolist() == [[True, True, True, False], [True, True, False, False]]
    assert _monotone_subgoal(np.array([[1, 0, 1, 1]], dtype=bool), care[:1]) is None


def test_shards_differ_in_costs_and_search_set():
    base = Grammar()
    assert shard_grammar(base, (0, 2)) is base
    varied = shard_grammar(base, (1, 2))
    changed = VARIANTS[1]
    assert varied.cost("and") == max(1, base.cost("and") + changed["and"])
    assert varied.cost("map.add") == base.cost("map.add") + changed["map"]
    assert shard_seed(5, (0, 2)) == 5 and shard_seed(5, (1, 2)) != 5


def test_each_shard_solves_on_its_own_and_says_which_it_is():
    xs, ys = _examples("reverse", 80, 5)
    for i in (0, 1):
        result = synthesize(list(zip(xs, ys)), budget=30, progress=False, shard=(i, 2))
        assert result.solved and _right_on_fresh(result.program, "reverse")
        assert result.stats["shard"] == [i, 2]


def _two_reasons(n: int, seed: int) -> tuple[list, list]:
    """0 everywhere when the input holds an "a" or is 5 or more long, else 1: two unrelated
    reasons, so "somewhere h" needs h = (tokens == "a") or (indices > 3)."""
    rng = np.random.default_rng(seed)
    xs = [[str(t) for t in rng.choice(list("abcd"), size=int(rng.integers(1, 8)))]
          for _ in range(n)]
    return xs, [[0 if ("a" in x or len(x) >= 5) else 1] * len(x) for x in xs]


def test_an_aggregated_goal_is_covered_by_an_or_of_partial_witnesses(monkeypatch):
    from rasplab.synth.bottomup import pairs, split
    from rasplab.synth.bottomup.search import search

    xs, ys = _two_reasons(120, 0)
    # neither witness alone meets the goal, and `indices > 3` is no bank value (3 is not a
    # constant of the grammar; only a fit's threshold), so the `or` is out of enumeration;
    # conjunction splits, which find the same program from the other side, are switched off
    monkeypatch.setattr(split, "MAX_CONJUNCTS", 0)
    monkeypatch.setattr(split, "MAX_COVER", 1)
    # a two-argument table over (an "a" somewhere, length) says it too: switched off here
    monkeypatch.setattr(pairs, "MAX_VALUES", 1)
    assert not search(xs, ys, budget=10, progress=False, max_cost=6).solved
    monkeypatch.setattr(split, "MAX_COVER", 4)
    result = search(xs, ys, budget=10, progress=False, max_cost=6)
    assert result.solved and " or " in result.source
    fx, fy = _two_reasons(300, 1)
    assert per_example(result.program, fx, fy).all()
