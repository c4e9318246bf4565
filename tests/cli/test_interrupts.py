"""Ctrl-C: `synth` stopped before a solution says it was interrupted and exits 130."""
from __future__ import annotations

import rasplab.synth
from rasplab.cli.main import main
from rasplab.synth.result import SynthResult


def test_synth_interrupted_without_a_solution_says_so(tmp_path, monkeypatch, capsys):
    (tmp_path / "ex.jsonl").write_text('{"input": ["a", "b"], "output": ["b", "a"]}\n')
    stopped = SynthResult(program=None, source="", sexpr="", solved=False, accuracy=0.0,
                          seconds=0.3, candidates=12, interrupted=True)
    monkeypatch.setattr(rasplab.synth, "synthesize", lambda *a, **k: stopped)
    assert main(["synth", "--examples", str(tmp_path / "ex.jsonl")]) == 130
    assert "interrupted, not solved" in capsys.readouterr().err
    assert main(["synth", "--examples", str(tmp_path / "ex.jsonl"), "--json"]) == 130
    assert '"interrupted": true' in capsys.readouterr().out
