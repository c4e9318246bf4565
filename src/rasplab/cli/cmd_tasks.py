"""`rasplab tasks`: the named tasks with their vocabulary, lengths and description."""
from __future__ import annotations

import argparse

from rasplab.cli.common import print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tasks", help="list the named tasks",
                       description="List the named tasks (vocabulary, maximum length, meaning).")
    p.add_argument("--suite", default="all", help="paper, tracr, extra or all (default)")
    p.add_argument("--json", action="store_true", help="one JSON document on stdout")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from rasplab.tasks import list_tasks

    tasks = list_tasks(args.suite)
    if args.json:
        print_json([t.describe() for t in tasks])
        return 0
    width = max(len(t.name) for t in tasks)
    vocab_width = max(len(" ".join(map(str, t.vocab))) for t in tasks)
    print(f"{'task':<{width}}  {'vocab':<{vocab_width}}  len   description")
    for t in tasks:
        vocab = " ".join(map(str, t.vocab))
        print(f"{t.name:<{width}}  {vocab:<{vocab_width}}  {t.min_len}-{t.max_len:<3} "
              f"{t.description}")
    return 0
