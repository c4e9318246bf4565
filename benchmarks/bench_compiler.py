"""rasplab's compiler side by side with Tracr on Tracr's lib examples (same vocabulary and max_len).

For each program: d_model, layers, heads, parameter count, compile time, and agreement of the
compiled model with the interpreter on the same random inputs (rasplab's model against rasplab's
interpreter, Tracr's model against Tracr's). Run it where `tracr-pypi` is installed:

    # TRACR_PY: a venv's python with rasplab and `pip install tracr-pypi`
    TRACR_PY benchmarks/bench_compiler.py [--n 200] [--json out.json]

Without Tracr (or with --no-tracr) only rasplab's columns are filled in.

`--style tracr` compiles instead the programs of `benchmarks/tracr_style.rasp` (Tracr's library
translated step for step into `.rasp`, at max_len 8) and prints rasplab's d_model, layers and
parameters beside Tracr's for the same program, vocabulary and length:

    TRACR_PY benchmarks/bench_compiler.py --style tracr [--n 300]

Tracr's figures are measured when `tracr` imports, else taken from TRACR_MEASURED (marked so).
"""
from __future__ import annotations

import argparse
import json
import math
import numbers
import random
import sys
import time
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from rasplab.compiler import compile_program
from rasplab.lang import evaluate
from rasplab.lang.parser import parse_file

# Tracr's lib programs in rasplab's embedding are a test fixture (tests/compiler/tracr_lib.py)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "compiler"))
from tracr_lib import MAX_LEN, TRACR_LIB  # noqa: E402

STYLE_FILE = Path(__file__).with_name("tracr_style.rasp")
STYLE_LEN = 8
ABC8, NUM8 = ["a", "b", "c"], [1, 2, 3]
#: tracr_style.rasp's programs: name -> vocabulary (all at max_len STYLE_LEN)
TRACR_STYLE: dict[str, list[Any]] = {
    "length": ABC8, "reverse": ABC8, "hist": ABC8, "sort_unique": NUM8, "sort": NUM8,
    "sort_freq": ABC8, "frac_prevs": ABC8, "pair_balance": ["(", ")"],
    "shuffle_dyck1": ["(", ")"], "shuffle_dyck2": ["(", ")", "{", "}"],
    "count_less_freq": ABC8, "count": ABC8, "shift_by": ABC8, "detect_pattern": ABC8,
    "nary_sequencemap": NUM8, "pair_balance_plain": ["(", ")"],
    "shuffle_dyck2_plain": ["(", ")", "{", "}"],
}
#: the Tracr lib program each row compares with (the *_plain rows: the lib's own spelling)
TRACR_OF = {"pair_balance_plain": "pair_balance", "shuffle_dyck2_plain": "shuffle_dyck2"}
#: Tracr's (d_model, layers, params) for these rows, measured with tracr-pypi 1.0.0 (compiler_bos
#: "BOS", the vocabularies above, max_seq_len 8); used only where tracr cannot be imported
TRACR_MEASURED: dict[str, tuple[int, int, int]] = {
    "length": (24, 1, 1761), "reverse": (59, 4, 52778), "hist": (24, 1, 1761),
    "sort_unique": (27, 2, 4686), "sort": (51, 3, 24582), "sort_freq": (118, 5, 263902),
    "frac_prevs": (16, 2, 1694), "pair_balance": (18, 2, 3602),
    "shuffle_dyck1": (47, 6, 173447), "shuffle_dyck2": (64, 8, 625664),
    "count_less_freq": (34, 2, 6154), "count": (24, 1, 1761), "shift_by": (17, 1, 1017),
    "detect_pattern": (28, 3, 8486), "nary_sequencemap": (107, 3, 49873),
}


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


def _inputs(vocab: list[Any], n: int, seed: int, max_len: int = MAX_LEN) -> list[list[Any]]:
    rng = random.Random(seed)
    return [[rng.choice(vocab) for _ in range(1 + i % max_len)] for i in range(n)]


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


