"""Where the time of `rasplab run PROGRAM --examples F --json` goes, stage by stage.

For reverse, sort and hist on N inputs of length L, a fresh subprocess (as `rasplab run` is one)
times each stage of the command, wall and CPU, best of `--repeat`: the bare interpreter's start
(`python -c pass`), importing the command, resolving the program (the library cache), reading
the examples file, evaluating, encoding the JSON lines and writing them. The same for
`rasplab data` (sample, label, encode) and for `load_examples`. Prints a markdown table; with
`--out` writes it there too.

    nice -n 5 python benchmarks/profile_cli_stages.py [--n 10000] [--length 100] [--repeat 3]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PROGRAMS = ("reverse", "sort", "hist")

#: runs inside the subprocess: the steps of cmd_run.run and cmd_data.run, timed one by one
STAGES = r'''
import json, os, sys, time
marks = [("start", time.perf_counter(), time.process_time())]
def mark(name):
    marks.append((name, time.perf_counter(), time.process_time()))
kind, name, path = sys.argv[1:4]
n, length = int(sys.argv[4]), int(sys.argv[5])
if kind in ("run", "data"):  # as the commands do (cmd_run.run, cmd_data.run)
    import gc
    gc.disable()
if kind == "run":
    from rasplab.cli.cmd_run import resolve
    from rasplab.cli.common import json_lines
    from rasplab.tasks import load_inputs
    mark("import")
    runner = resolve(name)
    mark("resolve program")
    inputs = load_inputs(path)
    mark("read examples")
    for x in inputs:
        runner.check(x)
    outputs = runner.run(inputs)
    mark("evaluate")
    text = json_lines(outputs)
    mark("encode JSON")
    with open(os.devnull, "w") as f:
        f.write(text)
    mark("write")
elif kind == "data":
    import numpy as np
    from rasplab.tasks import format_examples, get_task
    mark("import")
    task = get_task(name)
    inputs = task.sample(n, np.random.default_rng(0), min_len=length, max_len=length)
    mark("sample")
    outputs = task.outputs(inputs)
    mark("label")
    text = format_examples(inputs, outputs)
    mark("encode JSON")
    with open(path, "w") as f:
        f.write(text)
    mark("write")
else:
    from rasplab.tasks import load_examples
    mark("import")
    load_examples(path)
    mark("read examples")
print(json.dumps([(b[0], b[1] - a[1], b[2] - a[2]) for a, b in zip(marks, marks[1:])]))
'''


def stages(kind: str, name: str, path: Path, n: int, length: int, env: dict[str, str],
           repeat: int) -> dict[str, tuple[float, float]]:
    """Best wall and CPU seconds of each stage over `repeat` subprocesses."""
    best: dict[str, tuple[float, float]] = {}
    for _ in range(repeat + 1):  # the first run fills the bytecode and program caches
        done = subprocess.run([sys.executable, "-c", STAGES, kind, name, str(path), str(n),
                               str(length)], env=env, capture_output=True, text=True,
                              check=True)
        for stage, wall, cpu in json.loads(done.stdout):
            old = best.get(stage, (float("inf"), float("inf")))
            best[stage] = (min(old[0], wall), min(old[1], cpu))
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--length", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, help="also write the table here")
    args = ap.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="cli_stages_"))
    env = dict(os.environ, PYTHONPATH=str(SRC), OMP_NUM_THREADS="1",
               PYTHONPYCACHEPREFIX=str(work / "pycache"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    bare = []
    for _ in range(args.repeat):
        start, cpu = time.perf_counter(), os.times()
        subprocess.run([sys.executable, "-c", "pass"], env=env, check=True)
        after = os.times()
        bare.append((time.perf_counter() - start, (after.children_user - cpu.children_user)
                     + (after.children_system - cpu.children_system)))
    start_wall, start_cpu = min(w for w, _ in bare), min(c for _, c in bare)
    load = [os.getloadavg()[0]]
    lines = [f"Stages of one process, {args.n:,} inputs of length {args.length}, best of "
             f"{args.repeat}; wall ms (CPU ms); interpreter start `python -c pass` "
             f"{1e3 * start_wall:.0f} ({1e3 * start_cpu:.0f}).", ""]
    for kind in ("run", "data", "load_examples"):
        table: dict[str, dict[str, tuple[float, float]]] = {}
        for name in PROGRAMS:
            path = work / f"{name}.jsonl"
            if kind == "data" or not path.exists():
                got = stages("data", name, path, args.n, args.length, env, args.repeat)
                if kind == "data":
                    table[name] = got
            if kind != "data":
                table[name] = stages(kind, name, path, args.n, args.length, env, args.repeat)
        names = list(next(iter(table.values())))
        lines += [f"`{kind}`:", "", "| stage | " + " | ".join(PROGRAMS) + " |",
                  "|" + " --- |" * (len(PROGRAMS) + 1)]
        lines.append("| interpreter start | " + " | ".join(
            f"{1e3 * start_wall:.0f} ({1e3 * start_cpu:.0f})" for _ in PROGRAMS) + " |")
        for stage in names:
            lines.append(f"| {stage} | " + " | ".join(
                f"{1e3 * table[p][stage][0]:.0f} ({1e3 * table[p][stage][1]:.0f})"
                for p in PROGRAMS) + " |")
        total = {p: (start_wall + sum(w for w, _ in table[p].values()),
                     start_cpu + sum(c for _, c in table[p].values())) for p in PROGRAMS}
        lines.append("| **sum** | " + " | ".join(
            f"**{1e3 * total[p][0]:.0f} ({1e3 * total[p][1]:.0f})**" for p in PROGRAMS) + " |")
        lines.append("")
    load.append(os.getloadavg()[0])
    lines.append(f"Load average {load[0]:.1f} → {load[1]:.1f} on {os.cpu_count()} CPUs.")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
