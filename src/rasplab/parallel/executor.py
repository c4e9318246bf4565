"""Run many independent jobs (a task's search, a model's distillation) on a pool of workers.

An `Executor` takes `Job`s and yields a `JobResult` for each as it finishes. A job that overruns
its timeout, or whose worker dies, is retried once and then reported failed; a job that raises is
reported failed at once (the same inputs would raise again). Back ends differ only in how they
start, poll and kill one job; the scheduling (capacity, deadlines, retries, cancel) lives here.
"""
from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable, Iterable, Iterator


@dataclass
class Job:
    """One unit of work: `fn(*args, **kwargs)` in a worker; `key` names it in results/journal.

    `fn` must be picklable (a module-level function or a `functools.partial` of one).
    `timeout` is wall seconds from the moment a worker starts it (None: no limit).
    """

    key: str
    fn: Callable[..., Any]
    args: tuple = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    timeout: float | None = None


@dataclass
class JobResult:
    """What became of a job: its value, or why it failed (raised, timed out, worker died)."""

    key: str
    ok: bool
    value: Any = None
    #: "" when ok; otherwise "raised ...", "timed out after S s" or "worker died (...)"
    error: str = ""
    attempts: int = 1
    #: the job's own run time in the worker (last attempt; the timeout when it overran)
    seconds: float = 0.0
    #: from handing the job to a worker to its result arriving (last attempt): run time plus
    #: the back end's overhead (transfer, scheduling)
    wall: float = 0.0
    #: read back from a journal instead of run
    resumed: bool = False


#: what a back end reports for one finished attempt: ("ok", value, seconds),
#: ("raised", message, seconds) or ("died", message, 0.0)
Outcome = tuple[str, Any, float]


@dataclass
class _Running:
    job: Job
    attempt: int
    started: float

    @property
    def deadline(self) -> float | None:
        return None if self.job.timeout is None else self.started + self.job.timeout


