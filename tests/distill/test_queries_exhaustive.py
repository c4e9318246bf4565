"""A model with a small input space is queried on every input; task samples respect max_len."""
import numpy as np

from rasplab.distill.oracle import from_function
from rasplab.distill.queries import every_input, input_sampler


def test_small_spaces_are_queried_exhaustively_and_large_ones_are_not():
    oracle = from_function(lambda x: list(reversed(x)), vocab=["a", "b"], max_len=3)
    xs = every_input(oracle, cap=100)
    assert xs is not None and len(xs) == 2 + 4 + 8
    assert len({tuple(x) for x in xs}) == len(xs)
    assert every_input(oracle, cap=10) is None


def test_task_samples_stay_within_the_models_lengths():
    oracle = from_function(lambda x: list(x), vocab=list("()"), max_len=4, task="dyck1")
    xs = input_sampler(oracle)(200, np.random.default_rng(0))
    assert max(len(x) for x in xs) <= 4


def test_task_samples_are_used_only_when_the_model_reads_every_task_token():
    # shuffle_dyck3 has three bracket pairs; a model compiled over (){} cannot read "[" "]"
    part = from_function(lambda x: list(x), vocab=list("(){}"), max_len=6, task="shuffle_dyck3")
    xs = input_sampler(part)(300, np.random.default_rng(0))
    assert {t for x in xs for t in x} <= set("(){}")
    # with the whole vocabulary, the task's distribution shows (balanced inputs are common)
    whole = from_function(lambda x: list(x), vocab=list("(){}"), max_len=6, task="shuffle_dyck2")
    uniform = from_function(lambda x: list(x), vocab=list("(){}"), max_len=6)

    def balanced(xs: list) -> float:
        return np.mean([x.count("(") == x.count(")") and x.count("{") == x.count("}")
                        for x in xs])
    rng = np.random.default_rng(1)
    assert balanced(input_sampler(whole)(400, rng)) > 2 * balanced(input_sampler(uniform)(400, rng))
