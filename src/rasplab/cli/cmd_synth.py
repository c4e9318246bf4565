"""`rasplab synth --examples FILE`: search for a RASP program that reproduces the examples.

Prints the program as `.rasp` source (or, with `--json`, `program`, `sexpr`, `solved`,
`accuracy`, `seconds`, `candidates`); `-o FILE.rasp` also writes the source. Exit status 1 when
no program agrees with every example (the most accurate one found is still printed).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rasplab.cli.common import (
    check_writable,
    positive_float,
    positive_int,
    print_json,
    try_writing,
)
from rasplab.errors import UsageError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("synth", help="synthesise a RASP program from examples",
                       description="Search for a RASP program reproducing an examples file "
                                   "(JSONL, one {\"input\": [...], \"output\": [...]} a line).")
    p.add_argument("--examples", required=True, metavar="FILE", help="the JSONL examples file")
    p.add_argument("--method", default="bottomup", help="bottomup (default), near or library")
    p.add_argument("--timeout", type=float, default=60.0, metavar="S",
                   help="search budget in seconds (default 60)")
    p.add_argument("--weights", metavar="FILE.json",
                   help="production costs overriding the defaults (bottomup); 'uniform' "
                        "prices every production at 1")
    p.add_argument("--library", metavar="FILE",
                   help="a learned library (rasplab library -o FILE), or a built-in one by "
                        "name: curriculum (reaches dyck2); implies --method library")
    p.add_argument("--recognition", metavar="FILE",
                   help="a trained recognition model (rasplab library --recognition): its "
                        "predicted production costs for these examples order the search "
                        "(bottomup, library)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--plot", metavar="FILE.png",
                   help="near: plot the validation loss of each evaluated program vs time")
    p.add_argument("--shards", type=int, metavar="N",
                   help="split the search into N independent shards run in parallel (bottomup, "
                        "library); the first solution wins and the others are cancelled")
    p.add_argument("--ray", metavar="WHERE",
                   help="run the shards on Ray: local, auto or HOST:PORT (pip install "
                        "'rasplab[ray]')")
    p.add_argument("-o", "--output", metavar="FILE.rasp", help="also write the program here")
    p.add_argument("--json", action="store_true", help="one JSON document on stdout")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from rasplab.synth import Examples, synthesize
    from rasplab.tasks import load_examples

    positive_float(args.timeout, "--timeout")
    positive_int(getattr(args, "shards", None), "--shards")
    check_writable(args.output, "-o")
    check_writable(getattr(args, "plot", None), "--plot")
    examples = load_examples(args.examples)
    grammar: Any = args.weights or None
    library = None
    if getattr(args, "plot", None):
        if args.method != "near":
            raise UsageError("--plot draws NEAR's search; use it with --method near")
    method = args.method
    if grammar is not None and method == "near":  # NEAR's grammars are not production costs
        raise UsageError("--weights sets bottom-up production costs; use --method bottomup or "
                         "library")
    if getattr(args, "recognition", None):
        from rasplab.synth.bottomup.grammar import Grammar
        from rasplab.synth.recognition import load_recognition, recognition_grammar

        if method not in ("bottomup", "library"):
            raise UsageError(f"--recognition sets bottom-up production costs; use --method "
                             f"bottomup or library (got {method})")
        examples = Examples.of(examples)  # checked once: synthesize takes them as they are
        # costs are set relative to --weights when given, else to the model's own grammar
        base = Grammar.load(grammar) if grammar is not None else None
        grammar = recognition_grammar(load_recognition(args.recognition), examples.inputs,
                                      examples.outputs, base)
    if args.library:
        from rasplab.synth.library import load_library

        if method not in ("bottomup", "library"):
            raise UsageError(f"--library needs --method library (got {method})")
        library = load_library(args.library)
        method = "library"
    shards = getattr(args, "shards", None)
    if shards is not None or getattr(args, "ray", None):
        from rasplab.synth.shards import sharded_synthesize

        if method == "near":
            raise UsageError("--shards splits a bottom-up search; use --method bottomup or "
                             "library")
        result = sharded_synthesize(examples, shards=shards or 2, method=method,
                                    budget=args.timeout, ray=args.ray, seed=args.seed,
                                    grammar=grammar, library=library)
    else:
        result = synthesize(examples, method=method, budget=args.timeout, seed=args.seed,
                            grammar=grammar, library=library)
    failed = None
    if args.output and result.source:
        failed = try_writing("-o", args.output, lambda: Path(args.output).write_text(result.source))
    if getattr(args, "plot", None) and failed is None and getattr(result, "trace", None):
        failed = try_writing("--plot", args.plot, lambda: _plot_near(result, args.plot))
    if args.json:
        doc = result.to_json()
        out = {k: doc[k] for k in ("program", "sexpr", "solved", "accuracy", "seconds",
                                    "candidates", "method", "cost", "interrupted")}
        if result.stats.get("candidates_to_solution") is not None:
            # candidates up to the returned program (the rest ruled out cheaper ones)
            out["candidates_to_solution"] = result.stats["candidates_to_solution"]
        print_json(out)
    else:
        if result.source:
            sys.stdout.write(result.source if result.source.endswith("\n")
                             else result.source + "\n")
        state = "solved" if result.solved else \
            "interrupted, not solved" if result.interrupted else "not solved"
        print(f"# {state}: accuracy {result.accuracy:.3f} on {len(examples)} examples, "
              f"{result.seconds:.2f} s, {result.candidates} candidates", file=sys.stderr)
    if failed is not None:  # the program is printed above: a failed write loses nothing
        raise failed
    if result.interrupted and not result.solved:
        return 130
    return 0 if result.solved else 1


def _plot_near(result: Any, path: str) -> None:
    """NEAR's validation loss over search time, drawn once the program is in hand."""
    from rasplab.viz.near_plot import plot_near_trace

    stats = result.stats
    plot_near_trace(result.trace, path,
                    f"NEAR ({stats.get('grammar', '?')} grammar, {stats.get('search', '?')})")
