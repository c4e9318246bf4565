"""`rasplab train TASK`: train a transformer on a task, write it (safetensors) and its curve."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rasplab.cli.common import (
    check_writable,
    non_negative_float,
    positive_float,
    positive_int,
    print_json,
    try_writing,
)
from rasplab.errors import RaspLabError, UsageError


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "train", help="train a transformer on a task (optionally with attention supervision)",
        description="Train a small transformer on TASK, evaluate it on held-out inputs and on "
                    "inputs longer than trained on, and write it as a safetensors file.")
    p.add_argument("task", help="task name (see `rasplab tasks`)")
    p.add_argument("-o", "--output", help="model file to write (default: TASK.safetensors)")
    p.add_argument("--layers", type=int, help="transformer layers (default: per task)")
    p.add_argument("--heads", type=int, help="attention heads per layer (default: per task)")
    p.add_argument("--d-model", type=int, help="residual width (default: 64)")
    p.add_argument("--d-mlp", type=int, help="MLP width (default: per task)")
    p.add_argument("--steps", type=int, help="optimiser steps (default: per task)")
    p.add_argument("--batch-size", type=int, help="inputs per step (default: 128)")
    p.add_argument("--lr", type=float, help="peak learning rate (default: per task, else 3e-3)")
    p.add_argument("--seed", type=int, default=0, help="seed of data and initialisation")
    p.add_argument("--causal", action="store_true", default=None,
                   help="causal attention mask (default: per task)")
    p.add_argument("--attn-supervision", action="store_true",
                   help="pull heads toward the reference program's selector patterns")
    p.add_argument("--attn-weight", type=float,
                   help="weight of the attention MSE (default: per task, else 100)")
    p.add_argument("--threads", type=int, help="torch threads (default: 1)")
    p.add_argument("--plot", help="learning-curve PNG (default: the model file with .png)")
    p.add_argument("--no-plot", action="store_true", help="do not write the learning curve")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="one JSON document on stdout")
    p.set_defaults(handler=run_train)


def _check_numbers(args: argparse.Namespace) -> None:
    """Every size and rate in range, before anything is built (0 is not 'the default')."""
    for value, name in ((args.steps, "--steps"), (args.layers, "--layers"),
                        (args.heads, "--heads"), (args.d_model, "--d-model"),
                        (args.d_mlp, "--d-mlp"), (args.batch_size, "--batch-size"),
                        (args.threads, "--threads")):
        positive_int(value, name)
    positive_float(args.lr, "--lr")
    non_negative_float(args.attn_weight, "--attn-weight")


def _check_heads(task: Any, config: Any, args: argparse.Namespace) -> None:
    """The heads must split the residual width evenly: build the shape asked for or refuse."""
    from rasplab.models import program_shape

    heads, width = config.n_heads, config.d_model
    if heads is None:  # as the model builder derives it from the task's program
        try:
            program = task.program
        except RaspLabError:  # no reference program: the builder's default shape
            program = None
        heads = max(2, program_shape(program)[1]) if program is not None else 2
        if args.d_model is None:
            return  # the builder then picks the next count that divides the default width
    if width % heads == 0:
        return
    if args.heads is not None:
        divisors = [h for h in range(1, min(width, 16) + 1) if width % h == 0]
        raise UsageError(f"--heads {heads} must divide the residual width {width} (--d-model): "
                         f"heads from {', '.join(map(str, divisors))}, or another --d-model")
    raise UsageError(f"--d-model {width} must be a multiple of the {heads} heads per layer task "
                     f"{task.name} uses (or give --heads too)")


def run_train(args: argparse.Namespace) -> int:
    from rasplab.models import for_task, save_model, train
    from rasplab.tasks import get_task

    _check_numbers(args)
    task = get_task(args.task)
    out = Path(args.output or f"{task.name}.safetensors")
    check_writable(out, "-o")
    plot = None if args.no_plot else Path(args.plot) if args.plot else out.with_suffix(".png")
    check_writable(plot, "--plot")
    config = for_task(task.name, steps=args.steps, batch_size=args.batch_size, lr=args.lr,
                      seed=args.seed, d_model=args.d_model, n_layers=args.layers,
                      n_heads=args.heads, d_mlp=args.d_mlp, causal=args.causal,
                      attn_supervision=args.attn_supervision or None,
                      attn_weight=args.attn_weight, threads=args.threads)
    _check_heads(task, config, args)
    result = train(task, config, progress=not args.quiet)
    failed = try_writing("-o", out, lambda: save_model(result.model, out))
    wrote = [out] if failed is None else []
    if plot is not None and result.interrupted:  # Ctrl-C: the model now, no picture
        print(f"rasplab train: interrupted; no learning curve written to {plot}",
              file=sys.stderr)
        plot = None
    if plot is not None and result.curve and failed is None:
        from rasplab.viz.learning_curve import plot_learning_curve

        sup = " + attention supervision" if config.attn_supervision else ""
        failed = try_writing("--plot", plot, lambda: plot_learning_curve(
            result.curve, plot, title=f"{task.name}{sup}"))
        if failed is None:
            wrote.append(plot)
    plot = plot if plot in wrote else None
    cfg = result.model.net.cfg
    doc = {"task": task.name, "model": str(out) if out in wrote else None,
           "plot": str(plot) if plot else None,
           "layers": cfg.n_layers, "heads": cfg.n_heads, "d_model": cfg.d_model,
           "d_mlp": cfg.d_mlp, "causal": cfg.causal,
           "params": sum(p.numel() for p in result.model.net.parameters()),
           "attn_supervision": config.attn_supervision, "seed": config.seed,
           **result.summary()}
    if args.json:
        print_json(doc)
        if failed is not None:  # the figures are printed above: a failed write loses nothing
            raise failed
        return 130 if result.interrupted else 0

    def pct(x: float | None) -> str:
        return "n/a" if x is None else f"{100 * x:.2f}%"

    print(f"task {task.name}: {cfg.n_layers} layers x {cfg.n_heads} heads, d_model "
          f"{cfg.d_model}, d_mlp {cfg.d_mlp}, {doc['params']} parameters"
          f"{', causal' if cfg.causal else ''}")
    print(f"held-out (lengths {task.min_len}-{task.max_len}): {pct(result.accuracy)} per token, "
          f"{pct(result.sequence_accuracy)} per sequence")
    if result.interrupted:
        print(f"longer inputs (lengths {task.max_len + 1}-{cfg.n_ctx - 1}): not measured "
              "(interrupted)")
    else:
        print(f"longer inputs (lengths {task.max_len + 1}-{cfg.n_ctx - 1}): "
              f"{pct(result.length_gen_accuracy)} per token, "
              f"{pct(result.length_gen_sequence_accuracy)} per sequence")
    for head in result.supervised_heads:
        print(f"supervised {head}")
    if result.attention_mse is not None:
        print(f"attention MSE of the supervised heads on held-out inputs: "
              f"{result.attention_mse:.5f}")
    for sel in result.unsupervised_selectors:
        print(f"not supervised (no head for it): {sel}")
    print(f"{result.steps} steps in {result.seconds:.1f} s"
          f"{' (interrupted: best model so far kept)' if result.interrupted else ''}")
    if wrote:
        print("wrote " + " and ".join(map(str, wrote)))
    if failed is not None:
        raise failed
    return 130 if result.interrupted else 0
