"""The batched RASP evaluator: many inputs of different lengths at once, numpy-vectorised.

An s-op's value over a batch is a table of distinct Python values plus an integer code per
(input, position), -1 at padding. Element-wise functions therefore run once per distinct value
(or distinct tuple of values), selects compare distinct keys with distinct queries once, and
the per-position work is numpy gathers and reductions.
"""
from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from itertools import chain, repeat
from typing import Any, Iterable, Sequence

import numpy as np

from rasplab.errors import RaspRuntimeError
from rasplab.lang.ast import (
    NUMERICAL,
    Aggregate,
    AggregateBest,
    Causal,
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
    TokensType,
    walk,
)
from rasplab.lang.functions import COMPARISONS, SLOT0, SLOT1, Fn
from rasplab.lang.values import is_number, value_key

Token = str | int
#: selectors are built in chunks so that a (batch, n, n) array stays below this many cells
CHUNK_CELLS = 4_000_000
#: ranks are counted in a (batch, ranks) histogram up to this many ranks per position, sorted
#: beyond (a histogram of many ranks costs more than sorting the keys)
RANK_HISTOGRAM_LIMIT = 8
#: a rank histogram covers this many (input, rank) cells at a time (it stays in cache)
HISTOGRAM_CELLS = 1 << 18

_NUMPY_COMPARE = {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
                  "gt": np.greater, "ge": np.greater_equal}


@dataclass
class SOpValue:
    """The value of an s-op over a batch: `table[codes[b, i]]`, codes -1 at padding."""

    codes: np.ndarray  # int64 (batch, max_len)
    table: list[Any]

    def to_lists(self, lengths: np.ndarray) -> list[list[Any]]:
        tab = np.empty(len(self.table) + 1, dtype=object)
        tab[:-1] = self.table
        tab[-1] = None
        lengths = np.asarray(lengths)
        width = self.codes.shape[1] if self.codes.ndim == 2 else 0
        if len(lengths) and (lengths == width).all():  # no padding: one conversion
            return tab[self.codes].tolist()
        valid = np.arange(width)[None, :] < lengths[:, None]
        flat = tab[self.codes[valid]].tolist()
        ends = np.cumsum(lengths).tolist()
        return [flat[e - k: e] for e, k in zip(ends, lengths.tolist())]

    def numeric(self) -> np.ndarray:
        """The values as floats (padding 0); only for tables of numbers and booleans."""
        arr = np.array([float(v) for v in self.table] + [0.0])
        return arr[self.codes]


@dataclass
class RankSelect:
    """A comparison select held as key and query ranks (batch, n) in one merged value order.

    Selector widths and `==` aggregates read it without building the (batch, q, k) matrix;
    other consumers get the matrix from `Batch.value`.
    """

    op: str
    key_ranks: np.ndarray
    query_ranks: np.ndarray
    n_ranks: int

    def matrix(self) -> np.ndarray:
        return _NUMPY_COMPARE[self.op](self.key_ranks[:, None, :], self.query_ranks[:, :, None])

    def same_order(self, other: "RankSelect") -> bool:
        """True when both compare the same keys with the same queries (equal ranks)."""
        return self.n_ranks == other.n_ranks and \
            np.array_equal(self.key_ranks, other.key_ranks) and \
            np.array_equal(self.query_ranks, other.query_ranks)


@dataclass
class RankAnd:
    """`left and right` of two rank-held selects, not built yet: an `or` may fold it with a
    third select into one lexicographic comparison (the prelude's sort builds exactly that)."""

    left: RankSelect
    right: RankSelect

    def matrix(self) -> np.ndarray:
        return self.left.matrix() & self.right.matrix()


#: a selector held without its (batch, q, k) matrix
Held = RankSelect | RankAnd
#: the tie-break comparison that continues each strict comparison, per tie comparison
_FLIPPED = {"lt": "gt", "le": "ge", "gt": "lt", "ge": "le"}


def lexicographic(first: Any, then: Any) -> RankSelect | None:
    """`first or then` as one comparison of combined ranks, when `first` compares a < b (or
    a > b) and `then` is `a == b and c OP d`: the pair (a, c) is compared lexicographically,
    so selector widths and aggregates need no (batch, q, k) matrix. None when not that shape."""
    if not (isinstance(first, RankSelect) and isinstance(then, RankAnd)) or \
            first.op not in ("lt", "gt"):
        return None
    for eq, tie in ((then.left, then.right), (then.right, then.left)):
        if eq.op != "eq" or tie.op not in _FLIPPED or not eq.same_order(first):
            continue
        key_tie, query_tie, op = tie.key_ranks, tie.query_ranks, tie.op
        if op[0] != first.op[0]:  # ties broken the other way: compare reversed tie ranks
            key_tie, query_tie = tie.n_ranks - 1 - key_tie, tie.n_ranks - 1 - query_tie
            op = _FLIPPED[op]
        n_ranks = first.n_ranks * tie.n_ranks
        kind = np.int32 if n_ranks < 1 << 31 else np.int64
        keys = first.key_ranks.astype(kind) * tie.n_ranks + key_tie
        queries = first.query_ranks.astype(kind) * tie.n_ranks + query_tie
        return RankSelect(op, keys, queries, n_ranks)
    return None


