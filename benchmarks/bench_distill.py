"""Distillation benchmark: (1) the seven paper tasks, trained model -> program; (2) round trip,
library program -> compiled transformer -> distilled program, checked for equivalence.

    python benchmarks/bench_distill.py [--tasks ...] [--budget S] [--library FILE]
                                       [--skip-paper] [--skip-roundtrip]

Writes benchmarks/results/distill.md and distill.json; prints the tables.
"""
from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path

import numpy as np

PAPER = ["reverse", "hist", "double_hist", "sort", "most_freq", "dyck1", "dyck2"]
OUT = Path(__file__).parent / "results"


def paper_rows(tasks: list[str], budget: float, library: str | None = None,
               supervised: tuple[str, ...] = ()) -> list[dict]:
    from rasplab.distill import distill
    from rasplab.distill.cache import model_for
    from rasplab.errors import RaspLabError

    rows = []
    runs = [(name, False) for name in tasks] + [(name, True) for name in supervised]
    for name, attn in runs:
        t0 = time.perf_counter()
        path = model_for(name, quiet=True, attn_supervision=attn)
        trained_s = time.perf_counter() - t0
        try:
            r = distill(str(path), task=name, n=300, budget=budget, held_out=1000,
                        out_dir=OUT / f"distill-{name}{'-attn' if attn else ''}"
                                      f"{'-library' if library else ''}",
                        library=library)
        except RaspLabError as exc:  # no program at all: a row that says so
            rows.append({"task": name, "supervised": attn, "agreement": 0.0,
                         "program_correct": None,
                         "model_correct": None, "model_wrong_program_right": None,
                         "train_or_load_s": round(trained_s, 1),
                         "distill_s": round(time.perf_counter() - t0 - trained_s, 1),
                         "error": str(exc), "program": None, "heads": []})
            print(f"{name}: failed: {exc}", flush=True)
            continue
        v = r.verification
        rows.append({"task": name, "supervised": attn, "agreement": v.agreement,
                     "program_correct": v.program_correct,
                     "model_correct": v.model_correct,
                     "model_wrong_program_right": v.model_wrong_program_right,
                     "train_or_load_s": round(trained_s, 1), "distill_s": round(r.seconds, 1),
                     "solved_queries": r.solved_queries, "program": r.source,
                     "heads": [(m["selector"], m["head"], m["score"]) for m in r.head_matches]})
        print(f"{name}: agreement {v.agreement:.3f} ({r.seconds:.0f} s)", flush=True)
    return rows


def _inputs(vocab: list, max_len: int, rng: np.random.Generator, cap: int = 10_000):
    total = sum(len(vocab) ** n for n in range(1, max_len + 1))
    if total <= cap:
        return [list(p) for n in range(1, max_len + 1)
                for p in itertools.product(vocab, repeat=n)], True
    lengths = rng.integers(1, max_len + 1, size=cap)
    return [[vocab[i] for i in rng.integers(0, len(vocab), size=k)] for k in lengths], False


def roundtrip_rows(budget: float, library: str | None = None,
                   only: list[str] | None = None) -> list[dict]:
    from rasplab.compiler import compile_program
    from rasplab.distill import distill
    from rasplab.distill.verify import same_output
    from rasplab.errors import RaspLabError
    from rasplab.lang import evaluate
    from rasplab.lang.library import get_program, library_names
    from rasplab.tasks import get_task

    rng = np.random.default_rng(0)
    rows = []
    for name in library_names():
        if name == "rasplib" or (only and name not in only):
            continue
        try:
            task = get_task(name)
            vocab = list(task.vocab)[:4] if len(task.vocab) > 4 else list(task.vocab)
        except Exception:
            vocab = list("abcd")
        max_len = 6
        program = get_program(name)
        row = {"program": name, "vocab": "".join(map(str, vocab)), "max_len": max_len}
        try:
            t0 = time.perf_counter()
            model = compile_program(program, vocab, max_len)
            row["compile_s"] = round(time.perf_counter() - t0, 2)
        except Exception as exc:  # report, do not hide
            row.update(error=f"compile: {exc}", equivalent=False)
            rows.append(row)
            print(f"{name}: compile failed: {exc}", flush=True)
            continue
        try:
            r = distill(model, task=name if name in _task_names() else None, n=300,
                        budget=budget, held_out=500, library=library)
        except RaspLabError as exc:
            row.update(error=f"distill: {exc}", equivalent=False)
            rows.append(row)
            print(f"{name}: no program: {exc}", flush=True)
            continue
        xs, exhaustive = _inputs(vocab, max_len, rng)
        want = evaluate(program, xs)
        try:
            got = evaluate(r.program, xs)
            ok = all(same_output(a, b) for a, b in zip(got, want))
        except Exception:
            ok = False
        row.update(equivalent=ok, checked=len(xs), exhaustive=exhaustive,
                   agreement=r.agreement, distill_s=round(r.seconds, 1), found=r.source)
        rows.append(row)
        print(f"{name}: equivalent={ok} on {len(xs)} inputs ({r.seconds:.0f} s)", flush=True)
    return rows


