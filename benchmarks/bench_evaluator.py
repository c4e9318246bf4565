"""rasplab's batched evaluator against Tracr's reference evaluator on reverse, sort and hist.

Both run the same program structure (Tracr's `lib.make_reverse`, `make_sort`, `make_hist`,
rebuilt node for node in rasplab's embedding) on the same random inputs; outputs are checked
equal. Tracr evaluates one input at a time in Python, so by default it is timed on a subset.
With `--original PATH` (a checkout of the original RASP interpreter, run by
`--original-python`), the original too is timed, one input at a time through its own
interpreter, on the first `--original-n` of the same inputs: its figure per input, rasplab's, and
the speed-up are printed side by side.

    # TRACR_PY: a venv's python with rasplab and `pip install tracr-pypi`
    TRACR_PY benchmarks/bench_evaluator.py [--n 10000] [--length 100]
        [--tracr-n 300] [--repeat 3] [--original PATH --original-python PY [--original-n 10]]
        [--json]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from typing import Any, Callable

import numpy as np
from original_rasp import time_original
from tqdm import tqdm

from rasplab.lang import EQ, LT, TRUE, Aggregate, SelectorWidth, SequenceMap, evaluate, select
from rasplab.lang import indices as r_indices
from rasplab.lang import tokens as r_tokens


def rasplab_programs(max_seq_len: int, min_key: float = 1) -> dict[str, Any]:
    """Tracr's lib programs, node for node, in rasplab (length too is a selector width)."""
    length = SelectorWidth(select(r_tokens, r_tokens, TRUE))
    opp = SequenceMap(lambda n, i: n - i, length, r_indices)
    opp = opp - 1
    reverse = Aggregate(select(r_indices, opp, EQ), r_tokens)
    keys = SequenceMap(lambda x, i: x + min_key * i / max_seq_len, r_tokens, r_indices)
    target = SelectorWidth(select(keys, keys, LT))
    sort = Aggregate(select(target, r_indices, EQ), r_tokens)
    hist = SelectorWidth(select(r_tokens, r_tokens, EQ))
    return {"reverse": reverse, "sort": sort, "hist": hist}


def tracr_programs(max_seq_len: int, min_key: float = 1) -> dict[str, Any]:
    from tracr.compiler import lib
    from tracr.rasp import rasp
    return {"reverse": lib.make_reverse(rasp.tokens),
            "sort": lib.make_sort(rasp.tokens, rasp.tokens, max_seq_len=max_seq_len,
                                  min_key=min_key),
            "hist": lib.make_hist()}


REFERENCES: dict[str, Callable[[list], list]] = {
    "reverse": lambda x: x[::-1],
    "sort": sorted,
    "hist": lambda x: [Counter(x)[t] for t in x],
}


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    """The fastest of `repeat` runs (seconds) and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000, help="inputs for rasplab")
    ap.add_argument("--length", type=int, default=100, help="length of every input")
    ap.add_argument("--vocab", type=int, default=8, help="tokens are the integers 0..vocab-1")
    ap.add_argument("--tracr-n", type=int, default=300,
                    help="inputs for Tracr (a prefix of the same inputs; 0 skips Tracr)")
    ap.add_argument("--repeat", type=int, default=3, help="rasplab runs; the best is kept")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--original", help="checkout of the original RASP interpreter to time too")
    ap.add_argument("--original-python", default=sys.executable,
                    help="a Python with the original's runtime (antlr4-python3-runtime 4.9.1)")
    ap.add_argument("--original-n", type=int, default=10,
                    help="inputs for the original (a prefix of the same inputs)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    inputs = rng.integers(0, args.vocab, size=(args.n, args.length)).tolist()
    ours = rasplab_programs(args.length)
    theirs = tracr_programs(args.length) if args.tracr_n else {}
    original = (time_original(args.original, args.original_python, list(ours),
                              inputs[: args.original_n]) if args.original else {})
    rows = []
    try:
        for name, program in ours.items():
            seconds, out = best_of(args.repeat, lambda: evaluate(program, inputs))
            ref = REFERENCES[name]
            row: dict[str, Any] = {
                "program": name, "n": args.n, "length": args.length,
                "rasplab_s": round(seconds, 3), "rasplab_us_per_input": 1e6 * seconds / args.n,
                "rasplab_matches_reference": all(o == ref(x) for o, x in zip(out, inputs))}
            if theirs:
                from tracr.rasp import rasp
                subset = inputs[: args.tracr_n]
                start = time.perf_counter()
                tracr_out = [rasp.evaluate(theirs[name], x)
                             for x in tqdm(subset, desc=f"tracr {name}", file=sys.stderr,
                                           leave=False)]
                t = time.perf_counter() - start
                row.update({
                    "tracr_n": len(subset), "tracr_s": round(t, 3),
                    "tracr_us_per_input": 1e6 * t / len(subset),
                    "speedup": (t / len(subset)) / (seconds / args.n),
                    "outputs_equal": tracr_out == out[: len(subset)]})
            if name in original:
                ms = original[name]["ms_per_input"]
                subset = inputs[: args.original_n]
                row.update({
                    "original_n": len(subset), "original_ms_per_input": round(ms, 1),
                    "original_speedup": (ms / 1e3) / (seconds / args.n),
                    "original_outputs_equal": original[name]["outputs"] == out[: len(subset)]})
            rows.append(row)
    except KeyboardInterrupt:
        print("interrupted: reporting the programs measured so far", file=sys.stderr)

    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{args.n} random inputs of length {args.length} over {args.vocab} integer tokens; "
          f"rasplab best of {args.repeat}, Tracr on the first {args.tracr_n}")
    print(f"{'program':<8} {'rasplab s':>9} {'us/input':>9} {'tracr s':>8} {'us/input':>9} "
          f"{'speed-up':>9}  outputs")
    for r in rows:
        tr = (f"{r['tracr_s']:>8.2f} {r['tracr_us_per_input']:>9.0f} {r['speedup']:>8.0f}x"
              if "tracr_s" in r else f"{'-':>8} {'-':>9} {'-':>9}")
        ok = "equal" if r.get("outputs_equal", True) and r["rasplab_matches_reference"] else \
            "DIFFER"
        print(f"{r['program']:<8} {r['rasplab_s']:>9.3f} {r['rasplab_us_per_input']:>9.1f} "
              f"{tr}  {ok}")
    if original:
        print(f"\nthe original RASP interpreter, one input at a time, on the first "
              f"{args.original_n} inputs:")
        print(f"{'program':<8} {'ms/input':>9} {'rasplab us/input':>17} {'speed-up':>10}  outputs")
        for r in rows:
            if "original_ms_per_input" in r:
                same = "equal" if r["original_outputs_equal"] else "DIFFER"
                print(f"{r['program']:<8} {r['original_ms_per_input']:>9.1f} "
                      f"{r['rasplab_us_per_input']:>17.1f} {r['original_speedup']:>9,.0f}x  {same}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
