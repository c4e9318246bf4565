"""The library loop's dreaming step: wake, abstraction, dreaming, wake with predicted costs."""
from __future__ import annotations

import json

from rasplab.cli.main import main
from rasplab.synth.library.loop import learn
from rasplab.synth.recognition import load_recognition


def test_loop_trains_a_model_after_compression_and_uses_it(tmp_path) -> None:
    path = tmp_path / "rec.safetensors"
    reports, _ = learn(["copy", "length", "first", "last"], budget=5, iterations=2,
                       n_examples=20, recognition=str(path), n_dreams=80, progress=False)
    assert len(reports) == 2
    first, second = reports
    assert first.recognition["dreams"] == 80 and first.recognition["solved"] == first.solved
    assert first.recognition["epochs"] >= 1
    model = load_recognition(path)
    assert set(model.priors()) >= {"select", "aggregate.cat", "tokens"}
    # the second wake ran with the model's costs and still solves what the first solved
    assert {t for t, o in second.tasks.items() if o["solved"]} >= \
        {t for t, o in first.tasks.items() if o["solved"]}


def test_loop_without_recognition_has_no_dreaming(tmp_path) -> None:
    reports, _ = learn(["copy", "length"], budget=3, iterations=1, n_examples=10,
                       progress=False)
    assert reports[0].recognition == {}


def test_cli_library_recognition_flag(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    code = main(["library", "--suite", "paper", "--budget", "1", "--iterations", "1",
                 "--examples", "10", "--recognition", "--dreams", "40", "--json",
                 "-o", str(tmp_path / "lib.json")])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc[0]["recognition"]["dreams"] == 40
    assert load_recognition(tmp_path / "recognition.safetensors") is not None
    code = main(["library", "--suite", "paper", "--recognition", "--dreams", "0"])
    assert code == 2 and "--dreams" in capsys.readouterr().err


def test_the_model_is_trained_once_and_reused_across_iterations(monkeypatch) -> None:
    from rasplab.synth.recognition import phase

    calls: list[tuple] = []
    real = phase.dream_and_train

    def counted(*args, **kw):
        calls.append(args)
        return real(*args, **kw)

    class InProcess(phase.DreamTrainer):  # the worker would not see the counting wrapper
        def __init__(self, *args, **kw):
            super().__init__(*args, **kw, worker=False)

    monkeypatch.setattr(phase, "dream_and_train", counted)
    monkeypatch.setattr(phase, "DreamTrainer", InProcess)
    reports, _ = learn(["copy", "length", "first"], budget=3, iterations=3, n_examples=20,
                       recognition=True, n_dreams=30, progress=False)
    assert len(reports) == 3 and len(calls) == 1
    assert all(r.recognition["dreams"] == 30 for r in reports)
    assert [r.recognition["solved"] for r in reports] == [r.solved for r in reports]
    # guidance goes only to tasks no earlier iteration solved (none in the first: no model yet)
    assert reports[0].recognition["guided"] == []
    ever: set[str] = set()
    for r in reports:
        assert set(r.recognition["guided"]) <= set(r.tasks) - ever
        ever |= {t for t, o in r.tasks.items() if o["solved"]}


def test_trainer_hurried_stops_after_its_minimum_epochs() -> None:
    from rasplab.synth.recognition.phase import DreamTrainer

    trainer = DreamTrainer(["copy", "reverse"], n_dreams=40, seed=1, epochs=50, min_epochs=2)
    model = trainer.model()  # asks the worker to stop after its current epoch
    assert 2 <= trainer.stats["epochs"] < 50 and trainer.stats["dreams"] == 40
    assert trainer.model() is model  # trained once, then reused
    refined, stats = trainer.refine({"copy": "tokens"}, seed=2)
    assert refined is model and stats["solved"] == 1 and stats["epochs"] >= 1
    assert model.config.base_weights is not None
    trainer.close()
