"""Library learning: Stitch finds the shared select-aggregate, abstractions speed up search,
vectorised abstraction values agree with the reference evaluator, files and the CLI."""
import json
import os
import subprocess
import sys
from typing import Any

import numpy as np
import pytest

from rasplab.errors import ExamplesError
from rasplab.lang.ast import Aggregate, indices, numerical
from rasplab.lang.evaluator import Batch, evaluate
from rasplab.lang.parser import load_program
from rasplab.lang.sexpr import from_sexpr
from rasplab.synth.bottomup.search import per_example
from rasplab.synth.bottomup.values import Space
from rasplab.synth.library import (
    Library,
    compress,
    hand_written_corpus,
    load_library,
    productions,
    program_to_sexpr,
    save_library,
    synthesize,
    to_def,
)
from rasplab.synth.library.abstractions import free_holes, specialise
from rasplab.synth.library.body import Body
from rasplab.synth.library.compress import LearnedAbstraction
from rasplab.synth.library.loop import learn
from rasplab.synth.library.rewrite import expand, rewrite_corpus
from rasplab.tasks import get_task


def rasp(expr: str):
    return load_program(f"out = {expr};", "out", prelude=False)


PREFIX_CORPUS = [
    'aggregate(select(indices, indices, <=), indicator(tokens == "a"))',
    'aggregate(select(indices, indices, <=), indicator(tokens == "b")) + 1',
    "aggregate(select(indices, indices, <=), indices)",
    "aggregate(select(indices, indices, <=), length - indices)",
]


@pytest.fixture(scope="module")
def prefix_library() -> Library:
    result = compress([program_to_sexpr(rasp(e)) for e in PREFIX_CORPUS], iterations=3)
    return Library(result.abstractions)


def test_small_corpus_gives_the_shared_select_aggregate(prefix_library):
    first = prefix_library.abstractions[0]
    assert first.body == "(aggregate (select indices indices le) #0)"
    assert first.arity == 1 and free_holes(first) == [True] and len(first.uses) == 4
    assert to_def(first) == "def fn_0(a) { return aggregate(select(indices, indices, <=), a); }"
    # the def is RASP: applied to a use's argument it is that program
    program = load_program(to_def(first) + '\nout = fn_0(indicator(tokens == "a"));', "out",
                           prelude=False)
    xs = [list("abca"), list("bb")]
    assert evaluate(program, xs) == evaluate(rasp(PREFIX_CORPUS[0]), xs)


def test_hand_written_corpus_compresses_with_select_aggregate_abstractions():
    corpus = hand_written_corpus()
    result = compress(list(corpus.values()), iterations=4)
    assert result.ratio > 1.5
    assert any("(aggregate (select" in a.body for a in result.abstractions)
    # the rewritten corpus reads back as the original programs
    for text, original in zip(result.rewritten, corpus.values()):
        assert program_to_sexpr(expand(text, result.abstractions)) == original


def test_rewriting_a_new_program_with_the_library(prefix_library):
    new = program_to_sexpr(rasp('aggregate(select(indices, indices, <=), tokens == "c")'))
    [text] = rewrite_corpus([new], prefix_library.abstractions)
    assert text.startswith("(fn_0 ")
    assert program_to_sexpr(expand(text, prefix_library.abstractions)) == new


def test_task_needing_the_abstraction_is_solved_with_less_search(prefix_library):
    task = get_task("frac_prevs")  # prefix mean of tokens == "x": a select-aggregate
    xs = task.sample(60, 3)
    ys = task.outputs(xs)
    plain = synthesize(xs, ys, budget=30, library=None, progress=False)
    learned = synthesize(xs, ys, budget=30, library=prefix_library, progress=False)
    assert plain.solved and learned.solved
    assert learned.stats["abstractions"] > 0
    assert learned.candidates < plain.candidates / 10
    assert learned.seconds < plain.seconds
    fresh = task.sample(100, 99)
    assert per_example(learned.program, fresh, task.outputs(fresh)).all()