def _dedupe(values: Sequence[Any]) -> tuple[list[Any], np.ndarray]:
    """Distinct values and, for each input value, the index of its distinct value."""
    kinds = set(map(type, values))
    if float not in kinds and not any(issubclass(k, float) for k in kinds):
        # no NaN possible: (type, value) pairs are the keys, deduplicated at C speed
        keys = list(zip(map(type, values), values))
        first = {k: i for i, k in reversed(list(enumerate(keys)))}
        order = sorted(first.values())
        position = {keys[i]: j for j, i in enumerate(order)}
        remap = np.fromiter(map(position.__getitem__, keys), dtype=np.int64, count=len(keys))
        return [values[i] for i in order], remap
    index: dict[Any, int] = {}
    table: list[Any] = []
    remap = np.empty(len(values), dtype=np.int64)
    for i, v in enumerate(values):
        k = value_key(v)
        j = index.get(k)
        if j is None:
            j = index[k] = len(table)
            table.append(v)
        remap[i] = j
    return table, remap


def _recode(codes: np.ndarray, remap: np.ndarray) -> np.ndarray:
    """Apply a table remapping to codes, keeping -1 padding."""
    return np.append(remap, -1)[codes]


def _occurring(codes: np.ndarray, space: int) -> np.ndarray:
    """The distinct values of non-negative `codes` below `space`, sorted (O(n), no sort)."""
    if space <= 1 << 24:
        present = np.zeros(space, dtype=bool)
        present[codes] = True
        return np.flatnonzero(present)
    return np.unique(codes)


def natural_ranks(values: Sequence[Any]) -> list[int]:
    """Each value's rank in natural order (equal values share one; NaN ranks below all).

    Raises TypeError when the values do not compare (numbers with strings, say).
    """
    nan = [isinstance(v, float) and math.isnan(v) for v in values]
    order = sorted((i for i in range(len(values)) if not nan[i]), key=values.__getitem__)
    ranks = [0] * len(values)
    rank = 1 if any(nan) else 0
    for j, i in enumerate(order):
        if j and not values[order[j - 1]] == values[i]:
            rank += 1
        ranks[i] = rank
    return ranks


def _holds_causal(node: Node) -> bool:
    return any(type(n) is Causal for n in walk(node))


def _homogeneous(values: Sequence[Any]) -> bool:
    """True when numpy compares these values as Python does: all numbers, or all strings."""
    kinds = set(map(type, values))
    return kinds <= {int, float} or kinds == {str}


def _encode_tokens(inputs: Sequence[Sequence[Token]], valid: np.ndarray,
                   ) -> tuple[list[Any], np.ndarray] | None:
    """Vectorised tokens encoding for inputs made only of strings or only of ints, else None."""
    chars = _encode_chars(inputs, valid)
    if chars is not None:
        return chars
    flat = list(chain.from_iterable(inputs))
    kinds = set(map(type, flat))
    if kinds not in ({str}, {int}):
        return None
    codes = np.full(valid.shape, -1, dtype=np.int64)
    if kinds == {int}:
        try:
            values = np.fromiter(flat, dtype=np.int64, count=len(flat))
        except OverflowError:
            return None
        lo, hi = int(values.min()), int(values.max())
        if hi - lo < 1 << 20:  # a lookup table instead of a sort
            present = np.zeros(hi - lo + 1, dtype=bool)
            present[values - lo] = True
            uniq = np.flatnonzero(present)
            lookup = np.zeros(hi - lo + 1, dtype=np.int64)
            lookup[uniq] = np.arange(len(uniq))
            codes[valid] = lookup[values - lo]
            return (uniq + lo).tolist(), codes
        uniq, inverse = np.unique(values, return_inverse=True)
        codes[valid] = inverse.reshape(-1)
        return uniq.tolist(), codes
    table = sorted(dict.fromkeys(flat))
    position = {t: i for i, t in enumerate(table)}
    codes[valid] = np.fromiter(map(position.__getitem__, flat), dtype=np.int64, count=len(flat))
    return table, codes


