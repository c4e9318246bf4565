"""Learned abstractions as bottom-up productions, and as readable RASP `def`s.

A Stitch hole is *free* when every use filled it with an s-op or selector term: it becomes an
argument of the production, drawn from the bank. Other holes (operations, predicates, constants)
are *fixed*: the abstraction is specialised to the values seen in its uses, plus the task's own
tokens where every use held a string literal, so `pair balance of "(" ")"` also offers `"{" "}"`.
"""
from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any, Sequence

from rasplab.lang.functions import COMPARISONS
from rasplab.lang.sexpr import _NO_LITERAL, _show, _Str, _Sym, parse_sexpr
from rasplab.synth.bottomup.grammar import Abstraction
from rasplab.synth.bottomup.values import BOOL, CAT, NUM, Space
from rasplab.synth.library.body import (
    SEL,
    Body,
    Unsupported,
    Val,
    hole_index,
    hole_numbers,
    literal,
)
from rasplab.synth.library.compress import LearnedAbstraction

#: the production cost of one learned abstraction (a primitive map costs 1, a select 1 + args)
ABSTRACTION_COST = 2
#: at most this many specialisations (fixed-hole fillings) per abstraction
MAX_SPECIALISATIONS = 8
#: at most this many of an abstraction's uses are also offered whole (every hole filled as
#: it was in a solved program), as a value of one step
MAX_INSTANCES = 2
#: an abstraction must stand for at least this many primitive steps to be worth a production
#: (`select(b, b, a)` is one step: the engine already has it, and a copy only slows it down)
MIN_BODY_SIZE = 4
KIND_NAMES = {NUM: "num", BOOL: "bool", CAT: "cat", SEL: "sel"}


@dataclass(frozen=True)
class Specialised:
    """An abstraction with its fixed holes filled: a body over free holes #0..#k-1."""

    name: str
    body: str
    free: int
    #: an abstraction as one solved program used it (every hole filled; see `instances`)
    instance: bool = False


def _positions(tree: Any, head: bool = False, pred: bool = False) -> dict[int, set[str]]:
    """Where each hole occurs: "head" (an operation), "pred" (a select predicate) or "arg"."""
    out: dict[int, set[str]] = {}
    i = hole_index(tree)
    if i is not None:
        out.setdefault(i, set()).add("head" if head else "pred" if pred else "arg")
        return out
    if isinstance(tree, list):
        is_select = bool(tree) and tree[0] == "select"
        for j, t in enumerate(tree):
            for k, v in _positions(t, head=j == 0, pred=is_select and j == 3).items():
                out.setdefault(k, set()).update(v)
    return out


def _is_term(text: str) -> bool:
    """An argument that is an s-op or selector term (not a constant, operation or predicate)."""
    tree = parse_sexpr(text)
    if literal(tree) is not _NO_LITERAL:
        return False
    if isinstance(tree, _Sym):
        return str(tree) in ("tokens", "indices", "length")
    return isinstance(tree, list) and bool(tree) and tree[0] not in ("tuple", "list")


def free_holes(ab: LearnedAbstraction) -> list[bool]:
    """Per hole, whether it is free (an argument) rather than fixed (specialised)."""
    where = _positions(parse_sexpr(ab.body))
    out = []
    for i in range(ab.arity):
        arg_only = where.get(i, {"arg"}) == {"arg"}
        terms = [_is_term(u[i]) for u in ab.uses if i < len(u)]
        out.append(arg_only and 2 * sum(terms) >= len(terms))
    return out


def _substitute(tree: Any, fill: dict[int, Any], renumber: dict[int, int]) -> Any:
    if isinstance(tree, list):
        return [_substitute(t, fill, renumber) for t in tree]
    i = hole_index(tree)
    if i is None:
        return tree
    if i in fill:
        return fill[i]
    return _Sym(f"#{renumber[i]}")


def specialise(ab: LearnedAbstraction, token_values: Sequence[Any] = (),
               vocab: Sequence[Any] | None = None) -> list[Specialised]:
    """The abstraction's bodies with fixed holes filled (observed fillings first).

    A filling with a string that the task never shows (`vocab`: its tokens and outputs) is
    dropped: it could only compare unequal to everything.
    """
    free = free_holes(ab)
    fixed = [i for i in range(ab.arity) if not free[i]]
    renumber = {i: n for n, i in enumerate(j for j in range(ab.arity) if free[j])}
    tree = parse_sexpr(ab.body)
    if not fixed:
        return [Specialised(ab.name, ab.body, len(renumber))] + instances(ab, vocab)
    observed = list(dict.fromkeys(tuple(u[i] for i in fixed) for u in ab.uses
                                  if len(u) == ab.arity))
    options = []
    for n, i in enumerate(fixed):
        seen = list(dict.fromkeys(combo[n] for combo in observed))
        if seen and all(isinstance(literal(parse_sexpr(v)), str) for v in seen):
            seen += [_show(_Str(t)) for t in token_values if isinstance(t, str)]
        options.append(list(dict.fromkeys(seen)))
    combos = list(dict.fromkeys(observed + list(itertools.product(*options))))
    if vocab is not None:
        known = {v for v in vocab if isinstance(v, str)}
        combos = [c for c in combos if all(not isinstance(x := literal(parse_sexpr(v)), str)
                                           or x in known for v in c)]
    out = []
    for combo in combos[:MAX_SPECIALISATIONS]:
        fill = {i: parse_sexpr(v) for i, v in zip(fixed, combo)}
        body = _show(_substitute(tree, fill, renumber))
        label = ",".join(combo)
        out.append(Specialised(f"{ab.name}[{label}]", body, len(renumber)))
    return out + instances(ab, vocab)


