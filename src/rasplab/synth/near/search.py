"""NEAR's search over partial programs: A* and iterative-deepening DFS with a neural heuristic.

Each partial program is scored by filling its holes with neural networks, training them briefly
on the training examples, and measuring the validation loss (normalised MSE, hard attention):
an approximately admissible estimate of the best loss any completion can reach. The priority of
a node is its structural cost plus that loss. Complete programs are checked exactly.
"""
from __future__ import annotations

import heapq
import itertools
import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import torch

from rasplab.errors import RaspLabError
from rasplab.lang.ast import Node
from rasplab.lang.evaluator import evaluate
from rasplab.lang.values import outputs_equal
from rasplab.synth.near.grammar import Grammar, depth, first_hole, holes, is_complete, replace, show
from rasplab.synth.near.holes import make_fillers
from rasplab.synth.near.relaxed import TEMPERATURE, Encoder, RelaxedInputs, relaxed_eval


@dataclass
class SearchConfig:
    """Knobs of the search: structural cost weights, training of holes, limits."""

    node_cost: float = 0.02    # per production (a macro counts once)
    hole_cost: float = 0.02    # per open hole: each still needs at least one production
    depth_cost: float = 0.005  # per level of tree height
    max_depth: int = 8
    steps: int = 80            # optimiser steps per partial program
    warm_steps: int = 40       # ... when it starts from its parent's trained networks
    lr: float = 0.05
    start_temperature: float = 1.0  # annealed to the relaxation's 10 while a completion trains
    hard_heuristic: bool = False    # score with argmax/step semantics instead of the relaxation
    restarts: int = 2          # cold starts (no parent networks) keep the best of this many
    beam: int = 2              # IDDFS: children followed per node
    seed: int = 0


@dataclass
class Evaluated:
    """One scored program: what the plot and the result are made of."""

    program: Node
    text: str
    cost: float          # structural cost g
    loss: float          # heuristic h: validation loss of the trained completion
    complete: bool
    accuracy: float      # exact accuracy on all examples (complete programs), else relaxed
    seconds: float       # search time when it was scored
    fillers: dict | None = field(default=None, repr=False)  # trained networks, for children

    @property
    def f(self) -> float:
        return self.cost + self.loss


@dataclass
class SearchData:
    """Examples prepared once: encoded train/validation batches and raw pairs for exact checks."""

    inputs: list[list[Any]]
    outputs: list[list[Any]]
    train: RelaxedInputs
    train_y: torch.Tensor
    val: RelaxedInputs
    val_y: torch.Tensor

    @staticmethod
    def build(inputs: Sequence[Sequence[Any]], outputs: Sequence[Sequence[Any]],
              seed: int = 0) -> "SearchData":
        """Split 80/20 (all for both when there are few examples) and encode."""
        inputs = [list(x) for x in inputs]
        outputs = [list(y) for y in outputs]
        enc = Encoder([t for x in inputs for t in x], [v for y in outputs for v in y])
        order = torch.randperm(len(inputs), generator=torch.Generator().manual_seed(seed))
        cut = int(len(inputs) * 0.8)
        tr, va = (order[:cut], order[cut:]) if len(inputs) >= 10 else (order, order)

        def batch(ids: torch.Tensor) -> tuple[RelaxedInputs, torch.Tensor]:
            xs = [inputs[i] for i in ids.tolist()]
            ri = RelaxedInputs.build(xs, enc)
            y = torch.zeros_like(ri.tokens)
            for b, i in enumerate(ids.tolist()):
                y[b, : len(outputs[i])] = torch.tensor([enc(v) for v in outputs[i]])
            return ri, y

        (train, ty), (val, vy) = batch(tr), batch(va)
        return SearchData(inputs, outputs, train, ty, val, vy)


