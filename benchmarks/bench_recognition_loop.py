"""Benchmark: `rasplab library` with and without `--recognition`, side by side in one run.

Runs the same command twice, back to back, as a user would (`python -m rasplab.cli.main`, one
torch thread): plain, then with `--recognition`. Reports per configuration the wall time of the
whole command, its CPU seconds (the training worker included), the load average around it, and
per iteration the tasks solved, seconds and (with the model) the tasks guided and the wait for
the model. Writes benchmarks/results/recognition-loop.{json,md}.

    nice -n 5 python benchmarks/bench_recognition_loop.py [--suite all] [--budget 30] \\
        [--iterations 2] [--order plain,recognition]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).with_name("results")
CLI = "import sys; from rasplab.cli.main import main; sys.exit(main())"


def run_config(name: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """One `rasplab library` run; its reports, wall and CPU seconds and the load around it."""
    cmd = [sys.executable, "-c", CLI, "library", "--suite", args.suite, "--budget",
           str(args.budget), "--iterations", str(args.iterations), "--json",
           "-o", str(tmp / f"{name}-library.json")]
    if name == "recognition":
        cmd += ["--recognition", str(tmp / "recognition.safetensors")]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    load_before = os.getloadavg()
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    wall = time.monotonic() - start
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    reports = json.loads(proc.stdout)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    out = {"command": " ".join(["rasplab"] + cmd[3:]), "wall_seconds": round(wall, 1),
           "cpu_seconds": round(cpu, 1), "load_before": [round(x, 2) for x in load_before],
           "load_after": [round(x, 2) for x in os.getloadavg()],
           "solved_last": reports[-1]["solved"], "total": reports[-1]["total"],
           "ever_solved": len({t for r in reports for t, o in r["tasks"].items()
                               if o["solved"]}),
           "iterations": [{"iteration": r["iteration"], "solved": r["solved"],
                           "seconds": r["seconds"], "search_seconds": r["search_seconds"],
                           "unsolved": sorted(t for t, o in r["tasks"].items()
                                              if not o["solved"]),
                           "unsolved_seconds": round(sum(o["seconds"] for o in r["tasks"].values()
                                                         if not o["solved"]), 2),
                           "task_seconds": {t: o["seconds"] for t, o in r["tasks"].items()},
                           "recognition": r["recognition"]} for r in reports]}
    print(f"{name}: {out['solved_last']}/{out['total']} solved in the last iteration "
          f"({out['ever_solved']} ever), wall {out['wall_seconds']} s, CPU "
          f"{out['cpu_seconds']} s, load {out['load_before'][0]} -> {out['load_after'][0]}",
          flush=True)
    for it in out["iterations"]:
        rec = it["recognition"]
        extra = (f", guided {_guided(rec)}, replayed {rec.get('replayed', 0)} (fell back "
                 f"{rec.get('fell_back', [])}), waited {rec.get('waited')} s, refine "
                 f"{rec.get('seconds')} s" if rec else "")
        print(f"  iteration {it['iteration']}: {it['solved']} solved in {it['seconds']} s, "
              f"unsolved {it['unsolved']} ({it['unsolved_seconds']} s){extra}", flush=True)
    return out


def markdown(results: dict[str, Any], args: argparse.Namespace) -> str:
    plain, rec = results["plain"], results["recognition"]
    lines = [f"# rasplab library --suite {args.suite} --budget {args.budget:g} --iterations "
             f"{args.iterations}: plain against --recognition, back to back", "",
             "| | plain | --recognition |", "| --- | --- | --- |"]
    lines.append(f"| solved (last iteration) | {plain['solved_last']}/{plain['total']} | "
                 f"{rec['solved_last']}/{rec['total']} |")
    lines.append(f"| wall seconds | {plain['wall_seconds']} | {rec['wall_seconds']} |")
    lines.append(f"| CPU seconds | {plain['cpu_seconds']} | {rec['cpu_seconds']} |")
    lines.append(f"| load average before -> after | {plain['load_before'][0]} -> "
                 f"{plain['load_after'][0]} | {rec['load_before'][0]} -> "
                 f"{rec['load_after'][0]} |")
    for i in range(len(plain["iterations"])):
        p, r = plain["iterations"][i], rec["iterations"][i]
        g = r["recognition"]
        lines.append(f"| iteration {i + 1}: solved, seconds | {p['solved']}, {p['seconds']} | "
                     f"{r['solved']}, {r['seconds']} |")
        lines.append(f"| iteration {i + 1}: seconds on tasks left unsolved | "
                     f"{p.get('unsolved_seconds', '-')} | {r.get('unsolved_seconds', '-')} |")
        both = [t for t in p.get("task_seconds", {}) if t not in p["unsolved"]
                and t not in r["unsolved"]]
        if both:
            lines.append(f"| iteration {i + 1}: seconds on the {len(both)} tasks both solved | "
                         f"{sum(p['task_seconds'][t] for t in both):.1f} | "
                         f"{sum(r['task_seconds'][t] for t in both):.1f} |")
        lines.append(f"| iteration {i + 1}: model | - | replayed {g.get('replayed', 0)} "
                     f"(fell back: {', '.join(g.get('fell_back', [])) or 'none'}), guided "
                     f"{_guided(g)}; waited {g.get('waited', 0)} s,"
                     f" refined {g.get('seconds', 0)} s |")
    return "\n".join(lines) + "\n"


def _guided(g: dict[str, Any]) -> str:
    """The guided tasks, each with the solved tasks whose programs it borrowed."""
    related = g.get("related", {})
    return ", ".join(f"{t} (borrowing {'/'.join(related[t])})" if related.get(t) else t
                     for t in g.get("guided", [])) or "none"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--suite", default="all")
    ap.add_argument("--budget", type=float, default=30.0)
    ap.add_argument("--iterations", type=int, default=2)
    ap.add_argument("--order", default="plain,recognition",
                    help="which configuration runs first (the load drifts)")
    ap.add_argument("--out", default=str(RESULTS / "recognition-loop"))
    args = ap.parse_args()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.order.split(","):
            results[name] = run_config(name, args, Path(tmp))
    text = markdown(results, args)
    print("\n" + text)
    RESULTS.mkdir(exist_ok=True)
    Path(args.out + ".json").write_text(json.dumps(results, indent=1) + "\n")
    Path(args.out + ".md").write_text(text)


if __name__ == "__main__":
    main()
