"""Rewriting a corpus with a learned library (Stitch's rewriter), and reading it back.

`rewrite_corpus` expresses each program with the library's abstractions where that is shorter;
`expand` inlines them again, so a rewritten program reads back as the original RASP program.
"""
from __future__ import annotations

from typing import Sequence

import stitch_core

from rasplab.errors import CompileError
from rasplab.lang.ast import Node
from rasplab.lang.sexpr import from_sexpr
from rasplab.synth.library.compress import LearnedAbstraction


def _stitch(library: Sequence[LearnedAbstraction]) -> list[stitch_core.Abstraction]:
    # Stitch's bodies may call earlier abstractions by name, as it printed them
    return [stitch_core.Abstraction(a.name, a.stitch_body or a.body, a.arity) for a in library]


def rewrite_corpus(programs: Sequence[str], library: Sequence[LearnedAbstraction]) -> list[str]:
    """Each program rewritten with the library (unchanged where no abstraction shortens it)."""
    if not library or not programs:
        return list(programs)
    try:
        return list(stitch_core.rewrite(list(programs), _stitch(library)).rewritten)
    except BaseException as exc:  # a Rust panic surfaces as BaseException
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise CompileError(f"Stitch rewriting failed: {exc}") from None


def expand(text: str, library: Sequence[LearnedAbstraction]) -> Node:
    """The program a rewritten s-expression denotes (abstractions inlined)."""
    return from_sexpr(text, {a.name: a.stitch_body or a.body for a in library})
