"""Tests of the recognition model: labels, dreams, encoder invariance, costs, training, files."""
from __future__ import annotations

import importlib

import numpy as np
import pytest
import torch

from rasplab.errors import ModelFileError
from rasplab.lang.ast import Aggregate, Map, Select, SelectorWidth, indices, length, tokens
from rasplab.lang.functions import EQ, LT, Fn
from rasplab.synth.bottomup.grammar import Grammar
from rasplab.synth.recognition import (
    PRODUCTIONS,
    RecognitionModel,
    TrainConfig,
    costs_from_probabilities,
    dream,
    fitted_grammar,
    guided_search,
    load_recognition,
    save_recognition,
    train_recognition,
    used_productions,
)
from rasplab.synth.recognition.encoder import featurise
from rasplab.tasks import get_task

TINY = ("tokens", "indices", "length", "map.add", "map.sub", "map.eq", "map.indicator",
        "select", "aggregate", "aggregate.cat", "selector_width", "not", "binary.lt")


def test_used_productions_name_the_engine_productions() -> None:
    reverse = Aggregate(Select(indices, length - indices - 1, EQ), tokens)
    assert used_productions(reverse) == {"aggregate.cat", "select", "indices", "length",
                                         "tokens", "binary.sub", "map.sub"}
    hist = SelectorWidth(Select(tokens, tokens, EQ))
    assert used_productions(hist) == {"selector_width", "select", "tokens"}
    assert set(PRODUCTIONS) >= used_productions(reverse) | used_productions(hist)
    # a table of the tokens is the engine's token-map step, priced apart from last-step tables
    sign = Map(Fn.table({"(": 1, ")": -1}), tokens)
    assert used_productions(sign) == {"map.tokens", "tokens"}
    assert used_productions(Map(Fn.table({0: "a", 1: "b"}), indices)) == {"table", "indices"}
    assert set(PRODUCTIONS) >= used_productions(sign)


def test_dreams_are_distinct_non_constant_and_labelled() -> None:
    tasks = [get_task("reverse"), get_task("hist")]
    dreams = dream(60, tasks, seed=3, productions=TINY)
    assert len(dreams) == 60
    assert len({d.program for d in dreams}) == len(dreams)
    for d in dreams:
        assert d.productions <= set(TINY)
        assert d.productions == used_productions(d.program)
        flat = {repr(v) for row in d.outputs for v in row}
        assert len(flat) > 1
        assert [len(x) for x in d.inputs] == [len(y) for y in d.outputs]
        assert d.outputs != d.inputs


def test_encoder_ignores_the_order_of_examples() -> None:
    task = get_task("sort")
    xs = task.sample(8, 1)
    ys = task.outputs(xs)
    model = RecognitionModel()
    a = model.predict(xs, ys)
    b = model.predict(xs[::-1], ys[::-1])
    assert all(abs(a[k] - b[k]) < 1e-5 for k in a)
    f, m = featurise(xs, ys, max_examples=4)
    assert f.shape[0] == 4 and m.any(axis=1).all()


def test_costs_follow_probabilities_and_stay_in_range() -> None:
    base = Grammar()
    probs = {name: 0.5 for name in PRODUCTIONS}
    probs["selector_width"], probs["binary.mul"] = 0.99, 0.001
    costs = costs_from_probabilities(probs, {n: 0.5 for n in PRODUCTIONS}, base)
    assert all(1 <= c <= 6 for c in costs.values())
    assert costs["selector_width"] <= base.cost("selector_width")
    assert costs["binary.mul"] > base.cost("binary.mul")
    assert costs["select"] == base.cost("select")  # no evidence, no change
    assert costs["map.rsub"] == costs["map.sub"]


@pytest.fixture(scope="module")
def tiny_model() -> tuple[RecognitionModel, list]:
    tasks = [get_task("reverse"), get_task("hist"), get_task("sort")]
    dreams = dream(420, tasks, seed=0, productions=TINY, max_depth=3)
    held = dreams[-40:]
    model, stats = train_recognition(dreams[:-40], config=TrainConfig(epochs=10, seed=0),
                                     progress=False)
    assert stats["items"] == len(dreams) - 40
    return model, held


def test_trained_model_ranks_a_held_out_dreams_productions_first(tiny_model) -> None:
    model, held = tiny_model
    aucs, margins = [], []
    for d in held:
        p = model.predict(d.inputs, d.outputs)
        used = [p[n] for n in TINY if n in d.productions]
        other = [p[n] for n in TINY if n not in d.productions]
        if not used or not other:
            continue
        aucs.append(np.mean([u > o for u in used for o in other]))
        margins.append(np.mean(used) - np.mean(other))
    assert len(aucs) >= 30
    assert np.mean(aucs) > 0.78
    assert np.mean(margins) > 0.2
    # what it learned is more than the base rates: it beats ranking by the training prior
    prior = model.priors()
    prior_aucs = [np.mean([prior[u] > prior[o] for u in d.productions if u in TINY
                           for o in TINY if o not in d.productions]) for d in held
                  if d.productions and len(d.productions) < len(TINY)]
    assert np.mean(aucs) > np.mean(prior_aucs) + 0.05


