"""Benchmark: the recognition model's production costs against the engine's default costs.

1. Every task of the suite is searched with the default costs (the baseline; its solutions are
   the "solved tasks" the model may train on).
2. Held-out split: a fixed-seed random half of the tasks is held out. A model is trained on
   dreams run on inputs of the *training* tasks only, plus the baseline solutions of the
   training tasks; the held-out tasks are then searched with its costs.
3. Whole suite: a model trained on dreams over every task plus every baseline solution searches
   every task (in-sample: it has seen these solutions).
Reports per task candidates and seconds to solution, the median candidates over tasks solved by
either run (a task one run misses counts as the full budget's candidates, i.e. unsolved), and
the tasks lost. Writes benchmarks/results/recognition.{json,md} and the two models.

    nice -n 10 python benchmarks/bench_recognition.py [--budget 20] [--dreams 3000]
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rasplab.synth.bottomup.grammar import Grammar
from rasplab.synth.bottomup.search import search
from rasplab.synth.library.loop import task_examples
from rasplab.synth.recognition import (
    TrainConfig,
    dream,
    recognition_weights,
    save_recognition,
    train_recognition,
)
from rasplab.tasks import get_suite, get_task

RESULTS = Path(__file__).with_name("results")


def run_task(name: str, budget: float, weights: Any, n_examples: int) -> dict[str, Any]:
    xs, ys = task_examples(name, n_examples, 0)
    r = search(xs, ys, budget=budget, weights=weights, progress=False, seed=0)
    return {"solved": r.solved, "candidates": r.candidates, "seconds": round(r.seconds, 3),
            "accuracy": r.accuracy, "program": r.sexpr, "_program": r.program}


def run_suite(names: list[str], budget: float, n_examples: int, model: Any = None,
              strength: float = 1.0, label: str = "") -> dict[str, dict[str, Any]]:
    out = {}
    for name in names:
        weights = None
        if model is not None:
            xs, ys = task_examples(name, n_examples, 0)
            weights = Grammar().with_weights(recognition_weights(model, xs, ys,
                                                                 strength=strength))
        out[name] = run_task(name, budget, weights, n_examples)
        o = out[name]
        print(f"  {label} {name}: {'solved' if o['solved'] else 'unsolved'} "
              f"{o['seconds']:.2f} s {o['candidates']} candidates", flush=True)
    return out


def solved_examples(outcomes: dict[str, dict], names: list[str], copies: int, seed: int
                    ) -> list[tuple]:
    """(inputs, outputs, program) triples: each solved task's program on fresh input sets."""
    rng = np.random.default_rng(seed)
    out = []
    for name in names:
        o = outcomes[name]
        if not o["solved"] or o["_program"] is None:
            continue
        task = get_task(name)
        for _ in range(copies):
            xs = task.sample(32, rng)
            out.append((xs, task.outputs(xs), o["_program"]))
    return out


def compare(base: dict, model: dict, names: list[str]) -> dict[str, Any]:
    """Median candidates/seconds to solution over tasks solved by either run; tasks lost."""
    either = [n for n in names if base[n]["solved"] or model[n]["solved"]]
    both = [n for n in names if base[n]["solved"] and model[n]["solved"]]

    def med(run: dict, key: str, tasks: list[str]) -> float:
        return statistics.median(run[n][key] for n in tasks) if tasks else float("nan")
    res = {"tasks": len(names), "solved_either": len(either), "solved_both": len(both),
           "solved_base": sum(base[n]["solved"] for n in names),
           "solved_model": sum(model[n]["solved"] for n in names),
           "lost": [n for n in names if base[n]["solved"] and not model[n]["solved"]],
           "gained": [n for n in names if model[n]["solved"] and not base[n]["solved"]],
           "median_candidates_base": med(base, "candidates", either),
           "median_candidates_model": med(model, "candidates", either),
           "median_seconds_base": med(base, "seconds", either),
           "median_seconds_model": med(model, "seconds", either),
           "total_candidates_both_base": sum(base[n]["candidates"] for n in both),
           "total_candidates_both_model": sum(model[n]["candidates"] for n in both)}
    m = res["median_candidates_model"]
    res["median_candidates_reduction"] = res["median_candidates_base"] / m if m else float("inf")
    return res


