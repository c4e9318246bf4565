"""Which inputs to ask the model about: the task's distribution, or uniform over the vocabulary,
and counterexamples where the current best program and the model part ways."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from rasplab.distill.oracle import Oracle
from rasplab.distill.verify import same_output


def input_sampler(oracle: Oracle) -> Callable[[int, np.random.Generator, int | None, int | None],
                                              list[list[Any]]]:
    """A sampler `(n, rng, min_len, max_len) -> inputs` for this oracle: the task's own
    distribution when the task is known (it exercises the interesting cases), else uniform.

    A model that reads only part of the task's vocabulary (shuffle_dyck3 compiled over `(){}`)
    gets the task's distribution over the tokens it reads."""
    task = None
    if oracle.task:
        try:
            from rasplab.tasks import get_task

            task = get_task(oracle.task)
        except Exception:
            task = None
    readable = set(oracle.vocab or ())

    def uniform(n: int, rng: np.random.Generator, min_len: int | None = None,
                max_len: int | None = None) -> list[list[Any]]:
        lo = min_len or oracle.min_len
        hi = max_len or oracle.max_len or lo
        vocab = list(oracle.vocab or ())
        lengths = rng.integers(lo, hi + 1, size=n)
        return [[vocab[i] for i in rng.integers(0, len(vocab), size=k)] for k in lengths]

    if task is None:
        return uniform
    vocab = [t for t in task.vocab if t in readable] if readable else None

    def task_samples(k: int, rng: np.random.Generator, min_len: int | None,
                     max_len: int | None) -> list[list[Any]]:
        xs = task.sample(k, rng, min_len=min_len, max_len=max_len or oracle.max_len,
                         vocab=vocab)
        return [list(x) for x in xs if not readable or set(x) <= readable]

    def from_task(n: int, rng: np.random.Generator, min_len: int | None = None,
                  max_len: int | None = None) -> list[list[Any]]:
        # three quarters from the task's distribution, the rest uniform: the model must be
        # probed off the training distribution too, or the program only explains common cases
        xs = task_samples(n - n // 4, rng, min_len, max_len)
        return xs + uniform(n - len(xs), rng, min_len, max_len)

    return from_task


def every_input(oracle: Oracle, cap: int) -> list[list[Any]] | None:
    """All inputs the model takes, when there are at most `cap` of them (else None).

    A small input space is queried exhaustively: a program that fits every query then agrees
    with the model everywhere, which sampling cannot promise."""
    import itertools

    vocab = list(oracle.vocab or ())
    lo, hi = oracle.min_len or 1, oracle.max_len
    if not vocab or not hi:
        return None
    if sum(len(vocab) ** k for k in range(lo, hi + 1)) > cap:
        return None
    return [list(p) for k in range(lo, hi + 1) for p in itertools.product(vocab, repeat=k)]


def dedupe(inputs: list[list[Any]]) -> list[list[Any]]:
    seen: set[tuple] = set()
    out = []
    for x in inputs:
        key = tuple(x)
        if key not in seen:
            seen.add(key)
            out.append(list(x))
    return out


def disagreements(program_outputs: list[list[Any]], model_outputs: list[list[Any]]) -> list[int]:
    """Indices of inputs where the program's output differs from the model's."""
    return [i for i, (p, m) in enumerate(zip(program_outputs, model_outputs))
            if not same_output(p, m)]
