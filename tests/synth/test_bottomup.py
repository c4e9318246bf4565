"""Bottom-up synthesis: easy tasks solved and right on fresh inputs, noisy labels, bad input."""
import json
import subprocess
import sys

import numpy as np
import pytest

from rasplab.errors import ExamplesError
from rasplab.lang import evaluate, load_program
from rasplab.lang.parser import parse
from rasplab.synth import SynthResult, synthesize
from rasplab.synth.bottomup.grammar import Grammar
from rasplab.synth.bottomup.search import per_example
from rasplab.tasks import get_task


def _examples(task: str, n: int, seed: int) -> tuple[list, list]:
    t = get_task(task)
    xs = t.sample(n, seed)
    return xs, t.outputs(xs)


def _fresh_accuracy(result: SynthResult, task: str) -> float:
    xs, ys = _examples(task, 300, 12345)
    return float(per_example(result.program, xs, ys).mean())


@pytest.mark.parametrize("task", ["reverse", "hist", "length", "shift_by", "count", "sort_unique"])
def test_easy_tasks_are_right_on_fresh_inputs(task):
    xs, ys = _examples(task, 120, 1)
    result = synthesize(list(zip(xs, ys)), budget=20, progress=False)
    assert result.solved and result.accuracy == 1.0
    assert _fresh_accuracy(result, task) == 1.0
    assert result.candidates > 0 and result.seconds < 20


def test_printed_source_is_valid_rasp_with_the_same_meaning():
    xs, ys = _examples("reverse", 100, 2)
    result = synthesize(list(zip(xs, ys)), budget=20, progress=False)
    program = parse(result.source).last
    fresh, want = _examples("reverse", 50, 7)
    assert evaluate(program, fresh) == want
    assert result.sexpr.startswith("(")
    doc = result.to_json()
    assert set(doc) >= {"program", "sexpr", "solved", "accuracy", "seconds", "candidates"}
    json.dumps(doc)


def test_numeric_last_step_found_by_inversion():
    # double_hist = selector_width(select(hist, hist, ==)) / hist: the division is a last step
    xs, ys = _examples("double_hist", 150, 3)
    result = synthesize(list(zip(xs, ys)), budget=40, progress=False)
    assert result.solved
    assert _fresh_accuracy(result, "double_hist") == 1.0


def test_noisy_labels_give_the_best_partial_program():
    xs, ys = _examples("reverse", 120, 4)
    rng = np.random.default_rng(0)
    noisy = [list(y) for y in ys]
    corrupted = rng.choice(len(noisy), size=12, replace=False)
    for i in corrupted:  # one wrong label in 10% of the examples
        j = int(rng.integers(len(noisy[i])))
        noisy[i][j] = "#"
    result = synthesize(list(zip(xs, noisy)), budget=5, progress=False)
    assert not result.solved
    assert result.accuracy == pytest.approx(1 - len(corrupted) / len(xs))
    assert _fresh_accuracy(result, "reverse") == 1.0  # the clean program underneath


def test_weights_are_data():
    g = Grammar.load({"select": 3, "map.add": 4})
    assert g.cost("select") == 3 and g.cost("map.add") == 4
    assert g.cost("map.sub") == Grammar().cost("map")  # falls back to the family
    assert g.cost("binary.min") == Grammar().cost("binary.min")


def test_selector_priors_lower_a_selects_cost():
    from rasplab.lang import EQ, indices, length, select
    xs, ys = _examples("reverse", 60, 5)
    flip = select(indices, length - indices - 1, EQ)
    result = synthesize(list(zip(xs, ys)), budget=10, progress=False,
                        selector_priors={flip: 5})
    assert result.solved
    assert any(getattr(n, "predicate", None) is not None and n.queries == flip.queries
               for n in _nodes(result.program))


def _nodes(program):
    from rasplab.lang import walk
    return list(walk(program))


@pytest.mark.parametrize("bad", [
    [(["a", "b"], ["a"])],
    [(["a", "b"], ["a", "b"]), (["a", "b"], ["b", "b"])],
    [([], [])],
])
def test_bad_examples_raise_one_clear_error(bad):
    with pytest.raises(ExamplesError):
        synthesize(bad, budget=1, progress=False)


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "rasplab.cli.main", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_cli_json_and_output_file(tmp_path):
    xs, ys = _examples("hist", 80, 6)
    path = tmp_path / "hist.jsonl"
    path.write_text("".join(json.dumps({"input": x, "output": y}) + "\n" for x, y in zip(xs, ys)))
    out = _cli("synth", "--examples", str(path), "--timeout", "20", "--json", "-o",
               str(tmp_path / "hist.rasp"), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["solved"] is True and doc["accuracy"] == 1.0 and doc["candidates"] > 0
    assert 0 < doc["candidates_to_solution"] <= doc["candidates"]
    assert (tmp_path / "hist.rasp").read_text() == doc["program"]
    run = _cli("run", str(tmp_path / "hist.rasp"), "abca", "--json", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.strip()) == [2, 1, 1, 2]


@pytest.mark.parametrize("lines, message", [
    ('{"input": ["a", "b"], "output": ["a"]}\n', "output has 1"),
    ('{"input": ["a"], "output": ["a"]}\n{"input": ["a"], "output": ["b"]}\n', "different"),
])
def test_cli_bad_examples_exit_2_with_one_line(tmp_path, lines, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(lines)
    out = _cli("synth", "--examples", str(path), cwd=tmp_path)
    assert out.returncode == 2
    assert message in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_cli_unsolved_exits_1(tmp_path):
    rng = np.random.default_rng(1)
    path = tmp_path / "random.jsonl"
    with path.open("w") as f:
        seen = set()
        for _ in range(30):
            x = [str(c) for c in rng.choice(list("abcdef"), size=int(rng.integers(4, 8)))]
            if tuple(x) in seen:
                continue
            seen.add(tuple(x))
            y = [int(v) for v in rng.integers(0, 50, size=len(x))]
            f.write(json.dumps({"input": x, "output": y}) + "\n")
    out = _cli("synth", "--examples", str(path), "--timeout", "2", "--json", cwd=tmp_path)
    assert out.returncode == 1
    assert json.loads(out.stdout)["solved"] is False


def test_candidates_to_solution_stop_where_the_program_was_found():
    """The engine keeps enumerating for a while after a solution (a cheaper one may come):
    `candidates_to_solution` counts only up to the returned program, so it is smaller."""
    from rasplab.synth.bottomup.search import search

    xs, ys = _examples("sort", 60, 2)
    result = search(xs, ys, budget=20, progress=False)
    assert result.solved
    found = result.stats["candidates_to_solution"]
    assert found is not None and 0 < found < result.candidates
    x = max(xs, key=len)  # one input with two different outputs: nothing can solve it
    clash = search([x, x], [sorted(x), sorted(x, reverse=True)], budget=0.5, progress=False)
    assert not clash.solved and clash.stats["candidates_to_solution"] is None


def test_uniform_grammar_prices_every_production_at_one():
    g = Grammar.uniform()
    assert {g.cost(n) for n in ("tokens", "map.mul", "binary.min", "select", "aggregate.cat",
                                "selector_width", "table.pair")} == {1}
    source = "program = aggregate(select(indices, length - indices - 1, ==), tokens);"
    program = load_program(source, "program")
    # tokens, indices, length, the map, the sequence map, select, aggregate: seven steps
    assert g.program_cost(program) == 7 < Grammar().program_cost(program)
    assert Grammar.load("uniform").weights == g.weights
