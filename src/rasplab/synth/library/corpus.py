"""Programs as Stitch's s-expressions, and the hand-written corpus (the standard library).

Stitch sees structure only, so programs are printed without encoding annotations
(`to_sexpr(..., annotations=False)`): the same idiom reads the same whether it came from `.rasp`
source or from the synthesiser's annotated nodes.
"""
from __future__ import annotations

from rasplab.lang.ast import Node
from rasplab.lang.library import get_program, library_names
from rasplab.lang.sexpr import to_sexpr


def program_to_sexpr(program: Node) -> str:
    """A program in Stitch's format (encoding-blind; raises CompileError for opaque functions)."""
    return to_sexpr(program, annotations=False)


def hand_written_corpus(names: list[str] | None = None) -> dict[str, str]:
    """The standard library's programs (the paper's and Tracr's examples) as s-expressions."""
    return {name: program_to_sexpr(get_program(name)) for name in (names or library_names())}
