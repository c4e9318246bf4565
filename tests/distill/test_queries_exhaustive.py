"""A model with a small input space is queried on every input; task samples respect max_len."""
import numpy as np

from rasplab.distill.oracle import from_function
from rasplab.distill.queries import every_input, input_sampler
from rasplab.tasks.distributions import distinct_sample


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


def balanced(xs: list) -> float:
    return float(np.mean([x.count("(") == x.count(")") and x.count("{") == x.count("}")
                          for x in xs]))


def test_a_model_reading_part_of_the_tasks_vocabulary_gets_the_task_inputs_within_it():
    # shuffle_dyck3 has three bracket pairs; a model compiled over (){} cannot read "[" "]",
    # but the task's balanced inputs over (){} still matter (uniform ones are rarely balanced)
    part = from_function(lambda x: list(x), vocab=list("(){}"), max_len=6, task="shuffle_dyck3")
    uniform = from_function(lambda x: list(x), vocab=list("(){}"), max_len=6)
    rng = np.random.default_rng(1)
    xs = input_sampler(part)(400, rng)
    assert len(xs) == 400 and {t for x in xs for t in x} <= set("(){}")
    assert balanced(xs) > 2 * balanced(input_sampler(uniform)(400, rng))


def test_ground_truth_is_checked_only_where_the_task_defines_it():
    # hist_bos's reference rejects inputs without BOS first; the model is still probed on them
    from rasplab.distill.verify import verify
    from rasplab.lang import run
    from rasplab.lang.library import get_program
    from rasplab.tasks import get_task

    task = get_task("hist_bos")
    program = get_program("hist_bos")
    oracle = from_function(lambda x: list(run(program, x)), vocab=list(task.vocab), max_len=5)
    xs = input_sampler(oracle)(300, np.random.default_rng(0))
    valid = sum(x[0] == "<s>" and "<s>" not in x[1:] for x in xs)
    assert 0 < valid < len(xs)
    check = verify(program, oracle, input_sampler(oracle), np.random.default_rng(0), n=300,
                   truth=lambda x: task.outputs([x])[0], longer=0)
    assert check.agreement == 1.0 and check.program_correct == 1.0


def test_first_queries_are_n_distinct_inputs_even_when_short_inputs_repeat():
    """A sampler whose draws repeat (length-1 and -2 inputs over two tokens) still yields `n`
    distinct queries when the support has them, and the whole support when it has fewer."""
    def sample(k, rng):  # 6 of every 7 draws are one of six short inputs
        return [list(rng.choice(list("ab"), size=rng.integers(1, 3))) if rng.random() < 6 / 7
                else list(rng.choice(list("ab"), size=8)) for _ in range(k)]

    got = distinct_sample(sample, 60, np.random.default_rng(0))
    assert len(got) == 60 and len({tuple(x) for x in got}) == 60
    tiny = distinct_sample(lambda k, rng: [["a"], ["b"]] * k, 10, np.random.default_rng(0))
    assert sorted(map(tuple, tiny)) == [("a",), ("b",)]
