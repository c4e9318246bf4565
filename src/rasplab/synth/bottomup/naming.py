"""Make a found program readable: make its lookup tables total and name its intermediates.

Names follow the RASP paper's habit of naming each step after what it computes (`hist`,
`reversed_idx`, `flip`); `rasplab.lang.printer.to_rasp` prints the result.
"""
from __future__ import annotations

import re

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
    SelectorAnd,
    SelectorNot,
    SelectorOr,
    SelectorWidth,
    SequenceMap,
    TokensType,
    walk,
)
from rasplab.lang.functions import Const, Slot
from rasplab.synth.bottomup.tables import total_table

_LEAVES = (TokensType, IndicesType, LengthType, Full)
_OP_WORDS = {"add": "plus", "sub": "minus", "mul": "times", "div": "over", "mod": "mod",
             "eq": "is", "ne": "isnt", "lt": "below", "le": "atmost", "gt": "above",
             "ge": "atleast", "and": "and", "or": "or", "min": "min", "max": "max",
             "not": "not", "indicator": "ind", "table": "table"}


def finish(program: Node) -> Node:
    """The program with its lookup tables made total (see `tables`) and intermediate steps
    named; on every input the examples could hold, the meaning is unchanged."""
    return name_steps(total_tables(program))


def total_tables(program: Node) -> Node:
    """A copy whose every lookup table over one s-op runs on any key (`tables.total_table`)."""
    rebuilt: dict[int, Node] = {}
    for node in walk(program):
        new = _rebuild(node, rebuilt)
        if isinstance(new, Map) and new.fn.op == "table" and new.fn.args == (Slot(0),):
            total = total_table(new.arg, new.fn, new.encoding)
            if total is not None:
                new = total.named(new.name) if new.name else total
        rebuilt[id(node)] = new
    return rebuilt[id(program)]


# --- naming ---------------------------------------------------------------------------------
def _word(node: Node, names: dict[Node, str]) -> str:
    if node in names:
        return names[node]
    if isinstance(node, TokensType):
        return "tokens"
    if isinstance(node, IndicesType):
        return "indices"
    if isinstance(node, LengthType):
        return "length"
    if isinstance(node, Full):
        return _ident(str(node.value))
    return "x"


#: words for the symbols that tokens often are (brackets of the Dyck tasks, operators)
_SYMBOLS = {"(": "lparen", ")": "rparen", "{": "lbrace", "}": "rbrace", "[": "lbrack",
            "]": "rbrack", "<": "langle", ">": "rangle", "+": "plus", "-": "minus",
            "*": "star", "/": "slash", "_": "underscore", "=": "equals", "!": "bang",
            "?": "query", ",": "comma", " ": "space"}


def _ident(text: str) -> str:
    if text in _SYMBOLS:
        return _SYMBOLS[text]
    text = re.sub(r"[^a-zA-Z0-9_]", "", text.replace(".", "_"))
    return text if text and not text[0].isdigit() else f"v{text}"


