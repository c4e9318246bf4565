"""The dreaming phase of the library loop: dream, then (re)train the recognition model.

Runs after compression: dreams are drawn from the grammar refitted to the solutions so far
(DreamCoder's current grammar) and the library just learned, on the suite's own inputs; solved
tasks contribute their current solutions (on fresh inputs), and the model of the previous
iteration, if any, is trained further. The next wake phase asks it for costs, relative to that
refitted grammar.
"""
from __future__ import annotations

import time
from typing import Any, Sequence

import numpy as np

from rasplab.errors import RaspLabError
from rasplab.lang.sexpr import from_sexpr
from rasplab.synth.recognition.dreams import dream, fitted_grammar
from rasplab.synth.recognition.model import RecognitionModel
from rasplab.synth.recognition.train import TrainConfig, train_recognition

#: input sets per solved task in the training data
COPIES = 8


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


def dreaming_phase(tasks: Sequence[str], solutions: dict[str, str],
                   model: RecognitionModel | None = None, *, n_dreams: int = 1500,
                   epochs: int = 10, seed: int = 0, library: Any = None,
                   progress: bool | None = False) -> tuple[RecognitionModel, dict[str, Any]]:
    """Dream over the tasks' inputs and train `model` (a new one if None) on dreams + solutions.

    With `library` (the one just learned), dreams also use its abstractions as single steps."""
    from rasplab.tasks import get_task

    start = time.monotonic()
    solved = solved_items(solutions, seed=seed)
    grammar = fitted_grammar(list({program: None for _, _, program in solved}))
    dreams = dream(n_dreams, [get_task(n) for n in tasks], grammar, seed=seed,
                   library=library, progress=progress)
    model, stats = train_recognition(dreams, solved, TrainConfig(epochs=epochs, seed=seed),
                                     model=model, progress=progress)
    model.config.base_weights = dict(grammar.weights)
    stats.update(dreams=len(dreams), solved=len(solutions),
                 seconds=round(time.monotonic() - start, 2))
    return model, stats
