"""rasplab's compiler side by side with Tracr on Tracr's lib examples (same vocabulary and max_len).

For each program: d_model, layers, heads, parameter count, compile time, and agreement of the
compiled model with the interpreter on the same random inputs (rasplab's model against rasplab's
interpreter, Tracr's model against Tracr's). Run it where `tracr-pypi` is installed:

    /work/bench-venv/bin/python benchmarks/bench_compiler.py [--n 200] [--json out.json]

Without Tracr (or with --no-tracr) only rasplab's columns are filled in.
"""
from __future__ import annotations

import argparse
import json
import math
import numbers
import random
import sys
import time
from typing import Any

import torch
from tqdm import tqdm

from rasplab.compiler import compile_program
from rasplab.compiler.examples import MAX_LEN, TRACR_LIB
from rasplab.lang import evaluate


def _same(a: Any, b: Any, tol: float) -> bool:
    """Equal values; numbers (booleans and numpy scalars too) within `tol`, as Tracr's
    interpreter gives a bool where one boolean is averaged and its model a float."""
    if a is None or b is None:
        return a is b
    if isinstance(a, numbers.Real) and isinstance(b, numbers.Real):
        return math.isfinite(float(a)) and abs(float(a) - float(b)) <= tol
    return a == b


def _agreement(got: list[list[Any]], want: list[list[Any]], tol: float) -> float:
    ok = sum(1 for g, w in zip(got, want)
             if len(g) == len(w) and all(_same(a, b, tol) for a, b in zip(g, w)))
    return ok / max(1, len(want))


def _inputs(vocab: list[Any], n: int, seed: int) -> list[list[Any]]:
    rng = random.Random(seed)
    return [[rng.choice(vocab) for _ in range(1 + i % MAX_LEN)] for i in range(n)]


def bench_rasplab(example: Any, inputs: list[list[Any]]) -> dict:
    program = example.build()
    start = time.perf_counter()
    model = compile_program(program, example.vocab, example.max_len)
    seconds = time.perf_counter() - start
    defined, want = [], []
    for x in inputs:  # inputs where the interpreter has no output (it raises) are skipped
        try:
            want.append(evaluate(program, [x])[0])
            defined.append(x)
        except Exception:
            continue
    got = model.predict(defined)
    cfg = model.cfg
    return {"d_model": cfg.d_model, "layers": cfg.n_layers,
            "heads": sum(1 for r in cfg.layout if r["block"] == "attn"),
            "params": model.n_params(), "seconds": seconds, "inputs": len(defined),
            "agree": _agreement(got, want, 1e-6), "agree_loose": _agreement(got, want, 1e-2)}


def _tracr_program(name: str) -> Any:
    from tracr.compiler import lib
    from tracr.rasp import rasp

    return {
        "length": lambda: lib.make_length(),
        "reverse": lambda: lib.make_reverse(rasp.tokens),
        "hist": lambda: lib.make_hist(),
        "sort_unique": lambda: lib.make_sort_unique(rasp.tokens, rasp.tokens),
        "sort": lambda: lib.make_sort(rasp.tokens, rasp.tokens, max_seq_len=MAX_LEN, min_key=1),
        "sort_freq": lambda: lib.make_sort_freq(max_seq_len=MAX_LEN),
        "frac_prevs": lambda: lib.make_frac_prevs(rasp.tokens == "a"),
        "pair_balance": lambda: lib.make_pair_balance(rasp.tokens, "(", ")"),
        "shuffle_dyck2": lambda: lib.make_shuffle_dyck(pairs=["()", "{}"]),
        "count_less_freq": lambda: lib.make_count_less_freq(2),
        "shift_by": lambda: lib.shift_by(2, rasp.tokens),
        "detect_pattern": lambda: lib.detect_pattern(rasp.tokens, "abc"),
    }[name]()


