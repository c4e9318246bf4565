"""The bottom-up method end to end: pick search examples, enumerate, verify, refine, print.

Reads as its stages: choose a small diverse search set; grow the bank cost level by level while
the goal checks propose complete programs; verify each promising one on every example (adding
counterexamples to the search set when it fails); make the best program's tables total and name
its steps.
"""
from __future__ import annotations

import math
import time
from collections import Counter
from typing import Any, Callable, Sequence

import numpy as np

from rasplab.lang.ast import Map, Node, Selector, SequenceMap
from rasplab.lang.ast import causal as mark_causal
from rasplab.lang.evaluator import Batch, evaluate
from rasplab.lang.functions import Fn, Slot
from rasplab.lang.values import outputs_equal
from rasplab.synth.bottomup.bank import Bank
from rasplab.synth.bottomup.enumerate import Enumerator, TimeUp
from rasplab.synth.bottomup.goal import Candidate, Goal
from rasplab.synth.bottomup.grammar import Grammar
from rasplab.synth.bottomup.naming import finish
from rasplab.synth.bottomup.pairs import pair_table_program as two_key_table
from rasplab.synth.bottomup.values import BOOL, CAT, NUM, TOL, Space, kind_of
from rasplab.synth.result import SynthResult, source_forms

SEARCH_SIZE = 24
MAX_COST = 40
MAX_RESTARTS = 4
#: counterexamples added to the search set per restart (an `or` of partial witnesses fitted on
#: a small search set needs several to rule out the witnesses that fit it by chance)
REFINE_EXAMPLES = 8
MAX_TABLE_CHECKS = 400
#: candidate kinds whose tables are read off all examples before they are checked
TABLES = ("table", "pair", "table2")
#: a verified program found ahead of the enumeration (by a last step) is accepted once the
#: levels come within this much of its cost, so that a cheaper direct program can win first,
SLACK = 2
#: ... or once this many more levels have been enumerated since it was found, and at least
#: WAIT_SECONDS have passed (cheap levels go by in milliseconds: reverse's flip is found within
#: 0.1 s, after a sort by descending index has already been proposed at the first level)
WAIT_LEVELS = 2
WAIT_SECONDS = 0.3
#: (the level rule holds only for a solution at most this much dearer than the level: a large
#: table found at once waits for the time rule, while arithmetic that says it shorter may come)
WAIT_EXCESS = 10
#: ... or once the wait has lasted this share of the time it took to find it, and at least
#: WAIT_FLOOR seconds (expensive levels take tens of seconds each: nesting's program is found
#: at level 9 after 15 s, and two more levels would double that; quick searches keep the
#: level rule, which does not depend on the machine's speed)
WAIT_SHARE, WAIT_FLOOR = 0.25, 2.0


class Solved(Exception):
    """A program agreeing with every example was found."""


class Refine(Exception):
    """A program fits the search set but not all examples: search again with these added."""

    def __init__(self, extra: list[int]):
        self.extra = extra


