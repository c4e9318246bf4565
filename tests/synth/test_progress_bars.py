"""Progress bars say what they count: the library loop's bar counts one iteration's tasks and
leaves the summary its own line; bottom-up synthesis shows no accuracy before it has one."""
from __future__ import annotations

import sys

import rasplab.synth.library.loop as loop
from rasplab.synth.bottomup.search import search


def test_library_bar_counts_each_iteration_and_clears_before_the_summary(monkeypatch, capsys):
    tasks = ["reverse", "hist", "sort"]

    def fake_wake(names, library, *, bar=None, **_):
        for name in names:
            bar.update(1)
        return [loop.TaskOutcome(name, False, 0.0, 0.0, 0) for name in names], False
    monkeypatch.setattr(loop, "wake", fake_wake)
    loop.learn(tasks, iterations=2, progress=True,
               on_iteration=lambda r: print(f"SUMMARY {r.iteration}", file=sys.stderr))
    err = capsys.readouterr().err
    first, second = err.split("SUMMARY 1")[0], err.split("SUMMARY 1")[1].split("SUMMARY 2")[0]
    assert "iteration 1/2" in first and "0/3" in first and "/6" not in err
    assert "iteration 2/2" in second and "0/3" in second
    for before in (first, second):  # the bar's line was cleared: the summary starts a line
        assert before.rstrip(" ").endswith("\r")


def test_bottomup_bar_shows_no_best_before_a_program_is_found(capsys):
    xs = [list("abcab"), list("ba"), list("cc")]
    ys = [["x", "y", "z", "w", "v"], ["q", "r"], ["s", "t"]]  # nothing cheap fits
    search(xs, ys, budget=0.5, progress=True)
    err = capsys.readouterr().err
    assert "best=" in err and "best=-1" not in err