class Executor(ABC):
    """Submit jobs, iterate their results as they finish, cancel the rest.

    Use as a context manager so that workers are released: `with make_executor() as ex:`.
    """

    #: how many jobs run at once
    workers: int
    #: extra attempts for a job that overran or whose worker died
    retries: int = 1

    def __init__(self, workers: int, retries: int = 1) -> None:
        self.workers = max(1, int(workers))
        self.retries = retries
        self._pending: deque[tuple[Job, int]] = deque()
        self._running: dict[Hashable, _Running] = {}

    # --- the back end's part -------------------------------------------------------------
    @abstractmethod
    def _start(self, job: Job) -> Hashable:
        """Hand `job` to a worker; returns a handle for `_poll` and `_kill`."""

    @abstractmethod
    def _poll(self, handles: list[Hashable], timeout: float | None
              ) -> list[tuple[Hashable, Outcome]]:
        """Wait up to `timeout` seconds (None: until one finishes) for finished handles."""

    @abstractmethod
    def _kill(self, handle: Hashable) -> None:
        """Stop a running job (its worker is replaced when needed)."""

    def close(self) -> None:
        """Release the workers (running jobs are stopped)."""
        self.cancel()

    # --- scheduling ----------------------------------------------------------------------
    def submit(self, job: Job) -> None:
        """Queue a job; it starts when a worker is free (results come from `results()`)."""
        self._pending.append((job, 1))

    def map(self, jobs: Iterable[Job]) -> Iterator[JobResult]:
        """Submit every job and yield the results as they finish."""
        for job in jobs:
            self.submit(job)
        yield from self.results()

    def cancel(self, keys: Iterable[str] | None = None) -> None:
        """Drop queued jobs and stop running ones (all, or those named); they yield nothing."""
        wanted = None if keys is None else set(keys)
        self._pending = deque((j, a) for j, a in self._pending
                              if wanted is not None and j.key not in wanted)
        for handle, run in list(self._running.items()):
            if wanted is None or run.job.key in wanted:
                del self._running[handle]
                self._kill(handle)

    @property
    def busy(self) -> bool:
        """Whether jobs are queued or running."""
        return bool(self._pending or self._running)

    def results(self) -> Iterator[JobResult]:
        """Yield each submitted job's result as it finishes, until none is queued or running."""
        while self._pending or self._running:
            while self._pending and len(self._running) < self.workers:
                job, attempt = self._pending.popleft()
                handle = self._start(job)
                self._running[handle] = _Running(job, attempt, time.monotonic())
            deadlines = [r.deadline for r in self._running.values() if r.deadline is not None]
            wait = None if not deadlines else max(0.0, min(deadlines) - time.monotonic())
            for handle, (kind, value, seconds) in self._poll(list(self._running), wait):
                run = self._running.pop(handle, None)
                if run is None:  # cancelled meanwhile
                    continue
                if kind != "died":
                    yield _finished(run, kind, value, seconds)
                else:
                    wall = time.monotonic() - run.started
                    failed = self._retry_or_fail(run, f"worker died ({value})", wall, wall)
                    if failed is not None:
                        yield failed
            now = time.monotonic()
            for handle, run in list(self._running.items()):
                if run.deadline is not None and now >= run.deadline:
                    del self._running[handle]
                    self._kill(handle)
                    failed = self._retry_or_fail(run, f"timed out after {run.job.timeout:g} s",
                                                 run.job.timeout or 0.0, now - run.started)
                    if failed is not None:
                        yield failed

    def drain(self, seconds: float) -> Iterator[JobResult]:
        """After Ctrl-C: drop queued jobs, yield the results running jobs send within
        `seconds` (a search that saw Ctrl-C returns its best program so far), stop the rest."""
        self._pending.clear()
        deadline = time.monotonic() + seconds
        try:
            while self._running and (left := deadline - time.monotonic()) > 0:
                for handle, (kind, value, secs) in self._poll(list(self._running), left):
                    run = self._running.pop(handle, None)
                    if run is not None and kind != "died":
                        yield _finished(run, kind, value, secs)
        finally:
            self.cancel()

    def _retry_or_fail(self, run: _Running, why: str, seconds: float, wall: float
                       ) -> JobResult | None:
        if run.attempt <= self.retries:
            self._pending.appendleft((run.job, run.attempt + 1))
            return None
        return JobResult(run.job.key, False, None, why, run.attempt, seconds, wall)

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class InlineExecutor(Executor):
    """Runs jobs one after another in this process: no pool, no timeouts (nothing to kill).

    The default for one worker, so that Ctrl-C reaches the search itself, which then returns
    the best program it has so far.
    """

    def __init__(self, retries: int = 1) -> None:
        super().__init__(1, retries)
        self._jobs: dict[int, Job] = {}
        self._next = 0

    def _start(self, job: Job) -> Hashable:
        self._next += 1
        self._jobs[self._next] = job
        return self._next

    def _poll(self, handles: list[Hashable], timeout: float | None
              ) -> list[tuple[Hashable, Outcome]]:
        out = []
        for h in handles:
            job = self._jobs.pop(h)  # type: ignore[call-overload]
            t0 = time.perf_counter()
            try:
                value = job.fn(*job.args, **job.kwargs)
            except KeyboardInterrupt:
                raise
            except Exception as exc:  # noqa: BLE001 - reported as the job's failure
                out.append((h, ("raised", describe(exc), time.perf_counter() - t0)))
            else:
                out.append((h, ("ok", value, time.perf_counter() - t0)))
        return out

    def _kill(self, handle: Hashable) -> None:
        self._jobs.pop(handle, None)  # type: ignore[call-overload]

    def drain(self, seconds: float) -> Iterator[JobResult]:
        """Nothing runs in the background here: the job Ctrl-C hit has already returned."""
        self.cancel()
        return iter(())


def _finished(run: _Running, kind: str, value: Any, seconds: float) -> JobResult:
    """The result of a job that returned ("ok") or raised ("raised") in its worker."""
    ok = kind == "ok"
    return JobResult(run.job.key, ok, value if ok else None, "" if ok else f"raised {value}",
                     run.attempt, seconds, time.monotonic() - run.started)


def describe(exc: BaseException) -> str:
    """`Type: message`, the one-line form an exception is reported in."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def make_executor(workers: int | None = None, ray: str | None = None,
                  retries: int = 1) -> Executor:
    """The executor the command line asks for.

    `ray` None: a local process pool of `workers` processes (default: the machine's cores), or
    the calling process itself for one worker. `ray` "local" starts Ray on this machine with
    `workers` CPUs; "auto" or an address ("HOST:PORT", "ray://...") joins a running cluster.
    """
    if ray is not None:
        from rasplab.parallel.ray_backend import RayExecutor

        return RayExecutor(ray, workers=workers, retries=retries)
    if workers is None:
        import os

        workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
            os.cpu_count() or 1)
    if workers <= 1:
        return InlineExecutor(retries=retries)
    from rasplab.parallel.local import LocalExecutor

    return LocalExecutor(workers, retries=retries)
