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
