"""The library loop's wake phase gives the same outcomes on the local pool and on Ray, for a
small suite with a task that raises and one that overruns its budget; a journal resumes it."""
from __future__ import annotations

import jobs

from rasplab.parallel import Job, Journal
from rasplab.parallel.executor import make_executor
from rasplab.parallel.local import LocalExecutor
from rasplab.synth.library.io import Library
from rasplab.synth.library.loop import learn, wake

SUITE = ["reverse", "hist", "raises", "overruns"]


def _wake(executor, **kw):
    # both workers import the engine first, so that only "overruns" can overrun under load
    assert all(r.ok for r in executor.map([Job(f"warm{i}", jobs.warm) for i in range(2)]))
    outcomes, interrupted = wake(SUITE, Library(), budget=1.0, n_examples=40, seed=0,
                                 executor=executor, task_timeout=5.0, solver=jobs.wake_solver,
                                 **kw)
    assert not interrupted
    return outcomes


def _view(outcomes):
    return [(o.task, o.solved, o.sexpr, o.error.split(":")[0]) for o in outcomes]


def test_wake_same_on_local_pool_and_ray(ray_session):
    with LocalExecutor(2) as ex:
        local = _wake(ex)
    with make_executor(2, ray="local") as ex:
        remote = _wake(ex)
    assert _view(local) == _view(remote)
    by_task = {o.task: o for o in local}
    assert by_task["reverse"].solved and by_task["hist"].solved and by_task["hist"].sexpr
    assert by_task["raises"].error == "raised RuntimeError: this task always fails"
    assert by_task["overruns"].error == "timed out after 5 s" and not by_task["overruns"].solved


def test_wake_resumes_from_its_journal(tmp_path):
    path = tmp_path / "wake.jsonl"
    tasks = ["reverse", "hist"]
    first, _ = wake(tasks[:1], Library(), budget=1.0, n_examples=40, journal=Journal(path))
    again, _ = wake(tasks, Library(), budget=1.0, n_examples=40, journal=Journal(path))
    assert [o.task for o in again] == tasks and again[0] == first[0]
    assert len(path.read_text().splitlines()) == 2  # only hist was searched the second time
    other, _ = wake(tasks[:1], Library(), budget=2.0, n_examples=40, journal=Journal(path))
    assert len(path.read_text().splitlines()) == 3  # another budget: not the same result


def test_learn_with_two_workers_matches_one(tmp_path):
    tasks = ["reverse", "hist", "length"]
    one, _ = learn(tasks, budget=2, iterations=1, n_examples=40, progress=False)
    two, _ = learn(tasks, budget=2, iterations=1, n_examples=40, progress=False, workers=2,
                   journal=tmp_path / "j.jsonl")
    assert one[0].solved == two[0].solved == 3
    assert list(one[0].tasks) == list(two[0].tasks) == tasks
    assert len((tmp_path / "j.jsonl").read_text().splitlines()) == 3


def test_library_cli_checks_executor_options(capsys):
    from rasplab.cli.main import main

    assert main(["library", "--suite", "paper", "--workers", "0", "--budget", "1"]) == 2
    assert "--workers must be at least 1" in capsys.readouterr().err
    assert main(["library", "--suite", "paper", "--ray", "nowhere", "--budget", "1"]) == 2
    assert "HOST:PORT" in capsys.readouterr().err
