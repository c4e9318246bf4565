"""Pass 1: the program's dependency graph (nodes children-first, each node's readers), validated.

Graph keys are the program nodes themselves: they hash structurally, so a sub-program shared by
several parents is one graph node and is compiled once.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from rasplab.errors import CompileError, describe_node
from rasplab.lang.ast import (
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
    walk,
)

KNOWN = (TokensType, IndicesType, LengthType, Full, Map, SequenceMap, Aggregate, SelectorWidth,
         Select, SelectorAnd, SelectorOr, SelectorNot, AggregateBest)


@dataclass
class Graph:
    """The program as a DAG: `order` lists nodes children-first; `readers[n]` the nodes using n."""

    output: SOp
    order: list[Node]
    readers: dict[Node, list[Node]] = field(default_factory=dict)


def build_graph(program: Node) -> Graph:
    """Check that `program` is a compilable s-op and list its nodes in dependency order."""
    if isinstance(program, Selector):
        raise CompileError(f"the program {describe_node(program)} is a selector; only s-ops "
                           "(sequences of values) compile to a transformer")
    if not isinstance(program, SOp):
        raise CompileError(f"cannot compile {type(program).__name__}: not a RASP program")
    order = list(dict.fromkeys(walk(program)))
    readers: dict[Node, list[Node]] = {n: [] for n in order}
    for node in order:
        if not isinstance(node, KNOWN):
            raise CompileError(f"cannot compile node type {type(node).__name__} at "
                               f"{describe_node(node)}")
        for child in node.children:
            readers[child].append(node)
    return Graph(program, order, readers)


def selector_leaves(selector: Selector) -> list[Select]:
    """The `Select`s a (possibly composite) selector is built from, without repeats."""
    found: list[Select] = []
    stack = [selector]
    while stack:
        s = stack.pop()
        if isinstance(s, Select):
            found.append(s)
        else:  # a combinator: its children are selectors (not the s-ops inside the Selects)
            stack += reversed(s.children)  # type: ignore[arg-type]
    return list(dict.fromkeys(found))