def _tracr_program(name: str, max_len: int = MAX_LEN) -> Any:
    from tracr.compiler import lib
    from tracr.rasp import rasp

    return {
        "length": lambda: lib.make_length(),
        "reverse": lambda: lib.make_reverse(rasp.tokens),
        "hist": lambda: lib.make_hist(),
        "sort_unique": lambda: lib.make_sort_unique(rasp.tokens, rasp.tokens),
        "sort": lambda: lib.make_sort(rasp.tokens, rasp.tokens, max_seq_len=max_len, min_key=1),
        "sort_freq": lambda: lib.make_sort_freq(max_seq_len=max_len),
        "frac_prevs": lambda: lib.make_frac_prevs(rasp.tokens == "a"),
        "pair_balance": lambda: lib.make_pair_balance(rasp.tokens, "(", ")"),
        "shuffle_dyck1": lambda: lib.make_shuffle_dyck(pairs=["()"]),
        "shuffle_dyck2": lambda: lib.make_shuffle_dyck(pairs=["()", "{}"]),
        "count": lambda: lib.make_count(rasp.tokens, "a"),
        "nary_sequencemap": lambda: lib.make_nary_sequencemap(
            lambda x, y, z: x + y - z, rasp.tokens, rasp.tokens, rasp.indices),
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


def tracr_size(name: str, vocab: list[Any], max_len: int) -> dict:
    """Tracr's d_model, layers and parameters for its lib program `name`."""
    import jax
    from tracr.compiler import compiling

    model = compiling.compile_rasp_to_model(_tracr_program(name, max_len), vocab=set(vocab),
                                            max_seq_len=max_len, compiler_bos="BOS")
    return {"d_model": int(model.params["token_embed"]["embeddings"].shape[1]),
            "layers": model.model_config.num_layers,
            "params": sum(int(leaf.size) for leaf in jax.tree_util.tree_leaves(model.params)),
            "source": "measured"}


def run_tracr_style(n: int, tracr_ok: bool, only: list[str] | None) -> list[dict]:
    """Compile tracr_style.rasp's programs; each row: rasplab's size and agreement, Tracr's size."""
    program_file = parse_file(STYLE_FILE)
    rows = []
    for i, (name, vocab) in enumerate(TRACR_STYLE.items()):
        if only and name not in only:
            continue
        example = _StyleExample(name, program_file[name], vocab)
        row = {"program": name, "vocab": vocab, "max_len": STYLE_LEN,
               "rasplab": bench_rasplab(example, _inputs(vocab, n, seed=i, max_len=STYLE_LEN))}
        base = TRACR_OF.get(name, name)
        if tracr_ok:
            try:
                row["tracr"] = tracr_size(base, vocab, STYLE_LEN)
            except Exception as exc:  # report, keep going
                row["tracr"] = {"error": f"{type(exc).__name__}: {exc}"}
        elif base in TRACR_MEASURED:
            d, layers, params = TRACR_MEASURED[base]
            row["tracr"] = {"d_model": d, "layers": layers, "params": params,
                            "source": "recorded"}
        rows.append(row)
        print(_style_line(row), file=sys.stderr)
    return rows


class _StyleExample:
    """A parsed program in the shape bench_rasplab reads (build, vocab, max_len)."""

    def __init__(self, name: str, program: Any, vocab: list[Any]):
        self.name, self.program, self.vocab, self.max_len = name, program, vocab, STYLE_LEN

    def build(self) -> Any:
        return self.program


def _style_line(row: dict) -> str:
    ours, theirs = row["rasplab"], row.get("tracr")
    if theirs is None:
        their_cells = "- | - | - | -"
    elif "error" in theirs:
        their_cells = f"error: {theirs['error'][:40]} | | | -"
    else:
        mark = "" if theirs["source"] == "measured" else "*"
        fits = "yes" if ours["d_model"] <= theirs["d_model"] else "NO"
        their_cells = (f"{theirs['d_model']}{mark} | {theirs['layers']} | "
                       f"{theirs['params']:,} | {fits}")
    return (f"| {row['program']} | {ours['d_model']} | {ours['layers']} | {ours['params']:,} | "
            f"{100 * ours['agree']:.0f}% of {ours['inputs']} | {their_cells} |")


def _style_summary(rows: list[dict]) -> None:
    print("\n| program | d_model | layers | params | agreement | Tracr d_model | layers | params "
          "| d_model <= Tracr's |\n" + "|---" * 9 + "|")
    for row in rows:
        print(_style_line(row))
    compared = [r for r in rows if "d_model" in r.get("tracr", {})]
    print(f"\nrasplab d_model <= Tracr's on "
          f"{sum(r['rasplab']['d_model'] <= r['tracr']['d_model'] for r in compared)}"
          f"/{len(compared)}; agreement 100% on "
          f"{sum(r['rasplab']['agree'] == 1.0 for r in rows)}/{len(rows)} programs")
    if any(r.get("tracr", {}).get("source") == "recorded" for r in rows):
        print("* Tracr's figures recorded from an earlier measurement (tracr not importable)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="random inputs per program")
    parser.add_argument("--only", nargs="*", help="program names (default: all)")
    parser.add_argument("--no-tracr", action="store_true")
    parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    parser.add_argument("--style", choices=["rasplab", "tracr"], default="rasplab",
                        help="tracr: the programs of tracr_style.rasp at max_len 8")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    tracr_ok = not args.no_tracr
    if tracr_ok:
        try:
            import tracr  # noqa: F401
        except ImportError:
            print("tracr-pypi is not installed: rasplab columns only", file=sys.stderr)
            tracr_ok = False
    if args.style == "tracr":
        rows = run_tracr_style(args.n, tracr_ok, args.only)
        _style_summary(rows)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(rows, f, indent=1)
        return 0
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
