"""Benchmark: library learning (Stitch + the DreamCoder-style loop) against the plain engine.

Part 1, the seed experiment: compress the hand-written corpus (standard library and the paper's
programs) and print the abstractions found and the compression ratio.
Part 2: `learn` over a suite at a fixed per-task budget. Iteration 1 runs with an empty library,
so it *is* the plain engine on the same examples and budget; later iterations use the library
learned from every solution so far. Prints per iteration solved/total and total search seconds,
and a per-task table; writes everything to benchmarks/results/library.json.

    nice -n 10 python benchmarks/bench_library.py [--suite all] [--budget 20] [--iterations 3]
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from rasplab.synth.library import compress, hand_written_corpus, to_def
from rasplab.synth.library.loop import learn
from rasplab.tasks import get_suite

RESULTS = Path(__file__).with_name("results")


def seed_experiment() -> dict:
    corpus = hand_written_corpus()
    start = time.monotonic()
    result = compress(list(corpus.values()), iterations=8, max_arity=3)
    seconds = time.monotonic() - start
    print(f"## Hand-written corpus: {len(corpus)} programs, compression ratio "
          f"{result.ratio:.2f}x ({seconds:.1f} s)")
    for a in result.abstractions:
        print(f"    {to_def(a)}")
    return {"programs": len(corpus), "compression_ratio": result.ratio, "seconds": seconds,
            "abstractions": [to_def(a) for a in result.abstractions]}


def check_fresh(solutions: dict[str, str], n: int = 500) -> dict[str, float]:
    """Each solution's accuracy on fresh inputs from its task's sampler (generalisation)."""
    from rasplab.lang.sexpr import from_sexpr
    from rasplab.synth.bottomup.search import per_example
    from rasplab.tasks import get_task

    out = {}
    for name, text in solutions.items():
        task = get_task(name)
        xs = task.sample(n, 4242)
        out[name] = float(per_example(from_sexpr(text), xs, task.outputs(xs)).mean())
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--suite", default="all")
    ap.add_argument("--budget", type=float, default=20.0)
    ap.add_argument("--iterations", type=int, default=3)
    ap.add_argument("--examples", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(RESULTS / "library.json"))
    args = ap.parse_args()
    corpus = seed_experiment()
    tasks = get_suite(args.suite)

    def show(r) -> None:
        print(f"iteration {r.iteration}: solved {r.solved}/{r.total}, search "
              f"{r.search_seconds:.1f} s (wall {r.seconds:.1f} s), new {r.newly_solved}, "
              f"{r.library_size} abstractions, compression {r.compression_ratio:.2f}x",
              flush=True)
    reports, library = learn(tasks, budget=args.budget, iterations=args.iterations,
                             n_examples=args.examples, seed=args.seed,
                             out=RESULTS / "library_learned.json", on_iteration=show)
    first, last = reports[0], reports[-1]
    print("\n| task | " + " | ".join(f"iter {r.iteration}" for r in reports) + " |")
    print("| --- |" + " --- |" * len(reports))
    for t in tasks:
        cells = []
        for r in reports:
            o = r.tasks.get(t, {})
            cells.append(f"{'✓' if o.get('solved') else '✗'} {o.get('seconds', 0):.1f} s, "
                         f"{o.get('candidates', 0)}")
        print(f"| {t} | " + " | ".join(cells) + " |")
    speedup = first.search_seconds / last.search_seconds if last.search_seconds else float("inf")
    print(f"\nplain engine (iteration 1): {first.solved}/{first.total} solved, "
          f"{first.search_seconds:.1f} s; with the learned library (iteration {last.iteration}): "
          f"{last.solved}/{last.total} solved, {last.search_seconds:.1f} s "
          f"({speedup:.1f}x faster)")
    both = [t for t in tasks if first.tasks[t]["solved"] and last.tasks[t]["solved"]]
    t_first = sum(first.tasks[t]["seconds"] for t in both)
    t_last = sum(last.tasks[t]["seconds"] for t in both)
    c_first = sum(first.tasks[t]["candidates"] for t in both)
    c_last = sum(last.tasks[t]["candidates"] for t in both)
    print(f"on the {len(both)} tasks solved in both: {t_first:.1f} s -> {t_last:.1f} s "
          f"({t_first / max(t_last, 1e-9):.1f}x faster), {c_first} -> {c_last} candidates")
    fresh = check_fresh(library.solutions)
    print("solutions on 500 fresh inputs: " + ", ".join(
        f"{t} {acc:.3f}" for t, acc in sorted(fresh.items())))
    print("\nlearned library:")
    for d in library.defs():
        print(f"    {d}")
    RESULTS.mkdir(exist_ok=True)
    Path(args.out).write_text(json.dumps({"budget": args.budget, "suite": args.suite,
                                          "examples": args.examples, "corpus": corpus,
                                          "iterations": [r.to_json() for r in reports],
                                          "speedup": speedup,
                                          "speedup_on_tasks_solved_in_both":
                                              t_first / max(t_last, 1e-9),
                                          "candidates_on_tasks_solved_in_both":
                                              [c_first, c_last],
                                          "fresh_accuracy": fresh}, indent=1) + "\n")


if __name__ == "__main__":
    main()
