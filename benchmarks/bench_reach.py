"""Benchmark: `rasplab synth --examples F --timeout 10` on the reach tasks, before and after.

For each task of `reach_tasks.py`: write N examples, run the CLI under each source tree given
(`--tree before=/path/to/src --tree after=src`), then run the program found on fresh inputs with
`rasplab run` from the same tree and count the inputs it gets exactly right. Prints a Markdown
table: per task and tree, solved (agrees with every example), seconds, right on fresh inputs.

    OMP_NUM_THREADS=1 nice -n 5 python benchmarks/bench_reach.py \
        --tree before=/work/wt-reach-base/src --tree after=src [--tasks a,b] [--json OUT]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reach_tasks import TASKS  # noqa: E402

CLI = "import sys; from rasplab.cli.main import main; sys.exit(main())"


def _cli(src: str, args: list[str], timeout: float) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(Path(src).resolve()), OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-c", CLI, *args], env=env, capture_output=True,
                          text=True, timeout=timeout)


def _write(path: Path, xs: list, ys: list) -> None:
    with path.open("w") as f:
        for x, y in zip(xs, ys):
            f.write(json.dumps({"input": x, "output": y}) + "\n")


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, int | float) and isinstance(b, int | float) and \
            not isinstance(a, bool) and not isinstance(b, bool) and \
            math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6)  # references to 6 decimals
    return type(a) is type(b) and a == b or (a is None and b is None)


def run_task(task, src: str, workdir: Path, n: int, fresh: int, timeout: float,
             seed: int) -> dict:
    xs = task.sample(n, seed)
    examples = workdir / f"{task.name}.jsonl"
    _write(examples, xs, task.outputs(xs))
    program = workdir / f"{task.name}.{Path(src).parent.name}.rasp"
    program.unlink(missing_ok=True)
    start = time.monotonic()
    proc = _cli(src, ["synth", "--examples", str(examples), "--timeout", str(timeout),
                      "--json", "-o", str(program)], timeout + 120)
    wall = time.monotonic() - start
    try:
        doc = json.loads(proc.stdout)
    except json.JSONDecodeError:
        doc = {"solved": False, "seconds": wall, "error": proc.stderr.strip()[-300:]}
    row = {"task": task.name, "family": task.family, "solved": bool(doc.get("solved")),
           "seconds": round(float(doc.get("seconds", wall)), 2), "wall": round(wall, 2),
           "fresh": 0.0, "program": doc.get("program", "")}
    if program.exists():
        test_xs = task.sample(fresh, seed + 1000)
        test_ys = task.outputs(test_xs)
        test = workdir / f"{task.name}.fresh.jsonl"
        _write(test, test_xs, test_ys)
        out = _cli(src, ["run", str(program), "--examples", str(test), "--json"], 300)
        got = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
        if len(got) == len(test_ys):
            right = sum(len(g) == len(w) and all(_same(a, b) for a, b in zip(g, w))
                        for g, w in zip(got, test_ys))
            row["fresh"] = right / len(test_ys)
    return row


def print_table(rows: dict[str, dict[str, dict]], labels: list[str], names: list[str],
                timeout: float) -> None:
    """The Markdown table: per task and tree, solved, seconds, share right on fresh inputs."""
    print("| task | family | " + " | ".join(f"{lab}: solved, s, fresh" for lab in labels) + " |")
    print("|" + " --- |" * (2 + len(labels)))
    totals = {lab: 0 for lab in labels}
    for name in names:
        cells = []
        for lab in labels:
            r = rows[name][lab]
            totals[lab] += r["solved"] and r["fresh"] == 1.0 and r["seconds"] <= timeout
            cells.append(f"{'yes' if r['solved'] else 'no'}, {r['seconds']:.1f}, "
                         f"{r['fresh']:.2f}")
        family = next(iter(rows[name].values()))["family"]
        print(f"| {name} | {family} | " + " | ".join(cells) + " |")
    print("| **solved and right on all fresh inputs** | | " +
          " | ".join(f"**{totals[lab]}/{len(names)}**" for lab in labels) + " |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tree", action="append", metavar="LABEL=SRC",
                    help="a source tree to run (its src folder), e.g. after=src")
    ap.add_argument("--tasks", help="comma-separated task names (default: all)")
    ap.add_argument("--n", type=int, default=48, help="examples per task")
    ap.add_argument("--fresh", type=int, default=500, help="fresh inputs per check")
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", metavar="OUT", help="also write the rows as JSON")
    ap.add_argument("--table", nargs="+", metavar="JSON",
                    help="print one table from rows saved by earlier runs (--json) and stop")
    args = ap.parse_args()
    if args.table:
        rows = {}
        for path in args.table:
            rows.update(json.loads(Path(path).read_text()))
        labels = list(next(iter(rows.values())))
        names = [t.name for t in TASKS if t.name in rows]
        print_table(rows, labels, names, args.timeout)
        return 0
    if not args.tree:
        ap.error("give --tree LABEL=SRC (one or more), or --table")
    trees = [t.split("=", 1) for t in args.tree]
    names = set(args.tasks.split(",")) if args.tasks else None
    tasks = [t for t in TASKS if names is None or t.name in names]
    rows: dict[str, dict[str, dict]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for task in tasks:
            for label, src in trees:
                d = Path(tmp) / label
                d.mkdir(exist_ok=True)
                row = run_task(task, src, d, args.n, args.fresh, args.timeout, args.seed)
                rows.setdefault(task.name, {})[label] = row
                print(f"{task.name:20s} {label:7s} solved={row['solved']!s:5s} "
                      f"{row['seconds']:6.2f}s fresh={row['fresh']:.3f}", file=sys.stderr,
                      flush=True)
    print_table(rows, [lab for lab, _ in trees], [t.name for t in tasks], args.timeout)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
