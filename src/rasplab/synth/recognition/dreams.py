"""Dreams: random programs sampled from the grammar under its production costs, run on inputs.

A program is grown top down over the engine's kinds (numbers, booleans, token categories,
selectors), each production drawn with probability proportional to 2^-cost, leaves forced at
the depth limit. It is run on inputs drawn from a task's own distribution; constant outputs,
copies of a leaf and failing programs are dropped, and programs with the same outputs on the
same inputs are deduplicated, keeping the cheapest (the one the engine would find first).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Collection, Sequence

import numpy as np

from rasplab.lang.ast import (
    NUMERICAL,
    Aggregate,
    Map,
    Node,
    Select,
    SelectorAnd,
    SelectorNot,
    SelectorOr,
    SelectorWidth,
    SequenceMap,
    indices,
    length,
    numerical,
    tokens,
)
from rasplab.lang.evaluator import evaluate
from rasplab.lang.functions import EQ, GE, GT, LE, LT, NE, Fn, binary
from rasplab.synth.bottomup.grammar import BINARY_OPS, UNARY_OPS, Abstraction, Grammar
from rasplab.synth.bottomup.values import BOOL, CAT, NUM
from rasplab.synth.recognition.productions import used_productions

KIND_NAMES = {NUM: "num", BOOL: "bool", CAT: "cat"}
PRED_NODES = {"eq": EQ, "ne": NE, "lt": LT, "le": LE, "gt": GT, "ge": GE}
KIND_PREDS = {"num": tuple(PRED_NODES), "cat": tuple(PRED_NODES), "bool": ("eq",)}
#: how often a dream's root kind is each of these (task outputs are mostly tokens or counts)
ROOT_KINDS = {"cat": 0.4, "num": 0.4, "bool": 0.2}
#: chance that a dream ends in a lookup table over its root value (the engine's last step)
TABLE_RATE = 0.1


@dataclass(frozen=True)
class Dream:
    """One dream: a program, the inputs it ran on, its outputs, and the productions it uses."""

    program: Node
    inputs: list[list[Any]]
    outputs: list[list[Any]]
    productions: frozenset[str]
    task: str
    cost: int


_EQ_NUM = next(op for op in UNARY_OPS if op.name == "eq" and op.kind == NUM)


class ProgramSampler:
    """Grows random well-typed programs top down, productions weighted by 2^-cost."""

    def __init__(self, grammar: Grammar, token_values: Sequence[Any], rng: np.random.Generator,
                 max_depth: int = 4, allowed: Collection[str] | None = None,
                 abstractions: Sequence[Abstraction] = ()):
        self.g, self.rng, self.max_depth = grammar, rng, max_depth
        self.allowed = None if allowed is None else set(allowed)
        self.token_values = list(token_values)
        self.token_kind = "num" if all(isinstance(t, int | float) and not isinstance(t, bool)
                                       for t in self.token_values) else "cat"
        #: the library's abstractions (specialised to this task), each one sampling step at its
        #: own cost, as the bottom-up engine uses them; named "library.NAME"
        self.abstractions = list(abstractions)
        self.ab_costs = {f"library.{ab.name}": ab.cost for ab in self.abstractions}
        self.choices = {kind: self._productions(kind) for kind in ("num", "bool", "cat", "sel")}

    # --- the typed productions: (name, is_leaf, builder) per result kind -----------------------
    def _productions(self, kind: str) -> list[tuple[str, bool, Callable[[int], Node]]]:
        out: list[tuple[str, bool, Callable[[int], Node]]] = []
        tk = self.token_kind
        if kind == tk:
            out.append(("tokens", True, lambda d: tokens))
        if kind == "num":
            out += [("indices", True, lambda d: indices), ("length", True, lambda d: length)]
        for op in UNARY_OPS:
            src = KIND_NAMES.get(op.kind)
            dst = KIND_NAMES.get(op.out)
            if src is None or dst != kind or (src == "cat" and tk != "cat"):
                continue
            out.append((f"map.{op.name}", False,
                        lambda d, op=op, src=src: Map(op.node_fn(self._const(op)),
                                                      self.sop(src, d + 1))))
        for op in BINARY_OPS:
            src = KIND_NAMES.get(op.kind)
            dst = KIND_NAMES.get(op.out)
            if src is None or dst != kind or (src == "cat" and tk != "cat"):
                continue
            out.append((f"binary.{op.name}", False,
                        lambda d, op=op, src=src: SequenceMap(binary(op.name),
                                                              self.sop(src, d + 1),
                                                              self.sop(src, d + 1))))
        if kind == "num":
            out.append(("aggregate", False, lambda d: Aggregate(
                self.selector(d + 1), numerical(self.sop("num", d + 1)), 0,
                encoding=NUMERICAL)))
            out.append(("selector_width", False, lambda d: SelectorWidth(self.selector(d + 1))))
        if kind in ("cat", "bool") or (kind == "num" and tk == "num"):
            default = {"cat": None, "bool": False, "num": 0}[kind]
            out.append(("aggregate.cat", False, lambda d, k=kind, default=default: Aggregate(
                self.selector(d + 1), self.sop(k, d + 1), default)))
        for ab in self.abstractions:
            if ab.out == kind:
                out.append((f"library.{ab.name}", not ab.args,
                            lambda d, ab=ab, kind=kind: self._abstraction(ab, kind, d)))
        if kind == "sel":
            out.append(("select", True, self._select))
            out += [("and", False, lambda d: SelectorAnd(self.selector(d + 1),
                                                          self.selector(d + 1))),
                    ("or", False, lambda d: SelectorOr(self.selector(d + 1),
                                                        self.selector(d + 1))),
                    ("not", False, lambda d: SelectorNot(self.selector(d + 1)))]
        return out

    def _const(self, op: Any) -> Any:
        g = self.g
        pool = {"arith": g.arith_consts, "scale": g.scale_consts, "modulus": g.modulus_consts,
                "compare": g.compare_consts, "token": self.token_values, "none": (None,)}
        values = list(pool[op.consts])
        if op.consts == "compare" and self.token_kind == "num":
            values += self.token_values
        return values[int(self.rng.integers(len(values)))]

    def _abstraction(self, ab: Abstraction, kind: str, d: int) -> Node:
        """The abstraction's program on random arguments of its kinds (its body in primitives,
        so the dream's labels name the primitive productions it uses)."""
        args = [self.selector(d + 1) if k == "sel" else self.sop(k, d + 1) for k in ab.args]
        try:
            return ab.build(*args)
        except Exception:  # an argument the body cannot take: fall back to a plain step
            return self._select(d) if kind == "sel" else self.sop(kind, self.max_depth)

    def _select(self, d: int) -> Node:
        kinds = ["num", "num", self.token_kind, "bool"] if self.token_kind == "cat" else \
            ["num", "num", "bool"]
        kind = kinds[int(self.rng.integers(len(kinds)))]
        pred = PRED_NODES[self.rng.choice(KIND_PREDS[kind])]
        keys = self.sop(kind, d + 1)
        # most selects in real programs compare with a leaf or with the same s-op
        r = self.rng.random()
        queries = keys if r < 0.3 else self.sop(kind, d + 1)
        return Select(keys, queries, pred)

    # --- sampling ------------------------------------------------------------------------------
    def _pick(self, kind: str, depth: int) -> Callable[[int], Node]:
        options = self.choices[kind]
        leaves_only = depth >= self.max_depth
        names, builders, logits = [], [], []
        for name, leaf, build in options:
            family = "library" if name in self.ab_costs else name
            if (leaves_only and not leaf) or (self.allowed is not None
                                              and family not in self.allowed):
                continue
            names.append(name)
            builders.append(build)
            cost = self.ab_costs[name] if name in self.ab_costs else self.g.cost(name)
            logits.append(-cost * math.log(2))
        if not builders:  # e.g. booleans at the depth limit: compare a leaf with a constant
            return lambda d: Map(_EQ_NUM.node_fn(self._const(_EQ_NUM)), indices) \
                if kind == "bool" else tokens
        p = np.exp(np.array(logits) - max(logits))
        return builders[int(self.rng.choice(len(builders), p=p / p.sum()))]

    def sop(self, kind: str, depth: int = 0) -> Node:
        """A random s-op of `kind` ("num", "bool" or "cat") starting at `depth`."""
        if kind == "cat" and self.token_kind != "cat":
            kind = "num"
        return self._pick(kind, depth)(depth)

    def selector(self, depth: int = 0) -> Node:
        """A random selector starting at `depth`."""
        return self._pick("sel", depth)(depth)

    def program(self) -> Node:
        """A random program with a random output kind."""
        kinds = list(ROOT_KINDS)
        p = np.array([ROOT_KINDS[k] for k in kinds])
        return self.sop(kinds[int(self.rng.choice(len(kinds), p=p / p.sum()))])


