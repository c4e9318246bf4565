"""Shards of one bottom-up search: a portfolio of cost variants in parallel, first solution wins.

The enumeration itself does not split well (every level combines the whole bank), so the search
is partitioned by *strategy* instead: shard i of n searches with its own production-cost variant
(layered on the caller's weights) and its own search-set seed. Shards share nothing, so they run
in local processes here and as Ray tasks elsewhere (`rasplab.parallel`), each one a plain
`search(..., shard=(i, n))` call.
"""
from __future__ import annotations

import multiprocessing as mp
import queue
import time
from typing import Any

from rasplab.synth.bottomup.grammar import Grammar
from rasplab.synth.result import SynthResult

#: cost changes per shard, relative to the caller's grammar (shard 0 is the grammar unchanged)
VARIANTS: tuple[dict[str, int], ...] = (
    {},
    # selector logic cheap (tie-breaks, first occurrences), arithmetic dear
    {"and": -1, "or": -1, "not": -1, "aggregate.cat": -1, "map": +1, "binary": +1},
    # arithmetic and numeric aggregates cheap, selector logic dear
    {"map": -1, "binary": -1, "and": +1, "or": +1, "not": +1},
    # the defaults again, on another search set
    {},
)


def shard_grammar(grammar: Grammar, shard: tuple[int, int]) -> Grammar:
    """The grammar shard `i` of `n` searches with: the caller's costs plus its variant's deltas."""
    i, n = shard
    if not 0 <= i < n:
        raise ValueError(f"shard index {i} is not in 0..{n - 1}")
    delta = VARIANTS[i % len(VARIANTS)]
    if not delta:
        return grammar
    names = set(grammar.weights) | set(delta)
    changed = {}
    for name in names:
        step = delta.get(name)
        if step is None:  # "map.add" follows a change of its family "map"
            family = name.split(".")[0]
            step = delta.get(family) if family != name else None
        if step is not None:
            changed[name] = max(1, grammar.cost(name) + step)
    return grammar.with_weights(changed)


def shard_seed(seed: int, shard: tuple[int, int]) -> int:
    """Shards after the first draw their search examples with their own seed."""
    return seed + 7919 * shard[0]


def _worker(inputs: list, outputs: list, budget: float, options: dict, shard: tuple[int, int],
            out: Any) -> None:
    from rasplab.synth.bottomup.search import search

    try:
        result = search(inputs, outputs, budget=budget, shard=shard, progress=False, **options)
        out.put((shard[0], result, None))
    except BaseException as exc:  # reported to the parent, which keeps the other shards
        out.put((shard[0], None, f"{type(exc).__name__}: {exc}"))


def search_portfolio(inputs: list, outputs: list, *, budget: float, workers: int = 2,
                     progress: bool | None = None, **options: Any) -> SynthResult:
    """Run `workers` shards in local processes; the first solved result wins, the rest stop.

    Without a solution, the most accurate result is returned. Ctrl-C stops every shard, each
    hands back its best so far, and the best of those is returned (marked interrupted)."""
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    procs = [ctx.Process(target=_worker, daemon=True,
                         args=(inputs, outputs, budget, options, (i, workers), out))
             for i in range(workers)]
    start = time.monotonic()
    for p in procs:
        p.start()
    results: dict[int, SynthResult] = {}
    errors: list[str] = []
    interrupted = False
    bar = _bar(budget, progress)
    try:
        while len(results) + len(errors) < workers:
            try:
                i, result, error = out.get(timeout=0.5)
            except queue.Empty:
                if bar is not None:
                    bar.n = round(min(budget, time.monotonic() - start), 1)
                    bar.refresh()
                if not any(p.is_alive() for p in procs) and out.empty():
                    break
                continue
            if error is not None:
                errors.append(f"shard {i}: {error}")
                continue
            results[i] = result
            if result.solved:
                break
    except KeyboardInterrupt:
        interrupted = True
        deadline = time.monotonic() + 5.0  # the shards were interrupted too: collect their best
        while len(results) + len(errors) < workers and time.monotonic() < deadline:
            try:
                i, result, error = out.get(timeout=0.5)
            except (queue.Empty, KeyboardInterrupt):
                continue
            if result is not None:
                results[i] = result
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
        for p in procs:
            p.join(timeout=2.0)
        if bar is not None:
            bar.close()
    seconds = time.monotonic() - start
    if not results:
        if interrupted:
            raise KeyboardInterrupt
        raise RuntimeError("every search shard failed: " + "; ".join(errors))
    best_shard, best = max(results.items(), key=lambda kv: (
        kv[1].solved, kv[1].accuracy, -(kv[1].cost if kv[1].cost is not None else 1e9),
        -kv[0]))
    stats = dict(best.stats)
    stats.update({"workers": workers, "winning_shard": best_shard,
                  "shard_candidates": {i: r.candidates for i, r in sorted(results.items())}})
    if errors:
        stats["shard_errors"] = errors
    best.seconds = seconds
    best.interrupted = best.interrupted or interrupted
    best.stats = stats
    return best


def _bar(budget: float, progress: bool | None) -> Any:
    if progress is False:
        return None
    from tqdm import tqdm
    return tqdm(total=round(budget, 1), unit="s", desc="synth (shards)", leave=False,
                disable=None if progress is None else False,
                bar_format="{desc}: {bar} {n:.0f}/{total:.0f}s")