def instances(ab: LearnedAbstraction, vocab: Sequence[Any] | None = None) -> list[Specialised]:
    """The abstraction as it was used: every hole filled as in one solved program.

    Stitch keeps what several programs share, which may leave a concept one task needs as an
    abstraction applied to another's argument (`level` as "openers so far minus a", with `a`
    the closers before here in nesting's program). Offered whole, such a use is one step again.
    Uses with a string the task never shows are dropped."""
    if not any(free_holes(ab)):
        return []
    known = None if vocab is None else {v for v in vocab if isinstance(v, str)}
    tree = parse_sexpr(ab.body)
    out: list[Specialised] = []
    for use in dict.fromkeys(tuple(u) for u in ab.uses if len(u) == ab.arity):
        fill = {i: parse_sexpr(v) for i, v in enumerate(use)}
        if known is not None and any(isinstance(x, str) and x not in known
                                     for t in fill.values() for x in _literals(t)):
            continue
        body = _show(_substitute(tree, fill, {}))
        out.append(Specialised(f"{ab.name}({', '.join(use)})", body, 0, instance=True))
        if len(out) >= MAX_INSTANCES:
            break
    return out


def _literals(tree: Any) -> list[Any]:
    """Every constant in a term."""
    if isinstance(tree, list):
        return [x for t in tree for x in _literals(t)]
    c = literal(tree)
    return [] if c is _NO_LITERAL else [c]


def counted_selector(spec: Specialised) -> Specialised | None:
    """The selector that a counting or averaging body runs over, as a production of its own.

    Stitch keeps the largest shared pattern: `selector_width(select(a, a, ==) and prevs)` (how
    often `a`'s value has occurred so far) rather than the selector inside it. The selector is
    the attention pattern; an aggregate can reuse it (dyck2 averages a bracket sign over the
    brackets so far at the same nesting level). None when the selector lacks an argument.

    An instance's selector is offered too, as one step, although selector instances themselves
    are not (see `productions`): it is the attention pattern a solved task counted with
    (level_count's "same level, so far", which dyck2 averages over), not just any select a
    program happened to use."""
    tree = parse_sexpr(spec.body)
    if not (isinstance(tree, list) and tree and tree[0] in ("selector_width", "aggregate")):
        return None
    inner = tree[1]
    if sorted(set(hole_numbers(inner))) != list(range(spec.free)):
        return None
    return Specialised(f"{spec.name}.selector", _show(inner), spec.free)


def body_size(tree: Any) -> int:
    """Primitive steps in a body: applications and built-in leaves (holes, constants free)."""
    if isinstance(tree, list):
        head = tree[0] if tree else None
        own = 0 if head in ("numerical", "categorical", "unannotated", "tuple", "list") else 1
        return own + sum(body_size(t) for t in tree[1:])
    return 1 if isinstance(tree, _Sym) and tree in ("tokens", "indices", "length") else 0


def _use_kinds(ab: LearnedAbstraction, space: Space) -> list[list[Any]]:
    """Per free hole, the kinds its observed arguments have on the task's inputs."""
    free = free_holes(ab)
    kinds: list[list[Any]] = []
    for i in range(ab.arity):
        if not free[i]:
            continue
        seen: list[Any] = []
        for use in ab.uses:
            try:
                v = _eval_closed(use[i], space)
            except Exception:
                continue
            if not v.is_const and v.kind not in seen:
                seen.append(v.kind)
        kinds.append(seen or [NUM, CAT, BOOL, SEL])
    return kinds


def _eval_closed(text: str, space: Space) -> Val:
    """A closed term (an observed argument) evaluated on the task's examples."""
    return Body(text).values(space, [], [])


