"""Learned library abstractions (Stitch bodies over #0, #1, ...) as single-step NEAR productions.

An argument in an s-op position becomes an s-op hole, one in a selector position a selector
hole, and one in a predicate position is specialised to each comparison (one production each).
Abstractions with literal arguments (constants, table entries) are skipped: NEAR has no hole
type for a constant.
"""
from __future__ import annotations

import itertools
import re
from typing import Any, Iterable

from rasplab.errors import RaspLabError
from rasplab.lang.ast import Full, Node, Select, Selector
from rasplab.synth.near.grammar import Production, substitute
from rasplab.synth.near.holes import SelectorHole, SOpHole

PREDICATE_NAMES = ("eq", "lt", "gt", "le", "ge", "ne")
_LITERAL_HEADS = {"fn", "table", "entries", "tuple", "list", "full", "aggregate:3"}



class _Unsupported(Exception):
    pass


def _hole_kinds(tree: Any, kinds: dict[int, str], parent: str | None = None,
                index: int = 0) -> None:
    """Where each #i appears: "sop", "sel" or "pred" (raises _Unsupported for literals)."""
    if isinstance(tree, str) and tree.startswith("#"):
        if parent == "select":
            kind = "pred" if index == 3 else "sop"
        elif parent in ("selector_width", "and", "or", "not") or (parent == "aggregate"
                                                                 and index == 1):
            kind = "sel"
        elif parent in _LITERAL_HEADS or f"{parent}:{index}" in _LITERAL_HEADS:
            raise _Unsupported(tree)
        else:
            kind = "sop"
        i = int(tree[1:])
        if kinds.setdefault(i, kind) != kind:
            raise _Unsupported(tree)
        return
    if isinstance(tree, list) and tree:
        head = tree[0] if isinstance(tree[0], str) else None
        for j, sub in enumerate(tree[1:], start=1):
            _hole_kinds(sub, kinds, head, j)


def _sentinel(i: int, kind: str) -> str:
    if kind == "sel":
        return f'(select (full "__sel{i}") (full "__sel{i}") true)'
    return f'(full "__sop{i}")'


def _template(body: str, kinds: dict[int, str], preds: dict[int, str]) -> Node:
    from rasplab.lang.sexpr import from_sexpr

    def sub(match: Any) -> str:
        i = int(match.group(1))
        return preds[i] if kinds[i] == "pred" else _sentinel(i, kinds[i])

    return from_sexpr(re.sub(r"#(\d+)", sub, body))


def _instantiate(template: Node) -> Node:
    """A copy of the template with fresh holes (each #i one hole, shared where it repeats)."""
    fresh: dict[str, Node] = {}

    def fill(node: Node) -> Node | None:
        if isinstance(node, Full) and str(node.value).startswith("__sop"):
            return fresh.setdefault(node.value, SOpHole())
        if isinstance(node, Select) and isinstance(node.keys, Full) and \
                str(node.keys.value).startswith("__sel"):
            return fresh.setdefault(node.keys.value, SelectorHole())
        return None

    return substitute(template, fill)


def library_productions(abstractions: Iterable[Any], max_variants: int = 6) -> list[Production]:
    """Productions for learned abstractions (objects with `name`, `body`), skipping literals."""
    out: list[Production] = []
    for ab in abstractions:
        from rasplab.lang.sexpr import parse_sexpr

        kinds: dict[int, str] = {}
        try:
            _hole_kinds(parse_sexpr(ab.body), kinds)
        except (_Unsupported, RaspLabError):
            continue
        pred_holes = [i for i, k in kinds.items() if k == "pred"]
        choices = itertools.product(PREDICATE_NAMES, repeat=len(pred_holes))
        for combo in itertools.islice(choices, max_variants):
            preds = dict(zip(pred_holes, combo))
            try:
                template = _template(ab.body, kinds, preds)
            except RaspLabError:
                break
            suffix = "".join(f"[{p}]" for p in combo)
            out.append(Production(f"{ab.name}{suffix}", "sel" if isinstance(template, Selector)
                                  else "sop", lambda h, t=template: _instantiate(t)))
    return out


def load_abstractions(library: Any) -> list[Any]:
    """Abstractions from a Library, a library file path, or a list of abstractions."""
    if isinstance(library, str) or hasattr(library, "__fspath__"):
        from rasplab.synth.library import load_library
        library = load_library(library)
    return list(getattr(library, "abstractions", library))
