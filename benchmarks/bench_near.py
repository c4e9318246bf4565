"""NEAR benchmark: time to a program right on 1,000 fresh inputs, plain vs macro grammar.

    nice -n 19 python benchmarks/bench_near.py --tasks reverse hist sort \
        --plain-budget 600 --macro-budget 600 --jobs 3

Each (task, grammar) run searches from 100 sampled examples and stops as soon as a complete
program fits them and is right on 1,000 fresh inputs (or at its budget). Runs go in parallel
processes (`--jobs`); wall and process CPU time are both recorded since the machine is shared.
Writes a Markdown table (`--out`) and the seed report's figure (`--plot`).
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent


def run_one(job: tuple[str, str, float, int, str]) -> dict:
    """One search; returns a JSON-ready row (with the trace for the figure)."""
    task_name, grammar, budget, seed, library = job
    import torch

    torch.set_num_threads(1)
    from rasplab.lang import evaluate
    from rasplab.synth.near import synthesize_near
    from rasplab.tasks import get_task

    task = get_task(task_name)
    xs = task.sample(100, np.random.default_rng(seed))
    ys = task.outputs(xs)
    fresh = task.sample(1000, np.random.default_rng(seed + 1000))
    fresh_y = task.outputs(fresh)

    def fresh_accuracy(program) -> float:
        try:
            got = evaluate(program, fresh, strict=False)
        except Exception:
            return 0.0
        return sum(g == y for g, y in zip(got, fresh_y)) / len(fresh)

    cpu, wall = time.process_time(), time.monotonic()
    base, _, extra = grammar.partition("+")
    result = synthesize_near(list(zip(xs, ys)), budget, grammar=base, seed=seed,
                             verify=lambda p: fresh_accuracy(p) == 1.0, progress=False,
                             library=library if extra == "library" else None)
    row = {
        "task": task_name, "grammar": grammar, "budget": budget, "solved": result.solved,
        "wall": round(time.monotonic() - wall, 1), "cpu": round(time.process_time() - cpu, 1),
        "evaluated": result.candidates, "train_accuracy": result.accuracy,
        "fresh_accuracy": fresh_accuracy(result.program) if result.program is not None else 0.0,
        "program": result.sexpr, "best_partial": result.stats.get("best_partial"),
        "best_partial_loss": result.stats.get("best_partial_loss"),
        "trace": [(e.seconds, e.loss, e.complete) for e in result.trace],
    }
    print(json.dumps({k: v for k, v in row.items() if k != "trace"}), flush=True)
    return row


def table(rows: list[dict]) -> str:
    """The Markdown table of the results."""
    lines = ["| task | grammar | budget (s) | found | wall (s) | CPU (s) | programs scored | "
             "fresh acc. | program found (best complete) | best partial (loss) |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        partial = f"`{r['best_partial']}` ({r['best_partial_loss']:.3f})" \
            if r["best_partial"] else "-"
        lines.append(
            f"| {r['task']} | {r['grammar']} | {r['budget']:.0f} | "
            f"{'yes' if r['solved'] else 'no'} | {r['wall']} | {r['cpu']} | {r['evaluated']} | "
            f"{r['fresh_accuracy']:.3f} | `{r['program']}` | {partial} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", nargs="+", default=["reverse", "hist", "sort"])
    ap.add_argument("--grammars", nargs="+", default=["macro", "plain"],
                    help="plain, macro, or macro+library (adds --library's abstractions)")
    ap.add_argument("--library", default=str(ROOT / "results" / "library_learned.json"),
                    help="a learned library file (rasplab library -o FILE)")
    ap.add_argument("--extra", nargs="*", default=[], metavar="TASK:GRAMMAR",
                    help="further runs, e.g. sort:macro+library sort_unique:macro")
    ap.add_argument("--plain-budget", type=float, default=600)
    ap.add_argument("--macro-budget", type=float, default=600)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=3)
    ap.add_argument("--out", default=str(ROOT / "results" / "near.md"))
    ap.add_argument("--plot", default=str(ROOT / "results" / "near.png"))
    ap.add_argument("--save", default=None,
                    help="also write the rows (with traces) as JSON, for a later --merge")
    ap.add_argument("--merge", nargs="*", default=None, metavar="JSON",
                    help="run nothing: build the table and figure from --save files")
    ap.add_argument("--note", default="", help="text after the table (setting, command)")
    args = ap.parse_args()
    if args.merge is not None:
        rows = [r for f in args.merge for r in json.loads(Path(f).read_text())]
        write(rows, args, "runs in separate batches (see below)")
        return

    pairs = [(t, g) for g in args.grammars for t in args.tasks]
    pairs += [tuple(e.split(":", 1)) for e in args.extra]  # type: ignore[misc]
    # the macro runs first: they usually stop early, and the plain ones then take their cores
    pairs.sort(key=lambda p: p[1] == "plain")
    jobs = [(t, g, args.plain_budget if g == "plain" else args.macro_budget, args.seed,
             args.library) for t, g in pairs]
    with mp.get_context("spawn").Pool(args.jobs) as pool:
        rows = pool.map(run_one, jobs, chunksize=1)
    if args.save:
        Path(args.save).write_text(json.dumps(rows))
    write(rows, args, f"{args.jobs} runs in parallel")


def write(rows: list[dict], args: argparse.Namespace, parallel: str) -> None:
    """The Markdown table (`--out`) and the figure (`--plot`)."""
    from rasplab.viz.near_plot import plot_near_trace

    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    plot_near_trace({f"{r['task']} / {r['grammar']}": r["trace"] for r in rows}, args.plot,
                    "NEAR: validation loss of each scored program vs search time")
    header = (f"NEAR on this machine (2 shared cores, nice 19, torch 1 thread, {parallel}), "
              f"100 examples, verified on 1,000 fresh inputs, seed {args.seed}.\n\n")
    note = f"\n{args.note}\n" if args.note else ""
    Path(args.out).write_text(header + table(rows) + "\n" + note)
    print(table(rows))


if __name__ == "__main__":
    main()