def _suggest(node: Node, names: dict[Node, str]) -> str:
    w = lambda n: _word(n, names)  # noqa: E731
    if isinstance(node, Select):
        k, q, p = w(node.keys), w(node.queries), node.predicate.op
        if k == q == "tokens" and p == "eq":
            return "same_tok"
        if k == q == "indices":
            return {"lt": "prevs_strict", "le": "prevs", "gt": "nexts", "ge": "nexts_incl",
                    "eq": "same_pos", "ne": "other_pos"}.get(p, "sel_idx")
        if k == "indices" and p == "eq":
            if q == "reversed_idx":
                return "flip"
            return f"from_{q}" if len(q) < 16 else "gather"
        if q == "indices" and p == "eq":
            return f"to_{k}" if len(k) < 16 else "scatter"
        return f"sel_{k}_{_OP_WORDS.get(p, p)}_{q}" if len(k) + len(q) < 16 else "sel"
    if isinstance(node, SelectorWidth):
        inner = node.selector
        if isinstance(inner, Select) and w(inner.keys) == w(inner.queries) == "tokens" \
                and inner.predicate.op == "eq":
            return "hist"
        return "count_" + w(inner) if len(w(inner)) < 16 else "width"
    if isinstance(node, SelectorAnd | SelectorOr):
        op = "and" if isinstance(node, SelectorAnd) else "or"
        a, b = w(node.left), w(node.right)
        return f"{a}_{op}_{b}" if len(a) + len(b) < 16 else f"sel_{op}"
    if isinstance(node, SelectorNot):
        return "not_" + w(node.inner)
    if isinstance(node, Aggregate):
        sop = node.sop
        if node.encoding == NUMERICAL and isinstance(sop, Map) and sop.fn.op == "indicator":
            sel = node.selector
            scope = "mean_"
            if isinstance(sel, Select) and sel.predicate.op in ("le", "true"):
                scope = "frac_" if sel.predicate.op == "le" and isinstance(
                    sel.keys, IndicesType) and isinstance(sel.queries, IndicesType) else "share_"
            return scope + w(sop.arg)  # the fraction of selected positions where b holds
        return ("mean_" if node.encoding == NUMERICAL else "moved_") + w(sop)
    if isinstance(node, Map) and node.fn.op in ("gt", "eq") and node.fn.args[1:] == (Const(0),) \
            and isinstance(node.arg, Aggregate) and w(node.arg)[:5] in ("frac_", "share"):
        inner = w(node.arg).split("_", 1)[1]
        where = "ever_" if w(node.arg).startswith("frac_") else "any_"
        return (where if node.fn.op == "gt" else "no" + where) + inner
    if isinstance(node, Map | SequenceMap):
        fn = node.fn
        args = (node.arg,) if isinstance(node, Map) else node.args
        parts = [w(args[a.index]) if isinstance(a, Slot) else _ident(str(a.value))
                 for a in fn.args]
        word = _OP_WORDS.get(fn.op, fn.op)
        if fn.op == "sub" and parts == ["length", "indices"]:
            return "opp_idx"
        if fn.op == "sub" and len(parts) == 2 and parts[0] == "opp_idx" and parts[1] == "v1":
            return "reversed_idx"
        if fn.op == "eq" and len(parts) == 2 and parts[0] == "tokens":
            return f"is_{parts[1]}"  # tokens == "(" reads as is_lparen
        if len(parts) == 1:
            return f"{word}_{parts[0]}"
        if fn.op == "table":
            return f"table_{parts[0]}"
        return f"{parts[0]}_{word}_{parts[1]}"
    return type(node).__name__.lower()


def name_steps(program: Node) -> Node:
    """A copy of the program whose every non-leaf intermediate carries a readable name."""
    rebuilt: dict[int, Node] = {}
    names: dict[Node, str] = {}
    used: set[str] = {"tokens", "indices", "length", "program"}
    for node in walk(program):
        new = _rebuild(node, rebuilt)
        if not isinstance(new, _LEAVES) and node is not program:
            base = node.name or _suggest(new, names)  # a name given by the builder wins
            if len(base) > 24:
                base = base[:24].rstrip("_")
            base = _ident(base)
            name, k = base, 2
            while name in used:
                name, k = f"{base}{k}", k + 1
            used.add(name)
            new = new.named(name)
            names[new] = name
        rebuilt[id(node)] = new
    return rebuilt[id(program)]


def _rebuild(node: Node, done: dict[int, Node]) -> Node:
    if not node.children:
        return node
    kids = [done[id(c)] for c in node.children]
    if isinstance(node, Map):
        return node._with(arg=kids[0])
    if isinstance(node, SequenceMap):
        return node._with(args=tuple(kids))
    if isinstance(node, Aggregate):
        return node._with(selector=kids[0], sop=kids[1])
    if isinstance(node, SelectorWidth):
        return node._with(selector=kids[0])
    if isinstance(node, Select):
        return node._with(keys=kids[0], queries=kids[1])
    if isinstance(node, SelectorAnd | SelectorOr):
        return node._with(left=kids[0], right=kids[1])
    if isinstance(node, SelectorNot):
        return node._with(inner=kids[0])
    if isinstance(node, AggregateBest):  # its score is its sop unless it has its own
        return node._with(selector=kids[0], sop=kids[1], score=kids[-1])
    if isinstance(node, Causal):
        return node._with(sop=kids[0])
    return node