def _task_names() -> set[str]:
    from rasplab.tasks import list_tasks

    return {t.name for t in list_tasks()}


def _verdict(row: dict) -> str:
    if row.get("equivalent"):
        return "yes"
    return "no: " + row["error"] if row.get("error") else "no"


def markdown(paper: list[dict], rt: list[dict]) -> str:
    lines = []
    if paper:
        lines += ["| task | model | agreement (1,000 held-out) | program correct | model correct | "
                  "model wrong, program right | train/load s | distill s |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- |"]
        for r in paper:
            model = "attention-supervised" if r.get("supervised") else "default"
            if r.get("error"):
                lines.append(f"| {r['task']} | {model} | no program found ({r['error']}) | – | – "
                             f"| – | "
                             f"{r['train_or_load_s']} | {r['distill_s']} |")
                continue
            lines.append(f"| {r['task']} | {model} | {100 * r['agreement']:.1f}% | "
                         f"{100 * (r['program_correct'] or 0):.1f}% | "
                         f"{100 * (r['model_correct'] or 0):.1f}% | "
                         f"{r['model_wrong_program_right']} | {r['train_or_load_s']} | "
                         f"{r['distill_s']} |")
        lines.append("")
    if rt:
        ok = sum(r.get("equivalent", False) for r in rt)
        lines += [f"Round trip: {ok}/{len(rt)} library programs recovered equivalent.", "",
                  "| program | vocab | max len | equivalent | inputs checked | distill s |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for r in rt:
            checked = (f"{r.get('checked', '-')} (all)" if r.get("exhaustive")
                       else str(r.get("checked", "-")))
            lines.append(f"| {r['program']} | {r['vocab']} | {r['max_len']} | "
                         f"{_verdict(r)} | "
                         f"{checked} | {r.get('distill_s', '-')} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tasks", nargs="*", default=PAPER)
    ap.add_argument("--budget", type=float, default=120.0)
    ap.add_argument("--roundtrip-budget", type=float, default=60.0)
    ap.add_argument("--library", help="a learned library file for the paper tasks' search")
    ap.add_argument("--supervised", nargs="*", default=[], metavar="TASK",
                    help="also distil attention-supervised models of these tasks")
    ap.add_argument("--programs", nargs="*", metavar="NAME",
                    help="round trip only these library programs (default: all)")
    ap.add_argument("--skip-paper", action="store_true")
    ap.add_argument("--skip-roundtrip", action="store_true")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    paper = [] if args.skip_paper else paper_rows(args.tasks, args.budget, args.library,
                                                    tuple(args.supervised))
    rt = [] if args.skip_roundtrip else roundtrip_rows(args.roundtrip_budget, args.library,
                                                       args.programs)
    text = markdown(paper, rt)
    suffix = "" if not (args.skip_paper or args.skip_roundtrip) else (
        "-roundtrip" if args.skip_paper else "-paper") + ("-library" if args.library else "") + (
        "-" + "-".join(args.programs) if args.programs else "")
    (OUT / f"distill{suffix}.md").write_text(text)
    (OUT / f"distill{suffix}.json").write_text(json.dumps({"paper": paper, "roundtrip": rt},
                                                          indent=2, default=str))
    print(text)


if __name__ == "__main__":
    main()
