"""Benchmark: what borrowing adds, and whether the model's choice of lenders matters.

After one plain iteration of the library loop (its library and solutions, as `rasplab library
--suite all --budget B --iterations 1` makes them), and a recognition model dreamed, trained
and refined on those solutions as `--recognition` does, each hard task (default: the bracket
chain nesting -> level_count -> dyck2, in that order, each solved one joining the pool of
lenders) is searched for B seconds under the model's costs and the library:

- `none`: borrowing nothing (the model's costs alone);
- `model`: the 3 lenders `related_solutions` picks (input tokens shared, then the model's code);
- `tokens`: 3 lenders among those ranked by shared input tokens alone, ties in a seeded random
  order (the model's code replaced by chance);
- `all`: every solved program that runs on the task's inputs;
- `all, plain costs`: the same under the engine's default costs (borrowing without a model).

Writes benchmarks/results/borrowing.{json,md}.

    nice -n 5 python benchmarks/bench_borrowing.py [--budget 30] [--tasks nesting,level_count,dyck2]
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rasplab.synth.bottomup.grammar import Grammar
from rasplab.synth.library import synthesize
from rasplab.synth.library.corpus import program_to_sexpr
from rasplab.synth.library.loop import learn, task_examples
from rasplab.synth.recognition import recognition_grammar
from rasplab.synth.recognition.phase import DreamTrainer
from rasplab.synth.recognition.related import (
    Solved,
    borrowed_steps,
    input_vocab,
    related_solutions,
    runs_on,
)
from rasplab.tasks import get_suite

RESULTS = Path(__file__).with_name("results")
CONFIGS = ("none", "model", "tokens", "all", "all, plain costs")


class ByTokensOnly:
    """Stands in for the model's code: a seeded random unit vector per task, so that only the
    shared input tokens rank the lenders."""

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)

    def embed(self, inputs: Any, outputs: Any) -> np.ndarray:
        v = self.rng.normal(size=8)
        return v / np.linalg.norm(v)


def lenders(config: str, model: Any, xs: list, ys: list, pool: dict[str, Solved],
            seed: int) -> list[str]:
    """The solved tasks a configuration lends from."""
    if config == "none":
        return []
    if config.startswith("all"):
        return [n for n in sorted(pool) if runs_on(pool[n].sexpr, xs[:16])]
    if config == "model":
        return related_solutions(model, xs, ys, pool)
    chance = ByTokensOnly(seed)
    shuffled = {n: Solved(chance.embed(None, None), s.sexpr, s.vocab) for n, s in pool.items()}
    return related_solutions(chance, xs, ys, shuffled)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--suite", default="all")
    ap.add_argument("--budget", type=float, default=30.0)
    ap.add_argument("--tasks", default="nesting,level_count,dyck2")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(RESULTS / "borrowing"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    tasks = args.tasks.split(",")
    start = time.monotonic()
    print(f"iteration 1 of the loop (plain, {args.budget:g} s a task) ...", flush=True)
    reports, library = learn(get_suite(args.suite), budget=args.budget, iterations=1,
                             seed=args.seed, progress=False)
    solutions = {t: s for t, s in library.solutions.items() if t not in tasks}
    print(f"  {reports[0].solved}/{reports[0].total} solved in {reports[0].seconds:.0f} s; "
          "dreaming and training the model ...", flush=True)
    trainer = DreamTrainer(get_suite(args.suite), seed=args.seed, worker=False)
    model, _ = trainer.refine(solutions, seed=args.seed + 1)
    lenders_seen: dict[tuple[str, str], Solved] = {}

    def as_lender(name: str, sexpr: str) -> Solved:
        """A solved task as a lender (its examples' code and tokens computed once)."""
        if (name, sexpr) not in lenders_seen:
            xs, ys = task_examples(name, 100, args.seed)
            lenders_seen[name, sexpr] = Solved(model.embed(xs, ys), sexpr, input_vocab(xs))
        return lenders_seen[name, sexpr]

    rows: dict[str, dict[str, Any]] = {}
    for config in CONFIGS:
        known = dict(solutions)
        for task in tasks:
            xs, ys = task_examples(task, 100, args.seed)
            pool = {n: as_lender(n, s) for n, s in known.items()}
            names = lenders(config, model, xs, ys, pool, args.seed)
            grammar = (Grammar() if config.endswith("plain costs")
                       else recognition_grammar(model, xs, ys))
            leaves, selectors = borrowed_steps([known[n] for n in names],
                                               grammar.cost("select"))
            r = synthesize(xs, ys, budget=args.budget, library=library, grammar=grammar,
                           leaves=leaves, selector_priors=selectors or None, progress=False,
                           seed=args.seed)
            if r.solved:
                known[task] = program_to_sexpr(
                    r.searched if r.searched is not None else r.program)
            rows.setdefault(task, {})[config] = {
                "solved": r.solved, "seconds": round(r.seconds, 2), "candidates": r.candidates,
                "lenders": names}
            print(f"{task:12} {config:7} {'solved' if r.solved else 'unsolved':8} "
                  f"{r.seconds:6.2f} s {r.candidates:>9} candidates, lenders "
                  f"{', '.join(names[:6]) + (' ...' if len(names) > 6 else '') or '-'}",
                  flush=True)
    lines = [f"# Borrowing on the hard tasks ({args.budget:g} s each, the model's costs and the "
             "iteration-1 library)", "",
             f"Iteration 1 (plain): {reports[0].solved}/{reports[0].total} solved. Each task in "
             "turn; a solved one joins the lenders of the next.", "",
             "| task | " + " | ".join(CONFIGS) + " |", "|---" * (len(CONFIGS) + 1) + "|"]
    for task, by in rows.items():
        cells = [f"{'✓' if o['solved'] else '✗'} {o['seconds']:.1f} s, {o['candidates']:,}"
                 for o in (by[c] for c in CONFIGS)]
        lines.append(f"| {task} | " + " | ".join(cells) + " |")
    lines += ["", "Lenders:", ""]
    for task, by in rows.items():
        for c in ("model", "tokens"):
            lines.append(f"- {task}, {c}: {', '.join(by[c]['lenders']) or '-'}")
        lines.append(f"- {task}, all: {len(by['all']['lenders'])} programs")
    lines += ["", f"Total {time.monotonic() - start:.0f} s. Command: `nice -n 5 python "
              f"benchmarks/bench_borrowing.py --suite {args.suite} --budget {args.budget:g} "
              f"--tasks {args.tasks}`."]
    text = "\n".join(lines) + "\n"
    print("\n" + text)
    Path(args.out + ".json").write_text(json.dumps(rows, indent=1) + "\n")
    Path(args.out + ".md").write_text(text)


if __name__ == "__main__":
    main()
