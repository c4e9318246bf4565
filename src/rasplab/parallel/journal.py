"""An append-only JSONL file of finished jobs, so that an interrupted run resumes where it stopped.

Each line is one `JobResult` (its value encoded to JSON by the caller). A run given the same
journal again reads the finished jobs back instead of running them; a line cut short by a kill
is ignored. Keys should include a fingerprint of the settings, so stale results never match.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from rasplab.errors import RaspLabError
from rasplab.parallel.executor import Executor, Job, JobResult


class Journal:
    """Finished job results kept in a JSONL file (`path`), by job key; the last line for a key
    wins."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.done: dict[str, dict[str, Any]] = {}
        if self.path.exists():
            try:
                text = self.path.read_text()
            except OSError as exc:
                raise RaspLabError(f"{self.path}: cannot read the journal ({exc})") from None
            for line in text.splitlines():
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut short when the run was killed
                if isinstance(rec, dict) and isinstance(rec.get("key"), str):
                    self.done[rec["key"]] = rec

    def get(self, key: str, decode: Callable[[Any], Any] = lambda v: v) -> JobResult | None:
        """The journalled result of `key`, or None."""
        rec = self.done.get(key)
        if rec is None:
            return None
        return JobResult(key, bool(rec.get("ok")), decode(rec.get("value")) if rec.get("ok")
                         else None, rec.get("error", ""), rec.get("attempts", 1),
                         rec.get("seconds", 0.0), rec.get("wall", 0.0), resumed=True)

    def append(self, result: JobResult, encode: Callable[[Any], Any] = lambda v: v) -> None:
        """Write one finished result (flushed to disk at once)."""
        rec = {"key": result.key, "ok": result.ok,
               "value": encode(result.value) if result.ok else None, "error": result.error,
               "attempts": result.attempts, "seconds": round(result.seconds, 4),
               "wall": round(result.wall, 4)}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a") as fh:
            fh.write(json.dumps(rec) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        self.done[result.key] = rec


def run_jobs(executor: Executor, jobs: Iterable[Job], *, journal: Journal | None = None,
             encode: Callable[[Any], Any] = lambda v: v,
             decode: Callable[[Any], Any] = lambda v: v,
             keep: Callable[[JobResult], bool] = lambda r: True) -> Iterator[JobResult]:
    """Results of `jobs` as they finish: journalled ones first (not run again), then the rest.

    Each new result is written to the journal as it arrives when `keep(result)` says so (a
    search cut short by Ctrl-C, say, should run again on resume).
    """
    todo = []
    for job in jobs:
        old = journal.get(job.key, decode) if journal is not None else None
        if old is not None:
            yield old
        else:
            todo.append(job)
    for job in todo:
        executor.submit(job)
    for result in executor.results():
        if journal is not None and keep(result):
            journal.append(result, encode)
        yield result
