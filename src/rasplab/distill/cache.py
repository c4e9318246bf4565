"""Trained models for task names, cached on disk so `rasplab distill TASK` trains only once."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from rasplab.paths import cache_root


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped the training of a model for the cache: nothing was cached.

    A KeyboardInterrupt, so whoever handles Ctrl-C handles this too; `steps` says how far the
    training got."""

    def __init__(self, task: str, steps: int):
        super().__init__(f"training on {task!r} interrupted at step {steps}; nothing cached")
        self.task, self.steps = task, steps


def _finished(path: Path) -> bool:
    """Whether the cached model file at `path` finished its training (files written before
    interrupted models were refused may hold one: those are trained again)."""
    from rasplab.errors import ModelFileError
    from rasplab.models.checkpoint import read_metadata

    try:
        info = json.loads(read_metadata(path).get("info") or "{}")
    except (ModelFileError, ValueError):
        return False
    return not (info.get("metrics") or {}).get("interrupted", False)


def cache_dir() -> Path:
    """Where trained models are cached: `$RASPLAB_CACHE/models`, else `~/.cache/rasplab/models`."""
    return cache_root() / "models"


def model_for(task: str, *, seed: int = 0, retrain: bool = False, quiet: bool = False,
              attn_supervision: bool = False) -> Path:
    """The path of a model trained on `task` with the default settings (training it if needed).

    `attn_supervision` trains with the task program's attention patterns as extra targets
    (a separate cache entry). Only a finished training is cached: Ctrl-C during it raises
    TrainingInterrupted and leaves the cache as it was."""
    from rasplab.models import save_model, train
    from rasplab.models.config import for_task
    from rasplab.tasks import get_task

    get_task(task)  # an unknown name fails here, before any training
    tag = "-attn" if attn_supervision else ""
    path = cache_dir() / f"{task}-seed{seed}{tag}.safetensors"
    if path.exists() and not retrain and _finished(path):
        return path
    if not quiet:
        print(f"training a transformer on {task!r} (cached at {path}) ...", file=sys.stderr)
    config = for_task(task, seed=seed, attn_supervision=attn_supervision or None)
    result = train(task, config, progress=not quiet)
    if result.interrupted:
        raise TrainingInterrupted(task, result.steps)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    save_model(result.model, tmp)
    tmp.replace(path)
    if not quiet:
        print(f"trained in {result.seconds:.0f} s: held-out accuracy {100 * result.accuracy:.1f}% "
              f"per token, {100 * result.sequence_accuracy:.1f}% per sequence", file=sys.stderr)
    return path