def normalised_loss(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """MSE over valid positions divided by the target's variance (1 = predicting the mean)."""
    t = target[mask]
    var = t.var(unbiased=False).clamp_min(1e-3)
    return ((pred[mask] - t) ** 2).mean() / var


def exact_accuracy(program: Node, inputs: list[list[Any]], outputs: list[list[Any]]) -> float:
    """Fraction of examples the program reproduces exactly (0 when it fails to run)."""
    try:
        got = evaluate(program, inputs, strict=False)
    except (RaspLabError, TypeError, ValueError, ArithmeticError):
        return 0.0
    right = sum(outputs_equal(g, y, bools_are_numbers=True, strict_type=False)
                for g, y in zip(got, outputs))
    return right / max(1, len(outputs))


def train_completion(program: Node, data: SearchData, config: SearchConfig,
                     inherited: dict | None = None) -> tuple[float, dict]:
    """The best of `config.restarts` trainings when nothing is inherited, else one warm one.

    Restarts alternate two initialisations of the s-op holes: all near 0 (suits a query that
    must find its key) and spread out (suits keys that must tell positions apart).
    """
    warm = inherited is not None and any(h.hole_id in inherited  # type: ignore[attr-defined]
                                         for h in holes(program))
    best: tuple[float, dict] | None = None
    for r in range(1 if warm else max(1, config.restarts)):
        loss, fillers = _train_once(program, data, config, inherited, warm, config.seed + r,
                                    spread=r % 2 == 1)
        if best is None or loss < best[0]:
            best = (loss, fillers)
        if loss < 0.01:
            break
    assert best is not None
    return best


def _train_once(program: Node, data: SearchData, config: SearchConfig,
                inherited: dict | None, warm: bool, seed: int,
                spread: bool = False) -> tuple[float, dict]:
    """Train neural fillers for every hole of `program`; return the validation loss.

    Holes the parent program already had start from the parent's trained networks
    (`inherited`, by hole id), so a child only has to adapt them. Training anneals the
    comparison temperature up to 10 (gradients reach keys that are still far from their
    queries); the loss is measured on the validation split without noise, with
    the temperature-10 relaxation (or with hard semantics when `config.hard_heuristic`).
    """
    torch.manual_seed(seed)
    fillers = make_fillers(list(holes(program)), inherited, spread)
    params = [p for f in fillers.values() for p in f.parameters()]
    if params:
        opt = torch.optim.Adam(params, lr=config.lr)
        steps = config.warm_steps if warm else config.steps
        t0, span = config.start_temperature, max(1, steps - 1)
        for step in range(steps):
            temperature = t0 + (TEMPERATURE - t0) * step / span
            pred = relaxed_eval(program, data.train, fillers, hard=False, noise=True,
                                temperature=temperature)
            loss = normalised_loss(pred, data.train_y, data.train.mask)
            if not torch.isfinite(loss):
                return math.inf, fillers
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        pred = relaxed_eval(program, data.val, fillers, hard=config.hard_heuristic or not params,
                            noise=False)
        loss = float(normalised_loss(pred, data.val_y, data.val.mask))
    return (loss if math.isfinite(loss) else math.inf), fillers


@dataclass
class SearchState:
    """Everything the search has learned so far; survives a budget stop or Ctrl-C."""

    start: float = field(default_factory=time.monotonic)
    trace: list[Evaluated] = field(default_factory=list)
    best_complete: Evaluated | None = None
    best_partial: Evaluated | None = None
    solution: Evaluated | None = None
    cache: dict[str, Evaluated] = field(default_factory=dict)
    interrupted: bool = False

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.start


class Stop(Exception):
    """The budget is spent or a solution was found."""


class Searcher:
    """Scores partial programs and runs A* or IDDFS over them."""

    def __init__(self, data: SearchData, grammar: Grammar, config: SearchConfig,
                 budget: float, verify: Callable[[Node], bool] | None = None,
                 on_progress: Callable[[SearchState], None] | None = None):
        self.data, self.grammar, self.config = data, grammar, config
        self.budget, self.verify, self.on_progress = budget, verify, on_progress
        self.state = SearchState()

    # ------------------------------------------------------------------------ scoring ---
    def score(self, program: Node, cost: float, inherited: dict | None = None) -> Evaluated:
        """Train (partial) or check (complete) a program, record it, stop when solved."""
        st = self.state
        if st.elapsed > self.budget:
            raise Stop
        text = show(program)
        if text in st.cache:
            return st.cache[text]
        cfg = self.config
        g = (cost * cfg.node_cost + sum(1 for _ in holes(program)) * cfg.hole_cost
             + depth(program) * cfg.depth_cost)
        if is_complete(program):
            acc = exact_accuracy(program, self.data.inputs, self.data.outputs)
            try:
                loss = train_completion(program, self.data, cfg)[0] if acc < 1 else 0.0
            except RaspLabError:
                loss = math.inf
            ev = Evaluated(program, text, g, loss, True, acc, st.elapsed)
        else:
            try:
                loss, fillers = train_completion(program, self.data, cfg, inherited)
            except RaspLabError:
                loss, fillers = math.inf, None
            ev = Evaluated(program, text, g, loss, False, math.nan, st.elapsed, fillers)
        st.cache[text] = ev
        st.trace.append(ev)
        if self.on_progress:
            self.on_progress(st)
        if ev.complete:
            best = st.best_complete
            if best is None or (ev.accuracy, -ev.f) > (best.accuracy, -best.f):
                st.best_complete = ev
            if ev.accuracy >= 1.0 and (self.verify is None or self.verify(program)):
                st.solution = ev
                raise Stop
        elif math.isfinite(ev.loss) and (st.best_partial is None or ev.f < st.best_partial.f):
            st.best_partial = ev
        return ev

    def children(self, parent: Node, parent_cost: float,
                 inherited: dict | None = None) -> list[tuple[Evaluated, float]]:
        """Fill the first hole with every production; score each child (cost, evaluation)."""
        hole = first_hole(parent)
        out = []
        for prod in self.grammar.for_hole(hole):
            child = replace(parent, hole, prod.build(hole))
            if not is_complete(child) and depth(child) > self.config.max_depth:
                continue
            cost = parent_cost + prod.cost
            out.append((self.score(child, cost, inherited), cost))
        return out

    # ------------------------------------------------------------------------- A* -----------
    def astar(self, root: Node) -> SearchState:
        """Best-first on f = structural cost + trained validation loss."""
        tie = itertools.count()
        try:
            ev = self.score(root, 0.0)
            frontier = [(ev.f, next(tie), ev, 0.0)]
            while frontier:
                _, _, parent, cost = heapq.heappop(frontier)
                for child, c in self.children(parent.program, cost, parent.fillers):
                    if not child.complete and math.isfinite(child.loss):
                        heapq.heappush(frontier, (child.f, next(tie), child, c))
                parent.fillers = None  # expanded: its networks are no longer needed
        except Stop:
            pass
        except KeyboardInterrupt:  # Ctrl-C keeps the best program so far
            self.state.interrupted = True
        return self.state

    # ----------------------------------------------------------------------- IDDFS ----------
    def iddfs(self, root: Node) -> SearchState:
        """Depth-first to a growing depth bound, following the `beam` best children of a node."""
        def dfs(parent: Evaluated, cost: float, bound: int) -> None:
            kids = [(ev, c) for ev, c in self.children(parent.program, cost, parent.fillers)
                    if not ev.complete and math.isfinite(ev.loss)]
            kids.sort(key=lambda item: item[0].f)
            best = self.state.best_complete
            for ev, c in kids[: self.config.beam]:
                if best is not None and best.accuracy >= 1.0 and ev.f >= best.f:
                    continue
                if depth(ev.program) < bound:
                    dfs(ev, c, bound)

        try:
            top = self.score(root, 0.0)
            for bound in range(2, self.config.max_depth + 1):
                dfs(top, 0.0, bound)
        except Stop:
            pass
        except KeyboardInterrupt:  # Ctrl-C keeps the best program so far
            self.state.interrupted = True
        return self.state