def test_fixed_string_holes_are_offered_the_tasks_tokens():
    ab = LearnedAbstraction("fn_0", '(aggregate (select indices indices le) (eq tokens #0))', 1,
                            [['"a"'], ['"b"']])
    assert free_holes(ab) == [False]
    bodies = [s.body for s in specialise(ab, ["(", ")"], vocab=["(", ")", None])]
    assert '(aggregate (select indices indices le) (eq tokens "\\u0028"))' in bodies
    assert not any('"a"' in b for b in bodies)


def test_a_counting_abstraction_also_offers_its_selector():
    # Stitch keeps "how often a's value occurred so far"; an aggregate needs the selector in it
    ab = LearnedAbstraction("fn_1", "(selector_width (and (select indices indices le) "
                            "(select #0 #0 eq)))", 1, [["tokens"], ["indices"]])
    xs = [list("abab"), list("ba")]
    space = Space(xs, [[1, 1, 2, 2], [1, 1]])
    prods = {(p.name, p.args): p for p in productions([ab], space)}
    sel = prods[("fn_1.selector", ("cat",))]
    assert sel.out == "sel" and prods[("fn_1", ("cat",))].out == "num"
    node = sel.build(load_program("x = tokens;", "x"))
    assert evaluate(numerical(Aggregate(node, indices, default=0)), xs) == [[0, 1, 1, 2], [0, 1]]
    lone = LearnedAbstraction("fn_2", "(selector_width (select #0 #0 eq))", 1, [["tokens"]])
    assert [p.name for p in productions([lone], space) if p.out == "sel"] == []  # too small


def test_an_abstraction_is_also_offered_as_it_was_used():
    # Stitch may keep "openers so far minus a"; nesting's use (a = closers before here) is the
    # nesting level, a value of one step again; a use with a token the task lacks is dropped
    from rasplab.synth.library.abstractions import instances

    body = ("(sub (selector_width (and (select (eq tokens \"\\u0028\") 1 eq) "
            "(select indices indices le))) #0)")
    ab = LearnedAbstraction("fn_5", body, 1, [
        ['(selector_width (and (select (eq tokens \"\\u0029\") 1 eq) '
         '(select indices indices lt)))'],
        ['(selector_width (select (eq tokens \"x\") 1 eq))']])
    whole = instances(ab, vocab=["(", ")"])
    assert len(whole) == 1 and whole[0].free == 0
    xs = [list("(())"), list("()(")]
    space = Space(xs, [[1, 2, 2, 1], [1, 1, 1]])
    values = Body(whole[0].body).values(space, [], []).array[0]
    assert values[0, :4].tolist() == [1, 2, 2, 1] and values[1, :3].tolist() == [1, 1, 1]
    prods = productions([ab], space)
    assert sorted(p.args for p in prods) == [(), ("num",)]


def test_a_counted_instance_offers_its_selector_but_a_selector_instance_is_not_offered():
    # level_count counts "same value so far"; dyck2 averages over that selector, so the
    # selector a solved program counted with is one step; a use of a selector abstraction is not
    counting = LearnedAbstraction("fn_1", "(selector_width (and #0 (select indices indices le)))",
                                  1, [['(select (eq tokens "a") (eq tokens "a") eq)']])
    selecting = LearnedAbstraction("fn_2", "(and (select #0 #0 eq) (select indices indices lt))",
                                   1, [['(eq tokens "a")']])
    xs = [list("abba"), list("ab")]
    space = Space(xs, [[1, 1, 2, 2], [1, 1]])
    prods = {(p.name, p.args): p for p in productions([counting, selecting], space)}
    whole = [p for (name, args), p in prods.items() if args == () and name.startswith("fn_1(")]
    assert sorted(p.out for p in whole) == ["num", "sel"]
    [sel] = [p for p in whole if p.out == "sel"]
    got = np.asarray(Batch(xs).value(sel.build()), dtype=bool)
    same = np.array([[a == b for b in "abba"] for a in "abba"])
    assert (got[0, :4, :4] == (same & np.tri(4, dtype=bool))).all()
    assert ("fn_2", ("bool",)) in prods or ("fn_2", ("cat",)) in prods
    assert not [p for (name, args), p in prods.items() if name.startswith("fn_2(")]


