"""Benchmark: the recognition model's production costs against the engine's default costs.

1. Every task of the suite is searched with uniform costs (every production costs 1: the
   issue's baseline) and with the engine's hand-tuned default costs (a stricter baseline; its
   solutions are the "solved tasks" the model may train on).
2. Held-out split: a fixed-seed random half of the tasks is held out. The grammar is refitted
   to the baseline solutions of the *training* tasks, dreams are drawn from it on inputs of the
   training tasks only, and a model is trained on those dreams plus the training solutions.
   The held-out tasks are then searched (a) under the refitted grammar alone, and (b) under the
   model's costs for each task (with `--fallback F`, a share F of the budget is kept for the
   default costs when the guided search fails).
3. Whole suite: the same with every task's baseline solution (in-sample).
Reports per task candidates and seconds to solution and the median candidates over tasks solved
by either run (a run that misses a task counts it as infinitely many candidates), and the tasks
lost. "Candidates to solution" counts candidates up to the one that gave the returned program;
the engine enumerates a little further before stopping (to rule out a cheaper program), and the
count with that tail is reported beside it. Writes benchmarks/results/recognition.{json,md}
and the two models.

    nice -n 10 python benchmarks/bench_recognition.py [--budget 30] [--dreams 3000]

`--oracle` instead measures the ceiling of the approach on the held-out tasks: costs from a
perfect prediction (probability 0.99 for the productions the baseline's own solution uses,
0.01 for the others, mapped to costs exactly as model predictions are). Writes
benchmarks/results/recognition-oracle.{json,md}.
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
    fitted_grammar,
    guided_search,
    save_recognition,
    train_recognition,
)
from rasplab.tasks import get_suite, get_task

RESULTS = Path(__file__).with_name("results")


def run_task(name: str, budget: float, weights: Any, n_examples: int) -> dict[str, Any]:
    xs, ys = task_examples(name, n_examples, 0)
    r = search(xs, ys, budget=budget, grammar=weights, progress=False, seed=0)
    return {"solved": r.solved, "candidates": r.candidates, "seconds": round(r.seconds, 3),
            "to_solution": r.stats.get("candidates_to_solution"),
            "accuracy": r.accuracy, "program": r.sexpr, "_program": r.program}


def run_suite(names: list[str], budget: float, n_examples: int, model: Any = None,
              grammar: Grammar | None = None, fallback: float = 0.0, label: str = ""
              ) -> dict[str, dict[str, Any]]:
    out = {}
    for name in names:
        if model is not None:
            xs, ys = task_examples(name, n_examples, 0)
            r = guided_search(xs, ys, model, budget=budget, fallback=fallback,
                              progress=False, seed=0)
            out[name] = {"solved": r.solved, "candidates": r.candidates,
                         "seconds": round(r.seconds, 3), "accuracy": r.accuracy,
                         "to_solution": r.stats.get("candidates_to_solution"),
                         "program": r.sexpr, "fallback": bool(r.stats.get("fallback")),
                         "_program": r.program}
        else:
            out[name] = run_task(name, budget, grammar, n_examples)
        o = out[name]
        print(f"  {label} {name}: {'solved' if o['solved'] else 'unsolved'} "
              f"{o['seconds']:.2f} s {o['candidates']} candidates "
              f"({o['to_solution']} to the solution)", flush=True)
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
        if not tasks:
            return float("nan")
        return statistics.median(run[n][key] if run[n]["solved"] else float("inf")
                                 for n in tasks)
    res = {"tasks": len(names), "solved_either": len(either), "solved_both": len(both),
           "solved_base": sum(base[n]["solved"] for n in names),
           "solved_model": sum(model[n]["solved"] for n in names),
           "lost": [n for n in names if base[n]["solved"] and not model[n]["solved"]],
           "gained": [n for n in names if model[n]["solved"] and not base[n]["solved"]],
           "median_candidates_base": med(base, "to_solution", either),
           "median_candidates_model": med(model, "to_solution", either),
           "median_all_candidates_base": med(base, "candidates", either),
           "median_all_candidates_model": med(model, "candidates", either),
           "median_seconds_base": med(base, "seconds", either),
           "median_seconds_model": med(model, "seconds", either),
           "total_candidates_both_base": sum(base[n]["candidates"] for n in both),
           "total_candidates_both_model": sum(model[n]["candidates"] for n in both)}
    m = res["median_candidates_model"]
    res["median_candidates_reduction"] = res["median_candidates_base"] / m if m else float("inf")
    m = res["median_all_candidates_model"]
    res["median_all_candidates_reduction"] = (res["median_all_candidates_base"] / m if m
                                              else float("inf"))
    return res


def table(runs: dict[str, dict], names: list[str]) -> list[str]:
    def cell(o: dict) -> str:
        fb = " (fallback)" if o.get("fallback") else ""
        return (f"{'✓' if o['solved'] else '✗'} {o['seconds']:.2f} s, {o['to_solution']} "
                f"({o['candidates']}){fb}")
    rows = ["| task | " + " | ".join(runs) + " |", "| --- |" + " --- |" * len(runs)]
    rows += [f"| {n} | " + " | ".join(cell(r[n]) for r in runs.values()) + " |"
             for n in names]
    return rows


def experiment(label: str, base: dict, uniform: dict, train: list[str], evaluate: list[str],
               args: Any, seed: int, refitted: bool = True) -> dict[str, Any]:
    """Refit, dream, train on `train`'s solutions; search `evaluate` refitted and guided."""
    t0 = time.monotonic()
    programs = [base[n]["_program"] for n in train if base[n]["solved"]]
    grammar = fitted_grammar(programs)
    dreams = dream(args.dreams, [get_task(n) for n in train], grammar, seed=seed,
                   progress=None)
    dream_seconds = time.monotonic() - t0
    model, stats = train_recognition(dreams, solved_examples(base, train, args.copies, seed + 1),
                                     TrainConfig(epochs=args.epochs, seed=seed))
    model.config.base_weights = dict(grammar.weights)
    stats.update(dreams=len(dreams), dream_seconds=round(dream_seconds, 2),
                 solutions=len(programs))
    save_recognition(model, f"{args.out}-{label}.safetensors")
    print(f"  {label}: trained {stats}", flush=True)
    fitted = run_suite(evaluate, args.budget, args.examples, grammar=grammar,
                       label=f"{label}/refitted") if refitted else {}
    guided = run_suite(evaluate, args.budget, args.examples, model=model,
                       fallback=args.fallback, label=f"{label}/recognition")
    return {"train": stats, "refitted_weights": dict(grammar.weights),
            "fitted": strip(fitted), "recognition": strip(guided),
            "summary_recognition": compare(base, guided, evaluate),
            "summary_refitted": compare(base, fitted, evaluate) if refitted else {},
            "summary_vs_uniform": compare(uniform, guided, evaluate),
            "summary_refitted_vs_uniform": compare(uniform, fitted, evaluate) if refitted else {},
            "_runs": (fitted, guided)}


