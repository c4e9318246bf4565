"""`rasplab train TASK`: train a transformer on a task, write it (safetensors) and its curve."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


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


def run_train(args: argparse.Namespace) -> int:
    from rasplab.cli.common import print_json
    from rasplab.models import for_task, save_model, train
    from rasplab.tasks import get_task

    task = get_task(args.task)
    config = for_task(task.name, steps=args.steps, batch_size=args.batch_size, lr=args.lr,
                      seed=args.seed, d_model=args.d_model, n_layers=args.layers,
                      n_heads=args.heads, d_mlp=args.d_mlp, causal=args.causal,
                      attn_supervision=args.attn_supervision or None,
                      attn_weight=args.attn_weight, threads=args.threads)
    result = train(task, config, progress=not args.quiet)
    out = Path(args.output or f"{task.name}.safetensors")
    save_model(result.model, out)
    plot = None
    if not args.no_plot and result.curve:
        from rasplab.viz.learning_curve import plot_learning_curve

        plot = Path(args.plot) if args.plot else out.with_suffix(".png")
        sup = " + attention supervision" if config.attn_supervision else ""
        plot_learning_curve(result.curve, plot, title=f"{task.name}{sup}")
    cfg = result.model.net.cfg
    doc = {"task": task.name, "model": str(out), "plot": str(plot) if plot else None,
           "layers": cfg.n_layers, "heads": cfg.n_heads, "d_model": cfg.d_model,
           "d_mlp": cfg.d_mlp, "causal": cfg.causal,
           "params": sum(p.numel() for p in result.model.net.parameters()),
           "attn_supervision": config.attn_supervision, "seed": config.seed,
           **result.summary()}
    if args.json:
        print_json(doc)
        return 0

    def pct(x: float | None) -> str:
        return "n/a" if x is None else f"{100 * x:.2f}%"

    print(f"task {task.name}: {cfg.n_layers} layers x {cfg.n_heads} heads, d_model "
          f"{cfg.d_model}, d_mlp {cfg.d_mlp}, {doc['params']} parameters"
          f"{', causal' if cfg.causal else ''}")
    print(f"held-out (lengths {task.min_len}-{task.max_len}): {pct(result.accuracy)} per token, "
          f"{pct(result.sequence_accuracy)} per sequence")
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
    print(f"wrote {out}" + (f" and {plot}" if plot else ""))
    return 0
