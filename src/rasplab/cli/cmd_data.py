"""`rasplab data TASK --n N`: an examples file (JSONL) sampled from a task and labelled by it."""
from __future__ import annotations

import argparse
import sys
from typing import Any

from rasplab.cli.common import check_writable, positive_int, print_json, try_writing

#: more examples than this is a typo, not a data set (10 million short inputs is ~1 GB of JSONL)
MAX_EXAMPLES = 10_000_000
#: labelling is quadratic in the length (selectors are n x n): longer is a typo
MAX_LENGTH = 10_000


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("data", help="write an examples file for a task",
                       description="Sample inputs from a task's distribution, label them with "
                                   "its reference and write them as JSONL.")
    p.add_argument("task", metavar="TASK")
    p.add_argument("--n", type=int, required=True, help="number of examples")
    p.add_argument("--max-len", type=int, help="longest input (default: the task's)")
    p.add_argument("--min-len", type=int, help="shortest input (default: the task's)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("-o", "--out", metavar="FILE", help="output file (default: stdout)")
    p.add_argument("--json", action="store_true", help="a JSON summary on stdout")
    p.set_defaults(handler=run)


class _NoBar:
    """What a progress bar offers, showing nothing (a short labelling needs none)."""

    def __enter__(self) -> "_NoBar":
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int) -> None:
        pass


def _progress(total: int, desc: str) -> Any:
    """A progress bar on stderr for long labellings; tqdm is imported only then."""
    if total < 20_000:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="ex", file=sys.stderr, disable=None, leave=False)


def run(args: argparse.Namespace) -> int:
    from rasplab.tasks.examples import paused_gc

    with paused_gc():  # as for `rasplab run`: millions of tokens in lists, no cycles
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    import numpy as np

    from rasplab.tasks import format_examples, get_task, write_examples

    positive_int(args.n, "--n", most=MAX_EXAMPLES)
    positive_int(args.min_len, "--min-len", most=MAX_LENGTH)
    positive_int(args.max_len, "--max-len", most=MAX_LENGTH)
    check_writable(args.out, "-o")
    task = get_task(args.task)
    inputs = task.sample(args.n, np.random.default_rng(args.seed), min_len=args.min_len,
                         max_len=args.max_len)
    outputs: list[list] = []
    status = 0
    step = 2000
    try:  # labelled in steps, so that Ctrl-C still writes the examples labelled so far
        with _progress(len(inputs), f"labelling {task.name}") as bar:
            for start in range(0, len(inputs), step):
                outputs.extend(task.outputs(inputs[start:start + step]))
                bar.update(min(step, len(inputs) - start))
    except KeyboardInterrupt:
        print(f"rasplab data: interrupted; writing the {len(outputs)} examples labelled so far",
              file=sys.stderr)
        status = 130
    inputs = inputs[: len(outputs)]
    if args.out is None:
        sys.stdout.write(format_examples(inputs, outputs))
        return status
    failed = try_writing("-o", args.out, lambda: write_examples(args.out, inputs, outputs))
    if failed is not None:
        raise failed
    lengths = [len(x) for x in inputs] or [0]
    if args.json:
        print_json({"task": task.name, "n": len(inputs), "file": args.out, "seed": args.seed,
                    "min_len": min(lengths), "max_len": max(lengths)})
    else:
        print(f"wrote {len(inputs)} examples of {task.name} (lengths {min(lengths)}-"
              f"{max(lengths)}, seed {args.seed}) to {args.out}")
    return status
