"""`rasplab distill MODEL_OR_TASK...`: distil a model into RASP: a rasplab model file, a task's
trained model, a Hugging Face causal-LM folder, or a TransformerLens state dict with its config.

Several targets, or a folder of `.safetensors` models, are distilled at once on the executor
(`--workers N`, `--ray WHERE`), one report folder each, with a line per target as it finishes.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rasplab.cli.common import print_json
from rasplab.cli.names import model_or_task
from rasplab.errors import NoProgramError
from rasplab.parallel.options import add_executor_args, executor_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("distill", help="distil a transformer into a RASP program",
                       description="Distil a model file, or a task name (a model is trained for "
                                   "it first, or reused from the cache), into a RASP program.")
    p.add_argument("model", metavar="MODEL_OR_TASK", nargs="+",
                   help="a rasplab model file, a task name, a Hugging Face model folder "
                        "(config.json + model.safetensors) or a TransformerLens state dict "
                        "(.safetensors/.pt, with --config); several rasplab models, or a folder "
                        "of them, are distilled in parallel")
    g = p.add_argument_group("models trained elsewhere (Hugging Face, TransformerLens)")
    g.add_argument("--config", metavar="FILE",
                   help="the HookedTransformerConfig JSON of a TransformerLens state dict "
                        "(default: NAME.json beside it)")
    g.add_argument("--tokens", metavar="FILE",
                   help="JSON list of the model's tokens in id order (id i is tokens[i]; special "
                        "tokens are tokens too)")
    g.add_argument("--bos", metavar="TOKEN",
                   help="the model expects TOKEN at position 0: rasplab puts it there and the "
                        "program does not see it (prompts are written without it)")
    g.add_argument("--predict", choices=["next", "next-set", "classes"],
                   help="what to distil: the most likely next token (default for language "
                        "models), the set of tokens with sigmoid(logit) > 0.5, or a class per "
                        "position (default for TransformerLens models)")
    g.add_argument("--classes", metavar="FILE",
                   help="JSON list naming the output classes in logit order (--predict classes)")
    g.add_argument("--from", dest="from_token", metavar="TOKEN",
                   help="compare positions from the first TOKEN of each sequence on (e.g. <sep>)")
    g.add_argument("--prompts", metavar="FILE",
                   help="JSONL, one JSON list of tokens a line: whole sequences as the model saw "
                        "them in training; queries keep their format")
    g.add_argument("--test", metavar="FILE",
                   help="JSONL like --prompts, used only for the reported agreement")
    g.add_argument("--reference", metavar="MODULE:FUNCTION",
                   help="ground truth: a function from a sequence (as the program sees it) to "
                        "the right output at each position (module name or path/file.py)")
    p.add_argument("--n", type=int, default=200, help="inputs to query first (default 200)")
    p.add_argument("--timeout", type=float, default=60.0, help="search budget in seconds")
    p.add_argument("--held-out", type=int, default=1000,
                   help="fresh inputs per length for verification, when the model takes more "
                        "than 100,000 inputs (else every input is checked)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--vocab", nargs="+",
                   help="input vocabulary of a rasplab model file that lacks it (models trained "
                        "elsewhere take --tokens instead)")
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


def _check_args(args: argparse.Namespace) -> None:
    """Bad numbers and unwritable report folders fail before any work."""
    from rasplab.cli.common import check_writable, int_in_range, positive_float, positive_int

    int_in_range(args.n, "--n", least=1, most=100_000)
    positive_float(args.timeout, "--timeout")
    positive_int(args.held_out, "--held-out")
    positive_int(args.max_len, "--max-len")
    check_writable(args.out, "-o", folder=True)


def _sequence_options(args: argparse.Namespace) -> bool:
    return any(getattr(args, a) is not None for a in ("tokens", "prompts", "test", "predict",
                                                      "from_token", "classes", "config", "bos"))


def run(args: argparse.Namespace) -> int:
    from rasplab.distill import distill
    from rasplab.distill.cache import model_for
    from rasplab.distill.user_models import is_user_model

    _check_args(args)
    for target in args.model:
        model_or_task(target)  # a missing model file fails now, before any training
    if len(args.model) == 1 and (is_user_model(args.model[0]) or _sequence_options(args)) \
            and (Path(args.model[0]).exists() or args.model[0].endswith((".pt", ".safetensors"))):
        return _run_user_model(args)
    library = None
    if args.library:  # a bad library file fails now, not after training a model
        from rasplab.synth.library import load_library

        library = load_library(args.library)
    if (len(args.model) > 1 or Path(args.model[0]).is_dir() or args.ray or args.workers
            or args.journal):
        return _run_many(args)
    target = args.model[0]
    _, task = model_or_task(target)
    if task is not None:
        target = model_for(task, retrain=args.retrain, quiet=args.json)
    name = task or Path(target).stem
    out_dir = args.out or f"distill-{name}"
    def say(line: str) -> None:
        if not args.json:
            print(f"# {line}", file=sys.stderr, flush=True)
    try:
        result = distill(target, task=task, vocab=args.vocab, max_len=args.max_len, n=args.n,
                         budget=args.timeout, held_out=args.held_out, seed=args.seed,
                         out_dir=out_dir, library=library, progress=say)
    except NoProgramError as exc:  # the library says what; the command line says which flags
        raise NoProgramError(f"{exc} (--timeout S, --library FILE)") from None
    if args.json:
        print_json(result.summary())
    else:
        v = result.verification
        print(result.source.rstrip())
        how = "every input up to its length" if v.method == "exhaustive" else \
            f"{v.n} fresh inputs, stratified by length"
        print(f"# agreement with the model on {how}: {100 * v.agreement:.1f}%")
        if v.program_correct is not None:
            print(f"# ground truth: program {100 * v.program_correct:.1f}%, "
                  f"model {100 * (v.model_correct or 0):.1f}%")
        for m in result.head_matches:
            print(f"# {m['selector']}  <->  {m['head']} (similarity {m['score']:.2f})")
        print(f"# report: {result.report}  ({result.seconds:.1f} s)", file=sys.stderr)
    if result.interrupted:
        print("rasplab distill: interrupted; the program above is the best found so far",
              file=sys.stderr)
        return 130
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


def _run_user_model(args: argparse.Namespace) -> int:
    """A Hugging Face or TransformerLens model with its tokens, queried through its prompts."""
    import numpy as np

    from rasplab.distill.sequence_oracle import SequenceOracle, read_sequences, read_token_list
    from rasplab.distill.sequences import distill_sequences
    from rasplab.distill.user_models import load_user_model
    from rasplab.errors import RaspLabError

    target = Path(args.model[0])
    if args.tokens is None:
        raise RaspLabError(f"{target}: a model trained elsewhere needs --tokens FILE (a JSON list "
                           "of its tokens in id order)")
    tokens = read_token_list(args.tokens, "tokens")
    classes = read_token_list(args.classes, "classes") if args.classes else None
    prompts = read_sequences(args.prompts, "prompts") if args.prompts else None
    test = read_sequences(args.test, "test") if args.test else None
    from rasplab.distill.sequences import load_reference

    reference = load_reference(args.reference) if args.reference else None
    model = load_user_model(target, args.config)
    predict = args.predict or ("classes" if classes is not None or model.kind == "tl"
                               and model.n_out != len(tokens) else "next")
    bos = _token(args.bos, tokens, "--bos")
    from_token = _token(args.from_token, tokens, "--from")
    notes: list[str] = []  # said with the first progress line, once the input has been checked
    if from_token is None and predict == "next" and prompts and "<sep>" in tokens and all(
            p.count("<sep>") == 1 for p in prompts):
        from_token = "<sep>"  # input then output: the model cannot predict its next input token
        notes.append("comparing from <sep>, which every prompt holds once (--from sets another)")
    oracle = SequenceOracle(model, tokens, predict=predict, bos=bos, classes=classes,
                            from_token=from_token, description=model.description)
    if args.max_len is not None:
        oracle.check_length(args.max_len, "--max-len")
    if prompts is None:  # no prompts: uniform sequences over the model's own tokens
        rng = np.random.default_rng(args.seed)
        pool = [t for t in tokens if t != bos]
        hi = args.max_len or min(10, oracle.max_supported_len or 10)
        prompts = [[pool[i] for i in rng.integers(0, len(pool), size=k)]
                   for k in rng.integers(1, hi + 1, size=args.n)]
    out_dir = args.out or f"distill-{target.stem if target.is_file() else target.name}"
    quiet = args.json

    def say(msg: str) -> None:
        if not quiet:
            for note in notes:
                print(f"# {note}", file=sys.stderr, flush=True)
            notes.clear()
            print(f"# {msg}", file=sys.stderr, flush=True)
    result = distill_sequences(oracle, prompts, test=test, budget=args.timeout, n=args.n,
                               seed=args.seed, out_dir=out_dir, progress=say,
                               where=args.prompts or "prompts", reference=reference)
    if args.json:
        print_json(result.summary())
    else:
        t = result.test
        print(result.source.rstrip())
        print(f"# agreement with the model on {t.n} test sequences: {100 * t.positions:.1f}% of "
              f"compared positions, {100 * t.sequences:.1f}% of sequences")
        if result.longer is not None:
            print(f"# longer than the prompts ({result.longer.n} sequences): "
                  f"{100 * result.longer.positions:.1f}% of positions, "
                  f"{100 * result.longer.sequences:.1f}% of sequences")
        if result.truth:
            g = result.truth
            print(f"# ground truth: program {100 * g['program_correct']:.1f}%, model "
                  f"{100 * g['model_correct']:.1f}%; model wrong and program right on "
                  f"{g['model_wrong_program_right']} sequences")
        if not result.solved_queries:
            print("# no program fitted every query; this is the closest found")
        for m in result.head_matches:
            print(f"# {m['selector']}  <->  {m['head']} (similarity {m['similarity']:.2f}, "
                  f"{m['gain']:+.2f} over an uninformative head)")
        print(f"# report: {result.report}  ({result.seconds:.1f} s)", file=sys.stderr)
    return 0 if result.agreement >= 0.99 else 1


def _token(text: str | None, tokens: list, flag: str) -> object:
    """A token named on the command line, spelled as in the tokens file ("3" may be 3)."""
    if text is None:
        return None
    for t in tokens:
        if str(t) == text:
            return t
    from rasplab.errors import RaspLabError

    raise RaspLabError(f"{flag} {text!r} is not one of the model's tokens")