def test_dyck2_is_solved_with_a_library_learned_from_the_bracket_curriculum():
    # the plain engine does not find dyck2 in 600 s (README); the library the loop learned
    # from depth, nesting and level_count (in a run that never solved dyck2) makes it reachable
    from rasplab.synth.library.loop import solve_task

    library = load_library("curriculum")  # shipped with rasplab
    assert "dyck2" not in library.solutions
    outcome = solve_task("dyck2", library, budget=120, n_examples=100, seed=0)
    assert outcome.solved
    task = get_task("dyck2")
    fresh = task.sample(500, 99)
    assert per_example(from_sexpr(outcome.sexpr), fresh, task.outputs(fresh)).all()


@pytest.fixture(scope="module")
def corpus_library() -> list:
    return compress(list(hand_written_corpus().values()), iterations=8).abstractions


@pytest.mark.parametrize("task", ["dyck1", "most_freq", "shuffle_dyck2"])
def test_vectorised_values_agree_with_the_evaluator(task, corpus_library):
    """Every production from the hand-written library, on bank-like arguments, matches
    the reference evaluator on the program it builds."""
    t = get_task(task)
    xs = t.sample(12, 5)
    space = Space(xs, t.outputs(xs))
    prods = productions(corpus_library, space)
    assert prods
    from rasplab.lang.ast import Select, indices, length, numerical, tokens
    from rasplab.lang.functions import LE
    samples = {"num": [numerical(indices), numerical(length - indices)],
               "cat": [tokens], "bool": [tokens == t.vocab[0]],
               "sel": [Select(indices, indices, LE)]}
    checked = 0
    for prod in prods:
        args = [samples[k][0] for k in prod.args]
        arrays = []
        for node, k in zip(args, prod.args):
            if k == "sel":
                from rasplab.lang.evaluator import Batch
                arrays.append(np.asarray(Batch(space.inputs).value(node), dtype=bool)[None])
            else:
                kind = {"num": 0, "bool": 1, "cat": 2}[k]
                arrays.append(space.encode_rows(evaluate(node, space.inputs), kind)[None])
        got = np.broadcast_to(prod.values(space, arrays), (1, space.B, space.N)
                              if prod.out != "sel" else (1, space.B, space.N, space.N))[0]
        node = prod.build(*args)
        try:
            want = evaluate(node, space.inputs, strict=True)
        except Exception:
            continue  # an invalid combination: the engine drops it (NaN) or verifies it away
        if prod.out == "sel":
            continue
        kind = {"num": 0, "bool": 1, "cat": 2}[prod.out]
        ref = space.encode_rows(want, kind)
        ok = np.isfinite(got) & space.valid
        assert np.allclose(got[ok], ref[ok]), prod.name
        checked += 1
    assert checked >= 3


def test_body_builds_the_program_it_evaluates():
    body = Body('(sub (aggregate (select indices indices le) (indicator (eq tokens "a"))) #0)')
    node = body.build([rasp("indices")], [0], Space([["a"]], [[0]]))
    xs = [list("abca"), list("ba")]
    want = evaluate(rasp('aggregate(select(indices, indices, <=), indicator(tokens == "a"))'
                         ' - indices'), xs)
    assert per_example(node, xs, want).all()


def test_library_file_round_trip_and_errors(tmp_path, prefix_library):
    path = tmp_path / "lib.json"
    save_library(prefix_library, path)
    back = load_library(path)
    assert [a.body for a in back.abstractions] == [a.body for a in prefix_library.abstractions]
    assert json.loads(path.read_text())["abstractions"][0]["def"].startswith("def fn_0(a)")
    bad = tmp_path / "bad.json"
    bad.write_text('{"weights": 1}')
    with pytest.raises(ExamplesError, match="not a rasplab library"):
        load_library(bad)
    with pytest.raises(ExamplesError, match="cannot read.*built-in libraries: curriculum"):
        load_library(tmp_path / "missing.json")


def test_the_shipped_curriculum_library_loads_by_name_and_holds_the_nesting_level():
    library = load_library("curriculum")
    assert "level_count" in library.solutions and "dyck2" not in library.solutions
    xs = [list("({})")]
    level = [a for a in library.abstractions if a.arity == 0 and "selector_width" in a.body]
    assert level, library.defs()
    values = Body(level[0].body).values(Space(xs, [[0] * 4]), [], []).array[0, 0, :4]
    assert values.tolist() == [1, 2, 2, 1]


