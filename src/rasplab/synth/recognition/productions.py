"""The productions a recognition model scores: the engine's cost names, and which a program uses.

The names are exactly the keys `Grammar.cost` looks up (`"map.add"`, `"binary.lt"`, `"select"`,
...), so a predicted probability per name turns straight into a production cost.
"""
from __future__ import annotations

from rasplab.lang import ast
from rasplab.lang.functions import Const
from rasplab.synth.bottomup.grammar import BINARY_OPS, UNARY_OPS

LEAVES = ("tokens", "indices", "length", "full")
MAPS = tuple(dict.fromkeys(f"map.{op.name}" for op in UNARY_OPS)) + ("map.tokens",)
BINARIES = tuple(dict.fromkeys(f"binary.{op.name}" for op in BINARY_OPS))
OTHERS = ("select", "and", "or", "not", "aggregate", "aggregate.cat", "selector_width",
          "table", "table.pair")
#: every production name a model predicts, in a fixed order (the model's output columns)
PRODUCTIONS: tuple[str, ...] = LEAVES + MAPS + BINARIES + OTHERS
INDEX = {name: i for i, name in enumerate(PRODUCTIONS)}


def production_of(node: ast.Node) -> str | None:
    """The engine production that builds `node` (None for nodes the engine never builds)."""
    if isinstance(node, ast.TokensType | ast.IndicesType | ast.LengthType):
        return type(node).__name__[:-4].lower()
    if isinstance(node, ast.Full):
        return "full"
    if isinstance(node, ast.Map):
        op = node.fn.op
        if op == "table":  # a table of the tokens is an enumerated step; others, last steps
            return "map.tokens" if isinstance(node.arg, ast.TokensType) else "table"
        if op == "sub" and node.fn.args and isinstance(node.fn.args[0], Const):
            op = "rsub"
        name = f"map.{op}"
    elif isinstance(node, ast.SequenceMap):
        if node.fn.op == "ifelse":
            return "table.pair"
        name = f"binary.{node.fn.op}"
    elif isinstance(node, ast.Select):
        return "select"
    elif isinstance(node, ast.SelectorAnd | ast.SelectorOr | ast.SelectorNot):
        return type(node).__name__[8:].lower()
    elif isinstance(node, ast.Aggregate):
        if node.encoding is None:  # unannotated .rasp: numbers average
            return "aggregate" if _numeric(node.sop) else "aggregate.cat"
        return "aggregate" if node.encoding == ast.NUMERICAL else "aggregate.cat"
    elif isinstance(node, ast.SelectorWidth):
        return "selector_width"
    else:
        return None
    return name if name in INDEX else None


_NUMERIC_OPS = {"add", "sub", "mul", "div", "mod", "indicator", "min", "max", "neg"}


def _numeric(node: ast.Node) -> bool:
    """Whether an unannotated s-op surely holds numbers (what `.rasp` aggregates average)."""
    return isinstance(node, ast.IndicesType | ast.LengthType | ast.SelectorWidth) or (
        isinstance(node, ast.Map | ast.SequenceMap) and node.fn.op in _NUMERIC_OPS)


def used_productions(program: ast.Node) -> set[str]:
    """The names of the productions a program uses (each once)."""
    return {name for node in ast.walk(program) if (name := production_of(node)) is not None}