def choose_search_set(inputs: Sequence[Sequence[Any]], size: int, seed: int) -> list[int]:
    """A small diverse subset: every length represented, longest first, then random others."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(inputs)).tolist()
    by_len: dict[int, list[int]] = {}
    for i in order:
        by_len.setdefault(len(inputs[i]), []).append(i)
    chosen: list[int] = []
    while len(chosen) < min(size, len(inputs)):
        for n in sorted(by_len, reverse=True):
            if by_len[n] and len(chosen) < size:
                chosen.append(by_len[n].pop())
    return chosen


def per_example(program: Node, inputs: Sequence[Sequence[Any]],
                outputs: Sequence[Sequence[Any]], causal: bool = False) -> np.ndarray:
    """Which examples the program reproduces (a failing evaluation counts as wrong)."""
    try:
        got = evaluate(program, inputs, strict=False, causal=causal)
    except Exception:
        if len(inputs) == 1:
            return np.zeros(1, dtype=bool)
        half = len(inputs) // 2
        return np.concatenate([per_example(program, inputs[:half], outputs[:half], causal),
                               per_example(program, inputs[half:], outputs[half:], causal)])
    return np.array([outputs_equal(g, w, tol=TOL, strict_type=False)
                     for g, w in zip(got, outputs)], dtype=bool)


def table_program(key: Node, inputs: Sequence[Sequence[Any]],
                  outputs: Sequence[Sequence[Any]], causal: bool = False) -> Node | None:
    """`Map(table, key)` with the table read off all examples (majority vote per key)."""
    try:
        values = evaluate(key, inputs, strict=False, causal=causal)
    except Exception:
        return None
    votes: dict[Any, dict[Any, int]] = {}
    for row, out in zip(values, outputs):
        for k, v in zip(row, out):
            try:
                slot = votes.setdefault(k, {})
            except TypeError:
                return None
            slot[(type(v).__name__, v)] = slot.get((type(v).__name__, v), 0) + 1
    table = {k: max(c.items(), key=lambda kv: kv[1])[0][1] for k, c in votes.items()}
    keys = sorted(table, key=lambda k: (str(type(k)), k))
    return Map(Fn.table({k: table[k] for k in keys}), key)


def pair_table_program(a: Node, b: Node, inputs: Sequence[Sequence[Any]],
                       outputs: Sequence[Sequence[Any]], causal: bool = False) -> Node | None:
    """`(yes_table[b] if a else no_table[b])` with both tables read off all examples."""
    try:
        va = evaluate(a, inputs, strict=False, causal=causal)
        vb = evaluate(b, inputs, strict=False, causal=causal)
    except Exception:
        return None
    votes: dict[tuple, Counter] = {}
    overall: Counter = Counter()
    for ra, rb, out in zip(va, vb, outputs):
        for x, z, v in zip(ra, rb, out):
            key = (type(v).__name__, v)
            votes.setdefault((bool(x), bool(z)), Counter())[key] += 1
            overall[key] += 1
    common = overall.most_common(1)[0][0][1]

    def branch(x: bool) -> Node:
        table = {z: (votes[(x, z)].most_common(1)[0][0][1] if (x, z) in votes else common)
                 for z in (False, True)}
        return Map(Fn.table(table), b)
    return SequenceMap(Fn("ifelse", (Slot(0), Slot(1), Slot(2))), branch(True), a, branch(False))


class Driver:
    """Keeps the best program, verifies proposals, and decides when to stop or refine."""

    def __init__(self, inputs: list[list[Any]], outputs: list[list[Any]], grammar: Grammar,
                 causal: bool = False):
        self.inputs, self.outputs, self.grammar = inputs, outputs, grammar
        #: causal mode: programs are evaluated (and returned) causal
        self.causal = causal
        #: sub-programs with a set cost (selector priors)
        self.fixed: dict[Node, int] = {}
        self.best: Node | None = None
        self.best_acc = -1.0
        self.best_cost = math.inf
        self.best_search_acc = 0.0
        self.search_ids: list[int] = []
        self.goal: Goal | None = None
        self.table_checks = 0
        self.tried: set[Node] = set()
        self.can_refine = True
        #: the enumeration's current cost level, and the cost of the cheapest full solution
        self.level = 0
        self.solution_cost: float = math.inf
        self.solution_level: int | None = None
        self.solution_time = 0.0
        #: when the search began (the time-based wait is a share of the time to a solution)
        self.start = time.monotonic()
        #: how many candidates have been enumerated so far (the search sets it), and that count
        #: when the program finally returned was proposed: candidates *to* the solution, without
        #: the levels enumerated afterwards to make sure no cheaper program exists
        self.count: Callable[[], int] = lambda: 0
        self.found_at: int | None = None

    def accept_pending(self) -> bool:
        """Whether a verified solution found earlier should now end the search."""
        if self.solution_cost <= self.level + SLACK:
            return True
        if self.solution_level is None:
            return False
        waited = time.monotonic() - self.solution_time
        return waited >= max(WAIT_FLOOR, WAIT_SHARE * (self.solution_time - self.start)) or (
            self.level >= self.solution_level + WAIT_LEVELS and waited >= WAIT_SECONDS
            and self.solution_cost <= self.level + WAIT_EXCESS)

    def propose(self, cand: Candidate) -> None:
        if cand.search_acc < 1.0 and cand.search_acc <= self.best_search_acc:
            return
        if cand.how in TABLES:
            if self.table_checks >= MAX_TABLE_CHECKS:
                return
            self.table_checks += 1
            if cand.how == "table":
                program = table_program(cand.build(), self.inputs, self.outputs, self.causal)
            elif cand.how == "table2":
                program = two_key_table(*cand.build(), self.inputs, self.outputs, self.causal)
            else:
                program = pair_table_program(*cand.build(), self.inputs, self.outputs,
                                             self.causal)
            if program is None:
                return
        else:
            program = cand.build()
        if program in self.tried:
            return
        self.tried.add(program)
        cost = self.grammar.program_cost(program, self.fixed)  # shared parts counted once
        ok = per_example(program, self.inputs, self.outputs, self.causal)
        acc = float(ok.mean())
        if acc > self.best_acc or (acc == self.best_acc and cost < self.best_cost):
            self.best, self.best_acc, self.best_cost = program, acc, cost
            self.found_at = self.count()
        if cand.search_acc > self.best_search_acc and cand.how not in TABLES:
            self.best_search_acc = cand.search_acc
            if self.goal is not None:
                self.goal.threshold = min(1.0, cand.search_acc + 1e-9)
        if acc == 1.0:
            if self.solution_level is None:
                self.solution_level = self.level
                self.solution_time = time.monotonic()
            self.solution_cost = min(self.solution_cost, cost)
            if cost <= self.level + SLACK:
                raise Solved
            return  # cheaper programs may still come: accept it when the levels catch up
        if cand.search_acc == 1.0 and cand.how not in TABLES and self.can_refine:
            wrong = [i for i in np.nonzero(~ok)[0].tolist() if i not in self.search_ids]
            if wrong:
                if self.solution_cost <= cost + SLACK or self.accept_pending():
                    raise Solved  # a verified program is at hand: no need to search again
                raise Refine(wrong[:REFINE_EXAMPLES])


def _prior_selectors(priors: dict | None, space: Space, grammar: Grammar
                     ) -> list[tuple[Selector, np.ndarray, int]]:
    """Hinted selectors evaluated on the search set, at the select cost minus their discount."""
    if not priors:
        return []
    batch = Batch(space.inputs, causal=space.causal)
    base = grammar.cost("select") + 2
    out = []
    for node, discount in priors.items():
        if not isinstance(node, Selector):
            continue
        try:
            sels = np.asarray(batch.value(node), dtype=bool)
        except Exception:
            continue
        cost = max(1, int(round(base - float(discount))))
        out.append((node, sels, cost))
    return out


def _leaf_values(leaves: Sequence[tuple[Node, int]], space: Space
                 ) -> list[tuple[Node, int, int, np.ndarray]]:
    """Given s-ops evaluated on the search set: (node, kind, cost, encoded values)."""
    out = []
    for node, cost in leaves:
        try:
            rows = evaluate(node, space.inputs, strict=False, causal=space.causal)
        except Exception:
            continue
        flat = [v for r in rows for v in r if v is not None]
        kind = kind_of(flat)
        if kind == CAT and any(space.encode(v, CAT) != space.encode(v, CAT) for v in flat):
            continue  # values the search's vocabulary cannot hold
        assert kind in (NUM, BOOL, CAT)
        out.append((node, kind, cost, space.encode_rows(rows, kind)))
    return out


def search(inputs: list[list[Any]], outputs: list[list[Any]], *, budget: float = 60.0,
           grammar: Grammar | dict | str | None = None, selector_priors: dict | None = None,
           seed: int = 0, progress: bool | None = None, search_size: int = SEARCH_SIZE,
           max_cost: int = MAX_COST, shard: tuple[int, int] | None = None,
           causal: bool = False, leaves: Sequence[tuple[Node, int]] = ()) -> SynthResult:
    """Bottom-up search with observational equivalence and goal-directed last steps.

    `shard=(i, n)` is one member of a parallel portfolio: its own cost variant and search set
    (see `portfolio`; `rasplab.parallel.sharded_synthesize` runs the n of them). `causal`
    searches causal programs (each selector sees keys up to its query; `length` is the
    prefix's) and returns the program wrapped in `causal(...)`. `leaves` are ready-made s-ops
    (node, cost) offered as single steps, e.g. what a model's format makes natural."""
    start = time.monotonic()
    deadline = start + budget
    grammar = Grammar.load(grammar)
    if shard is not None:
        from rasplab.synth.bottomup.portfolio import shard_grammar, shard_seed
        grammar, seed = shard_grammar(grammar, shard), shard_seed(seed, shard)
    driver = Driver(inputs, outputs, grammar, causal)
    ids = choose_search_set(inputs, search_size, seed)
    candidates, interrupted, restarts, level = 0, False, 0, 0
    bar = _progress_bar(budget, progress)
    try:
        while True:
            driver.search_ids = ids
            driver.can_refine = restarts < MAX_RESTARTS
            space = Space([inputs[i] for i in ids], [outputs[i] for i in ids], seed, causal)
            bank = Bank(space)
            goal = Goal(space, bank, grammar, driver.propose)
            driver.goal = goal
            driver.best_search_acc = 0.0  # accuracies on a new search set start afresh
            base = candidates

            def tick(cost: int, count: int) -> None:
                if driver.solution_level is not None and driver.accept_pending():
                    raise Solved
                if bar is not None:
                    bar.n = round(min(budget, time.monotonic() - start), 1)
                    best = "-" if driver.best_acc < 0 else f"{driver.best_acc:.3f}"
                    bar.set_postfix(cost=cost, candidates=base + count, best=best,
                                    refresh=False)
                    bar.refresh()
            enum = Enumerator(space, bank, goal, grammar, deadline, tick)
            driver.count = lambda base=base, enum=enum: base + enum.candidates
            try:
                priors = _prior_selectors(selector_priors, space, grammar)
                extra = _leaf_values(leaves, space)
                driver.fixed = {node: cost for node, _, cost in priors}
                driver.fixed.update({node: cost for node, _, cost, _ in extra})
                enum.seed(priors, extra)
                for level in range(1, max_cost + 1):
                    driver.level = level
                    if driver.accept_pending():
                        raise Solved
                    enum.level(level)
                break
            except Refine as refine:
                candidates += enum.candidates
                ids = ids + refine.extra
                restarts += 1
                continue
            except (Solved, TimeUp):
                candidates += enum.candidates
                break
            except KeyboardInterrupt:
                candidates += enum.candidates
                interrupted = True
                break
    finally:
        if bar is not None:
            bar.close()
    seconds = time.monotonic() - start
    program = finish(driver.best) if driver.best is not None else None
    if program is not None and causal:
        program = mark_causal(program)
    source, sexpr = source_forms(program)
    return SynthResult(program=program, source=source, sexpr=sexpr,
                       solved=driver.best_acc == 1.0, accuracy=max(driver.best_acc, 0.0),
                       seconds=seconds, candidates=candidates, method="bottomup",
                       cost=None if driver.best is None else driver.best_cost,
                       interrupted=interrupted, searched=driver.best,
                       stats={"restarts": restarts, "search_examples": len(ids),
                              "candidates_to_solution":
                                  driver.found_at if driver.best_acc == 1.0 else None,
                              # the same count for the program returned when none fits every
                              # example (a noisy model): how soon the search reached it
                              "candidates_to_best": driver.found_at,
                              "level": level, "bank": bank.size,
                              **({"shard": list(shard)} if shard is not None else {})})


def _progress_bar(budget: float, progress: bool | None) -> Any:
    if progress is False:
        return None
    from tqdm import tqdm
    return tqdm(total=round(budget, 1), unit="s", desc="synth", leave=False,
                disable=None if progress is None else False,
                bar_format="{desc}: {bar} {n:.0f}/{total:.0f}s {postfix}")
