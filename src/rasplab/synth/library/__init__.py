"""Library learning: Stitch abstractions from solved programs, fed back into bottom-up search.

`synthesize(inputs, outputs, budget=..., library=FILE)` is the `"library"` synthesis method: the
bottom-up engine with the library's abstractions as single-step productions. `learn` runs the
DreamCoder-style loop (synthesise the suite, compress the solutions, add the abstractions).
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from rasplab.lang.ast import Node
from rasplab.synth.bottomup.grammar import Grammar
from rasplab.synth.bottomup.values import Space
from rasplab.synth.library.abstractions import productions, to_def
from rasplab.synth.library.compress import Compression, LearnedAbstraction, compress
from rasplab.synth.library.corpus import hand_written_corpus, program_to_sexpr
from rasplab.synth.library.io import Library, load_library, save_library
from rasplab.synth.result import SynthResult

#: examples used to decide the kinds of an abstraction's arguments on a task
PROBE_EXAMPLES = 16


@dataclass
class LibraryGrammar(Grammar):
    """A grammar whose program cost counts a learned abstraction as one step (plus its args).

    The engine prefers the cheapest program it has found; without this, a program found
    through an abstraction would be priced as its expansion into primitives.
    """

    #: node built by an abstraction -> (the abstraction's cost, its argument nodes)
    built: dict[Any, tuple[int, tuple]] = field(default_factory=dict)

    def _step(self, node: Node) -> tuple[int, tuple[Node, ...]]:
        hit = self.built.get(node)
        return hit if hit is not None else super()._step(node)


def grammar_with_library(library: Library | str | None, inputs: list[list[Any]],
                         outputs: list[list[Any]], weights: Any = None) -> Grammar:
    """The bottom-up grammar (`weights`) plus the library's abstractions for this task."""
    grammar = Grammar.load(weights)
    if library is None:
        return grammar
    lib = load_library(library)
    probe = Space(inputs[:PROBE_EXAMPLES], outputs[:PROBE_EXAMPLES])
    out = LibraryGrammar(**{f.name: getattr(grammar, f.name) for f in fields(Grammar)})
    out.abstractions = out.abstractions + tuple(
        productions(lib.abstractions, probe, built=out.built))
    return out


def synthesize(inputs: list[list[Any]], outputs: list[list[Any]], *, budget: float = 60.0,
               library: Library | str | None = None, grammar: Any = None,
               selector_priors: dict | None = None, seed: int = 0,
               progress: bool | None = None, shard: tuple[int, int] | None = None,
               causal: bool = False, leaves: Any = ()) -> SynthResult:
    """Bottom-up search with a learned library (a `Library` or a library file); the other
    keywords (`leaves`: ready-made s-ops offered as single steps) are the bottom-up search's."""
    from rasplab.synth.bottomup.search import search

    grammar = grammar_with_library(library, inputs, outputs, grammar)
    result = search(inputs, outputs, budget=budget, grammar=grammar,
                    selector_priors=selector_priors, seed=seed, progress=progress, shard=shard,
                    causal=causal, leaves=leaves)
    result.method = "library"
    result.stats["abstractions"] = len(grammar.abstractions)
    return result


__all__ = ["Compression", "LearnedAbstraction", "Library", "LibraryGrammar", "compress",
           "grammar_with_library",
           "hand_written_corpus", "load_library", "productions", "program_to_sexpr",
           "save_library", "synthesize", "to_def"]