def test_save_and_load_round_trip(tiny_model, tmp_path) -> None:
    model, held = tiny_model
    path = save_recognition(model, tmp_path / "r.safetensors")
    again = load_recognition(path)
    d = held[0]
    a, b = model.predict(d.inputs, d.outputs), again.predict(d.inputs, d.outputs)
    assert a == pytest.approx(b, abs=1e-6)
    assert again.priors() == pytest.approx(model.priors())
    assert torch.equal(again.prior, model.prior)


def test_bad_model_files_are_clear_errors(tmp_path) -> None:
    with pytest.raises(ModelFileError, match="no such"):
        load_recognition(tmp_path / "missing.safetensors")
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not a model")
    with pytest.raises(ModelFileError, match="junk"):
        load_recognition(junk)
    from safetensors.torch import save_file
    other = tmp_path / "other.safetensors"
    save_file({"x": torch.zeros(2)}, str(other), metadata={"rasplab_kind": "trained"})
    with pytest.raises(ModelFileError, match="not a recognition model"):
        load_recognition(other)


def test_lt_select_label() -> None:
    prog = SelectorWidth(Select(tokens, tokens, LT) & ~Select(indices, indices, EQ))
    assert {"and", "not", "select", "selector_width"} <= used_productions(prog)


def test_cli_synth_with_a_recognition_model(tiny_model, tmp_path, capsys) -> None:
    import json

    from rasplab.cli.main import main

    model, _ = tiny_model
    path = save_recognition(model, tmp_path / "r.safetensors")
    task = get_task("hist")
    xs = task.sample(20, 0)
    examples = tmp_path / "ex.jsonl"
    examples.write_text("\n".join(json.dumps({"input": x, "output": y})
                                  for x, y in zip(xs, task.outputs(xs))) + "\n")
    code = main(["synth", "--examples", str(examples), "--recognition", str(path),
                 "--timeout", "20", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["solved"]
    code = main(["synth", "--examples", str(examples), "--recognition",
                 str(tmp_path / "none.safetensors"), "--json"])
    err = capsys.readouterr().err
    assert code == 2 and "none.safetensors" in err and len(err.strip().splitlines()) == 1
    code = main(["synth", "--examples", str(examples), "--recognition", str(path),
                 "--method", "near"])
    assert code == 2 and "--recognition" in capsys.readouterr().err


def test_fitted_grammar_makes_the_solutions_productions_cheaper() -> None:
    hist = SelectorWidth(Select(tokens, tokens, EQ))
    reverse = Aggregate(Select(indices, length - indices - 1, EQ), tokens)
    base = Grammar()
    g = fitted_grammar([hist, reverse, hist], base)
    assert g.cost("selector_width") <= base.cost("selector_width")
    assert g.cost("binary.sub") < base.cost("binary.sub")
    assert g.cost("binary.mul") > base.cost("binary.mul")
    assert all(1 <= g.cost(n) <= 6 for n in PRODUCTIONS)
    assert fitted_grammar([], base) is base


def test_guided_search_solves_and_falls_back(tiny_model, monkeypatch) -> None:
    model, _ = tiny_model
    task = get_task("hist")
    xs = task.sample(30, 5)
    ys = task.outputs(xs)
    r = guided_search(xs, ys, model, budget=20, fallback=0.5, progress=False)
    assert r.solved and r.stats.get("guided") and r.candidates > 0
    # outputs that are noise: the guided search fails and the plain one gets the rest of the
    # budget (the budgets each search was given are checked, not wall time, which a loaded
    # machine stretches)
    rng = np.random.default_rng(0)
    noisy = [rng.integers(0, 50, len(y)).tolist() for y in ys]
    search_module = importlib.import_module("rasplab.synth.bottomup.search")
    budgets: list[float] = []
    real_search = search_module.search

    def recording_search(*args, **kwargs):
        budgets.append(kwargs["budget"])
        return real_search(*args, **kwargs)

    monkeypatch.setattr(search_module, "search", recording_search)
    r = guided_search(xs, noisy, model, budget=2, fallback=0.5, progress=False)
    assert not r.solved and r.stats.get("fallback") and r.stats.get("guided")
    assert len(budgets) == 2 and budgets[0] == pytest.approx(1.0)
    assert 0 < budgets[1] <= 2 - budgets[0] + 1e-6
    assert r.candidates > 0
    with pytest.raises(ValueError, match="fallback"):
        guided_search(xs, ys, model, budget=1, fallback=1.0)


def test_dreams_use_the_library_as_single_steps() -> None:
    """A library abstraction is one sampling step, labelled with its body's primitive
    productions: with it allowed, most dreams are prefix fractions of a token; without it, no
    dream can aggregate at all."""
    from rasplab.synth.library.compress import LearnedAbstraction
    from rasplab.synth.library.io import Library

    body = "(aggregate (select indices indices le) (indicator (eq tokens #0)))"
    lib = Library([LearnedAbstraction("fn_0", body, 1, uses=[['"a"'], ['"b"']])])
    allowed = ("tokens", "indices", "length", "library", "binary.add", "binary.sub")
    tasks = [get_task("hist")]
    with_lib = dream(40, tasks, seed=5, productions=allowed, library=lib)
    uses = [d for d in with_lib if {"aggregate", "select", "map.eq"} <= d.productions]
    assert len(uses) >= len(with_lib) / 2 > 0
    for d in uses:
        assert d.productions == used_productions(d.program)
    without = dream(40, tasks, seed=5, productions=allowed)
    assert not any("aggregate" in d.productions for d in without)
