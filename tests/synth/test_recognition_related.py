"""Borrowing: a task the plain grammar does not solve quickly searches with the programs of the
solved tasks the recognition model reads as closest."""
from __future__ import annotations

import numpy as np

from rasplab.lang.sexpr import from_sexpr
from rasplab.synth.library.io import Library
from rasplab.synth.library.loop import learn, task_examples
from rasplab.synth.recognition import RecognitionModel
from rasplab.synth.recognition.related import (
    BORROW_COST,
    Solved,
    borrowed_steps,
    related_solutions,
    relatedness,
    runs_on,
)

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
    brackets = frozenset("(){}")
    solved = {"near": Solved(np.array([0.9, 0.1]), DEPTH, brackets),
              "far": Solved(np.array([0.0, 1.0]), "indices", brackets),
              "mid": Solved(np.array([0.6, 0.8]), "tokens", brackets),
              "nearest_but_other_vocabulary": Solved(np.array([1.0, 0.0]), OTHER_VOCAB,
                                                     frozenset("ab"))}
    assert runs_on(DEPTH, xs) and not runs_on(OTHER_VOCAB, xs)
    assert related_solutions(model, xs, ys, solved, k=2) == ["near", "mid"]
    assert related_solutions(model, xs, ys, solved, k=5) == ["near", "mid", "far"]
    assert related_solutions(model, xs, ys, {}, k=3) == []


def test_tasks_on_the_same_tokens_come_before_closer_readings_on_other_tokens() -> None:
    code = np.array([1.0, 0.0])
    brackets = frozenset("(){}")
    same = Solved(np.array([0.6, 0.8]), "tokens", brackets)
    half = Solved(np.array([0.8, 0.6]), "tokens", frozenset("()"))
    other = Solved(np.array([1.0, 0.0]), "tokens", frozenset("abc"))
    assert relatedness(code, brackets, same) > relatedness(code, brackets, half) \
        > relatedness(code, brackets, other)
    assert relatedness(code, brackets, other) == 1.0


def test_a_borrowed_program_lends_itself_and_the_selectors_it_counts_with() -> None:
    from rasplab.lang import ast

    leaves, selectors = borrowed_steps([DEPTH], select_cost=3)
    assert [node for node, _ in leaves] == [from_sexpr(DEPTH)]
    assert all(cost == BORROW_COST for _, cost in leaves)
    counted = [n.selector for n in ast.walk(from_sexpr(DEPTH)) if isinstance(n, ast.SelectorWidth)]
    assert len(counted) == 2 and set(selectors) == set(counted)
    # the search charges a hinted selector select + 2 - discount: the borrowed cost
    assert all(3 + 2 - d == BORROW_COST for d in selectors.values())


def test_the_models_code_is_unit_length_and_ignores_the_order_of_examples() -> None:
    model = RecognitionModel()
    xs, ys = task_examples("hist", 12, 0)
    code = model.embed(xs, ys)
    assert abs(np.linalg.norm(code) - 1.0) < 1e-6
    assert np.allclose(code, model.embed(xs[::-1], ys[::-1]), atol=1e-5)
    other = model.embed(*task_examples("reverse", 12, 0))
    assert not np.allclose(code, other, atol=1e-3)


def _plain_finds_nothing(monkeypatch) -> list[tuple[str, tuple[str, ...]]]:
    """The loop with an in-process trainer and a plain search that finds nothing (so only the
    model's borrowing can solve a task); returns the log of (task, borrowed) searches."""
    from rasplab.synth.library import loop
    from rasplab.synth.recognition import phase

    class InProcess(phase.DreamTrainer):  # no worker process in a unit test
        def __init__(self, *args, **kw):
            super().__init__(*args, **kw, worker=False)

    real = loop.solve_task
    log: list[tuple[str, tuple[str, ...]]] = []

    def solve(name, library, budget, n_examples, seed, recognition=None, borrowed=()):
        log.append((name, tuple(borrowed)))
        if recognition is None:
            return loop.TaskOutcome(name, False, 0.1, 0.05, 3)
        return real(name, library, budget, n_examples, seed, recognition, borrowed)

    monkeypatch.setattr(phase, "DreamTrainer", InProcess)
    monkeypatch.setattr(loop, "solve_task", solve)
    return log


