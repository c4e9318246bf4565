"""Benchmark: the whole `rasplab run PROGRAM --examples F --json` process beside the evaluator.

For reverse, sort and hist it writes N random inputs of length L (the task's letters, labelled by
its reference), then times, as a user waits for them: the `rasplab run` process (a subprocess,
wall clock, stdout to /dev/null), the evaluator alone on the same inputs (in this process), the
original RASP interpreter's 47 ms an input (issue #22's figure at length 100, or measured with
`--original`, below), `rasplab data` writing such a file, and `load_examples` reading one (what
`synth --examples` does first). With `--before SRC` the same commands also run on another source
tree (e.g. a checkout of the previous commit), interleaved, so both columns share one machine
state. Prints a markdown table; writes benchmarks/results/cli.json and cli.md.

    nice -n 5 python benchmarks/bench_cli.py [--n 10000] [--length 100] [--repeat 3]
        [--before /path/to/old/src]

With `--original PATH` (a checkout of the original RASP interpreter) and `--original-python PY`
(a Python with its runtime), the original is measured instead of taking issue #22's figure: it
runs, one input at a time through its own interpreter, on the first `--original-n` of the same
inputs, and its mean ms an input is used for the "× original" columns.

Subprocesses get OMP_NUM_THREADS=1 and a bytecode cache in a temporary folder (filled by a
warm-up run), as an installed package has; best of `--repeat` runs is kept.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from original_rasp import time_original

from rasplab.lang import evaluate
from rasplab.tasks import get_task, write_examples

RESULTS = Path(__file__).with_name("results")
SRC = Path(__file__).resolve().parents[1] / "src"
PROGRAMS = ("reverse", "sort", "hist")
#: the original RASP interpreter, milliseconds an input at length 100 (issue #22's measurement)
ORIGINAL_MS = 47.0
CLI = "import sys; from rasplab.cli.main import main; sys.exit(main())"
READ = ("import sys, time; from rasplab.tasks import load_examples; t = time.perf_counter(); "
        "load_examples(sys.argv[1]); print(time.perf_counter() - t)")


def tree_env(src: Path, pycache: Path) -> dict[str, str]:
    """The environment of a subprocess importing rasplab from `src`, with a bytecode cache."""
    path = os.pathsep.join([str(src)] + os.environ.get("PYTHONPATH", "").split(os.pathsep))
    env = dict(os.environ, PYTHONPATH=path.rstrip(os.pathsep), OMP_NUM_THREADS="1",
               PYTHONPYCACHEPREFIX=str(pycache / src.as_posix().strip("/").replace("/", "_")))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def timed(argv: list[str], env: dict[str, str], stdout: Any = subprocess.DEVNULL,
          ) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall and CPU (user + system) seconds of one subprocess, and its result."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=stdout, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"{' '.join(argv[3:])} failed: {done.stderr.strip()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done


def best(runs: list[tuple[float, float]]) -> dict[str, float]:
    return {"wall_s": round(min(w for w, _ in runs), 3), "cpu_s": round(min(c for _, c in runs), 3)}


def original_baseline(checkout: str | None, python: str, name: str, inputs: list,
                      n: int) -> tuple[float, dict[str, Any]]:
    """The original interpreter's ms an input on `name`: measured on the first `n` inputs when a
    checkout is given (with its outputs, to check), else issue #22's figure."""
    if not checkout:
        return ORIGINAL_MS, {}
    timing = time_original(checkout, python, [name], inputs[:n])[name]
    return timing["ms_per_input"], {"original_n": n, "original_measured_ms": round(
        timing["ms_per_input"], 1), "original_outputs": timing["outputs"]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000, help="inputs")
    ap.add_argument("--length", type=int, default=100, help="length of every input")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each command; best kept")
    ap.add_argument("--before", type=Path, help="another source tree to time beside this one")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--original", help="checkout of the original RASP interpreter to measure")
    ap.add_argument("--original-python", default=sys.executable,
                    help="a Python with the original's runtime (antlr4-python3-runtime 4.9.1)")
    ap.add_argument("--original-n", type=int, default=10,
                    help="inputs the original is timed on (a prefix of the same inputs)")
    args = ap.parse_args(argv)

    trees = {"after": SRC} | ({"before": args.before.resolve()} if args.before else {})
    work = Path(tempfile.mkdtemp(prefix="bench_cli_"))
    envs = {k: tree_env(src, work / "pycache") for k, src in trees.items()}
    py = sys.executable
    load = [os.getloadavg()[0]]
    rows, data_rows = [], []
    for name in PROGRAMS:
        task = get_task(name)
        rng = np.random.default_rng(args.seed)
        inputs = task.sample(args.n, rng, min_len=args.length, max_len=args.length)
        outputs = task.outputs(inputs)
        path = work / f"{name}.jsonl"
        write_examples(path, inputs, outputs)
        original_ms, measured = original_baseline(args.original, args.original_python, name,
                                                  inputs, args.original_n)

        evals = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            got = evaluate(task.program, inputs)
            evals.append(time.perf_counter() - start)
        row: dict[str, Any] = {"program": name, "n": args.n, "length": args.length,
                               "evaluator_s": round(min(evals), 3),
                               "evaluator_equals_reference": got == outputs}
        run_argv = [py, "-c", CLI, "run", name, "--examples", str(path), "--json"]
        data_argv = [py, "-c", CLI, "data", name, "--n", str(args.n), "--min-len",
                     str(args.length), "--max-len", str(args.length), "--seed", str(args.seed),
                     "-o"]
        drow: dict[str, Any] = {"task": name}
        runs: dict[str, list] = {k: [] for k in trees}
        datas: dict[str, list] = {k: [] for k in trees}
        reads: dict[str, list] = {k: [] for k in trees}
        for tree, env in envs.items():  # warm-up: fills the bytecode cache; checks the outputs
            _, _, done = timed(run_argv, env, stdout=subprocess.PIPE)
            row[f"{tree}_outputs_equal"] = [json.loads(s) for s in done.stdout.splitlines()] \
                == outputs
        for _ in range(args.repeat):  # interleaved, so both trees see the same machine load
            for tree, env in envs.items():
                runs[tree].append(timed(run_argv, env)[:2])
                out = work / f"data-{tree}-{name}.jsonl"
                datas[tree].append(timed(data_argv + [str(out)], env)[:2])
                _, _, done = timed([py, "-c", READ, str(path)], env, stdout=subprocess.PIPE)
                reads[tree].append(float(done.stdout))
        for tree in trees:
            r = best(runs[tree])
            row[f"{tree}_run_wall_s"], row[f"{tree}_run_cpu_s"] = r["wall_s"], r["cpu_s"]
            row[f"{tree}_x_original"] = round(original_ms / 1e3 / (r["wall_s"] / args.n))
            d = best(datas[tree])
            drow[f"{tree}_data_wall_s"], drow[f"{tree}_data_cpu_s"] = d["wall_s"], d["cpu_s"]
            drow[f"{tree}_load_examples_s"] = round(min(reads[tree]), 3)
        row["evaluator_x_original"] = round(original_ms / 1e3 / (row["evaluator_s"] / args.n))
        if measured:
            row["original_outputs_equal"] = measured.pop("original_outputs") == \
                outputs[: args.original_n]
            row.update(measured)
        rows.append(row)
        data_rows.append(drow)
        print(f"{name}: {row}", file=sys.stderr)
    load.append(os.getloadavg()[0])
    shutil.rmtree(work)

    doc = {"n": args.n, "length": args.length, "repeat": args.repeat, "original_ms": ORIGINAL_MS,
           "trees": {k: str(v) for k, v in trees.items()}, "load_average": load,
           "cpus": os.cpu_count(), "run": rows, "data": data_rows}
    if args.original:
        doc["original_ms"] = {r["program"]: r["original_measured_ms"] for r in rows}
    text = markdown(doc)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "cli.json").write_text(json.dumps(doc, indent=2) + "\n")
    (RESULTS / "cli.md").write_text(text)
    return 0


