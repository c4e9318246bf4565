"""Pass 2: value-set inference — every value each s-op can take on inputs of length <= max_len.

Sets are computed symbolically from the vocabulary and maximum length (maps over the argument's
set, sequence maps over the product, means over all multisets of selected values), so they never
miss a value; when the whole input space is small, exhaustive evaluation tightens them to exact.
"""
from __future__ import annotations

import itertools
import math
from fractions import Fraction
from typing import Any, Sequence

from rasplab.compiler.graph import Graph
from rasplab.errors import CompileError, RaspLabError, describe_node
from rasplab.lang.ast import (
    NUMERICAL,
    Aggregate,
    AggregateBest,
    Full,
    IndicesType,
    LengthType,
    Map,
    Node,
    SelectorWidth,
    SequenceMap,
    SOp,
    TokensType,
)
from rasplab.lang.values import is_number, value_key

#: a node with more values than this has an unknown (None) set; only readers that need it fail
MAX_VALUES = 4096
#: sequence maps over a bigger product of argument values are not enumerated
MAX_PRODUCT = 200_000
#: inputs up to this many in total (all lengths) are evaluated exhaustively to make sets exact
MAX_EXHAUSTIVE = 4000

ValueSet = list[Any] | None


def dedupe(values: Sequence[Any]) -> list[Any]:
    """Distinct values in first-seen order, keeping 1, 1.0 and True apart as the evaluator does."""
    seen: dict[Any, Any] = {}
    for v in values:
        seen.setdefault(value_key(v), v)
    return list(seen.values())


def is_numeric(v: Any) -> bool:
    return is_number(v) or isinstance(v, bool)


def aggregate_mode(node: Aggregate, source: ValueSet) -> str:
    """'mean' when the aggregate averages, 'cat' when it passes a shared value through."""
    if node.encoding == NUMERICAL:
        if source is not None and not all(is_numeric(v) for v in source):
            bad = next(v for v in source if not is_numeric(v))
            raise CompileError(f"numerical aggregate of non-numeric value {bad!r} at "
                               f"{describe_node(node)}")
        return "mean"
    if node.encoding is None:
        if source is None:
            raise CompileError(f"value set of the aggregated s-op is too large to decide between "
                               f"mean and shared value at {describe_node(node)}")
        numbers = [is_number(v) for v in source]
        if all(numbers):
            return "mean"
        if any(numbers):
            raise CompileError(
                f"unannotated aggregate mixes numbers and other values ({source[:4]!r}...): the "
                f"interpreter's result depends on the batch at {describe_node(node)}")
    return "cat"


def mean_values(source: list[Any], max_len: int) -> ValueSet:
    """All means of multisets of 1..max_len values drawn from `source` (None if too many)."""
    vals = sorted({Fraction(float(v)) for v in source})
    if not vals:
        return []
    sums: set[Fraction] = {Fraction(0)}
    means: set[Fraction] = set()
    for count in range(1, max_len + 1):
        sums = {s + v for s in sums for v in vals}
        means |= {s / count for s in sums}
        if len(means) > MAX_VALUES or len(sums) > 4 * MAX_VALUES:
            return None
    return sorted({float(m) for m in means})


def _apply_all(fn: Any, combos: Any) -> list[Any]:
    out = []
    for args in combos:
        try:
            out.append(fn(*args))
        except Exception:  # undefined there: the interpreter fails on such inputs, no output
            continue
    return out


def _symbolic(node: Node, sets: dict[Node, ValueSet], vocab: list[Any], max_len: int) -> ValueSet:
    if isinstance(node, TokensType):
        return dedupe(vocab)
    if isinstance(node, IndicesType):
        return list(range(max_len))
    if isinstance(node, LengthType):
        return list(range(1, max_len + 1))
    if isinstance(node, SelectorWidth):
        return list(range(max_len + 1))
    if isinstance(node, Full):
        return [node.value]
    if isinstance(node, Map):
        arg = sets[node.arg]
        return None if arg is None else dedupe(_apply_all(node.fn, ((v,) for v in arg)))
    if isinstance(node, SequenceMap):
        distinct = list(dict.fromkeys(node.args))
        arg_sets = [sets[a] for a in distinct]
        if any(s is None for s in arg_sets) or math.prod(len(s) for s in arg_sets) > MAX_PRODUCT:
            return None
        combos = ([row[distinct.index(a)] for a in node.args]
                  for row in itertools.product(*arg_sets))  # type: ignore[arg-type]
        return dedupe(_apply_all(node.fn, combos))
    if isinstance(node, AggregateBest):  # a selected value passes through, or the default
        source = sets[node.sop]
        return None if source is None else dedupe(list(source) + [node.default])
    if isinstance(node, Aggregate):
        source = sets[node.sop]
        mode = aggregate_mode(node, source)
        if source is None:
            return None
        if mode == "cat":
            return dedupe(list(source) + [node.default])
        means = mean_values(source, max_len)
        if means is None:
            return None
        single = [float(v) for v in source] if node.encoding == NUMERICAL else list(source)
        return dedupe(single + means + [node.default])
    return None  # selectors carry no value set


def _exhaustive_inputs(vocab: list[Any], max_len: int) -> list[list[Any]] | None:
    total = sum(len(vocab) ** n for n in range(1, max_len + 1))
    if total > MAX_EXHAUSTIVE:
        return None
    return [list(p) for n in range(1, max_len + 1) for p in itertools.product(vocab, repeat=n)]


def _observed(graph: Graph, inputs: list[list[Any]], causal: bool = False
              ) -> dict[Node, list[Any]] | None:
    """Values every s-op takes on all `inputs` (None when the interpreter fails on some input)."""
    from rasplab.lang.evaluator import Batch, _chunks

    seen: dict[Node, list[Any]] = {n: [] for n in graph.order if isinstance(n, SOp)}
    try:
        for group in _chunks([len(x) for x in inputs]):
            batch = Batch([inputs[i] for i in group], strict=False, causal=causal)
            batch.value(graph.output)
            for node in seen:
                value = batch.value(node)
                used = set(value.codes[value.codes >= 0].tolist())
                seen[node].extend(value.table[c] for c in sorted(used))
    except RaspLabError:
        return None
    return {n: dedupe(v) for n, v in seen.items()}


def infer_values(graph: Graph, vocab: Sequence[Any], max_len: int, *,
                 causal: bool = False) -> dict[Node, ValueSet]:
    """Value set of every s-op of the graph for inputs over `vocab` of length 1..max_len
    (evaluated causally, when exhaustive, for a causal program)."""
    vocab = dedupe(list(vocab))
    if not vocab:
        raise CompileError("the vocabulary is empty")
    if max_len < 1:
        raise CompileError(f"max_len must be at least 1, got {max_len}")
    sets: dict[Node, ValueSet] = {}
    for node in graph.order:
        if isinstance(node, SOp):
            sets[node] = _symbolic(node, sets, vocab, max_len)
    inputs = _exhaustive_inputs(vocab, max_len)
    if inputs is not None:
        observed = _observed(graph, inputs, causal)
        if observed is not None:
            sets.update(observed)  # exact: every possible input was run
    return sets