def _clean(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _run(program: Node, inputs: list[list[Any]]) -> list[list[Any]] | None:
    """The program's outputs, or None when it fails or gives non-finite numbers."""
    try:
        out = evaluate(program, inputs, strict=True)
    except Exception:
        return None
    rows = []
    for row in out:
        clean = [_clean(v) for v in row]
        if any(isinstance(v, float) and not math.isfinite(v) for v in clean):
            return None
        rows.append(clean)
    return rows


def _fingerprint(rows: list[list[Any]]) -> tuple:
    return tuple(tuple((type(v).__name__ if not isinstance(v, int | float) or
                        isinstance(v, bool) else "n", round(v, 9) if isinstance(v, float)
                        else v) for v in row) for row in rows)


#: dreamt tables send at most this many distinct values somewhere
DREAM_TABLE = 12


def _with_table(program: Node, rows: list[list[Any]], rng: np.random.Generator,
                token_values: Sequence[Any], grammar: Grammar) -> Node | None:
    """`Map(table, program)` sending its distinct values to random tokens, counts or booleans."""
    keys = sorted({v for row in rows for v in row}, key=repr)
    if len(keys) < 2 or len(keys) > DREAM_TABLE:
        return None
    r = rng.random()
    pool = list(token_values) if r < 0.4 else [False, True] if r < 0.7 else list(range(4))
    table = {k: pool[int(rng.integers(len(pool)))] for k in keys}
    return Map(Fn.table(table), program)


def _trivial(rows: list[list[Any]], leaves: list[tuple]) -> bool:
    """Constant everywhere, or a copy of tokens, indices or length."""
    flat = {repr(v) for row in rows for v in row}
    if len(flat) <= 1:
        return True
    return _fingerprint(rows) in leaves


def fitted_grammar(programs: Sequence[Node], base: Grammar | None = None,
                   strength: float = 1.0) -> Grammar:
    """The grammar refitted to solved programs, DreamCoder style: each production's cost moves
    by log2 of how much more often the programs use it than the average production does, so
    that dreams look like the solutions found so far (unused productions stay possible)."""
    from rasplab.synth.recognition.productions import PRODUCTIONS

    base = base or Grammar()
    if not programs:
        return base
    counts = {name: 0 for name in PRODUCTIONS}
    for program in programs:
        for name in used_productions(program):
            counts[name] += 1
    mean = sum(counts.values()) / len(counts)
    weights = {name: min(6.0, max(1.0, base.cost(name) - strength * math.log2(
        (c + 0.5) / (mean + 0.5)))) for name, c in counts.items()}
    return base.with_weights(weights)


def dream(n: int, tasks: Sequence[Any], grammar: Grammar | None = None, *, seed: int = 0,
          n_examples: int = 16, per_inputs: int = 64, max_depth: int = 4,
          productions: Collection[str] | None = None, library: Any = None,
          progress: bool | None = False) -> list[Dream]:
    """About `n` distinct dreams on inputs from the given tasks' distributions.

    `productions` restricts the grammar to those names (a tiny grammar for tests; "library"
    allows the abstractions); tables are only added when "table" is among them. `library` (a
    learned `Library`) adds its abstractions as sampling steps, specialised to each task as the
    engine specialises them, so dreams look like programs written with the current library.
    Programs are drawn in groups of `per_inputs` on one set of `n_examples` inputs from one task
    (chosen in turn); within a group, programs with equal outputs keep the cheapest.
    """
    grammar = grammar or Grammar()
    rng = np.random.default_rng(seed)
    abstractions: dict[str, list[Abstraction]] = {}  # per task, made once
    dreams: list[Dream] = []
    seen_programs: set[Node] = set()
    bar = None
    if progress is not False:
        from tqdm import tqdm
        bar = tqdm(total=n, desc="dreams", unit="dream", leave=False,
                   disable=None if progress is None else False)
    try:
        attempts = 0
        while len(dreams) < n and attempts < 50 * n:
            task = tasks[int(rng.integers(len(tasks)))]
            inputs = task.sample(n_examples, rng)
            sampler = ProgramSampler(grammar, task.vocab, rng, max_depth, productions,
                                     _task_abstractions(library, task, inputs, abstractions))
            leaves = [_fingerprint(r) for r in (_run(p, inputs) for p in (tokens, indices,
                                                                         length)) if r]
            group: dict[tuple, Dream] = {}
            for _ in range(per_inputs):
                attempts += 1
                program = sampler.program()
                rows = _run(program, inputs)
                if rows is None:
                    continue
                if (productions is None or "table" in productions) and \
                        rng.random() < TABLE_RATE:
                    tabled = _with_table(program, rows, rng, task.vocab, grammar)
                    if tabled is not None and (trows := _run(tabled, inputs)) is not None:
                        program, rows = tabled, trows
                if _trivial(rows, leaves) or program in seen_programs:
                    continue
                cost = grammar.program_cost(program)
                key = _fingerprint(rows)
                if key not in group or cost < group[key].cost:
                    group[key] = Dream(program, inputs, rows,
                                       frozenset(used_productions(program)), task.name, cost)
            for d in group.values():
                seen_programs.add(d.program)
                dreams.append(d)
                if bar is not None:
                    bar.update(1)
    except KeyboardInterrupt:
        pass
    finally:
        if bar is not None:
            bar.close()
    return dreams[:n]


def _task_abstractions(library: Any, task: Any, inputs: list[list[Any]],
                       made: dict[str, list[Abstraction]]) -> list[Abstraction]:
    """The library's abstractions as productions for `task` (probed on `inputs`), made once.

    Not `grammar_with_library`: its productions record every node they build (for program
    costs), which over thousands of dreams only holds memory."""
    if library is None or not getattr(library, "abstractions", None):
        return []
    if task.name not in made:
        from rasplab.synth.bottomup.values import Space
        from rasplab.synth.library.abstractions import productions

        try:
            made[task.name] = productions(library.abstractions, Space(inputs, task.outputs(inputs)))
        except Exception:  # a library that does not apply to this task's values
            made[task.name] = []
    return made[task.name]