def original_text(original_ms: float | dict[str, float]) -> str:
    """Issue #22's one figure, or the figures measured here (per program)."""
    if isinstance(original_ms, dict):
        return "measured here, " + ", ".join(f"{k} {v:g} ms" for k, v in original_ms.items()) \
            + " an input"
    return f"{original_ms:g} ms an input (issue #22)"


def markdown(doc: dict) -> str:
    """The tables: `run` beside the evaluator and the original; `data` and reading."""
    n, trees = doc["n"], list(doc["trees"])
    us = lambda s: f"{1e6 * s / n:,.0f} µs"  # noqa: E731
    head = ["program", "evaluator alone"] + [f"`rasplab run` {t}" for t in reversed(trees)] + \
        [f"× original, {t}" for t in reversed(trees)] + ["outputs"]
    lines = [f"{n:,} inputs of length {doc['length']}, best of {doc['repeat']}; per input, whole "
             f"process wall time (CPU: user + system); original interpreter "
             f"{original_text(doc['original_ms'])}; load average "
             f"{doc['load_average'][0]:.1f} → {doc['load_average'][1]:.1f} on {doc['cpus']} CPUs.",
             "",
             "| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for r in doc["run"]:
        ok = all(r[f"{t}_outputs_equal"] for t in trees) and r["evaluator_equals_reference"] \
            and r.get("original_outputs_equal", True)
        cells = [r["program"], f"{us(r['evaluator_s'])} ({r['evaluator_x_original']:,}×)"]
        cells += [f"{r[f'{t}_run_wall_s']:.2f} s ({us(r[f'{t}_run_wall_s'])}; CPU "
                  f"{r[f'{t}_run_cpu_s']:.2f} s)" for t in reversed(trees)]
        cells += [f"{r[f'{t}_x_original']:,}×" for t in reversed(trees)]
        lines.append("| " + " | ".join(cells + ["equal" if ok else "DIFFER"]) + " |")
    head = ["task"] + [f"`rasplab data` {t}" for t in reversed(trees)] + \
        [f"`load_examples` {t}" for t in reversed(trees)]
    lines += ["", f"Writing ({n:,} examples of length {doc['length']}, whole process) and "
              "reading (`load_examples`, what `synth --examples` does first, import excluded):",
              "", "| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for d in doc["data"]:
        cells = [d["task"]] + [f"{d[f'{t}_data_wall_s']:.2f} s (CPU {d[f'{t}_data_cpu_s']:.2f} s)"
                               for t in reversed(trees)]
        cells += [f"{d[f'{t}_load_examples_s']:.3f} s" for t in reversed(trees)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
