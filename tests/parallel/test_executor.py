"""The executor's contract on both back ends: results, raised jobs, overruns, dead workers,
cancel, and the journal's resume; the local pool and Ray must report the same things."""
from __future__ import annotations

import time

import jobs
import pytest

from rasplab.parallel import InlineExecutor, Job, Journal, make_executor, run_jobs
from rasplab.parallel.local import LocalExecutor


def _summary(results):
    return {r.key: (r.ok, r.value, r.error.split(":")[0], r.attempts) for r in results}


def _mixed_jobs():
    return [Job("sq3", jobs.square, (3,)), Job("sq4", jobs.square, (4,), timeout=30),
            Job("boom", jobs.boom, (1,)), Job("slow", jobs.sleepy, (30,), timeout=1.0)]


EXPECTED = {"sq3": (True, 9, "", 1), "sq4": (True, 16, "", 1),
            "boom": (False, None, "raised ValueError", 1),
            "slow": (False, None, "timed out after 1 s", 2)}


def test_results_raise_and_overrun(backend):
    start = time.monotonic()
    with backend(2) as ex:
        got = list(ex.map(_mixed_jobs()))
    assert _summary(got) == EXPECTED
    assert time.monotonic() - start < 25  # the 30 s sleeper was killed, twice
    slow = next(r for r in got if r.key == "slow")
    assert slow.seconds == 1.0 and slow.wall >= 1.0


def test_inline_matches_except_timeouts():
    got = _summary(InlineExecutor().map(_mixed_jobs()[:3]))
    assert got == {k: v for k, v in EXPECTED.items() if k != "slow"}


def test_dead_worker_is_retried_once(backend, tmp_path):
    with backend(2) as ex:
        got = {r.key: r for r in ex.map([
            Job("dies", jobs.die, (3,)),
            Job("once", jobs.die_once, (str(tmp_path / "marker"),)),
            Job("fine", jobs.square, (5,))])}
    assert not got["dies"].ok and got["dies"].attempts == 2
    assert got["dies"].error.startswith("worker died")
    assert got["once"].ok and got["once"].value == "second time lucky"
    assert got["once"].attempts == 2
    assert got["fine"].ok and got["fine"].value == 25 and got["fine"].attempts == 1


def test_cancel_stops_the_rest():
    # on Ray, cancelling is covered by the sharded search's test (each kill costs a worker start)
    start = time.monotonic()
    with LocalExecutor(2) as ex:
        for j in [Job("slow1", jobs.sleepy, (30,)), Job("fast", jobs.sleepy, (0.2,)),
                  Job("queued", jobs.sleepy, (30,))]:
            ex.submit(j)
        first = next(ex.results())
        ex.cancel()
        assert not ex.busy and list(ex.results()) == []
    assert first.key == "fast" and first.value == "woke"
    assert time.monotonic() - start < 20


def test_unpicklable_job_is_reported_not_raised():
    with make_executor(2) as ex:
        (r,) = ex.map([Job("lambda", lambda: 1)])
    assert not r.ok and "cannot be sent" in r.error


def test_journal_resumes_where_it_stopped(backend, tmp_path):
    marker, path = tmp_path / "runs.txt", tmp_path / "journal.jsonl"
    todo = [Job(f"j{i}", jobs.counted, (str(marker), {"i": i})) for i in range(4)]
    with backend(1) as ex:
        results = run_jobs(ex, todo, journal=Journal(path))
        first = next(results)  # then the run is "interrupted"
        ex.cancel()
    runs = len(marker.read_text().splitlines())
    assert 1 <= runs <= 2 and first.ok
    with open(path, "a") as fh:
        fh.write('{"key": "j3", "ok": tr')  # a line cut short by a kill is ignored
    with backend(2) as ex:
        again = list(run_jobs(ex, todo, journal=Journal(path)))
    assert sorted(r.value["i"] for r in again) == [0, 1, 2, 3]
    assert sum(r.resumed for r in again) == 1 and next(r for r in again if r.resumed).key == \
        first.key
    assert len(marker.read_text().splitlines()) == runs + 3


def test_make_executor_choices():
    ex = make_executor(1)
    assert isinstance(ex, InlineExecutor)
    with make_executor(3) as ex:
        assert type(ex).__name__ == "LocalExecutor" and ex.workers == 3


def test_ray_unreachable_address_is_a_clear_error():
    from rasplab.errors import RaspLabError
    from rasplab.parallel.ray_backend import _check_reachable, _host_port

    with pytest.raises(RaspLabError, match="--ray 127.0.0.1:1: cannot reach"):
        _check_reachable("127.0.0.1:1", *_host_port("127.0.0.1:1"))
    with pytest.raises(RaspLabError, match="HOST:PORT"):
        _host_port("nowhere")
    assert _host_port("ray://head.example:10001") == ("head.example", 10001)


def test_drain_keeps_what_arrives_then_stops_the_rest():
    # local only: Ctrl-C reaches local workers, not Ray's (which are only cancelled)
    start = time.monotonic()
    with LocalExecutor(3) as ex:
        for j in [Job("fast", jobs.sleepy, (0.1,)), Job("mid", jobs.sleepy, (1.5,)),
                  Job("slow", jobs.sleepy, (30,))]:
            ex.submit(j)
        assert next(ex.results()).key == "fast"  # as when Ctrl-C arrives mid-run
        drained = [r.key for r in ex.drain(4.0)]
        assert not ex.busy
    assert drained == ["mid"]
    assert time.monotonic() - start < 20


def test_inline_drain_runs_nothing():
    ex = InlineExecutor()
    ex.submit(Job("never", jobs.boom, (1,)))
    assert list(ex.drain(1.0)) == [] and not ex.busy