def test_a_hard_task_borrows_a_solved_program_and_is_solved_with_it(monkeypatch) -> None:
    log = _plain_finds_nothing(monkeypatch)
    # nesting (openers up to here minus closers before here) takes the plain search some
    # 20 s; with depth's program as one step it is depth plus "is a closer"
    reports, library = learn(["nesting"], budget=6, iterations=2, n_examples=40,
                             recognition=True, n_dreams=30, progress=False,
                             library=Library([], {"depth": DEPTH}))
    first, second = reports
    assert not first.tasks["nesting"]["solved"]
    assert second.recognition["guided"] == ["nesting"]
    assert second.borrowed == {"nesting": ["depth"]}
    assert second.tasks["nesting"]["solved"]
    assert ("nesting", (DEPTH,)) in log
    assert DEPTH in library.solutions["nesting"]  # the borrowed program, inline
    xs, ys = task_examples("nesting", 200, 7)
    from rasplab.lang.evaluator import evaluate
    assert evaluate(from_sexpr(library.solutions["nesting"]), xs) == ys


def test_a_task_solved_in_the_first_pass_lends_itself_in_the_second(monkeypatch) -> None:
    log = _plain_finds_nothing(monkeypatch)
    # level_count counts the brackets so far at this one's nesting level: out of reach from
    # depth alone in the first pass, one step from nesting once the first pass solved it
    reports, library = learn(["nesting", "level_count"], budget=6, iterations=2,
                             n_examples=40, recognition=True, n_dreams=30, progress=False,
                             library=Library([], {"depth": DEPTH}))
    second = reports[1]
    assert second.tasks["nesting"]["solved"] and second.tasks["level_count"]["solved"]
    assert "nesting" in second.borrowed["level_count"]
    lent = [b for name, b in log if name == "level_count" and b]
    assert len(lent) == 2 and library.solutions["nesting"] in lent[1]
    assert library.solutions["nesting"] not in lent[0]
    xs, ys = task_examples("level_count", 200, 7)
    from rasplab.lang.evaluator import evaluate
    assert evaluate(from_sexpr(library.solutions["level_count"]), xs) == ys


def test_borrow_without_a_model_lends_programs_on_the_same_tokens(monkeypatch) -> None:
    from rasplab.synth.library import loop

    real = loop.solve_task
    log: list[tuple[str, bool, tuple[str, ...]]] = []

    def solve(name, library, budget, n_examples, seed, recognition=None, borrowed=()):
        log.append((name, recognition is not None, tuple(borrowed)))
        if not borrowed:  # the plain search finds nothing: only borrowing can solve it
            return loop.TaskOutcome(name, False, 0.1, 0.05, 3)
        return real(name, library, budget, n_examples, seed, recognition, borrowed)

    monkeypatch.setattr(loop, "solve_task", solve)
    other_tokens = "(table tokens \"a\" 1 \"b\" 2 \"c\" 3)"
    reports, library = learn(["nesting"], budget=6, iterations=2, n_examples=40,
                             borrow=True, progress=False,
                             library=Library([], {"depth": DEPTH, "count": other_tokens}))
    first, second = reports
    assert first.borrowed == {} and not first.tasks["nesting"]["solved"]
    assert second.borrowed == {"nesting": ["depth"]}  # count's program is over other tokens
    assert second.tasks["nesting"]["solved"] and second.recognition == {}
    assert not any(guided for _, guided, _ in log)  # no model anywhere
    assert DEPTH in library.solutions["nesting"]


def test_cli_library_borrow_flag_reaches_the_loop_and_shows_what_was_borrowed(
        tmp_path, capsys, monkeypatch) -> None:
    from rasplab.cli.main import main
    from rasplab.synth.library import loop

    seen: dict = {}

    def fake_learn(tasks, **kw):
        seen.update(kw)
        report = loop.IterationReport(iteration=2, solved=1, total=1, seconds=0.1,
                                      search_seconds=0.1, abstractions=[],
                                      borrowed={"nesting": ["depth", "dyck1"]})
        kw["on_iteration"](report)
        return [report], Library()

    monkeypatch.setattr(loop, "learn", fake_learn)
    code = main(["library", "--suite", "paper", "--budget", "1", "--iterations", "2",
                 "--borrow", "-o", str(tmp_path / "lib.json")])
    assert code == 0 and seen["borrow"] is True
    assert "borrowed: nesting from depth/dyck1" in capsys.readouterr().out
