"""The command-line options every spreading command shares: `--workers N` and `--ray WHERE`."""
from __future__ import annotations

import argparse

from rasplab.errors import RaspLabError
from rasplab.parallel.executor import Executor, make_executor


def add_executor_args(p: argparse.ArgumentParser, local_default: str = "1",
                      what: str = "tasks") -> None:
    """Adds `--workers N` and `--ray WHERE` (read back by `executor_from_args`)."""
    p.add_argument("--workers", type=int, metavar="N",
                   help=f"{what} run at once (default {local_default}; with --ray, every CPU "
                        "of the Ray cluster)")
    p.add_argument("--ray", metavar="WHERE",
                   help="run on Ray: local (start Ray here), auto or HOST:PORT (join a running "
                        "cluster); needs pip install 'rasplab[ray]'")


def executor_from_args(args: argparse.Namespace, local_workers: int | None = 1) -> Executor:
    """The executor `--workers`/`--ray` ask for; without `--workers`, `local_workers` locally
    (None: every core) and every CPU Ray has with `--ray`."""
    workers = getattr(args, "workers", None)
    if workers is not None and workers < 1:
        raise RaspLabError(f"--workers must be at least 1, got {workers}")
    ray = getattr(args, "ray", None)
    if ray is not None and ray.strip() == "":
        raise RaspLabError("--ray needs local, auto or HOST:PORT")
    if workers is None and ray is None:
        workers = local_workers
    return make_executor(workers, ray=ray)
