"""Pass 3: lowering — each s-op becomes residual functionals, and the ops that write them.

Categorical maps, and additive maps of numbers whatever their annotation, fold into functionals
(no layer); other maps and sequence maps become MLPs (steps over a number's known values, AND
tables over categorical tuples); aggregates and selector widths become attention heads.
Whatever cannot be represented exactly raises CompileError naming the node.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from rasplab.compiler.attention import conjunction, head, table_pairs
from rasplab.compiler.graph import Graph, selector_leaves
from rasplab.compiler.mlp import InseparableValues, and_table, numeric_lookup
from rasplab.compiler.residual import CatRep, Ctx, Lin, NumRep, Op, Rep, Space, lin_sum
from rasplab.compiler.values import MAX_PRODUCT, ValueSet, aggregate_mode, is_numeric
from rasplab.errors import CompileError, describe_node
from rasplab.lang.ast import (
    NUMERICAL,
    Aggregate,
    AggregateBest,
    Full,
    IndicesType,
    LengthType,
    Map,
    Node,
    Select,
    Selector,
    SelectorAnd,
    SelectorNot,
    SelectorOr,
    SelectorWidth,
    SequenceMap,
    SOp,
    TokensType,
    indices,
)
from rasplab.lang.evaluator import natural_ranks
from rasplab.lang.values import value_key

#: relative tolerance when checking that a numerical function is affine / additive
AFFINE_TOL = 1e-12


@dataclass
class Lowered:
    """The lowering's result: each s-op's representation, the ops, the embedding spaces."""

    ctx: Ctx
    reps: dict[Node, Rep]
    ops: list[Op]
    output: Rep
    vocab: list[Any]
    max_len: int
    tokens: Space
    indices: Space | None
    token_values: list[Any] = field(default_factory=list)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= AFFINE_TOL * max(1.0, abs(a), abs(b))


def _affine(xs: list[float], ys: list[float]) -> tuple[float, float] | None:
    """(a, b) with y = a x + b on every point, if such exist (equal xs, such as 1 and 1.0 of
    one value set, must give equal ys)."""
    first: dict[float, float] = {}
    for x, y in zip(xs, ys):
        if not _close(first.setdefault(x, y), y):
            return None
    if len(first) == 1:
        return 0.0, ys[0]
    (x0, y0), (x1, y1) = list(first.items())[:2]
    a = (y1 - y0) / (x1 - x0)
    b = y0 - a * x0
    if all(_close(a * x + b, y) for x, y in zip(xs, ys)):
        return a, b
    return None


class _Unfold(Exception):
    """A folded non-numerical node's values could not be told apart by a reader: lower again
    with that node as a table (whose entries keep the interpreter's exact floats)."""

    def __init__(self, node: Node):
        super().__init__(describe_node(node))
        self.node = node


class Lowering:
    """Walks the graph children-first, building one representation per s-op."""

    def __init__(self, graph: Graph, values: dict[Node, ValueSet], vocab: list[Any],
                 max_len: int, no_fold: frozenset[Node] = frozenset()):
        self.graph, self.values, self.vocab, self.max_len = graph, values, vocab, max_len
        #: non-numerical nodes that stay tables; `folded`: those that became functionals
        self.no_fold, self.folded = no_fold, set()
        self.ctx = Ctx(Space("one", 1), Space("bos", 1))
        self.reps: dict[Node, Rep] = {}
        self.cat_views: dict[Any, CatRep] = {}
        self.ops: list[Op] = []
        self.tokens = Space("tokens", len(vocab) - 1)
        self.indices: Space | None = None
        self.count = 0

    def run(self) -> Lowered:
        for node in self.graph.order:
            if isinstance(node, SOp):
                method = getattr(self, "_lower_" + type(node).__name__)
                rep = method(node)
                if isinstance(rep, NumRep) and not self._wants_num(node):
                    self.folded.add(node)
                if isinstance(rep, CatRep) and rep.base is None:  # its own base
                    rep.base, rep.of_base = node, list(range(len(rep.values)))
                self.reps[node] = rep
        return Lowered(self.ctx, self.reps, self.ops, self.reps[self.graph.output], self.vocab,
                       self.max_len, self.tokens, self.indices, self.vocab)

    # ----------------------------------------------------------------------------- helpers
    def _label(self, node: Node, what: str = "") -> str:
        """A readable unique label: the node's name, else its RASP text (shortened)."""
        self.count += 1
        text = node.name
        if not text:
            try:
                from rasplab.lang.printer import to_rasp_expr
                text = to_rasp_expr(node, depth_limit=3)
            except Exception:
                text = node.label
            text = text if len(text) <= 28 else text[:26] + ".."
        return f"{text}{what}#{self.count}"

    def _one_hot(self, space: Space, values: list[Any]) -> CatRep:
        """Values[0] implicit (all dimensions zero), values[i] on dimension i-1."""
        ind = [Lin.of(space, i) for i in range(space.size)]
        return CatRep(values, [self.ctx.NB - lin_sum(ind)] + ind)

    def _wants_num(self, node: SOp) -> bool:
        if node.encoding != NUMERICAL:
            return False
        vals = self.values.get(node)
        return vals is None or all(is_numeric(v) for v in vals)

    def _foldable(self, node: SOp) -> bool:
        """Whether the node may live as one numerical functional: it is numerical, or (whatever
        its annotation) its values are known numbers that stay apart as floats, so a reader that
        needs the value itself maps the float back to it. An int and a float of equal value may
        share one (as the numerical aggregates' sets do: a default 0 beside means 0.0); a bool
        may not share with a number."""
        if self._wants_num(node):
            return True
        vals = self.values.get(node)
        if node in self.no_fold or not vals or not all(is_numeric(v) for v in vals):
            return False
        kinds: dict[float, set[bool]] = {}
        for v in vals:
            kinds.setdefault(float(v), set()).add(isinstance(v, bool))
        return all(len(k) == 1 for k in kinds.values())

    def _fold_pays(self, node: SOp, reps: list[Rep], fn: Callable) -> bool:
        """Whether folding a sequence map into a functional is no larger than its AND table.

        A numerical argument would need its own one-hot view to enter a table, so folding always
        pays then. Over categorical arguments only, a non-numerical node folds when the steps a
        later one-hot view of it costs (two units between neighbouring values) are no more than
        the table's units (argument tuples not giving its most common value)."""
        if self._wants_num(node) or any(isinstance(r, NumRep) for r in reps):
            return True
        total = math.prod(len(r.values) for r in reps)  # type: ignore[union-attr]
        if total > MAX_PRODUCT:
            return True
        counts: dict[Any, int] = {}
        for combo in itertools.product(*(r.values for r in reps)):  # type: ignore[union-attr]
            try:
                key = value_key(fn(*combo))
            except Exception:
                continue
            counts[key] = counts.get(key, 0) + 1
        table_units = sum(counts.values()) - max(counts.values(), default=0)
        return 2 * (len(self.values[node]) - 1) <= table_units  # type: ignore[arg-type]

    def _as_num(self, rep: Rep) -> NumRep:
        if isinstance(rep, NumRep):
            return rep
        return NumRep(lin_sum([ind * float(v) for v, ind in zip(rep.values, rep.ind)]),
                      sorted({float(v) for v in rep.values}))

    def _originals(self, node: SOp) -> dict[float, Any]:
        """Float value -> the value the interpreter holds (ints stay ints, bools stay bools)."""
        vals = self.values.get(node)
        if vals is None:
            raise CompileError(f"the value set of {describe_node(node)} has too many values to "
                               "build an exact lookup table")
        out: dict[float, Any] = {}
        for v in vals:
            out.setdefault(float(v), v)
        return out

    def _finish(self, node: SOp, rep: Rep) -> Rep:
        """Switch a categorical representation to numerical when the node is numerical."""
        if isinstance(rep, CatRep) and self._wants_num(node) and all(is_numeric(v)
                                                                     for v in rep.values):
            return self._as_num(rep)
        return rep

    def cat_view(self, node: SOp) -> CatRep:
        """The node as indicators (a numerical node is discretised by an MLP, once)."""
        rep = self.reps[node]
        if isinstance(rep, CatRep):
            return rep
        if node not in self.cat_views:
            orig = self._originals(node)
            op, view = self._lookup(node, self._label(node, ":onehot"), node, rep.lin,
                                    list(orig), lambda t: orig[t], "cat")
            self.ops.append(op)
            self.cat_views[node] = view  # type: ignore[assignment]
        return self.cat_views[node]

    def _lookup(self, arg: SOp, label: str, node: Node, x: Lin, xs: list[float],
                f: Callable[[float], Any], out_kind: str) -> tuple[Op, Rep]:
        """numeric_lookup of `arg`'s value; if a fold of arg made the lookup impossible, asks
        (through _Unfold) for arg as a table instead."""
        try:
            return numeric_lookup(self.ctx, label, node, x, xs, f, out_kind)
        except InseparableValues:
            if arg in self.folded:
                raise _Unfold(arg) from None
            raise

    def _joint(self, nodes: list[SOp], where: Node) -> CatRep:
        """Indicators of tuples of values of several s-ops (an AND table), for one head."""
        if len(nodes) == 1:
            return self.cat_view(nodes[0])
        key = tuple(nodes)
        if key not in self.cat_views:
            views = [self.cat_view(n) for n in nodes]
            op, rep = and_table(self.ctx, self._label(where, ":pairs"), where, views,
                                lambda *vs: tuple(vs), "cat")
            self.ops.append(op)
            self.cat_views[key] = rep  # type: ignore[assignment]
        return self.cat_views[key]

    # ------------------------------------------------------------------------ primitives
    def _lower_TokensType(self, node: TokensType) -> Rep:
        return self._finish(node, self._one_hot(self.tokens, self.vocab))

    def _lower_IndicesType(self, node: IndicesType) -> Rep:
        if self.indices is None:
            self.indices = Space("indices", self.max_len - 1)
        return self._finish(node, self._one_hot(self.indices, list(range(self.max_len))))

    def _lower_LengthType(self, node: LengthType) -> Rep:
        return self._width(node, [(self.ctx.ONE, self.ctx.NB)], self.values[node])

    def _lower_Full(self, node: Full) -> Rep:
        return self._finish(node, CatRep([node.value], [self.ctx.NB]))

    # ----------------------------------------------------------------------- element-wise
    def _lower_Map(self, node: Map) -> Rep:
        return self._map(node, node.arg, node.fn)

    def _map(self, node: SOp, arg: SOp, fn: Callable[[Any], Any]) -> Rep:
        rep = self.reps[arg]
        if isinstance(rep, CatRep):  # a categorical map is linear in the indicators
            groups: dict[Any, tuple[int, Any, list[Lin]]] = {}
            index_of: list[int | None] = []
            for v, ind in zip(rep.values, rep.ind):
                try:
                    w = fn(v)
                except Exception:
                    index_of.append(None)  # undefined: the interpreter fails on such inputs
                    continue
                entry = groups.setdefault(value_key(w), (len(groups), w, []))
                entry[2].append(ind)
                index_of.append(entry[0])
            if not groups:
                raise CompileError(f"the function is undefined on every value at "
                                   f"{describe_node(node)}")
            out = CatRep([w for _, w, _ in groups.values()],
                         [lin_sum(i) for _, _, i in groups.values()])
            out.base = rep.base
            out.of_base = [None if rep.of_base[b] is None else index_of[rep.of_base[b]]
                           for b in range(len(rep.of_base))]  # type: ignore[index, arg-type]
            return self._finish(node, out)
        if self._foldable(node):  # an affine map of a number is a functional: no layer
            folded = self._affine_map(node, arg, rep, fn)
            if folded is not None:
                return folded
        orig = self._originals(arg)
        kind = "num" if self._wants_num(node) else "cat"
        op, out = self._lookup(arg, self._label(node), node, rep.lin, list(orig),
                               lambda t: fn(orig[t]), kind)
        self.ops.append(op)
        return out

    def _affine_map(self, node: SOp, arg: SOp, rep: NumRep, fn: Callable) -> Rep | None:
        vals = self.values.get(arg)
        if vals is None:
            return None
        try:
            pts = [(float(v), float(fn(v))) for v in vals]
        except Exception:
            return None
        ab = _affine([x for x, _ in pts], [y for _, y in pts])
        if ab is None:
            return None
        ys = self.values.get(node)
        return NumRep(rep.lin * ab[0] + self.ctx.NB * ab[1],
                      None if ys is None else sorted({float(y) for y in ys}))

    def _lower_SequenceMap(self, node: SequenceMap) -> Rep:
        # constants (Full) are folded into the function; repeated arguments are read once
        distinct = list(dict.fromkeys(a for a in node.args if not isinstance(a, Full)))
        if not distinct:
            return self._finish(node, CatRep([node.fn(*(a.value for a in node.args))],
                                             [self.ctx.NB]))
        position = [a.value if isinstance(a, Full) else distinct.index(a) for a in node.args]
        is_const = [isinstance(a, Full) for a in node.args]

        def fn(*vals: Any) -> Any:
            return node.fn(*(p if c else vals[p] for p, c in zip(position, is_const)))

        if len(distinct) == 1:
            return self._map(node, distinct[0], fn)
        reps = [self.reps[a] for a in distinct]
        if all(isinstance(r, CatRep) and r.base is not None for r in reps) and len(
                {r.base for r in reps}) == 1:  # type: ignore[union-attr]
            return self._map(node, reps[0].base, self._through_base(reps, fn))  # type: ignore
        if self._foldable(node) and self._fold_pays(node, reps, fn):
            folded = self._additive(node, distinct, fn)
            if folded is not None:
                return folded
        views = [self.cat_view(a) for a in distinct]
        op, rep = and_table(self.ctx, self._label(node), node, views, fn,
                            "num" if self._wants_num(node) else "cat")
        self.ops.append(op)
        return rep

    def _through_base(self, reps: list[CatRep], fn: Callable) -> Callable:
        """fn of several functions of one base s-op, as a function of the base's value."""
        base_rep = self.reps[reps[0].base]  # type: ignore[index]
        position = {value_key(v): i for i, v in enumerate(base_rep.values)}  # type: ignore[union-attr]

        def of_base(u: Any) -> Any:
            i = position[value_key(u)]
            picks = [r.of_base[i] for r in reps]  # type: ignore[index]
            if any(p is None for p in picks):
                raise ValueError("undefined")
            return fn(*(r.values[p] for r, p in zip(reps, picks)))  # type: ignore[index]
        return of_base

    def _additive(self, node: SOp, args: list[SOp], fn: Callable) -> Rep | None:
        """f(a, b, ...) = g(a) + h(b) + ... folds into functionals (numerical args affine)."""
        sets = [self.values.get(a) for a in args]
        if any(s is None for s in sets) or math.prod(len(s) for s in sets) > MAX_PRODUCT:
            return None
        base = [s[0] for s in sets]  # type: ignore[index]
        try:
            f0 = float(fn(*base))
            parts = []
            for i, s in enumerate(sets):
                parts.append([float(fn(*(base[:i] + [v] + base[i + 1:]))) - f0 for v in s])
            for combo in itertools.product(*(range(len(s)) for s in sets)):  # type: ignore[arg-type]
                value = float(fn(*(s[c] for s, c in zip(sets, combo))))  # type: ignore[index]
                if not _close(value, f0 + sum(p[c] for p, c in zip(parts, combo))):
                    return None
        except Exception:
            return None
        lin = self.ctx.NB * f0
        for arg, s, g in zip(args, sets, parts):
            rep = self.reps[arg]
            if isinstance(rep, CatRep):
                lookup = {value_key(v): gv for v, gv in zip(s, g)}  # type: ignore[arg-type]
                lin = lin + lin_sum([ind * lookup[value_key(v)]
                                     for v, ind in zip(rep.values, rep.ind)
                                     if value_key(v) in lookup])
            else:
                ab = _affine([float(v) for v in s], g)  # type: ignore[union-attr]
                if ab is None:
                    return None
                lin = lin + rep.lin * ab[0] + self.ctx.NB * ab[1]
        ys = self.values.get(node)
        return NumRep(lin, None if ys is None else sorted({float(y) for y in ys}))

    # -------------------------------------------------------------------------- selectors
    def selector_pairs(self, selector: Selector, where: Node) -> list[tuple[Lin, Lin]]:
        """Score pairs of a selector: 1 where it selects, <= 0 elsewhere."""
        conjuncts, stack = [], [selector]
        while stack:
            s = stack.pop()
            if isinstance(s, SelectorAnd):
                stack += [s.right, s.left]
            else:
                conjuncts.append(s)
        groups: dict[tuple[SOp, SOp], list[Selector]] = {}
        for c in conjuncts:
            pairs = {(leaf.keys, leaf.queries) for leaf in selector_leaves(c)}
            if len(pairs) != 1:
                return self._joint_pairs(selector, where)
            groups.setdefault(pairs.pop(), []).append(c)
        parts = []
        for (k, q), members in groups.items():
            kv, qv = self.cat_view(k), self.cat_view(q)
            table = np.array([[all(_selects(m, {k: a}, {q: b}) for m in members)
                               for b in qv.values] for a in kv.values], dtype=bool)
            parts.append(table_pairs(kv, qv, table))
        return conjunction(self.ctx, parts)

    def _joint_pairs(self, selector: Selector, where: Node) -> list[tuple[Lin, Lin]]:
        """A selector mixing key/query s-ops under `|`/`~`: one table over value tuples."""
        leaves = selector_leaves(selector)
        knodes = list(dict.fromkeys(leaf.keys for leaf in leaves))
        qnodes = list(dict.fromkeys(leaf.queries for leaf in leaves))
        kv, qv = self._joint(knodes, where), self._joint(qnodes, where)

        def env(nodes: list[SOp], value: Any) -> dict[SOp, Any]:
            return dict(zip(nodes, value)) if len(nodes) > 1 else {nodes[0]: value}

        table = np.array([[_selects(selector, env(knodes, a), env(qnodes, b))
                           for b in qv.values] for a in kv.values], dtype=bool)
        return table_pairs(kv, qv, table)

    # -------------------------------------------------------------------------- attention
    def _lower_Aggregate(self, node: Aggregate) -> Rep:
        mode = aggregate_mode(node, self.values.get(node.sop))
        pairs = self.selector_pairs(node.selector, node)
        label = self._label(node)
        if mode == "mean":
            if not is_numeric(node.default):
                raise CompileError(f"numerical aggregate with non-numeric default "
                                   f"{node.default!r} at {describe_node(node)}")
            src = self._as_num(self.reps[node.sop])
            default = float(node.default)
            ov = [src.lin] + ([self.ctx.NB] if default != 0.0 else [])
            op = head(self.ctx, label, node, pairs, ov, nonneg=False)
            self.ops.append(op)
            lin = Lin.of(op.out, 0)
            if default != 0.0:  # nothing selected: the mass dimension is 0, add the default
                lin = lin + (self.ctx.NB - Lin.of(op.out, 1)) * default
            vals = self.values.get(node)
            return NumRep(lin, None if vals is None else sorted({float(v) for v in vals}))
        src = self.cat_view(node.sop)
        others = [(v, ind) for v, ind in zip(src.values, src.ind)
                  if value_key(v) != value_key(node.default)]
        op = head(self.ctx, label, node, pairs, [ind for _, ind in others], nonneg=True)
        self.ops.append(op)
        rep = self._one_hot(op.out, [node.default] + [v for v, _ in others])
        return self._finish(node, rep)

    def _lower_AggregateBest(self, node: AggregateBest) -> Rep:
        """Hard attention. With R score ranks, n = max_len, a query's score for key k is
        (R + 1) * selected + rank(k) - k / 2n, and R for BOS: a selected key beats BOS by more
        than 1/2, BOS beats an unselected key by at least 1, a better rank wins by more than 1/2
        and the earlier of equal ranks by 1/2n. Scaled by n, the smallest gap is worth
        attention.SCALE / 2 in the logits, as the other heads' BOS margin."""
        score = self.cat_view(node.score)
        try:
            ranks = natural_ranks(score.values)
        except TypeError:
            raise CompileError(f"the scores of {describe_node(node)} do not compare "
                               f"({score.values[:4]!r}...)") from None
        top = max(ranks, default=0)
        ranks = ranks if node.maximise else [top - r for r in ranks]
        if indices not in self.reps:  # the tie-break reads positions
            self.reps[indices] = self._lower_IndicesType(indices)  # type: ignore[arg-type]
        position = self.cat_view(indices)  # type: ignore[arg-type]
        n, n_ranks = float(self.max_len), top + 1
        pairs = [(q * ((n_ranks + 1) * n), k) for q, k in self.selector_pairs(node.selector, node)]
        pairs.append((self.ctx.NB * n, lin_sum([ind * float(r) for r, ind in
                                                zip(ranks, score.ind)])))
        pairs.append((self.ctx.NB * -0.5, lin_sum([ind * float(i) for i, ind in
                                                   zip(position.values, position.ind)])))
        src = self.cat_view(node.sop)
        others = [(v, ind) for v, ind in zip(src.values, src.ind)
                  if value_key(v) != value_key(node.default)]
        op = head(self.ctx, self._label(node), node, pairs, [ind for _, ind in others],
                  nonneg=True, bos_score=n_ranks * n, kind="best")
        self.ops.append(op)
        return self._finish(node, self._one_hot(op.out, [node.default] + [v for v, _ in others]))

    def _lower_SelectorWidth(self, node: SelectorWidth) -> Rep:
        return self._width(node, self.selector_pairs(node.selector, node), self.values[node])

    def _width(self, node: SOp, pairs: list[tuple[Lin, Lin]], widths: ValueSet) -> Rep:
        """BOS is selected along with the keys, so BOS's weight is 1/(width+1); an MLP then
        turns that into the width."""
        op = head(self.ctx, self._label(node, ":bos-share"), node, pairs,
                  [Lin.of(self.ctx.bos)], nonneg=True, bos_score=1.0, kind="width")
        self.ops.append(op)
        widths = list(range(self.max_len + 1)) if widths is None else widths
        of_share = {1.0 / (w + 1): w for w in widths}
        kind = "num" if self._wants_num(node) else "cat"
        mlp, rep = numeric_lookup(self.ctx, self._label(node), node, Lin.of(op.out),
                                  list(of_share), lambda t: of_share[t], kind)
        self.ops.append(mlp)
        return rep


def _selects(selector: Selector, keys: dict[SOp, Any], queries: dict[SOp, Any]) -> bool:
    """Whether the selector selects, given the values of its key and query s-ops."""
    if isinstance(selector, Select):
        try:
            return bool(selector.predicate(keys[selector.keys], queries[selector.queries]))
        except Exception:
            return False  # undefined: the interpreter fails where this pair meets
    if isinstance(selector, SelectorAnd):
        return _selects(selector.left, keys, queries) and _selects(selector.right, keys, queries)
    if isinstance(selector, SelectorOr):
        return _selects(selector.left, keys, queries) or _selects(selector.right, keys, queries)
    if isinstance(selector, SelectorNot):
        return not _selects(selector.inner, keys, queries)
    raise CompileError(f"cannot compile selector {type(selector).__name__}")


def lower(graph: Graph, values: dict[Node, ValueSet], vocab: list[Any], max_len: int) -> Lowered:
    """Representations and ops for every s-op of the graph (lowered again, with a folded node
    kept as a table, whenever a reader cannot tell that node's values apart)."""
    no_fold: frozenset[Node] = frozenset()
    while True:
        try:
            return Lowering(graph, values, vocab, max_len, no_fold).run()
        except _Unfold as unfold:
            no_fold = no_fold | {unfold.node}
