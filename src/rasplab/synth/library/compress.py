"""Compression with Stitch (`stitch_core`): a corpus of s-expressions in, abstractions out.

`compress` wraps `stitch_core.compress` and returns plain `LearnedAbstraction`s whose bodies
have earlier abstractions inlined (so each stands alone) and whose uses list the argument terms
Stitch saw, plus the rewritten corpus and the compression ratio.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import stitch_core

from rasplab.errors import CompileError
from rasplab.lang.sexpr import _show, inline_abstractions, parse_sexpr


@dataclass
class LearnedAbstraction:
    """One abstraction: `body` over holes #0..#arity-1 (primitives only) and how it was used."""

    name: str
    body: str
    arity: int
    #: per use, the argument terms (s-expressions, primitives only)
    uses: list[list[str]] = field(default_factory=list)
    utility: float = 0.0
    #: the body as Stitch printed it (may call earlier abstractions)
    stitch_body: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "body": self.body, "arity": self.arity, "uses": self.uses,
                "utility": self.utility, "stitch_body": self.stitch_body}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> "LearnedAbstraction":
        return cls(name=str(doc["name"]), body=str(doc["body"]), arity=int(doc["arity"]),
                   uses=[[str(a) for a in u] for u in doc.get("uses", [])],
                   utility=float(doc.get("utility", 0.0)),
                   stitch_body=str(doc.get("stitch_body", doc["body"])))


@dataclass
class Compression:
    """What compressing a corpus gave: abstractions, the rewritten corpus, and the ratio."""

    abstractions: list[LearnedAbstraction]
    rewritten: list[str]
    original_cost: float
    final_cost: float

    @property
    def ratio(self) -> float:
        """Original cost over compressed cost (Stitch's compression ratio; 1.0 = no gain)."""
        return self.original_cost / self.final_cost if self.final_cost else 1.0


def compress(programs: list[str], iterations: int = 6, max_arity: int = 3,
             **stitch_options: Any) -> Compression:
    """Run Stitch on `programs` (s-expressions); at most `iterations` abstractions.

    Stitch 0.1's mismatch check panics on abstractions like (select #0 #0), so it is off;
    curried bodies and metavariables are off so that every body is a complete term.
    """
    if not programs:
        return Compression([], [], 0.0, 0.0)
    stitch_options.setdefault("no_mismatch_check", True)
    stitch_options.setdefault("no_curried_bodies", True)
    stitch_options.setdefault("no_curried_metavars", True)
    try:
        result = stitch_core.compress(list(programs), iterations=iterations,
                                      max_arity=max_arity, **stitch_options)
    except (stitch_core.StitchException, BaseException) as exc:  # a Rust panic is BaseException
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise CompileError(f"Stitch compression failed: {exc}") from None
    found: list[LearnedAbstraction] = []
    earlier: dict[str, str] = {}
    for doc in result.json["abstractions"]:
        name, body = str(doc["name"]), str(doc["body"])
        inlined = inline_abstractions(body, earlier) if earlier else body
        uses = []
        for use in doc.get("uses", []):
            for call in use:
                tree = parse_sexpr("(" + call + ")")
                args = [_show(t) for t in tree[1:]]
                uses.append([inline_abstractions(a, earlier) if earlier else a for a in args])
        earlier[name] = body
        found.append(LearnedAbstraction(name, inlined, int(doc["arity"]), uses,
                                        float(doc.get("utility", 0.0)), body))
    return Compression(found, list(result.rewritten), float(result.json["original_cost"]),
                       float(result.json["final_cost"]))