def test_distill_cli_rejects_a_missing_library_before_training(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "rasplab.cli.main", "distill", "reverse",
                           "--library", str(tmp_path / "nope.json")],
                          capture_output=True, text=True,
                          env={**os.environ, "RASPLAB_CACHE": str(tmp_path)})
    assert proc.returncode == 2 and "nope.json: cannot read library file" in proc.stderr
    assert "Traceback" not in proc.stderr and not list(tmp_path.glob("**/*.safetensors"))


def test_loop_learns_and_the_second_iteration_searches_less(tmp_path, monkeypatch):
    from rasplab.synth.bottomup import arith

    # the running-mean and two-number last steps find frac_prevs (as a mean, or a count over
    # `indices + 1`) and pair_balance without any library, and then Stitch learns only bare
    # selects: switched off, so that the library's own effect is measured
    monkeypatch.setattr(arith, "RUNNING_MEANS", False)
    monkeypatch.setattr(arith, "PAIR_OPS", ())
    out = tmp_path / "lib.json"
    reports, library = learn(["frac_prevs", "pair_balance", "hist"], budget=20, iterations=2,
                             out=out, progress=False)
    assert [r.iteration for r in reports] == [1, 2]
    assert reports[0].solved >= 2 and reports[1].solved >= reports[0].solved
    assert all(r.total == 3 for r in reports)
    assert reports[0].abstractions and all(d.startswith("def fn_") for d in
                                           reports[0].abstractions)
    assert library.abstractions and load_library(out).abstractions
    effort = [sum(t["candidates"] for t in r.tasks.values()) for r in reports]
    assert effort[1] < effort[0] / 5


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rasplab.cli.main", *args],
                          capture_output=True, text=True)