def _encode_chars(inputs: Sequence[Sequence[Token]], valid: np.ndarray,
                  ) -> tuple[list[str], np.ndarray] | None:
    """The tokens encoding when every token is a one-character string (text split into
    characters), from the code points of the joined text: no per-token dictionary lookups."""
    try:
        rows = list(map("".join, inputs))  # TypeError unless every token is a string
    except TypeError:
        return None
    text = "".join(rows)
    # as many characters as tokens and no empty token: every token is one character
    if len(text) != int(valid.sum()) or any(map(operator.contains, inputs, repeat(""))):
        return None
    try:
        points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    except UnicodeEncodeError:  # a lone surrogate
        return None
    present = np.zeros(int(points.max()) + 1, dtype=bool)
    present[points] = True
    uniq = np.flatnonzero(present)
    lookup = np.zeros(len(present), dtype=np.int64)
    lookup[uniq] = np.arange(len(uniq))
    if valid.size == len(points):  # no padding
        codes = lookup[points].reshape(valid.shape)
    else:
        codes = np.full(valid.shape, -1, dtype=np.int64)
        codes[valid] = lookup[points]
    # code point order is Python's order of one-character strings
    return list(map(chr, uniq.tolist())), codes


def _histogram_stats(key_ranks: np.ndarray, query_ranks: np.ndarray, valid: np.ndarray | None,
                     n_ranks: int, want_less: bool, want_key: bool,
                     ) -> tuple[Any, np.ndarray, Any]:
    """`Batch._rank_stats` for some inputs, from a (inputs, ranks) histogram of the keys;
    `valid` None when no input is padded."""
    b = len(key_ranks)
    offset = np.arange(b, dtype=np.int64)[:, None] * n_ranks
    keys = key_ranks + offset
    keys = keys.ravel() if valid is None else keys[valid]
    at = query_ranks + offset
    counts = np.bincount(keys, minlength=b * n_ranks)
    equal = counts[at]
    less = key = None
    if want_less:
        less = np.cumsum(counts.reshape(b, n_ranks), axis=1).ravel()[at] - equal
    if want_key:  # which key of a rank does not matter (see Batch._selected)
        n = key_ranks.shape[1]
        positions = np.tile(np.arange(n), b) if valid is None else np.nonzero(valid)[1]
        key_of = np.zeros(b * n_ranks, dtype=np.int64)
        key_of[keys] = positions
        key = key_of[at]
    return less, equal, key


