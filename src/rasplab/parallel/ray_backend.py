"""The Ray back end: each job is one Ray task, on this machine (`local`) or a running cluster.

Imported only when `--ray` is given, so nothing else needs Ray installed
(`pip install 'rasplab[ray]'`). Ray's own retries are off: overruns and dead workers are retried
by the shared scheduler, so both back ends report faults the same way.
"""
from __future__ import annotations

import socket
import time
from typing import Any, Callable, Hashable

from rasplab.errors import RaspLabError
from rasplab.parallel.executor import Executor, Job, Outcome, describe


def _call(fn: Callable[..., Any], args: tuple, kwargs: dict) -> Outcome:
    """Runs in a Ray worker: the job's outcome, an exception included, as plain data."""
    t0 = time.perf_counter()
    try:
        return ("ok", fn(*args, **kwargs), time.perf_counter() - t0)
    except Exception as exc:  # noqa: BLE001 - the job's failure, reported like the local pool's
        return ("raised", describe(exc), time.perf_counter() - t0)


def connect(address: str, workers: int | None = None) -> bool:
    """Start or join Ray unless this process already has; says whether it started it here."""
    try:
        import ray
    except ImportError:
        raise RaspLabError("--ray needs Ray: pip install 'rasplab[ray]'") from None
    if address not in ("local", "auto"):
        host, port = _host_port(address)
        if not ray.is_initialized():
            _check_reachable(address, host, port)
    if ray.is_initialized():
        return False
    try:
        if address == "local":
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False,
                     configure_logging=False)
        else:
            ray.init(address=address, log_to_driver=False, configure_logging=False)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise RaspLabError(f"--ray {address}: cannot reach a Ray cluster ({describe(exc)})"
                           ) from None
    return True


def _host_port(address: str) -> tuple[str, int]:
    """HOST and PORT of a cluster address ("HOST:PORT" or "ray://HOST:PORT")."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise RaspLabError(f"--ray {address}: expected local, auto or HOST:PORT")
    return host, int(port)


def _check_reachable(address: str, host: str, port: int) -> None:
    """Fail at once on an address nothing listens at (Ray itself retries for minutes)."""
    try:
        socket.create_connection((host, port), timeout=5).close()
    except OSError as exc:
        raise RaspLabError(f"--ray {address}: cannot reach a Ray cluster ({exc})") from None


class RayExecutor(Executor):
    """Jobs as Ray tasks; at most `workers` at once (default: the cluster's CPUs)."""

    def __init__(self, address: str = "local", workers: int | None = None,
                 retries: int = 1) -> None:
        import ray

        self._owns = connect(address, workers)
        if workers is None:
            workers = int(ray.cluster_resources().get("CPU", 1))
        super().__init__(workers, retries)
        self._ray = ray
        self._remote = ray.remote(num_cpus=1, max_retries=0)(_call)

    def _start(self, job: Job) -> Hashable:
        return self._remote.remote(job.fn, job.args, job.kwargs)

    def _poll(self, handles: list[Hashable], timeout: float | None
              ) -> list[tuple[Hashable, Outcome]]:
        ray = self._ray
        ready, rest = ray.wait(handles, num_returns=1, timeout=timeout)
        if ready and rest:  # collect whatever else has finished too
            more, _ = ray.wait(rest, num_returns=len(rest), timeout=0)
            ready += more
        out: list[tuple[Hashable, Outcome]] = []
        for ref in ready:
            try:
                out.append((ref, ray.get(ref)))
            except ray.exceptions.RayError as exc:  # the worker or its node went away
                out.append((ref, ("died", describe(exc), 0.0)))
        return out

    def _kill(self, handle: Hashable) -> None:
        try:
            self._ray.cancel(handle, force=True)
        except Exception:  # noqa: BLE001 - already finished or gone: nothing left to stop
            pass

    def close(self) -> None:
        super().close()
        if self._owns:
            self._ray.shutdown()
