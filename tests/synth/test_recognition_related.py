"""Borrowing: a task the plain grammar does not solve quickly searches with the programs of the
solved tasks the recognition model reads as closest."""
from __future__ import annotations

import numpy as np

from rasplab.lang.sexpr import from_sexpr
from rasplab.synth.library.io import Library
from rasplab.synth.library.loop import learn, task_examples
from rasplab.synth.recognition import RecognitionModel
from rasplab.synth.recognition.related import related_solutions, runs_on

#: depth: openers minus closers up to here (what the loop's search finds for it)
DEPTH = ('(sub (selector_width (and (select (table tokens "\\u0028" 0 "\\u0029" 1 "{" 0 "}" -1) '
         '0 eq) (select indices indices le))) (selector_width (and (select (table tokens '
         '"\\u0028" 1 "\\u0029" 0 "{" -1 "}" 0) 0 eq) (select indices indices le))))')
#: a program over another vocabulary: its table has no value for a bracket
OTHER_VOCAB = '(table tokens "a" 1 "b" 2)'


class FixedCodes:
    """A model whose code for a task's examples is given (by the first input's first token)."""

    def __init__(self, codes: dict[str, list[float]]):
        self.codes = codes

    def embed(self, inputs, outputs) -> np.ndarray:
        v = np.asarray(self.codes[inputs[0][0]], dtype=float)
        return v / np.linalg.norm(v)


def test_depth_is_a_valid_program_of_its_task() -> None:
    xs, ys = task_examples("depth", 30, 0)
    from rasplab.lang.evaluator import evaluate
    assert evaluate(from_sexpr(DEPTH), xs) == ys


def test_related_solutions_rank_by_the_models_code_and_skip_programs_that_do_not_run() -> None:
    xs, ys = task_examples("nesting", 20, 0)
    model = FixedCodes({t: [1.0, 0.0] for t in "(){}"})
    solved = {"near": (np.array([0.9, 0.1]), DEPTH), "far": (np.array([0.0, 1.0]), "indices"),
              "mid": (np.array([0.6, 0.8]), "tokens"),
              "nearest_but_other_vocabulary": (np.array([1.0, 0.0]), OTHER_VOCAB)}
    assert runs_on(DEPTH, xs) and not runs_on(OTHER_VOCAB, xs)
    assert related_solutions(model, xs, ys, solved, k=2) == ["near", "mid"]
    assert related_solutions(model, xs, ys, solved, k=5) == ["near", "mid", "far"]
    assert related_solutions(model, xs, ys, {}, k=3) == []


def test_the_models_code_is_unit_length_and_ignores_the_order_of_examples() -> None:
    model = RecognitionModel()
    xs, ys = task_examples("hist", 12, 0)
    code = model.embed(xs, ys)
    assert abs(np.linalg.norm(code) - 1.0) < 1e-6
    assert np.allclose(code, model.embed(xs[::-1], ys[::-1]), atol=1e-5)
    other = model.embed(*task_examples("reverse", 12, 0))
    assert not np.allclose(code, other, atol=1e-3)


def test_a_hard_task_borrows_a_solved_program_and_is_solved_with_it(monkeypatch) -> None:
    from rasplab.synth.recognition import phase

    class InProcess(phase.DreamTrainer):  # no worker process in a unit test
        def __init__(self, *args, **kw):
            super().__init__(*args, **kw, worker=False)

    monkeypatch.setattr(phase, "DreamTrainer", InProcess)
    # nesting (openers up to here minus closers before here) takes the plain search some
    # 20 s; with depth's program as one step it is depth plus "is a closer"
    reports, library = learn(["nesting"], budget=3, iterations=2, n_examples=40,
                             recognition=True, n_dreams=30, progress=False,
                             library=Library([], {"depth": DEPTH}))
    first, second = reports
    assert not first.tasks["nesting"]["solved"]
    assert second.recognition["guided"] == ["nesting"]
    assert second.recognition["related"] == {"nesting": ["depth"]}
    assert second.tasks["nesting"]["solved"]
    assert DEPTH in library.solutions["nesting"]  # the borrowed program, inline
    xs, ys = task_examples("nesting", 200, 7)
    from rasplab.lang.evaluator import evaluate
    assert evaluate(from_sexpr(library.solutions["nesting"]), xs) == ys