class Batch:
    """Inputs padded into one array; evaluates program nodes with memoisation (a DAG runs once).

    With `causal`, every selector sees only keys at or before its query and `length` is the
    prefix length; a node holding a `Causal` marker is always evaluated that way.
    """

    def __init__(self, inputs: Sequence[Sequence[Token]], strict: bool = True,
                 origin: Sequence[int] | None = None, all_inputs: Sequence[Any] | None = None,
                 causal: bool = False):
        self.inputs = inputs
        self.causal = causal
        self._causal_twin: Batch | None = None
        self._prefix: np.ndarray | None = None
        self.lengths = np.array([len(x) for x in inputs], dtype=np.int64)
        if len(inputs) and self.lengths.min() == 0:
            raise RaspRuntimeError("inputs must be non-empty sequences", input=[])
        self.n = int(self.lengths.max()) if len(inputs) else 0
        self.valid = np.arange(self.n)[None, :] < self.lengths[:, None]
        #: every input has the full length: selectors need no padding mask
        self.dense = bool(len(inputs)) and int(self.lengths.min()) == self.n
        self._pair_valid: np.ndarray | None = None
        self.strict = strict
        self.origin = list(origin) if origin is not None else list(range(len(inputs)))
        self.all_inputs = all_inputs if all_inputs is not None else inputs
        self.memo: dict[Node, Any] = {}
        #: per aggregate node, which inputs hit a categorical conflict (non-strict mode)
        self.invalid: dict[Node, np.ndarray] = {}

    # -------------------------------------------------------------------------------------
    def value(self, node: Node) -> Any:
        """The node's value over the batch: SOpValue for s-ops, bool (batch, q, k) for selectors."""
        if not self.causal and node not in self.memo and _holds_causal(node):
            return self._twin_value(node)
        value = self._value(node)
        return self._matrix(node, value) if isinstance(value, Held) else value

    def _value(self, node: Node) -> Any:
        """Like `value`, but a comparison select may stay a RankSelect."""
        if node in self.memo:
            return self.memo[node]
        for sub in walk(node):
            if sub not in self.memo:
                self.memo[sub] = self._eval(sub)
        return self.memo[node]

    def _twin_value(self, node: Node) -> Any:
        """The node's value in causal mode, from a causal batch over the same inputs."""
        if self._causal_twin is None:
            self._causal_twin = Batch(self.inputs, self.strict, self.origin, self.all_inputs,
                                      causal=True)
        out = self._causal_twin.value(node)
        self.invalid.update(self._causal_twin.invalid)
        return out

    def _matrix(self, node: Node, value: Held) -> np.ndarray:
        """Build (once) the selection matrix of a rank-held select."""
        self.memo[node] = sel = self._mask(value.matrix())
        return sel

    def pair_valid(self) -> np.ndarray:
        """valid[b, q] & valid[b, k] as a (batch, n, n) mask (computed once)."""
        if self._pair_valid is None:
            self._pair_valid = self.valid[:, :, None] & self.valid[:, None, :]
        return self._pair_valid

    def _mask(self, sel: np.ndarray) -> np.ndarray:
        """Clear padded queries and keys in place (nothing to do when no input is padded), and in
        causal mode the keys after each query."""
        if not self.dense:
            sel &= self.pair_valid()
        if self.causal:
            if self._prefix is None:
                self._prefix = np.tril(np.ones((self.n, self.n), dtype=bool))
            sel &= self._prefix
        return sel

    def _padded(self, values: np.ndarray) -> np.ndarray:
        """`values` (broadcast to (batch, n)) with -1 at padding."""
        if self.dense:
            return np.broadcast_to(values, self.valid.shape).copy()
        return np.where(self.valid, values, -1)

    def _real(self, codes: np.ndarray) -> np.ndarray:
        """The codes at real (not padding) positions, flat."""
        return codes.ravel() if self.dense else codes[self.valid]

    def _input_of(self, batch_index: int) -> Any:
        x = self.all_inputs[self.origin[batch_index]]
        return "".join(x) if isinstance(x, list) and all(isinstance(t, str) and len(t) == 1
                                                         for t in x) else x

    def _first_input_with(self, mask: np.ndarray) -> Any:
        rows = np.nonzero(mask.reshape(len(self.lengths), -1).any(axis=1))[0]
        return self._input_of(int(rows[0])) if len(rows) else None

    def _eval(self, node: Node) -> Any:
        method = getattr(self, "_eval_" + type(node).__name__, None)
        if method is None:
            raise RaspRuntimeError(f"cannot evaluate node of type {type(node).__name__}", node)
        return method(node)

    # --- primitives ----------------------------------------------------------------------
    def _eval_TokensType(self, node: TokensType) -> SOpValue:
        fast = _encode_tokens(self.inputs, self.valid)
        if fast is not None:
            return SOpValue(fast[1], fast[0])
        index: dict[Any, int] = {}
        table: list[Any] = []
        codes = np.full((len(self.inputs), self.n), -1, dtype=np.int64)
        for b, seq in enumerate(self.inputs):
            row = []
            for t in seq:
                k = value_key(t)
                j = index.get(k)
                if j is None:
                    j = index[k] = len(table)
                    table.append(t)
                row.append(j)
            codes[b, : len(row)] = row
        return SOpValue(codes, table)

    def _eval_IndicesType(self, node: IndicesType) -> SOpValue:
        return SOpValue(self._padded(np.arange(self.n)[None, :]), list(range(self.n)))

    def _eval_LengthType(self, node: LengthType) -> SOpValue:
        if self.causal:  # the prefix length q + 1
            codes = np.where(self.valid, np.arange(self.n)[None, :], -1)
            return SOpValue(codes, list(range(1, self.n + 1)))
        table = sorted(set(self.lengths.tolist()))
        pos = {v: i for i, v in enumerate(table)}
        per_input = np.array([pos[v] for v in self.lengths.tolist()], dtype=np.int64)
        return SOpValue(self._padded(per_input[:, None]), table)

    def _eval_Full(self, node: Full) -> SOpValue:
        return SOpValue(self._padded(np.zeros(1, dtype=np.int64)), [node.value])

    # --- element-wise --------------------------------------------------------------------
    def _apply(self, node: Node, fn: Fn, arg_values: Sequence[SOpValue]) -> SOpValue:
        if len(arg_values) == 1:
            # only values that occur at some position: a table may hold unused entries (an
            # aggregate's default or source values), where the function may be undefined
            arg = arg_values[0]
            used = _occurring(self._real(arg.codes), len(arg.table))
            combos = [(arg.table[i],) for i in used.tolist()]
            remap = np.full(len(arg.table), -1, dtype=np.int64)
            remap[used] = np.arange(len(used))
            combo_codes = _recode(arg.codes, remap)
        else:
            key = np.zeros_like(arg_values[0].codes)
            for v in arg_values:
                key *= len(v.table)
                key += v.codes if self.dense else np.maximum(v.codes, 0)
            space = math.prod(len(v.table) for v in arg_values)
            uniq = _occurring(self._real(key), space)
            if space <= 1 << 24:
                lookup = np.full(space, -1, dtype=np.int64)
                lookup[uniq] = np.arange(len(uniq))
                combo_codes = self._padded(lookup[key])
            else:
                combo_codes = np.full(key.shape, -1, dtype=np.int64)
                combo_codes[self.valid] = np.searchsorted(uniq, key[self.valid])
            combos = []
            for k in uniq.tolist():
                parts = []
                for v in reversed(arg_values):
                    k, r = divmod(k, len(v.table))
                    parts.append(v.table[r])
                combos.append(tuple(reversed(parts)))
        results = []
        for i, args in enumerate(combos):
            try:
                results.append(fn(*args))
            except Exception as exc:  # the function is undefined on this value
                where = self._first_input_with(combo_codes == i)
                shown = args[0] if len(args) == 1 else args
                raise RaspRuntimeError(
                    f"function undefined on value {shown!r} ({type(exc).__name__}: {exc})",
                    node, where) from None
        table, remap = _dedupe(results)
        return SOpValue(_recode(combo_codes, remap), table)

    def _eval_Map(self, node: Map) -> SOpValue:
        return self._apply(node, node.fn, [self.value(node.arg)])

    def _eval_SequenceMap(self, node: SequenceMap) -> SOpValue:
        return self._apply(node, node.fn, [self.value(a) for a in node.args])

    # --- selectors -----------------------------------------------------------------------
    def _predicate_table(self, node: Select, keys: SOpValue, queries: SOpValue) -> np.ndarray:
        """P[i, j] = predicate(keys.table[i], queries.table[j]), vectorised when possible."""
        op = node.predicate.op
        kt, qt = keys.table, queries.table
        if op == "true":
            return np.ones((len(kt), len(qt)), dtype=bool)
        if op == "false":
            return np.zeros((len(kt), len(qt)), dtype=bool)
        if op in COMPARISONS and node.predicate.args == (SLOT0, SLOT1):
            for kind in (is_number, lambda v: isinstance(v, str)):
                if all(kind(v) for v in kt) and all(kind(v) for v in qt):
                    ka, qa = np.array(kt), np.array(qt)
                    return _NUMPY_COMPARE[op](ka[:, None], qa[None, :])
        out = np.zeros((len(kt), len(qt)), dtype=bool)
        for i, k in enumerate(kt):
            for j, q in enumerate(qt):
                try:
                    out[i, j] = bool(node.predicate(k, q))
                except Exception as exc:
                    mask = (keys.codes == i)[:, None, :] & (queries.codes == j)[:, :, None]
                    raise RaspRuntimeError(
                        f"predicate undefined on key {k!r} and query {q!r} "
                        f"({type(exc).__name__})", node, self._first_input_with(mask)) from None
        return out

    def _eval_Select(self, node: Select) -> np.ndarray | RankSelect:
        found = self._select(node)
        if self.causal and isinstance(found, RankSelect):
            # rank histograms count every key: causal selectors are always matrices
            return self._mask(found.matrix())
        return found

    def _select(self, node: Select) -> np.ndarray | RankSelect:
        keys, queries = self.value(node.keys), self.value(node.queries)
        pred, kt, qt = node.predicate, keys.table, queries.table
        if pred.op in ("true", "false") and pred.args == (SLOT0, SLOT1):
            # every key has rank 0 against query rank 0: TRUE is ==, FALSE is !=
            zeros = np.zeros(self.valid.shape, dtype=np.int16)
            return RankSelect("eq" if pred.op == "true" else "ne", zeros, zeros, 1)
        if pred.op in COMPARISONS and pred.args == (SLOT0, SLOT1) and _homogeneous(kt + qt):
            # compare ranks in the merged value order: one broadcast comparison, no gather
            uniq, rank = np.unique(np.array(kt + qt), return_inverse=True)
            rank = rank.reshape(-1)
            small = np.int16 if len(rank) < 1 << 15 else np.int64
            kr = np.append(rank[: len(kt)], 0).astype(small)[keys.codes]
            qr = np.append(rank[len(kt):], 0).astype(small)[queries.codes]
            return RankSelect(pred.op, kr, qr, len(uniq))
        table = self._predicate_table(node, keys, queries)
        shape = (len(self.lengths), self.n, self.n)
        if table.all():
            return self._mask(np.ones(shape, dtype=bool))
        if not table.any():
            return np.zeros(shape, dtype=bool)
        nq = table.shape[1]
        kc = np.maximum(keys.codes, 0).astype(np.int32) * nq
        qc = np.maximum(queries.codes, 0).astype(np.int32)
        return self._mask(np.take(table.ravel(), kc[:, None, :] + qc[:, :, None]))

    def _eval_SelectorAnd(self, node: SelectorAnd) -> np.ndarray | RankAnd:
        left, right = self._value(node.left), self._value(node.right)
        if isinstance(left, RankSelect) and isinstance(right, RankSelect):
            return RankAnd(left, right)  # built only if no `or` folds it (see lexicographic)
        return self.value(node.left) & self.value(node.right)  # type: ignore[operator]

    def _eval_SelectorOr(self, node: SelectorOr) -> np.ndarray | RankSelect:
        left, right = self._value(node.left), self._value(node.right)
        folded = lexicographic(left, right) or lexicographic(right, left)
        if folded is not None:
            return folded
        return self.value(node.left) | self.value(node.right)

    def _eval_SelectorNot(self, node: SelectorNot) -> np.ndarray:
        return self._mask(~self.value(node.inner))

    def _eval_Causal(self, node: Causal) -> SOpValue:
        if not self.causal:
            return self._twin_value(node.sop)
        return self.value(node.sop)  # a marker inside a causal program changes nothing

    # --- attention -----------------------------------------------------------------------
    def _eval_SelectorWidth(self, node: SelectorWidth) -> SOpValue:
        sel = self._value(node.selector)
        if isinstance(sel, RankAnd):
            sel = self._matrix(node.selector, sel)
        if isinstance(sel, RankSelect):
            width = self._rank_width(sel)
        else:
            width = np.count_nonzero(sel, axis=-1)
        return SOpValue(self._padded(width), list(range(self.n + 1)))

    def _rank_stats(self, sel: RankSelect, want_less: bool = True, want_key: bool = False,
                    ) -> tuple[Any, np.ndarray, Any]:
        """Per (input, query): how many real keys rank below the query's rank (with
        `want_less`), how many rank equal to it, and (with `want_key`) the position of one key
        of equal rank. From a histogram of ranks when ranks are few, else by sorting the keys
        (no batch * ranks table: combined or many distinct ranks stay O(batch * n))."""
        b, n_ranks = len(self.lengths), sel.n_ranks
        if n_ranks <= RANK_HISTOGRAM_LIMIT * max(self.n, 1):
            # histograms of a block of inputs at a time: a block's table stays in cache
            rows = max(1, HISTOGRAM_CELLS // n_ranks)
            parts = [_histogram_stats(sel.key_ranks[i:i + rows], sel.query_ranks[i:i + rows],
                                      None if self.dense else self.valid[i:i + rows],
                                      n_ranks, want_less, want_key)
                     for i in range(0, b, rows)]
            if len(parts) == 1:
                return parts[0]
            return tuple(None if part[0] is None else np.concatenate(part)  # type: ignore
                         for part in zip(*parts))
        offset = np.arange(b, dtype=np.int64)[:, None] * n_ranks
        keys = sel.key_ranks + offset
        keys = keys.ravel() if self.dense else keys[self.valid]
        at = sel.query_ranks + offset
        positions = None
        if want_key:  # which key of a rank does not matter (see _selected)
            positions = np.tile(np.arange(self.n), b) if self.dense else \
                np.nonzero(self.valid)[1]
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        lo = np.searchsorted(ordered, at, "left")
        equal = np.searchsorted(ordered, at, "right") - lo
        less = lo - (np.cumsum(self.lengths) - self.lengths)[:, None] if want_less else None
        key = None if positions is None else positions[order[np.minimum(lo, len(keys) - 1)]]
        return less, equal, key

    def _rank_width(self, sel: RankSelect) -> np.ndarray:
        """Selector width from rank statistics: O(batch * n) instead of O(batch * n * n)."""
        less, equal, _ = self._rank_stats(sel, want_less=sel.op not in ("eq", "ne"))
        total = self.lengths[:, None]
        if sel.op == "eq":
            return equal
        if sel.op == "ne":
            return total - equal
        return {"lt": lambda: less, "le": lambda: less + equal,
                "gt": lambda: total - less - equal, "ge": lambda: total - less}[sel.op]()

    def _selected(self, node: Aggregate) -> tuple[np.ndarray, np.ndarray, Any]:
        """Per query: how many keys it selects, one selected key, and a way to get the rows."""
        sel = self._value(node.selector)
        if isinstance(sel, RankSelect) and sel.op == "eq":
            # some key of each rank (which one does not matter: a query that selects several
            # keys either sees one shared value or is handled as mixed)
            _, count, first = self._rank_stats(sel, want_less=False, want_key=True)

            def rows(mb: np.ndarray, mq: np.ndarray) -> np.ndarray:
                got = sel.key_ranks[mb] == sel.query_ranks[mb, mq][:, None]
                return got & self.valid[mb]
            return count, first, rows
        if isinstance(sel, Held):
            sel = self._matrix(node.selector, sel)
        return (np.count_nonzero(sel, axis=-1), sel.argmax(axis=-1),
                lambda mb, mq: sel[mb, mq])

    def _eval_Aggregate(self, node: Aggregate) -> SOpValue:
        val: SOpValue = self.value(node.sop)
        big = len(val.table)
        count, first, rows_of = self._selected(node)
        # a selected key's value; queries selecting several keys are checked apart
        lo = np.take_along_axis(np.maximum(val.codes, 0), first, axis=1)
        none = self.valid & (count == 0)
        mixed = np.zeros_like(self.valid)
        multi_b, multi_q = np.nonzero(self.valid & (count > 1))
        if len(multi_b):
            rows = rows_of(multi_b, multi_q)  # (m, k): only queries that select several keys
            row_codes = val.codes[multi_b]
            row_lo = np.where(rows, row_codes, big).min(axis=-1)
            row_hi = np.where(rows, row_codes, -1).max(axis=-1)
            differ = row_lo != row_hi
            mixed[multi_b[differ], multi_q[differ]] = True
        same = self.valid & (count > 0) & ~mixed
        numeric_table = all(is_number(v) or isinstance(v, bool) for v in val.table)
        mean_mode = node.encoding == NUMERICAL or (
            node.encoding is None and all(is_number(v) for v in val.table))

        # candidate output values: the source table, the default, then the means
        values: list[Any] = list(val.table) + [node.default]
        codes = np.where(same, lo, np.where(none, big, -1))
        if node.encoding == NUMERICAL:
            if not numeric_table:
                bad = next(v for v in val.table if not (is_number(v) or isinstance(v, bool)))
                raise RaspRuntimeError(f"numerical aggregate of non-numeric value {bad!r}", node,
                                       self._first_input_with(self.valid))
            # a numerical aggregate yields numbers: uniform selections give float(value)
            values = [float(v) for v in val.table] + [node.default]
        if mixed.any():
            if mean_mode:
                nums = val.numeric()
                mb, mq = np.nonzero(mixed)
                sums = np.einsum("mk,mk->m", rows_of(mb, mq).astype(np.float64), nums[mb])
                means = sums / count[mb, mq]
                uniq, inv = np.unique(means, return_inverse=True)
                codes[mb, mq] = len(values) + inv.reshape(-1)
                values.extend(float(m) for m in uniq)
            elif self.strict:
                b = int(np.nonzero(mixed.any(axis=1))[0][0])
                q = int(np.nonzero(mixed[b])[0][0])
                picked = rows_of(np.array([b]), np.array([q]))[0]
                shown = sorted({repr(val.table[c]) for c in val.codes[b][picked]})
                raise RaspRuntimeError(
                    f"categorical aggregate selects differing values {', '.join(shown)} "
                    f"at position {q}", node, self._input_of(b))
            else:
                self.invalid[node] = mixed.any(axis=1)
                codes[mixed] = big  # the default stands in; the input is flagged invalid
        table, remap = _dedupe(values)
        return SOpValue(_recode(codes, remap), table)


    def _eval_AggregateBest(self, node: AggregateBest) -> SOpValue:
        """Argmax attention: per query, `sop` at the selected key of best score (the earliest
        on ties), `default` where nothing is selected."""
        val: SOpValue = self.value(node.sop)
        score: SOpValue = self.value(node.score)
        sel: np.ndarray = self.value(node.selector)
        used = _occurring(score.codes[self.valid], len(score.table))
        try:
            ranks = natural_ranks([score.table[i] for i in used.tolist()])
        except TypeError:
            shown = sorted({type(score.table[i]).__name__ for i in used.tolist()})
            raise RaspRuntimeError(f"scores of types {', '.join(shown)} do not compare", node,
                                   self._first_input_with(self.valid)) from None
        top = max(ranks, default=0)
        rank_of = np.full(len(score.table) + 1, -1, dtype=np.int32)  # the last entry: padding
        rank_of[used] = ranks if node.maximise else [top - r for r in ranks]
        scored = np.where(sel, rank_of[score.codes][:, None, :], np.int32(-1))
        best = scored.argmax(axis=-1)  # the first key of the best score among the selected ones
        codes = np.take_along_axis(val.codes, best, axis=1)
        codes = np.where(sel.any(axis=-1), codes, len(val.table))
        codes = np.where(self.valid, codes, -1)
        table, remap = _dedupe(list(val.table) + [node.default])
        return SOpValue(_recode(codes, remap), table)


def _as_tokens(x: Any) -> list[Token]:
    return x if isinstance(x, list) else list(x)  # read only: lists need no copy


def _plain_select(node: Node, ops: Iterable[str]) -> bool:
    """A select comparing key and query (in that order) with one of `ops`."""
    return isinstance(node, Select) and node.predicate.args == (SLOT0, SLOT1) and \
        node.predicate.op in ops


def _lexicographic_shape(node: Node) -> bool:
    """`a < b or (a == b and c OP d)` (either order), which `lexicographic` folds into one
    comparison of combined ranks."""
    if not isinstance(node, SelectorOr):
        return False
    for first, then in ((node.left, node.right), (node.right, node.left)):
        if not (_plain_select(first, ("lt", "gt")) and isinstance(then, SelectorAnd)):
            continue
        for eq, tie in ((then.left, then.right), (then.right, then.left)):
            if _plain_select(eq, ("eq",)) and _plain_select(tie, _FLIPPED) and \
                    (eq.keys, eq.queries) == (first.keys, first.queries):
                return True
    return False


def _matrix_free(program: Node) -> bool:
    """True when no (batch, n, n) selector matrix will be built: every select compares with
    a plain predicate and only feeds selector widths or ==/TRUE aggregates."""
    if isinstance(program, Selector):
        return False
    folded = {node.left if isinstance(node.left, SelectorAnd) else node.right
              for node in walk(program) if _lexicographic_shape(node)}
    for node in walk(program):
        if isinstance(node, Selector) and not (
                _plain_select(node, (*COMPARISONS, "true", "false"))
                or _lexicographic_shape(node) or node in folded):
            return False
        if isinstance(node, AggregateBest):
            return False
        if isinstance(node, Aggregate) and not (
                isinstance(node.selector, Select) and node.selector.predicate.op in ("eq", "true")):
            return False
    return True


def _chunks(lengths: list[int], cells: int | None = None) -> Iterable[list[int]]:
    """Indices grouped by similar length, each group small enough for (batch, n, n) arrays."""
    cells = cells or CHUNK_CELLS
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    group: list[int] = []
    for i in order:
        n = lengths[i]
        if group and (len(group) + 1) * n * n > cells:
            yield group
            group = []
        group.append(i)
    if group:
        yield group


def not_a_program(what: str, value: Any) -> str:
    """Why `value` is not a program; a bool most likely came from `sop == x`, which compares
    programs (nodes hash and compare structurally) rather than building an element-wise map."""
    message = f"{what} needs a program (an s-op or a selector), got {type(value).__name__} " \
              f"{value!r}"
    if isinstance(value, bool):
        message += ("; `==` and `!=` on s-ops compare programs structurally and give True or "
                    "False: use .eq() / .ne() for an element-wise comparison, e.g. "
                    "tokens.eq(\"a\")")
    return message


def evaluate(program: Node, inputs: Sequence[Sequence[Token] | str], *,
             strict: bool = True, causal: bool = False) -> list[Any]:
    """Run `program` on every input; returns one output list per input (in input order).

    A selector program returns one boolean (n, n) numpy matrix S[q, k] per input. Strings are
    split into characters. `causal=True`, or a `Causal` node in the program, evaluates with
    causal semantics (position q sees only positions 0..q). Raises RaspRuntimeError naming the
    node and input on failure.
    """
    if not isinstance(program, Node):
        raise TypeError(not_a_program("evaluate", program))
    causal = causal or _holds_causal(program)
    seqs = [_as_tokens(x) for x in inputs]
    for i, s in enumerate(seqs):
        if not s:
            raise RaspRuntimeError(f"input {i} is empty; RASP inputs are non-empty sequences")
    out: list[Any] = [None] * len(seqs)
    # without selector matrices a chunk costs O(batch * n): larger chunks amortise the per-chunk
    # work on value tables
    cells = CHUNK_CELLS * (16 if not causal and _matrix_free(program) else 1)
    for group in _chunks([len(s) for s in seqs], cells):
        batch = Batch([seqs[i] for i in group], strict=strict, origin=group, all_inputs=seqs,
                      causal=causal)
        value = batch.value(program)
        if isinstance(program, Selector):
            rows = [value[b, : n, : n].copy() for b, n in enumerate(batch.lengths)]
        else:
            rows = value.to_lists(batch.lengths)
        for b, i in enumerate(group):
            out[i] = rows[b]
    return out


def run(program: Node, input: Sequence[Token] | str, *, causal: bool = False) -> Any:
    """Run `program` on one input."""
    return evaluate(program, [input], causal=causal)[0]
