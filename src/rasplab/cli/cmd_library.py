"""`rasplab library`: learn a library of abstractions with Stitch, DreamCoder style.

`--suite paper|tracr|all --budget S --iterations K` runs the loop (synthesise every task with the
current library, compress all solutions, repeat), printing per iteration the tasks solved, the
time and the abstractions learned as RASP functions, and saves the library (`-o`, default
`library.json`) for `rasplab synth --library FILE`. `--corpus` compresses the hand-written
standard library instead and shows the abstractions and the compression ratio.
"""
from __future__ import annotations

import argparse
import sys

from rasplab.cli.common import (
    check_writable,
    non_negative_int,
    positive_float,
    positive_int,
    print_json,
    try_writing,
)
from rasplab.parallel.options import add_executor_args, executor_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("library", help="learn reusable abstractions (Stitch) over a task suite",
                       description="DreamCoder-style library learning: synthesise the suite, "
                                   "compress the solutions with Stitch, repeat.")
    p.add_argument("--suite", default="paper", help="task suite: paper, tracr or all")
    p.add_argument("--budget", type=float, default=30.0, metavar="S",
                   help="search seconds per task and iteration (default 30)")
    p.add_argument("--iterations", type=int, default=3, metavar="K",
                   help="wake/compress iterations (default 3)")
    p.add_argument("--examples", type=int, default=100, metavar="N",
                   help="examples sampled per task (default 100)")
    p.add_argument("--seed", type=int, default=0)
    add_executor_args(p, what="tasks searched")
    p.add_argument("--journal", metavar="FILE.jsonl",
                   help="write each task's result here as it finishes; a rerun with the same "
                        "settings resumes from it")
    p.add_argument("--max-arity", type=int, default=3)
    p.add_argument("--compress-iterations", type=int, default=8, metavar="N",
                   help="at most N abstractions per compression (default 8)")
    p.add_argument("--recognition", nargs="?", const="recognition.safetensors", metavar="FILE",
                   help="add the dreaming step: a recognition model trained on dreams (in a "
                        "worker, during the first wake phase) and refined on the solutions; "
                        "from iteration 2 it replays the solved tasks and searches the unsolved "
                        "ones the plain costs do not solve in a tenth of the budget, borrowing "
                        "the programs of the solved tasks it reads as related; saved to "
                        "FILE (default "
                        "recognition.safetensors) for rasplab synth --recognition")
    p.add_argument("--borrow", action="store_true",
                   help="without a model: from iteration 2, a task the plain costs do not "
                        "solve in a tenth of the budget borrows the programs of solved tasks "
                        "on the same input tokens as single search steps (--recognition "
                        "always borrows, choosing by the model's reading too)")
    p.add_argument("--dreams", type=int, default=1500, metavar="N",
                   help="dreams per dreaming step (default 1500)")
    p.add_argument("--corpus", action="store_true",
                   help="compress the hand-written standard library instead of running the loop")
    p.add_argument("-o", "--output", default="library.json", metavar="FILE",
                   help="where to save the library (default library.json)")
    p.add_argument("--json", action="store_true", help="one JSON document on stdout")
    p.set_defaults(handler=run)


def _check(args: argparse.Namespace) -> None:
    """Every argument in range and every output writable, before any work."""
    non_negative_int(args.max_arity, "--max-arity")
    non_negative_int(args.compress_iterations, "--compress-iterations")
    check_writable(args.output, "-o")
    if args.corpus:
        return
    positive_float(args.budget, "--budget")
    positive_int(args.iterations, "--iterations")
    positive_int(args.examples, "--examples", most=1_000_000)
    positive_int(getattr(args, "dreams", None), "--dreams")
    check_writable(getattr(args, "recognition", None), "--recognition")
    check_writable(args.journal, "--journal")


def run(args: argparse.Namespace) -> int:
    _check(args)
    if args.corpus:
        return _corpus(args)
    from rasplab.synth.library.loop import IterationReport, learn
    from rasplab.tasks import get_suite

    tasks = get_suite(args.suite)

    def show(r: IterationReport) -> None:
        if args.json:
            return
        new = f" (new: {', '.join(r.newly_solved)})" if r.newly_solved else ""
        if r.interrupted:
            new += f" [interrupted after {len(r.tasks)} tasks]"
        print(f"iteration {r.iteration}: solved {r.solved}/{r.total} in {r.seconds:.1f} s"
              f"{new}; {r.library_size} abstractions, compression {r.compression_ratio:.2f}x")
        for d in r.abstractions:
            print(f"  {d}")
        if r.recognition:
            rec = r.recognition
            guided = f"; guided {len(rec['guided'])} tasks" if rec.get("guided") else ""
            waited = f" (waited {rec['waited']:.1f} s for the model)" if rec.get("waited") else ""
            print(f"  dreaming: {rec['dreams']} dreams ({rec['worker_epochs']} epochs in a "
                  f"worker) + {rec['solved']} solutions, loss {rec['loss'] or 0:.3f}, "
                  f"{rec['seconds']:.1f} s{guided}{waited}")
        rejected = [t + ("" if d["solved"] else " (unsolved)")
                    for t, d in r.tasks.items() if d.get("rejected")]
        if rejected:
            print("  wrong on fresh inputs, searched again: " + ", ".join(rejected))
        if r.borrowed:
            print("  borrowed: " + ", ".join(f"{t} from {'/'.join(n)}"
                                             for t, n in r.borrowed.items()))
        sys.stdout.flush()
    with executor_from_args(args) as executor:
        reports, _ = learn(tasks, budget=args.budget, iterations=args.iterations,
                           out=args.output, n_examples=args.examples, seed=args.seed,
                           compress_iterations=args.compress_iterations,
                           max_arity=args.max_arity, on_iteration=show, executor=executor,
                           journal=args.journal,
                           recognition=getattr(args, "recognition", None) or False,
                           n_dreams=getattr(args, "dreams", 1500),
                           borrow=getattr(args, "borrow", False))
    if args.json:
        print_json([r.to_json() for r in reports])
    else:
        print(f"# library saved to {args.output}", file=sys.stderr)
        if getattr(args, "recognition", None):
            print(f"# recognition model saved to {args.recognition}", file=sys.stderr)
    return 0


def _corpus(args: argparse.Namespace) -> int:
    from rasplab.synth.library import Library, compress, hand_written_corpus, save_library, to_def

    corpus = hand_written_corpus()
    result = compress(list(corpus.values()), iterations=args.compress_iterations,
                      max_arity=args.max_arity)
    if args.json:
        print_json({"programs": len(corpus), "compression_ratio": result.ratio,
                    "original_cost": result.original_cost, "final_cost": result.final_cost,
                    "abstractions": [{**a.to_json(), "def": to_def(a)}
                                     for a in result.abstractions]})
    else:
        print(f"{len(corpus)} programs, compression ratio {result.ratio:.2f}x "
              f"(cost {result.original_cost:.0f} -> {result.final_cost:.0f})")
        for a in result.abstractions:
            print(f"  {to_def(a)}    # {len(a.uses)} uses")
    failed = try_writing("-o", args.output,
                         lambda: save_library(Library(result.abstractions, corpus), args.output))
    if failed is not None:  # the abstractions are printed above: a failed write loses nothing
        raise failed
    return 0