def bench_tracr(example: Any, inputs: list[list[Any]]) -> dict:
    import jax
    from tracr.compiler import compiling
    from tracr.rasp import rasp

    program = _tracr_program(example.name)
    start = time.perf_counter()
    model = compiling.compile_rasp_to_model(program, vocab=set(example.vocab),
                                            max_seq_len=example.max_len, compiler_bos="BOS")
    seconds = time.perf_counter() - start
    got, want = [], []
    for x in inputs:
        try:
            expected = rasp.evaluate(program, x)
        except Exception:
            continue
        want.append(list(expected))
        got.append(list(model.apply(["BOS"] + list(x)).decoded[1:]))
    cfg = model.model_config
    d_model = model.params["token_embed"]["embeddings"].shape[1]
    params = sum(int(leaf.size) for leaf in jax.tree_util.tree_leaves(model.params))
    return {"d_model": int(d_model), "layers": cfg.num_layers,
            "heads": cfg.num_layers * cfg.num_heads, "params": params, "seconds": seconds,
            "inputs": len(want), "agree": _agreement(got, want, 1e-6),
            "agree_loose": _agreement(got, want, 1e-2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="random inputs per program")
    parser.add_argument("--only", nargs="*", help="program names (default: all)")
    parser.add_argument("--no-tracr", action="store_true")
    parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    tracr_ok = not args.no_tracr
    if tracr_ok:
        try:
            import tracr  # noqa: F401
        except ImportError:
            print("tracr-pypi is not installed: rasplab columns only", file=sys.stderr)
            tracr_ok = False
    rows = []
    chosen = [(i, e) for i, e in enumerate(TRACR_LIB) if not args.only or e.name in args.only]
    for i, example in tqdm(chosen, desc="programs", file=sys.stderr):
        inputs = _inputs(example.vocab, args.n, seed=i)
        row = {"program": example.name, "vocab": example.vocab, "max_len": example.max_len,
               "rasplab": bench_rasplab(example, inputs)}
        if tracr_ok:
            try:
                row["tracr"] = bench_tracr(example, inputs)
            except Exception as exc:  # report, keep going
                row["tracr"] = {"error": f"{type(exc).__name__}: {exc}"}
        rows.append(row)
        tqdm.write(_line(row))
    _summary(rows, tracr_ok)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


def _cell(side: dict | None) -> str:
    if side is None:
        return "| - | - | - | - | - | - "
    if "error" in side:
        return f"| error: {side['error'][:40]} | | | | | "
    return (f"| {side['d_model']} | {side['layers']} | {side['heads']} | {side['params']:,} | "
            f"{side['seconds']:.2f} | {100 * side['agree']:.1f}% "
            f"({100 * side['agree_loose']:.0f}%)")


def _line(row: dict) -> str:
    return f"| {row['program']} {_cell(row['rasplab'])} {_cell(row.get('tracr'))} |"


def _summary(rows: list[dict], tracr_ok: bool) -> None:
    head = ("| program | d_model | layers | heads | params | compile s | agree 1e-6 (0.01) "
            "| Tracr d_model | layers | heads | params | compile s | agree 1e-6 (0.01) |")
    print("\n" + head + "\n" + "|---" * 13 + "|")
    for row in rows:
        print(_line(row))
    ours = sum(r["rasplab"]["d_model"] for r in rows)
    print(f"\nrasplab: total d_model {ours}, agreement 100% on "
          f"{sum(r['rasplab']['agree'] == 1.0 for r in rows)}/{len(rows)} programs")
    if tracr_ok:
        done = [r for r in rows if "error" not in r["tracr"]]
        theirs = sum(r["tracr"]["d_model"] for r in done)
        ours_done = sum(r["rasplab"]["d_model"] for r in done)
        not_larger = sum(r["rasplab"]["d_model"] <= r["tracr"]["d_model"] for r in done)
        print(f"Tracr: total d_model {theirs} (rasplab {ours_done} on the same programs); "
              f"rasplab d_model <= Tracr's on {not_larger}/{len(done)}; Tracr agreement 100% on "
              f"{sum(r['tracr']['agree'] == 1.0 for r in done)}/{len(done)}")


if __name__ == "__main__":
    sys.exit(main())
