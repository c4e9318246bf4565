"""Runs `.rasp` programs through the original RASP interpreter (Weiss et al.) as an outside program.

The original is not part of rasplab: give the path of a checkout of it (the folder holding
`RASP_support/`) and a Python that has its runtime (antlr4-python3-runtime 4.9.1). A small
driver, written here, runs in that Python: it starts the original's REPL (which loads the
original's `rasplib`), feeds it the program source, then calls the resulting s-op named `prog`
on each input, either recording the outputs or timing the calls.

    results = run_original(checkout, python, jobs, mode="outputs")
    per_program = time_original(checkout, python, ["reverse", "sort", "hist"], inputs)
"""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

#: what runs inside the original's Python (cwd = the checkout, so its rasplib loads as it does
#: from `rasp.sh`); its stdout is the original's chatter, so results go to a pipe of their own
DRIVER = r'''
import contextlib, io, json, os, sys, time
sys.path.insert(0, "RASP_support")
request = json.load(sys.stdin)
out = os.fdopen(int(sys.argv[1]), "w")
chatter = io.StringIO()
with contextlib.redirect_stdout(chatter):
    from REPL import REPL, LineReader, Stop, LazyPrint, AntlrException
    from Support import Sequence

def load(source):
    repl = REPL()
    stream = io.StringIO(source)
    while True:
        try:
            tree = LineReader(fromfile=stream).get_input_tree()
        except AntlrException as e:
            raise RuntimeError("syntax: " + e.msg)
        if isinstance(tree, Stop):
            break
        result = repl.evaluate_tree(tree, repl.env)
        if isinstance(result, LazyPrint):
            raise RuntimeError(" ".join(str(a) for a in result.a).strip())
    return repl.env.get_variable("prog")

def call(prog, x):
    res = prog(x)
    if not isinstance(res, Sequence):
        raise RuntimeError("evaluation failed: " + str(res))
    return res.get_vals()

results = []
for job in request["jobs"]:
    with contextlib.redirect_stdout(chatter):
        try:
            prog = load(job["source"])
        except Exception as e:
            results.append({"name": job["name"], "error": str(e)})
            continue
        entry = {"name": job["name"]}
        if request["mode"] == "outputs":
            outs = []
            for x in job["inputs"]:
                try:
                    outs.append(call(prog, x))
                except Exception as e:
                    outs.append({"error": str(e)[:200]})
            entry["outputs"] = outs
        else:
            times, outs = [], []
            for x in job["inputs"]:
                start = time.perf_counter()
                outs.append(call(prog, x))
                times.append(time.perf_counter() - start)
            entry["seconds"] = times
            entry["outputs"] = outs
        results.append(entry)
json.dump(results, out)
out.close()
'''


def run_original(checkout: str | Path, python: str, jobs: list[dict[str, Any]], *,
                 mode: str = "outputs", timeout: float = 1800) -> list[dict[str, Any]]:
    """Run each job (`name`, `source` defining `prog`, `inputs`) through the original.

    mode "outputs": each result holds `outputs` (one list per input, or {"error": ...});
    mode "time": each result holds `seconds` (one wall time per input) and `outputs`.
    A program the original refuses comes back as {"name", "error"}.
    """
    checkout = Path(checkout)
    if not (checkout / "RASP_support" / "REPL.py").is_file():
        raise FileNotFoundError(f"{checkout} is not a checkout of the original RASP "
                                "(no RASP_support/REPL.py)")
    read_fd, write_fd = os.pipe()
    request = json.dumps({"mode": mode, "jobs": jobs})
    with tempfile.TemporaryFile("w+") as errors:
        proc = subprocess.Popen([python, "-c", DRIVER, str(write_fd)], cwd=checkout,
                                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                stderr=errors, pass_fds=(write_fd,), text=True)
        os.close(write_fd)
        with os.fdopen(read_fd) as reader:
            proc.stdin.write(request)
            proc.stdin.close()
            data = reader.read()
        proc.wait(timeout=timeout)
        errors.seek(0)
        err = errors.read()
    if proc.returncode != 0 or not data:
        raise RuntimeError(f"the original interpreter failed (exit {proc.returncode}): "
                           f"{err.strip()[-2000:]}")
    return json.loads(data)


#: the benchmark programs in the original's syntax; `{t}` is the tokens s-op for the input kind
BENCH_SOURCES = {
    "reverse": "prog = aggregate(select(indices, length - indices - 1, ==), {t});",
    "sort": "prog = sort({t}, {t});",
    "hist": "prog = selector_width(select({t}, {t}, ==));",
}


def time_original(checkout: str | Path, python: str, programs: list[str],
                  inputs: list[Any]) -> dict[str, dict[str, Any]]:
    """Time the original on each input, one call at a time as its REPL evaluates them.

    `inputs` are lists of integers (read with `tokens_int`) or of strings (`tokens`). Returns,
    per program: `ms_per_input` (mean wall time), `seconds` (each input's) and `outputs`.
    """
    kind = "tokens_int" if inputs and isinstance(inputs[0][0], int) else "tokens"
    jobs = [{"name": name, "source": BENCH_SOURCES[name].format(t=kind) + "\n",
             "inputs": [list(x) for x in inputs]} for name in programs]
    out = {}
    for result in run_original(checkout, python, jobs, mode="time"):
        if "error" in result:
            raise RuntimeError(f"the original refused {result['name']}: {result['error']}")
        seconds = result["seconds"]
        out[result["name"]] = {"ms_per_input": 1e3 * sum(seconds) / len(seconds),
                               "seconds": seconds, "outputs": result["outputs"]}
    return out