def table(base: dict, model: dict, names: list[str]) -> list[str]:
    def cell(o: dict) -> str:
        return f"{'✓' if o['solved'] else '✗'} {o['seconds']:.2f} s, {o['candidates']}"
    rows = ["| task | default costs | recognition costs |", "| --- | --- | --- |"]
    rows += [f"| {n} | {cell(base[n])} | {cell(model[n])} |" for n in names]
    return rows


def strip(run: dict) -> dict:
    return {n: {k: v for k, v in o.items() if not k.startswith("_")} for n, o in run.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--suite", default="all")
    ap.add_argument("--budget", type=float, default=20.0)
    ap.add_argument("--examples", type=int, default=100)
    ap.add_argument("--dreams", type=int, default=3000)
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--copies", type=int, default=8, help="input sets per solved task")
    ap.add_argument("--strength", type=float, default=1.0)
    ap.add_argument("--split-seed", type=int, default=0)
    ap.add_argument("--skip-all", action="store_true", help="held-out split only")
    ap.add_argument("--out", default=str(RESULTS / "recognition"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    names = get_suite(args.suite)
    rng = np.random.default_rng(args.split_seed)
    held = sorted(rng.permutation(names)[: len(names) // 2].tolist(), key=names.index)
    train = [n for n in names if n not in held]
    doc: dict[str, Any] = {"budget": args.budget, "dreams": args.dreams, "epochs": args.epochs,
                           "strength": args.strength, "held_out": held, "train": train}
    start = time.monotonic()
    print(f"baseline (default costs) on {len(names)} tasks, {args.budget:g} s each", flush=True)
    base = run_suite(names, args.budget, args.examples, label="base")
    doc["baseline"] = strip(base)

    print(f"held-out split: training on {len(train)} tasks, holding out {held}", flush=True)
    t0 = time.monotonic()
    dreams = dream(args.dreams, [get_task(n) for n in train], seed=1, progress=None)
    model, stats = train_recognition(dreams, solved_examples(base, train, args.copies, 2),
                                     TrainConfig(epochs=args.epochs))
    stats["dream_seconds"] = round(time.monotonic() - t0 - stats["seconds"], 2)
    stats["dreams"] = len(dreams)
    save_recognition(model, args.out + "-split.safetensors")
    print(f"  trained: {stats}", flush=True)
    split = run_suite(held, args.budget, args.examples, model, args.strength, label="split")
    doc["split"] = {"train": stats, "runs": strip(split), "summary": compare(base, split, held)}
    print(json.dumps(doc["split"]["summary"]), flush=True)

    if not args.skip_all:
        t0 = time.monotonic()
        dreams = dream(args.dreams, [get_task(n) for n in names], seed=3, progress=None)
        model, stats = train_recognition(dreams, solved_examples(base, names, args.copies, 4),
                                         TrainConfig(epochs=args.epochs))
        stats["dream_seconds"] = round(time.monotonic() - t0 - stats["seconds"], 2)
        stats["dreams"] = len(dreams)
        save_recognition(model, args.out + "-all.safetensors")
        print(f"  trained (all): {stats}", flush=True)
        whole = run_suite(names, args.budget, args.examples, model, args.strength, label="all")
        doc["all"] = {"train": stats, "runs": strip(whole), "summary": compare(base, whole, names)}
        print(json.dumps(doc["all"]["summary"]), flush=True)
    doc["seconds"] = round(time.monotonic() - start, 1)
    Path(args.out + ".json").write_text(json.dumps(doc, indent=2, default=str))
    lines = [f"# Recognition model vs default costs ({args.suite}, {args.budget:g} s per task)",
             "", f"held out: {', '.join(held)}", "",
             f"held-out summary: {json.dumps(doc['split']['summary'])}", ""]
    lines += table(base, split, held)
    if "all" in doc:
        lines += ["", f"whole-suite summary: {json.dumps(doc['all']['summary'])}", ""]
        lines += table(base, whole, names)
    Path(args.out + ".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
