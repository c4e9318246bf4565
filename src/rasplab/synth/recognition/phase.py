"""The dreaming phase of the library loop: dream and train once in a worker, refine each iteration.

The expensive part (dreams from the engine's grammar on the suite's inputs, and most of the
training) runs once, in a worker process started with the loop, so that it overlaps the first
wake phase instead of adding to it. After each compression the model is refined cheaply on the
solutions so far (plus a sample of its dreams) and its costs are set relative to the grammar
refitted to those solutions (DreamCoder's current grammar).
"""
from __future__ import annotations

import multiprocessing as mp
import os
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Sequence

import numpy as np

from rasplab.errors import RaspLabError
from rasplab.lang.sexpr import from_sexpr
from rasplab.synth.recognition.dreams import dream, fitted_grammar
from rasplab.synth.recognition.model import RecognitionModel
from rasplab.synth.recognition.train import Item, TrainConfig, items_from, train_recognition

#: input sets per solved task in the training data
COPIES = 8
#: dream items kept beside the solutions when refining (so the model does not forget them)
REFINE_DREAMS = 400
#: epochs of the refinement after each compression
REFINE_EPOCHS = 2
#: epochs the worker trains at least when asked to hurry
MIN_EPOCHS = 5
#: how much lower the worker's CPU priority is than the searching process's
WORKER_NICE = 5


def solved_items(solutions: dict[str, str], copies: int = COPIES, seed: int = 0
                 ) -> list[tuple[list, list, Any]]:
    """(inputs, outputs, program) for each solved task's program on `copies` fresh input sets."""
    from rasplab.tasks import get_task

    rng = np.random.default_rng(seed)
    out = []
    for name, sexpr in sorted(solutions.items()):
        try:
            program, task = from_sexpr(sexpr), get_task(name)
        except RaspLabError:
            continue  # a solution of a task no longer known, or an unreadable one
        for _ in range(copies):
            xs = task.sample(32, rng)
            out.append((xs, task.outputs(xs), program))
    return out


def solution_grammar(solutions: dict[str, str]) -> Any:
    """The grammar refitted to the solutions so far (the base the model's costs move from)."""
    programs = []
    for sexpr in solutions.values():
        try:
            programs.append(from_sexpr(sexpr))
        except RaspLabError:
            continue
    return fitted_grammar(programs)


# --- the worker ---------------------------------------------------------------------------------
_HURRY: Any = None  # the worker's copy of the trainer's "hurry" event


def _set_hurry(event: Any) -> None:
    """The worker's start: keep the hurry event, and yield the CPU to the wake phase's search
    (whose budgets are wall time; the model is not needed before the second wake)."""
    global _HURRY
    _HURRY = event
    try:
        os.nice(WORKER_NICE)
    except (AttributeError, OSError):  # no nice on this platform: train at equal priority
        pass


def dream_and_train(tasks: Sequence[str], n_dreams: int, seed: int, epochs: int,
                    min_epochs: int = MIN_EPOCHS, keep: int = REFINE_DREAMS
                    ) -> tuple[RecognitionModel, list[Item], dict[str, Any]]:
    """Dreams from the engine's grammar on the tasks' inputs, and a model trained on them; with
    a sample of `keep` dream items for later refinement. Stops early (after `min_epochs`) once
    the trainer is asked to hurry."""
    from rasplab.tasks import get_task

    start = time.monotonic()
    dreams = dream(n_dreams, [get_task(n) for n in tasks], seed=seed)
    hurry = (lambda: _HURRY.is_set()) if _HURRY is not None else None
    model, stats = train_recognition(dreams, (), TrainConfig(epochs=epochs, seed=seed),
                                     progress=False, stop=hurry, min_epochs=min_epochs)
    pick = np.random.default_rng(seed).permutation(len(dreams))[:keep]
    kept = items_from([dreams[i] for i in sorted(pick)], (), model.config, 1.0)
    stats.update(dreams=len(dreams), seconds=round(time.monotonic() - start, 2))
    return model, kept, stats


class DreamTrainer:
    """Dreams and trains a recognition model in a worker process while the caller searches.

    `model()` returns it (asking the worker to stop after its current epoch once it has trained
    `min_epochs`, so that a search never waits for a full schedule); `refine` then adapts it to
    the solutions so far. Without a worker (it cannot start, or dies) it trains in-process.
    """

    def __init__(self, tasks: Sequence[str], n_dreams: int = 1500, seed: int = 0,
                 epochs: int = 10, min_epochs: int = MIN_EPOCHS, worker: bool = True):
        self.args = (list(tasks), n_dreams, seed, epochs, min_epochs)
        self._model: RecognitionModel | None = None
        self._kept: list[Item] = []
        self.stats: dict[str, Any] = {}
        self.waited = 0.0
        self._pool: ProcessPoolExecutor | None = None
        self._future: Any = None
        if worker:
            ctx = mp.get_context("spawn")  # no lock of a thread of this process is inherited
            self._hurry = ctx.Event()
            try:
                self._pool = ProcessPoolExecutor(1, mp_context=ctx, initializer=_set_hurry,
                                                 initargs=(self._hurry,))
                self._future = self._pool.submit(dream_and_train, *self.args)
            except (OSError, RuntimeError):
                self.close()

    def model(self) -> RecognitionModel:
        """The trained model (waiting for the worker if it is still at work)."""
        if self._model is None:
            start = time.monotonic()
            result = None
            if self._future is not None:
                self._hurry.set()
                try:
                    result = self._future.result()
                except BrokenProcessPool:
                    result = None
                self.close()
            if result is None:
                result = dream_and_train(*self.args)
            self._model, self._kept, self.stats = result
            self.waited = round(time.monotonic() - start, 2)
        return self._model

    def refine(self, solutions: dict[str, str], seed: int = 0, epochs: int = REFINE_EPOCHS
               ) -> tuple[RecognitionModel, dict[str, Any]]:
        """The model trained a little further on the solutions so far beside a sample of its
        dreams, its costs set relative to the grammar refitted to the solutions."""
        model = self.model()
        start = time.monotonic()
        solved = solved_items(solutions, seed=seed)
        model, stats = train_recognition(
            (), solved, TrainConfig(epochs=epochs, seed=seed, lr=3e-3), model=model,
            progress=False, extra=self._kept)
        model.config.base_weights = dict(solution_grammar(solutions).weights)
        self._model = model
        return model, {"dreams": self.stats.get("dreams", 0), "solved": len(solutions),
                       "epochs": stats["epochs"], "loss": stats["loss"],
                       "seconds": round(time.monotonic() - start, 2),
                       "worker_epochs": self.stats.get("epochs", 0),
                       "worker_seconds": self.stats.get("seconds", 0.0)}

    def take_waited(self) -> float:
        """Seconds spent waiting for the worker since last asked (then 0)."""
        waited, self.waited = self.waited, 0.0
        return waited

    def close(self) -> None:
        """Stops the worker (if any) without waiting for it."""
        if self._pool is not None:
            if self._future is not None and not self._future.done():
                self._hurry.set()
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
