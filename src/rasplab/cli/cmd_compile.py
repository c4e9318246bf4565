"""`rasplab compile PROGRAM --vocab V... --max-len N [-o FILE] [--plot FILE.png]`: a RASP program
to a transformer with exact weights; prints its architecture, writes the model and the layout."""
from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from rasplab.cli.common import check_writable, parse_input, positive_int, print_json, try_writing
from rasplab.cli.names import resolve as resolve_name
from rasplab.errors import UsageError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compile", help="compile a RASP program into transformer weights",
                       description="Compile PROGRAM (a .rasp file, file.rasp:name, a task or a "
                                   "library name) into a transformer that computes it exactly.")
    p.add_argument("program", metavar="PROGRAM")
    p.add_argument("--vocab", nargs="+", metavar="V",
                   help="the input tokens (default: the task's vocabulary)")
    p.add_argument("--int-tokens", action="store_true",
                   help="the --vocab tokens are integers (inputs are then JSON lists)")
    p.add_argument("--max-len", type=int, metavar="N",
                   help="longest input the model accepts (default: the task's)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the model (.safetensors)")
    p.add_argument("--plot", metavar="FILE.png", help="draw the layer layout and attention")
    p.add_argument("--plot-input", metavar="INPUT",
                   help="input whose attention patterns the plot shows (default: the vocabulary "
                        "repeated up to max-len)")
    p.add_argument("--no-reuse", action="store_true",
                   help="give every value its own residual dimensions (no recycling)")
    p.add_argument("--json", action="store_true",
                   help="one JSON document: layers, heads, d_model, params, seconds, ...")
    p.set_defaults(handler=run)


def resolve_program(spec: str) -> tuple[Any, Any]:
    """(program, task or None) for a .rasp file, file.rasp:name, task name or library name."""
    target = resolve_name(spec, models=False)
    return target.program, target.task


def _vocab(args: argparse.Namespace, task: Any) -> list[Any]:
    if args.vocab:
        if args.int_tokens:
            try:
                return [int(v) for v in args.vocab]
            except ValueError:
                raise UsageError(f"--int-tokens: {args.vocab} are not all integers") from None
        return list(args.vocab)
    if task is not None:
        return [t for t in task.vocab]
    raise UsageError("give the input tokens with --vocab (e.g. --vocab a b c)")


def summary(model: Any, seconds: float) -> dict:
    """The numbers `--json` prints."""
    cfg = model.cfg
    heads = sum(1 for row in cfg.layout if row["block"] == "attn")
    return {"layers": cfg.n_layers, "heads": heads, "heads_per_layer": cfg.n_heads,
            "d_model": cfg.d_model, "d_head": cfg.d_head, "d_mlp": cfg.d_mlp,
            "params": model.n_params(), "seconds": round(seconds, 4),
            "vocab": cfg.vocab, "max_len": cfg.max_len, "output": cfg.output_kind,
            "causal": cfg.causal, "layout": cfg.layout}


def describe(name: str, model: Any, seconds: float) -> str:
    """The architecture in a few readable lines: sizes, then what each layer computes."""
    cfg = model.cfg
    s = summary(model, seconds)
    lines = [f"{name}: {cfg.n_layers} layers, {s['heads']} heads (up to {cfg.n_heads} per "
             f"layer, d_head {cfg.d_head}), d_model {cfg.d_model}, d_mlp {cfg.d_mlp}, "
             f"{s['params']:,} parameters{', causal attention' if cfg.causal else ''}, "
             f"compiled in {seconds:.2f} s"]
    for layer in range(cfg.n_layers):
        rows = [r for r in cfg.layout if r["layer"] == layer]
        attn = ", ".join(r["label"].split("#")[0] for r in rows if r["block"] == "attn")
        mlp = ", ".join(r["label"].split("#")[0] for r in rows
                        if r["block"] == "mlp" and r["kind"] != "clear")
        cleared = sum(1 for r in rows if r["kind"] == "clear")
        extra = f" (+{cleared} clearing)" if cleared else ""
        lines.append(f"  layer {layer}: attn [{attn or '-'}]  mlp [{mlp or '-'}]{extra}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from rasplab.compiler import compile_program, save_compiled

    positive_int(args.max_len, "--max-len")
    check_writable(args.output, "-o")
    check_writable(args.plot, "--plot")
    example = parse_input(args.plot_input) if args.plot_input else None
    program, task = resolve_program(args.program)
    vocab = _vocab(args, task)
    max_len = args.max_len if args.max_len is not None else getattr(task, "max_len", None)
    if max_len is None:
        raise UsageError("give the longest input length with --max-len N")
    start = time.perf_counter()
    model = compile_program(program, vocab, max_len, reuse_residual=not args.no_reuse)
    seconds = time.perf_counter() - start
    failed = None
    if args.output:
        failed = try_writing("-o", args.output, lambda: save_compiled(model, args.output))
    wrote_model = bool(args.output) and failed is None
    if args.plot and failed is None:
        from rasplab.viz.compiled import plot_compiled
        failed = try_writing("--plot", args.plot, lambda: plot_compiled(model, args.plot, example))
    drew = bool(args.plot) and failed is None
    if args.json:
        doc = summary(model, seconds)
        doc.update(model=args.output if wrote_model else None, plot=args.plot if drew else None)
        print_json(doc)
    else:
        print(describe(Path(args.program).stem, model, seconds))
        if wrote_model:
            print(f"wrote {args.output}")
        if drew:
            print(f"drew {args.plot}")
    if failed is not None:  # the architecture is printed above: a failed write loses nothing
        raise failed
    return 0
