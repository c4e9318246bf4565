"""Distil many models or tasks at once: one executor job per target, results as they finish.

A target is a model file or a task name (its model is trained first, or taken from the cache);
a folder stands for the `.safetensors` files in it. Each target gets its own report folder.
Targets that fail (raise, overrun twice, lose their worker twice) are reported with the reason;
the others are unaffected. With a journal, finished targets are not distilled again.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

from rasplab.errors import ModelFileError, RaspLabError
from rasplab.parallel import Executor, Job, Journal, make_executor, run_jobs

#: seconds a target may take beyond its search budget (queries, verification, the report)
GRACE = 300.0
#: and more when a task's model has to be trained first
TRAINING = 1800.0


@dataclass
class BatchItem:
    """One target's outcome: the distillation summary (`DistillResult.summary()`) or an error."""

    target: str
    name: str
    ok: bool
    summary: dict[str, Any] | None
    error: str = ""
    attempts: int = 1
    seconds: float = 0.0
    resumed: bool = False

    @property
    def agreement(self) -> float:
        return float(self.summary["agreement"]) if self.summary else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"target": self.target, "name": self.name, "ok": self.ok, "error": self.error,
                "attempts": self.attempts, "seconds": round(self.seconds, 3),
                **(self.summary or {})}


def _is_model_file(target: str) -> bool:
    return target.endswith(".safetensors") or Path(target).is_file()


def expand_targets(targets: Sequence[str]) -> list[str]:
    """Task names and model files, a folder replaced by its model files; unknown names fail
    here, before any work starts."""
    from rasplab.tasks import get_task

    out: list[str] = []
    for t in targets:
        path = Path(t)
        if path.is_dir():
            files = sorted(str(p) for p in path.glob("*.safetensors"))
            if not files:
                raise ModelFileError(f"{t}: no .safetensors model files in this folder")
            out += files
        elif _is_model_file(t):
            if not path.exists():
                raise ModelFileError(f"model file not found: {t}")
            out.append(t)
        else:
            get_task(t)  # raises RaspNameError naming the unknown task
            out.append(t)
    return list(dict.fromkeys(out))


def target_name(target: str) -> str:
    """A task's name, or a model file's stem (the report folder is `distill-<name>`)."""
    return Path(target).stem if _is_model_file(target) else target


def distill_one(target: str, out_dir: str, options: dict[str, Any], threads: int = 1
                ) -> dict[str, Any]:
    """One target's distillation (runs in a worker); its JSON summary."""
    import torch

    from rasplab.distill import distill
    from rasplab.distill.cache import model_for

    torch.set_num_threads(threads)  # one core per job: the pool already uses the others
    options = dict(options)  # a retry gets the options unchanged
    task = None
    model = target
    if not _is_model_file(target):
        task = target
        model = str(model_for(task, retrain=options.pop("retrain", False), quiet=True))
    options.pop("retrain", None)
    result = distill(model, task=task, out_dir=out_dir, **options)
    return _plain(result.summary())


def _plain(value: Any) -> Any:
    """Numpy scalars and arrays as plain JSON values (summaries go into the journal)."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def distill_jobs(targets: Sequence[str], out_root: str | Path, options: dict[str, Any],
                 job_timeout: float | None = None) -> list[Job]:
    """One job per target; keys carry a fingerprint of the options (for the journal)."""
    from rasplab.distill.cache import cache_dir

    tag = hashlib.sha1(json.dumps(options, sort_keys=True, default=str).encode()).hexdigest()[:12]
    jobs = []
    budget = float(options.get("budget", 60.0))
    for target in targets:
        name = target_name(target)
        timeout = job_timeout
        if timeout is None:
            training = not _is_model_file(target) and (
                options.get("retrain") or not (cache_dir() / f"{target}-seed0.safetensors"
                                               ).exists())
            timeout = 3 * budget + GRACE + (TRAINING if training else 0.0)
        jobs.append(Job(f"{tag}:{target}", distill_one,
                        (target, str(Path(out_root) / f"distill-{name}"), dict(options)),
                        timeout=timeout))
    return jobs


def distill_many(targets: Sequence[str], *, executor: Executor | None = None,
                 workers: int | None = None, ray: str | None = None,
                 out_root: str | Path = ".", journal: str | Path | None = None,
                 job_timeout: float | None = None, **options: Any) -> Iterator[BatchItem]:
    """Distil every target (see `expand_targets`), yielding each outcome as it finishes.

    `options` go to `distill` (`n`, `budget`, `held_out`, `seed`, `library`, ...; `retrain`
    for task names). Runs on `executor`, else on `make_executor(workers, ray)`.
    """
    targets = expand_targets(targets)
    if not targets:
        raise RaspLabError("nothing to distil: give model files, folders or task names")
    own = executor is None
    ex = executor if executor is not None else make_executor(workers, ray)
    log = Journal(journal) if journal is not None else None
    try:
        for r in run_jobs(ex, distill_jobs(targets, out_root, options, job_timeout),
                          journal=log):
            target = r.key.split(":", 1)[1]
            yield BatchItem(target, target_name(target), r.ok, r.value if r.ok else None,
                            r.error, r.attempts, r.seconds, r.resumed)
    finally:
        if ex.busy:
            ex.cancel()
        if own:
            ex.close()