def productions(library: Sequence[LearnedAbstraction], space: Space,
                cost: int = ABSTRACTION_COST,
                built: dict[Any, tuple[int, tuple]] | None = None) -> list[Abstraction]:
    """Bottom-up productions for a library on a task (`space` encodes a few of its examples).

    `built`, when given, records each program a production builds: node -> (the production's
    cost, its argument nodes), so that a program's cost can count the abstraction as one step.
    """
    out: list[Abstraction] = []
    seen: set[tuple[str, tuple]] = set()
    for ab in library:
        try:
            kinds_per_hole = _use_kinds(ab, space)
            specs = specialise(ab, space.token_values, space.vocab)
        except Exception:
            continue
        specs += [inner for inner in map(counted_selector, specs) if inner is not None]
        for spec in specs:
            body = Body(spec.body)
            if body_size(body.tree) < MIN_BODY_SIZE:
                continue
            for kinds in itertools.product(*kinds_per_hole) if spec.free else [()]:
                key = (spec.body, kinds)
                if key in seen:
                    continue
                seen.add(key)
                try:
                    out_kind = body.out_kind(space, list(kinds))
                except Unsupported:
                    continue
                except Exception:
                    continue
                if out_kind == SEL and spec.instance:
                    # whole selectors at one step multiply every selector level; a counted
                    # instance's selector is not an instance (`counted_selector`) and stays
                    continue
                out.append(_production(spec, body, list(kinds), out_kind, space, cost, built))
    return out


def _production(spec: Specialised, body: Body, kinds: list[Any], out_kind: Any, probe: Space,
                cost: int, built: dict[Any, tuple[int, tuple]] | None) -> Abstraction:
    def build(*nodes: Any) -> Any:
        node = body.build(list(nodes), kinds, probe)
        if built is not None:
            built.setdefault(node, (cost, nodes))
        return node

    def values(space: Space, arrays: list) -> Any:
        return body.values(space, arrays, kinds).array
    return Abstraction(name=spec.name, args=tuple(KIND_NAMES[k] for k in kinds),
                       out=KIND_NAMES[out_kind], cost=cost, build=build, values=values)


# ------------------------------------------------------------------------ readable defs ----
_INFIX = {"add": "+", "sub": "-", "mul": "*", "div": "/", "mod": "%", "pow": "**",
          **COMPARISONS, "and": "and", "or": "or"}
_PARAMS = "abcdefghijklmnopqrstuvwxyz"


def _param(i: int) -> str:
    return _PARAMS[i] if i < len(_PARAMS) else f"x{i}"


def _expr(tree: Any) -> str:
    i = hole_index(tree)
    if i is not None:
        return _param(i)
    c = literal(tree)
    if c is not _NO_LITERAL:
        if isinstance(c, tuple | list):
            return "[" + ", ".join(json.dumps(v) if isinstance(v, str) else repr(v)
                                   for v in c) + "]"
        return json.dumps(c) if isinstance(c, str) else repr(c)
    if not isinstance(tree, list):
        return str(tree)
    head, rest = tree[0], tree[1:]
    if hole_index(head) is not None:
        return f"{_expr(head)}({', '.join(_arg(t) for t in rest)})"
    head = str(head)
    if head in ("numerical", "categorical"):
        return f"{head}({_expr(rest[0])})"
    if head == "unannotated":
        return _expr(rest[0])
    if head == "full":
        return _expr(rest[0])
    if head == "select":
        pred = rest[2]
        p = _param(hole_index(pred)) if hole_index(pred) is not None else \
            COMPARISONS.get(str(pred), str(pred).upper() if str(pred) in ("true", "false")
                            else str(pred))
        return f"select({_arg(rest[0])}, {_arg(rest[1])}, {p})"
    if head in ("aggregate", "selector_width"):
        return f"{head}({', '.join(_arg(t) for t in rest)})"
    if head == "table":
        pairs = ", ".join(f"{_expr(rest[i])}: {_expr(rest[i + 1])}"
                          for i in range(1, len(rest) - 1, 2))
        return f"{{{pairs}}}[{_expr(rest[0])}]"
    if head == "ifelse" and len(rest) == 3:
        return f"({_expr(rest[0])} if {_expr(rest[1])} else {_expr(rest[2])})"
    if head == "in" and len(rest) == 2:
        return f"({_expr(rest[0])} in {_expr(rest[1])})"
    if head == "not":
        return f"(not {_expr(rest[0])})"
    if head == "neg":
        return f"(-{_expr(rest[0])})"
    if head in _INFIX and len(rest) == 2:
        return f"({_expr(rest[0])} {_INFIX[head]} {_expr(rest[1])})"
    return f"{head}({', '.join(_arg(t) for t in rest)})"


def _arg(tree: Any) -> str:
    """A call argument: no parentheses around a whole infix expression."""
    return _strip(_expr(tree))


def _strip(text: str) -> str:
    return text[1:-1] if text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]) \
        else text


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if depth < 0:
            return False
    return depth == 0


def to_def(ab: LearnedAbstraction) -> str:
    """The abstraction as a RASP function: `def fn_1(a, b, c) { return ...; }`."""
    params = ", ".join(_param(i) for i in range(ab.arity))
    return f"def {ab.name}({params}) {{ return {_strip(_expr(parse_sexpr(ab.body)))}; }}"