def test_cli_library_json_and_synth_with_library(tmp_path):
    lib = tmp_path / "lib.json"
    proc = _cli("library", "--suite", "paper", "--budget", "0.5", "--iterations", "1",
                "--examples", "30", "-o", str(lib), "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert isinstance(doc, list) and len(doc) == 1
    assert {"iteration", "solved", "total", "seconds", "abstractions"} <= set(doc[0])
    assert doc[0]["total"] == 7 and lib.exists()
    examples = tmp_path / "ex.jsonl"
    assert _cli("data", "frac_prevs", "--n", "40", "-o", str(examples)).returncode == 0
    proc = _cli("synth", "--examples", str(examples), "--library", str(lib), "--timeout", "20",
                "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["method"] == "library"
    proc = _cli("synth", "--examples", str(examples), "--library", str(tmp_path / "no.json"))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "library" in proc.stderr


def test_cli_library_bad_arguments():
    proc = _cli("library", "--suite", "nope", "--budget", "1")
    assert proc.returncode == 2 and "suite" in proc.stderr
    proc = _cli("library", "--budget", "0")
    assert proc.returncode == 2 and "--budget" in proc.stderr


def test_ctrl_c_keeps_what_was_solved(tmp_path, monkeypatch):
    import rasplab.synth.library.loop as loop
    real = loop.solve_task

    def solve(name, *args):
        if name == "reverse":
            raise KeyboardInterrupt
        return real(name, *args)
    monkeypatch.setattr(loop, "solve_task", solve)
    out = tmp_path / "lib.json"
    reports, library = learn(["hist", "frac_prevs", "reverse", "length"], budget=10,
                             iterations=3, n_examples=40, out=out, progress=False)
    assert len(reports) == 1 and reports[0].interrupted
    assert set(reports[0].tasks) == {"hist", "frac_prevs"}
    assert set(load_library(out).solutions) == {"hist", "frac_prevs"}


def test_library_learning_compresses_programs_as_searched_not_their_total_tables():
    """A found table is made total for the user (a guard for unseen tokens), but the corpus
    Stitch compresses holds the searched form: the guard is not the task's structure."""
    import random

    from rasplab.synth import synthesize
    from rasplab.synth.library.corpus import program_to_sexpr

    table = {t: i * 3 % 7 for i, t in enumerate("abcdefgh")}
    rng = random.Random(0)
    inputs = [[rng.choice("abcdefgh") for _ in range(rng.randint(1, 6))] for _ in range(40)]
    result = synthesize([(x, [table[t] for t in x]) for x in inputs], budget=10, progress=False)
    assert result.solved
    assert "(in tokens" in program_to_sexpr(result.program)
    assert program_to_sexpr(result.searched).startswith("(table tokens")


def _fake_synthesize(programs: list[str], calls: list) -> Any:
    """A stand-in for the library search that claims each of `programs` in turn solves the
    examples it is given (and records them)."""
    from rasplab.synth.result import SynthResult

    def fake(xs, ys, **kwargs):
        program = from_sexpr(programs[min(len(calls), len(programs) - 1)])
        calls.append((list(xs), list(ys), kwargs["budget"]))
        return SynthResult(program=program, source="", sexpr="", solved=True, accuracy=1.0,
                           seconds=0.01, candidates=5, method="library", searched=program)
    return fake


def test_a_solution_wrong_on_fresh_inputs_is_rejected_and_searched_again(monkeypatch):
    import rasplab.synth.library as library_module
    from rasplab.synth.library.loop import COUNTEREXAMPLES, solve_task, task_examples

    # the search (stubbed) first claims "the tokens that are not b", which is wrong on every
    # input holding a third token, then the count of "a": the first must be caught
    wrong, right = ('(sub length (selector_width (select tokens "b" eq)))',
                    '(selector_width (select tokens "a" eq))')
    calls: list = []
    monkeypatch.setattr(library_module, "synthesize", _fake_synthesize([wrong, right], calls))
    outcome = solve_task("count", None, budget=10, n_examples=20, seed=0)
    assert outcome.solved and outcome.rejected == 1 and outcome.candidates == 10
    assert from_sexpr(outcome.sexpr) == from_sexpr(right)
    assert len(calls) == 2
    (xs1, ys1, b1), (xs2, ys2, b2) = calls
    assert xs1 == task_examples("count", 20, 0)[0] and b2 < b1 <= 10
    added = xs2[len(xs1):]
    assert len(added) == COUNTEREXAMPLES and xs2[:len(xs1)] == xs1
    assert not per_example(from_sexpr(wrong), added, ys2[len(xs1):]).any()
    assert per_example(from_sexpr(right), xs2, ys2).all()


def test_a_task_whose_only_solutions_are_wrong_on_fresh_inputs_stays_unsolved(monkeypatch):
    import rasplab.synth.library as library_module
    from rasplab.synth.library.loop import solve_task

    calls: list = []
    wrong = '(sub length (selector_width (select tokens "b" eq)))'
    monkeypatch.setattr(library_module, "synthesize", _fake_synthesize([wrong], calls))
    outcome = solve_task("count", None, budget=0.3, n_examples=20, seed=0)
    assert not outcome.solved and outcome.sexpr == "" and outcome.rejected == len(calls) >= 1
    assert 0.0 < outcome.accuracy < 1.0


def test_the_loop_keeps_only_solutions_right_on_fresh_inputs():
    # count's first solution on its 100 examples is a table over three token tests, wrong on
    # fresh inputs; the loop searches on with the inputs it gets wrong and keeps a right one
    reports, library = learn(["count"], budget=20, iterations=1, progress=False)
    task = get_task("count")
    xs = task.sample(2000, 4242)
    assert reports[0].solved == 1
    assert per_example(from_sexpr(library.solutions["count"]), xs, task.outputs(xs)).all()


def test_cli_names_the_tasks_whose_solutions_failed_on_fresh_inputs(tmp_path, monkeypatch,
                                                                     capsys):
    import rasplab.synth.library as library_module
    from rasplab.cli.main import main

    calls: list = []
    monkeypatch.setattr(library_module, "synthesize", _fake_synthesize(["tokens"], calls))
    assert main(["library", "--suite", "paper", "--budget", "0.3", "--iterations", "1",
                 "--examples", "20", "-o", str(tmp_path / "lib.json")]) == 0
    out = capsys.readouterr().out
    assert "solved 0/7" in out
    line = next(ln for ln in out.splitlines() if "wrong on fresh inputs" in ln)
    assert "reverse (unsolved)" in line and "hist (unsolved)" in line and len(calls) >= 7
