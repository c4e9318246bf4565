"""The local back end: a pool of worker processes on this machine, one job per worker at a time.

Unlike `concurrent.futures.ProcessPoolExecutor`, the pool knows which worker runs which job, so
it can kill one job that overruns (or is cancelled) and start a fresh worker in its place, and it
notices a worker that dies. Workers are spawned (not forked) so no lock held by a thread of the
parent (torch, tqdm) is copied into them.
"""
from __future__ import annotations

import multiprocessing as mp
import pickle
import signal
import time
from multiprocessing.connection import Connection, wait
from typing import Any, Hashable

from rasplab.parallel.executor import Executor, Job, Outcome, describe


def _worker_main(conn: Connection) -> None:
    """A worker's loop: receive a pickled job, run it, send back the outcome."""
    # Ctrl-C in the terminal reaches every process of the group: an idle worker ignores it, a
    # busy one lets the job see it (a search then returns its best program so far)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            data = conn.recv_bytes()
        except (EOFError, OSError):
            return
        t0 = time.perf_counter()
        outcome: Outcome
        try:
            fn, args, kwargs = pickle.loads(data)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            try:
                value = fn(*args, **kwargs)
            finally:
                signal.signal(signal.SIGINT, signal.SIG_IGN)
            outcome = ("ok", value, time.perf_counter() - t0)
        except BaseException as exc:  # noqa: BLE001 - every failure is the job's result
            outcome = ("raised", describe(exc), time.perf_counter() - t0)
        try:
            payload = pickle.dumps(outcome)
        except Exception as exc:  # noqa: BLE001 - an unpicklable value is the job's failure
            payload = pickle.dumps(("raised", f"result cannot be sent back: {describe(exc)}",
                                    outcome[2]))
        try:
            conn.send_bytes(payload)
        except (BrokenPipeError, OSError):
            return


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, ctx: Any, ident: int) -> None:
        self.ident = ident
        self.conn, child = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(target=_worker_main, args=(child,), daemon=True,
                                name=f"rasplab-worker-{ident}")
        self.proc.start()
        child.close()

    def stop(self, kill: bool) -> None:
        if kill and self.proc.is_alive():
            self.proc.kill()
        try:
            self.conn.close()
        except OSError:
            pass
        self.proc.join(timeout=5)


class LocalExecutor(Executor):
    """A process pool of `workers` processes (started when first needed, kept for later jobs)."""

    def __init__(self, workers: int, retries: int = 1, context: str = "spawn") -> None:
        super().__init__(workers, retries)
        self._ctx = mp.get_context(context)
        self._idle: list[_Worker] = []
        self._busy: dict[int, _Worker] = {}
        self._done: list[tuple[Hashable, Outcome]] = []
        self._count = 0

    def _start(self, job: Job) -> Hashable:
        self._count += 1
        handle = self._count
        try:
            data = pickle.dumps((job.fn, job.args, job.kwargs))
        except Exception as exc:  # noqa: BLE001 - reported as the job's failure
            self._done.append((handle, ("raised", f"job cannot be sent to a worker: "
                                                  f"{describe(exc)}", 0.0)))
            return handle
        worker = self._idle.pop() if self._idle else _Worker(self._ctx, handle)
        try:
            worker.conn.send_bytes(data)
        except (BrokenPipeError, OSError) as exc:
            worker.stop(kill=True)
            self._done.append((handle, ("died", describe(exc), 0.0)))
            return handle
        self._busy[handle] = worker
        return handle

    def _poll(self, handles: list[Hashable], timeout: float | None
              ) -> list[tuple[Hashable, Outcome]]:
        if self._done:
            done, self._done = self._done, []
            return done
        by_conn = {self._busy[h].conn: h for h in handles if h in self._busy}
        by_sentinel = {self._busy[h].proc.sentinel: h for h in handles if h in self._busy}
        if not by_conn:
            return []
        out: list[tuple[Hashable, Outcome]] = []
        for ready in wait(list(by_conn) + list(by_sentinel), timeout):
            handle = by_conn.get(ready, by_sentinel.get(ready))  # type: ignore[arg-type]
            worker = self._busy.get(handle)
            if worker is None or any(h == handle for h, _ in out):
                continue
            try:
                outcome = pickle.loads(worker.conn.recv_bytes()) if worker.conn.poll() else None
            except (EOFError, OSError):
                outcome = None
            del self._busy[handle]
            if outcome is None:
                code = worker.proc.exitcode
                worker.stop(kill=True)
                out.append((handle, ("died", f"exit code {code}", 0.0)))
            else:
                self._idle.append(worker)
                out.append((handle, outcome))
        return out

    def _kill(self, handle: Hashable) -> None:
        worker = self._busy.pop(handle, None)
        if worker is not None:
            worker.stop(kill=True)

    def close(self) -> None:
        super().close()
        for worker in self._idle:
            worker.stop(kill=False)
        self._idle = []
