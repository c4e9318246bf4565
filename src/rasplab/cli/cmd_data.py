"""`rasplab data TASK --n N`: an examples file (JSONL) sampled from a task and labelled by it."""
from __future__ import annotations

import argparse
import sys

from rasplab.cli.common import print_json
from rasplab.errors import ExamplesError


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


def run(args: argparse.Namespace) -> int:
    from rasplab.tasks import get_task, make_dataset, write_examples
    from rasplab.tasks.examples import dumps_example

    task = get_task(args.task)
    if args.n < 1:
        raise ExamplesError(f"--n must be at least 1, got {args.n}")
    data = make_dataset(task, args.n, seed=args.seed, max_len=args.max_len,
                        min_len=args.min_len)
    if args.out is None:
        sys.stdout.writelines(dumps_example(e.input, e.output) + "\n" for e in data)
        return 0
    write_examples(args.out, [e.input for e in data], [e.output for e in data])
    lengths = [len(e.input) for e in data]
    if args.json:
        print_json({"task": task.name, "n": len(data), "file": args.out, "seed": args.seed,
                    "min_len": min(lengths), "max_len": max(lengths)})
    else:
        print(f"wrote {len(data)} examples of {task.name} (lengths {min(lengths)}-"
              f"{max(lengths)}, seed {args.seed}) to {args.out}")
    return 0
