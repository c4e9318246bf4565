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
