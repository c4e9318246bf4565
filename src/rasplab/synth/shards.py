"""One hard search split into independent shards run in parallel; the first solution wins.

Shard i of n is the search method run with `shard=(i, n)` (for `bottomup`: portfolio member i,
its own production-weight variant and search-set seed). As soon as one shard solves the task the
others are cancelled; when none does, the most accurate program any shard found is returned.
"""
from __future__ import annotations

import importlib
import time
from typing import Any, Callable, Iterable

from rasplab.errors import RaspLabError, RaspNameError
from rasplab.parallel.executor import Executor, Job, JobResult, make_executor
from rasplab.synth.api import METHODS, Examples, register_method, synthesize
from rasplab.synth.result import SynthResult

#: extra seconds a shard may take past its budget (imports, example checks) before it counts
#: as overrunning
GRACE = 30.0


def run_shard(inputs: list[list[Any]], outputs: list[list[Any]], method: str, budget: float,
              shard: tuple[int, int], options: dict[str, Any]) -> SynthResult:
    """One shard's search (runs in a worker); `method` may also be "module:function", a
    method defined outside rasplab (registrations do not travel to worker processes)."""
    if ":" in method and method not in METHODS:
        register_method(method, _import_method(method))
    return synthesize(Examples(inputs, outputs), method=method, budget=budget, shard=shard,
                      progress=False, **options)


def _import_method(path: str) -> Callable[..., SynthResult]:
    """The function a "module:function" path names."""
    module, _, attr = path.partition(":")
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise RaspNameError(f"synthesis method {path!r} is not available ({exc})") from None


def shard_jobs(inputs: list[list[Any]], outputs: list[list[Any]], shards: int, method: str,
               budget: float, options: dict[str, Any]) -> list[Job]:
    """The n jobs of a sharded search, one per portfolio member."""
    return [Job(f"shard-{i}", run_shard, (inputs, outputs, method, budget, (i, shards), options),
                timeout=budget * 1.5 + GRACE) for i in range(shards)]


def sharded_synthesize(examples: Iterable[Any], *, shards: int, method: str = "bottomup",
                       budget: float = 60.0, executor: Executor | None = None,
                       workers: int | None = None, ray: str | None = None, seed: int = 0,
                       grammar: Any = None, library: Any = None,
                       selector_priors: dict | None = None,
                       causal: bool = False) -> SynthResult:
    """`synthesize` split into `shards` parallel searches; the first solved shard wins.

    Runs on `executor` when given, else on `make_executor(workers or shards, ray)` (closed after).
    The result's `stats` say which shard won (`shard`: [i, n]) and how many failed
    (`failed_shards`); `candidates` adds up the shards that finished.
    """
    if shards < 1:
        raise RaspLabError(f"--shards must be at least 1, got {shards}")
    checked = Examples.of(examples)
    inputs, outputs = checked.inputs, checked.outputs
    options = dict(seed=seed, grammar=grammar, library=library, selector_priors=selector_priors,
                   causal=causal)  # synthesize()'s keywords, for every shard
    own = executor is None
    ex = executor if executor is not None else make_executor(workers or shards, ray)
    start = time.perf_counter()  # the search's time, not Ray's start-up
    winner: tuple[int, SynthResult] | None = None
    best: tuple[int, SynthResult] | None = None
    errors: list[str] = []
    candidates = 0
    interrupted = False

    def take(r: JobResult) -> bool:
        """Counts one shard's result in; says whether it solved the task."""
        nonlocal winner, best, candidates
        if not r.ok:
            errors.append(f"{r.key}: {r.error}")
            return False
        index, res = int(r.key.rsplit("-", 1)[1]), r.value
        candidates += res.candidates
        if res.solved and winner is None:
            winner = (index, res)
        elif best is None or res.accuracy > best[1].accuracy:
            best = (index, res)
        return res.solved

    try:
        for r in ex.map(shard_jobs(inputs, outputs, shards, method, budget, options)):
            if take(r):
                ex.cancel()  # the other shards stop now
                break
    except KeyboardInterrupt:
        # local shards saw Ctrl-C too and send back their best programs: keep those
        interrupted = True
        try:
            for r in ex.drain(3.0):
                take(r)
        except KeyboardInterrupt:
            ex.cancel()
        if winner is None and best is None:
            raise
    finally:
        if own:
            ex.close()
    chosen = winner or best
    if chosen is None:
        raise RaspLabError("every shard failed: " + "; ".join(errors))
    index, result = chosen
    result.seconds = time.perf_counter() - start
    result.candidates = candidates
    result.interrupted = result.interrupted or interrupted
    result.stats = {**result.stats, "shard": [index, shards], "failed_shards": len(errors)}
    return result
