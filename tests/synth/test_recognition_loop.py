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
        # the tasks solved before are replayed under the model's costs, the misses then plain
        assert r.recognition.get("replayed", 0) == len(ever)
        assert set(r.recognition.get("fell_back", [])) <= ever
        ever |= {t for t, o in r.tasks.items() if o["solved"]}


def test_a_replay_the_model_misses_falls_back_to_the_plain_costs(monkeypatch) -> None:
    from rasplab.synth.library import loop
    from rasplab.synth.recognition import phase

    class InProcess(phase.DreamTrainer):
        def __init__(self, *args, **kw):
            super().__init__(*args, **kw, worker=False)

    real = loop.solve_task
    searched: list[tuple[str, bool, float]] = []

    def misled(name, library, budget, n_examples, seed, recognition=None):
        """Under the model's costs nothing is found (a model that misjudges every task)."""
        searched.append((name, recognition is not None, budget))
        if recognition is not None:
            return loop.TaskOutcome(name, False, 0.25, 0.5, 7)
        return real(name, library, budget, n_examples, seed)

    monkeypatch.setattr(phase, "DreamTrainer", InProcess)
    monkeypatch.setattr(loop, "solve_task", misled)
    reports, _ = learn(["copy", "length"], budget=4, iterations=2, n_examples=10,
                       recognition=True, n_dreams=20, progress=False)
    first, second = reports
    assert first.solved == 2 and second.solved == 2  # nothing lost to the misjudging model
    assert sorted(second.recognition["fell_back"]) == ["copy", "length"]
    replays = [s for s in searched[2:] if s[1]]
    assert sorted(n for n, _, _ in replays) == ["copy", "length"]
    # each replay gets as long as its plain search took (copy and length: under the floor)
    assert all(b == loop.REPLAY_FLOOR for _, _, b in replays)
    # each fallback got what the replay left of the budget, and both searches are counted
    assert all(b == 4 - 0.5 for n, guided, b in searched[4:] if not guided)
    assert all(o["candidates"] >= 7 for o in second.tasks.values())


def test_a_replay_never_takes_the_time_the_plain_search_needed() -> None:
    from rasplab.synth.library.loop import REPLAY_FLOOR, replay_budget

    assert replay_budget(4.0, 30.0) == 4.0  # quick: as long as plain took
    assert replay_budget(25.0, 30.0) == 5.0  # slow: plain keeps its 25 s
    assert replay_budget(31.0, 30.0) == REPLAY_FLOOR == replay_budget(0.01, 30.0)


def test_then_keeps_the_better_result_and_adds_the_costs() -> None:
    from rasplab.synth.library.loop import TaskOutcome, _then

    miss = TaskOutcome("t", False, 0.5, 2.0, 10)
    hit = TaskOutcome("t", True, 1.0, 3.0, 5, sexpr="tokens")
    worse = TaskOutcome("t", False, 0.25, 1.0, 4)
    both = _then(miss, hit)
    assert both.solved and both.sexpr == "tokens" and both.seconds == 5.0
    assert both.candidates == 15
    kept = _then(miss, worse)
    assert not kept.solved and kept.accuracy == 0.5 and kept.seconds == 3.0


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
