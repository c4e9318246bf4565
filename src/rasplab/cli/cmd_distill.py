"""`rasplab distill MODEL_OR_TASK...`: distil a model file (or a task's trained model) into RASP.

Several targets, or a folder of `.safetensors` models, are distilled at once on the executor
(`--workers N`, `--ray WHERE`), one report folder each, with a line per target as it finishes.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rasplab.cli.common import print_json
from rasplab.parallel.options import add_executor_args, executor_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("distill", help="distil a transformer into a RASP program",
                       description="Distil a model file, or a task name (a model is trained for "
                                   "it first, or reused from the cache), into a RASP program.")
    p.add_argument("model", metavar="MODEL_OR_TASK", nargs="+",
                   help="a .safetensors model file or a task; several, or a folder of model "
                        "files, are distilled in parallel")
    p.add_argument("--n", type=int, default=200, help="inputs to query first (default 200)")
    p.add_argument("--timeout", type=float, default=60.0, help="search budget in seconds")
    p.add_argument("--held-out", type=int, default=1000, help="fresh inputs for verification")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--vocab", nargs="+", help="input vocabulary, if the model file lacks it")
    p.add_argument("--max-len", type=int, help="maximum input length, if the model file lacks it")
    p.add_argument("-o", "--out", metavar="DIR",
                   help="report folder (default distill-<name>); with several targets, the "
                        "folder that holds their distill-<name> folders (default .)")
    p.add_argument("--library", metavar="FILE",
                   help="a learned library (rasplab library -o FILE) for the search, or a built-in "
                        "one by name: curriculum (reaches dyck2)")
    p.add_argument("--retrain", action="store_true", help="train a fresh model for a task name")
    add_executor_args(p, local_default="all cores for several targets, else 1",
                      what="targets distilled")
    p.add_argument("--journal", metavar="FILE.jsonl",
                   help="several targets: write each result here as it finishes; a rerun "
                        "resumes from it")
    p.add_argument("--job-timeout", type=float, metavar="S",
                   help="several targets: seconds one may take before it is retried once and "
                        "then reported failed (default 3 x --timeout + 300, +1800 to train)")
    p.add_argument("--json", action="store_true", help="one JSON document on stdout")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from rasplab.distill import distill
    from rasplab.distill.cache import model_for

    library = None
    if args.library:  # a bad library file fails now, not after training a model
        from rasplab.synth.library import load_library

        library = load_library(args.library)
    if (len(args.model) > 1 or Path(args.model[0]).is_dir() or args.ray or args.workers
            or args.journal):
        return _run_many(args)
    target = args.model[0]
    task = None
    if not (target.endswith(".safetensors") or Path(target).exists()):
        task = target
        target = model_for(task, retrain=args.retrain, quiet=args.json)
    name = task or Path(target).stem
    out_dir = args.out or f"distill-{name}"
    result = distill(target, task=task, vocab=args.vocab, max_len=args.max_len, n=args.n,
                     budget=args.timeout, held_out=args.held_out, seed=args.seed,
                     out_dir=out_dir, library=library)
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


def _run_many(args: argparse.Namespace) -> int:
    """Several targets on the executor: one line (or JSON object) per target."""
    from tqdm import tqdm

    from rasplab.distill.batch import distill_many, expand_targets

    targets = expand_targets(args.model)
    options = {"vocab": args.vocab, "max_len": args.max_len, "n": args.n,
               "budget": args.timeout, "held_out": args.held_out, "seed": args.seed,
               "library": args.library, "retrain": args.retrain}
    items = []
    bar = tqdm(total=len(targets), unit="model", desc="distill", leave=False, disable=None)
    with executor_from_args(args, local_workers=None) as executor:
        try:
            for item in distill_many(targets, executor=executor, out_root=args.out or ".",
                                     journal=args.journal, job_timeout=args.job_timeout,
                                     **options):
                items.append(item)
                bar.update(1)
                if not args.json:
                    if item.ok:
                        line = (f"{item.name}: agreement {100 * item.agreement:.1f}% in "
                                f"{item.seconds:.1f} s, report {item.summary.get('report')}")
                    else:
                        line = f"{item.name}: failed after {item.attempts} attempt(s): " + \
                            item.error
                    bar.write(line + (" (from the journal)" if item.resumed else ""),
                              file=sys.stdout)
        except KeyboardInterrupt:
            print(f"# interrupted: {len(items)}/{len(targets)} targets done", file=sys.stderr)
        finally:
            bar.close()
    good = sum(i.ok and i.agreement >= 0.99 for i in items)
    if args.json:
        print_json([i.to_json() for i in items])
    else:
        print(f"# {good}/{len(targets)} targets distilled with >= 99% agreement",
              file=sys.stderr)
    return 0 if good == len(targets) else 1
