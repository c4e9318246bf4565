"""`rasplab distill MODEL_OR_TASK`: distil a model file (or a task's trained model) into RASP."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rasplab.cli.common import print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("distill", help="distil a transformer into a RASP program",
                       description="Distil a model file, or a task name (a model is trained for "
                                   "it first, or reused from the cache), into a RASP program.")
    p.add_argument("model", metavar="MODEL_OR_TASK", help="a .safetensors model file or a task")
    p.add_argument("--n", type=int, default=200, help="inputs to query first (default 200)")
    p.add_argument("--timeout", type=float, default=60.0, help="search budget in seconds")
    p.add_argument("--held-out", type=int, default=1000, help="fresh inputs for verification")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--vocab", nargs="+", help="input vocabulary, if the model file lacks it")
    p.add_argument("--max-len", type=int, help="maximum input length, if the model file lacks it")
    p.add_argument("-o", "--out", metavar="DIR", help="report folder (default distill-<name>)")
    p.add_argument("--library", metavar="FILE",
                   help="a learned library (rasplab library -o FILE) for the search")
    p.add_argument("--retrain", action="store_true", help="train a fresh model for a task name")
    p.add_argument("--json", action="store_true", help="one JSON document on stdout")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from rasplab.distill import distill
    from rasplab.distill.cache import model_for

    target = args.model
    task = None
    if not (target.endswith(".safetensors") or Path(target).exists()):
        task = target
        target = model_for(task, retrain=args.retrain, quiet=args.json)
    name = task or Path(args.model).stem
    out_dir = args.out or f"distill-{name}"
    result = distill(target, task=task, vocab=args.vocab, max_len=args.max_len, n=args.n,
                     budget=args.timeout, held_out=args.held_out, seed=args.seed,
                     out_dir=out_dir, library=args.library)
    if args.json:
        print_json(result.summary())
    else:
        v = result.verification
        print(result.source.rstrip())
        print(f"# agreement with the model on {v.n} held-out inputs: {100 * v.agreement:.1f}%")
        if v.program_correct is not None:
            print(f"# ground truth: program {100 * v.program_correct:.1f}%, "
                  f"model {100 * (v.model_correct or 0):.1f}%")
        for m in result.head_matches:
            print(f"# {m['selector']}  <->  {m['head']} (similarity {m['score']:.2f})")
        print(f"# report: {result.report}  ({result.seconds:.1f} s)", file=sys.stderr)
    return 0 if result.agreement >= 0.99 else 1
