"""`synthesize_near`: the NEAR pipeline — prepare examples, search, print the program found."""
from __future__ import annotations

import sys
from typing import Any, Callable, Sequence

import torch

from rasplab.errors import ExamplesError
from rasplab.lang.ast import Node
from rasplab.lang.printer import to_rasp
from rasplab.lang.sexpr import to_sexpr
from rasplab.synth.example_set import Examples
from rasplab.synth.near.grammar import Grammar, get_grammar, show
from rasplab.synth.near.holes import SOpHole
from rasplab.synth.near.search import SearchConfig, SearchData, Searcher, SearchState
from rasplab.synth.result import SynthResult


def _source(program: Node | None) -> tuple[str, str]:
    """RASP source and s-expression; a program a printer cannot write shows in NEAR's own
    notation (`show`) rather than losing the result."""
    if program is None:
        return "", ""
    try:
        source = to_rasp(program)
    except Exception:  # this printer cannot write the program
        source = show(program)
    try:
        sexpr = to_sexpr(program)
    except Exception:
        sexpr = show(program)
    return source, sexpr


def synthesize_near(examples: Any, budget: float = 60.0, grammar: str | Grammar = "macro",
                    search: str = "astar", *, verify: Callable[[Node], bool] | None = None,
                    config: SearchConfig | None = None, progress: bool = True,
                    seed: int = 0, library: Any = None, plot: str | None = None) -> SynthResult:
    """Top-down NEAR synthesis of a RASP program from input/output examples within `budget` s.

    `grammar` is "plain" (the seed report's) or "macro" (plus select–aggregate blocks) or a
    Grammar; `search` is "astar" or "iddfs"; `verify` may reject programs that fit the examples
    (for example on fresh inputs), and the search goes on. `library` (a learned Library, its
    file, or abstractions) adds its abstractions as productions; `plot` writes the figure of
    validation loss against search time. Returns the best complete program.
    """
    if search not in ("astar", "iddfs"):
        raise ExamplesError(f"unknown NEAR search {search!r}; choose astar or iddfs")
    if not budget or budget <= 0:
        raise ExamplesError(f"the NEAR budget must be a positive number of seconds, got {budget}")
    data = Examples.of(examples)  # the one check of examples, as synthesize() makes
    inputs, outputs = data.inputs, data.outputs
    config = config or SearchConfig(seed=seed)
    torch.set_num_threads(1)
    data = SearchData.build(inputs, outputs, seed=config.seed)
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=int(budget), unit="s", desc="near", file=sys.stderr, leave=False)

    def on_progress(st: SearchState) -> None:
        if bar is not None:
            bar.n = min(int(budget), int(st.elapsed))
            best = st.best_complete
            bar.set_postfix(evaluated=len(st.trace),
                            best=f"{best.accuracy:.2f}" if best else "-", refresh=False)
            bar.refresh()

    chosen = get_grammar(grammar)
    if library is not None:
        from rasplab.synth.near.abstractions import library_productions, load_abstractions
        chosen = chosen.extended(library_productions(load_abstractions(library)),
                                 f"{chosen.name}+library")
    chosen.numeric_tokens = all(isinstance(t, int | float) and not isinstance(t, bool)
                                for x in inputs for t in x)
    searcher = Searcher(data, chosen, config, budget, verify, on_progress)
    numeric_out = all(isinstance(v, int | float) for y in outputs for v in y)
    root = SOpHole(kind="any" if numeric_out or chosen.numeric_tokens else "cat")
    state = getattr(searcher, search)(root)
    if bar is not None:
        bar.close()
    found = state.solution or state.best_complete
    program = found.program if found else None
    source, sexpr = _source(program)
    best_partial = state.best_partial
    stats = {"grammar": searcher.grammar.name, "search": search,
             "best_partial": best_partial.text if best_partial else None,
             "best_partial_loss": best_partial.loss if best_partial else None,
             "complete_programs": sum(e.complete for e in state.trace)}
    result = SynthResult(
        program=program, source=source, sexpr=sexpr, solved=state.solution is not None,
        accuracy=found.accuracy if found else 0.0, seconds=state.elapsed,
        candidates=len(state.trace), method="near", cost=found.cost if found else None,
        interrupted=state.interrupted, stats=stats)
    result.trace = list(state.trace)  # type: ignore[attr-defined]  # for the plot, not the JSON
    if plot:
        from rasplab.viz.near_plot import plot_near_trace
        plot_near_trace(result.trace, plot, f"NEAR ({chosen.name} grammar, {search})")  # type: ignore
    return result


def synthesize(inputs: Sequence[Sequence[Any]], outputs: Sequence[Sequence[Any]], *,
               budget: float = 60.0, grammar: str | Grammar = "macro", library: Any = None,
               seed: int = 0, progress: bool = True) -> SynthResult:
    """The `rasplab.synth.synthesize(..., method="near")` entry: (inputs, outputs) lists."""
    return synthesize_near(list(zip(inputs, outputs)), budget, grammar, seed=seed,
                           library=library, progress=progress)