def strip(run: dict) -> dict:
    return {n: {k: v for k, v in o.items() if not k.startswith("_")} for n, o in run.items()}


def oracle(args: Any) -> None:
    """Held-out tasks searched under costs a perfect recognition model would give."""
    from rasplab.synth.recognition import PRODUCTIONS, costs_from_probabilities, used_productions

    torch.set_num_threads(1)
    names = get_suite(args.suite)
    rng = np.random.default_rng(args.split_seed)
    held = sorted(rng.permutation(names)[: len(names) // 2].tolist(), key=names.index)
    base = run_suite(held, args.budget, args.examples, label="base")
    runs = {}
    for name in held:
        if not base[name]["solved"]:
            runs[name] = base[name]
            continue
        used = used_productions(base[name]["_program"])
        probs = {k: 0.99 if k in used else 0.01 for k in PRODUCTIONS}
        grammar = Grammar().with_weights(costs_from_probabilities(probs, None, Grammar()))
        runs.update(run_suite([name], args.budget, args.examples, grammar=grammar,
                              label="oracle"))
    summary = compare(base, runs, held)
    lines = [f"# Oracle production costs on the held-out tasks ({args.budget:g} s per task)",
             "", f"summary: {json.dumps(summary)}", ""]
    lines += table({"default costs": base, "oracle costs": runs}, held)
    Path(args.out + "-oracle.json").write_text(json.dumps(
        {"held_out": held, "budget": args.budget, "baseline": strip(base),
         "oracle": strip(runs), "summary": summary}, indent=2, default=str))
    Path(args.out + "-oracle.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--suite", default="all")
    ap.add_argument("--budget", type=float, default=30.0)
    ap.add_argument("--examples", type=int, default=100)
    ap.add_argument("--dreams", type=int, default=3000)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--copies", type=int, default=8, help="input sets per solved task")
    ap.add_argument("--fallback", type=float, default=0.5,
                    help="share of the budget kept for default costs (0: none)")
    ap.add_argument("--split-seed", type=int, default=0)
    ap.add_argument("--skip-all", action="store_true", help="held-out split only")
    ap.add_argument("--model-seeds", type=int, default=1, metavar="K",
                    help="train K held-out models (dream and training seeds 1, 11, 21...) to "
                         "show the spread between training runs")
    ap.add_argument("--oracle", action="store_true",
                    help="held-out tasks under costs from their own solutions' productions")
    ap.add_argument("--out", default=str(RESULTS / "recognition"))
    args = ap.parse_args()
    if args.oracle:
        return oracle(args)
    torch.set_num_threads(1)
    names = get_suite(args.suite)
    rng = np.random.default_rng(args.split_seed)
    held = sorted(rng.permutation(names)[: len(names) // 2].tolist(), key=names.index)
    train = [n for n in names if n not in held]
    doc: dict[str, Any] = {"budget": args.budget, "dreams": args.dreams, "epochs": args.epochs,
                           "fallback": args.fallback, "held_out": held, "train": train}
    start = time.monotonic()
    print(f"baseline (default costs) on {len(names)} tasks, {args.budget:g} s each", flush=True)
    base = run_suite(names, args.budget, args.examples, label="base")
    doc["baseline"] = strip(base)
    print(f"uniform costs on {len(names)} tasks", flush=True)
    uniform = run_suite(names, args.budget, args.examples, grammar=Grammar.uniform(),
                        label="uniform")
    doc["uniform"] = strip(uniform)
    parts = [("split", train, held, 1)]
    parts += [(f"split-seed{1 + 10 * k}", train, held, 1 + 10 * k)
              for k in range(1, args.model_seeds)]
    parts += [] if args.skip_all else [("all", names, names, 3)]
    lines = [f"# Recognition model vs uniform and default costs ({args.suite}, {args.budget:g} s "
             f"per task, fallback {args.fallback:g})", "", f"held out: {', '.join(held)}", "",
             "Cells: solved, seconds, candidates to the solution (all candidates enumerated)."]
    for label, tr, ev, seed in parts:
        print(f"{label}: training on {len(tr)} tasks, searching {len(ev)}", flush=True)
        first = not label.startswith("split-seed")
        res = experiment(label, base, uniform, tr, ev, args, seed, refitted=first)
        fitted, guided = res.pop("_runs")
        doc[label] = res
        print(json.dumps(res["summary_vs_uniform"]), flush=True)
        print(json.dumps(res["summary_recognition"]), flush=True)
        lines += ["", f"## {label}", "",
                  f"recognition vs uniform costs: {json.dumps(res['summary_vs_uniform'])}", "",
                  f"recognition vs default costs: {json.dumps(res['summary_recognition'])}"]
        if first:
            lines += ["", "refitted grammar only, vs uniform: "
                      f"{json.dumps(res['summary_refitted_vs_uniform'])}", "",
                      f"refitted grammar only, vs default: {json.dumps(res['summary_refitted'])}"]
            lines += [""] + table({"uniform costs": uniform, "default costs": base,
                                   "refitted grammar": fitted, "recognition": guided}, ev)
        else:
            lines += [""] + table({"uniform costs": uniform, "default costs": base,
                                   "recognition": guided}, ev)
    doc["seconds"] = round(time.monotonic() - start, 1)
    Path(args.out + ".json").write_text(json.dumps(doc, indent=2, default=str))
    Path(args.out + ".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
