"""The synthesis entry: examples are checked once into `Examples`, methods are functions, and
a method receives only the keywords the caller set (plus budget and seed)."""
from __future__ import annotations

import pytest

from rasplab.errors import ExamplesError, RaspNameError
from rasplab.synth import METHODS, Examples, SynthResult, register_method, synthesize


def test_examples_are_checked_once():
    checked = Examples.of([("ab", ["b", "a"]), {"input": [1], "output": [2]}])
    assert checked.inputs == [["a", "b"], [1]] and checked.outputs == [["b", "a"], [2]]
    assert Examples.of(checked) is checked and len(checked) == 2
    with pytest.raises(ExamplesError, match="example 2: input .* different output"):
        Examples.of([("ab", [1, 2]), ("ab", [2, 1])])
    with pytest.raises(ExamplesError, match="example 1: input has 2 tokens but output has 1"):
        Examples.of([("ab", [1])])


def test_methods_are_functions_given_only_the_keywords_set():
    seen = {}

    def method(inputs, outputs, *, budget, seed, **given):
        seen.update(inputs=inputs, budget=budget, seed=seed, given=given)
        return SynthResult(None, "", "", False, 0.0, 0.0, 0)

    register_method("fake", method)
    try:
        synthesize(Examples.of([("ab", [0, 1])]), method="fake", budget=3, grammar="uniform")
    finally:
        del METHODS["fake"]
    assert seen == {"inputs": [["a", "b"]], "budget": 3, "seed": 0,
                    "given": {"grammar": "uniform"}}
    assert callable(METHODS["bottomup"]) and callable(METHODS["near"])
    with pytest.raises(RaspNameError, match="unknown synthesis method 'nope'"):
        synthesize([("a", [1])], method="nope")


def test_cli_refuses_production_costs_for_near(tmp_path, capsys):
    from rasplab.cli.main import main

    path = tmp_path / "ex.jsonl"
    path.write_text('{"input": ["a", "b"], "output": ["b", "a"]}\n')
    code = main(["synth", "--examples", str(path), "--method", "near", "--weights", "uniform"])
    err = capsys.readouterr().err
    assert code == 2 and "--weights sets bottom-up production costs" in err
    assert len(err.strip().splitlines()) == 1
