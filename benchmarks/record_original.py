"""Records the original RASP interpreter's outputs on 36 programs x 30 inputs as a test fixture.

The programs are the original library's functions (`rasplib`) and the paper's examples that
rasplab's standard library also defines; each is `.rasp` source, valid in both interpreters,
that assigns its result to `prog`. The original runs as an outside program (see
`original_rasp.py`); nothing of it is copied here. The fixture is what
`tests/lang/test_original_outputs.py` and `tests/compiler/test_original_compiled.py` check
rasplab against.

    python benchmarks/record_original.py --original /work/orig-rasp \
        --original-python /work/orig-venv/bin/python [-o tests/data/original_rasp/outputs.json]
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path
from typing import Any

from original_rasp import run_original

from rasplab.lang.library import library_source

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "tests" / "data" / "original_rasp" / "outputs.json"
N_INPUTS = 30
MAX_LEN = 8

#: The checkout read for this fixture (tech-srl/RASP as of commit 4776b75) predates the fix to
#: its library that rasplab follows (RASP-NOTES, rasplib.rasp): there `mark_first_instance`
#: looked at later positions (so marked the last instance) and `average` named an undefined
#: variable. The recorder runs these fixed definitions, written for the original, before the
#: programs that use them (select_from_first too, since the library's copy calls the old one).
ORIGINAL_LIBRARY_FIXES = """\
def mark_first_instance(seq,val) {
    has_val = seq == val;
    find_val = select(seq,val,==);
    find_earlier = select(indices,indices,<);
    find_earlier_val = find_val and find_earlier;
    has_earlier_val = has_focus(find_earlier_val);
    return has_val and not has_earlier_val;
}
def select_from_first(seq,val) {
    return select(mark_first_instance(seq,val),True,==);
}
def average(a) {
    return aggregate(full_s,a);
}
"""

ABC, ABCD = "abc", "abcd"

#: (name, source assigning `prog`, alphabet or "int", rasplab library program or None, fixes)
LIBRARY_PROGRAMS: list[tuple[str, str, str]] = [
    ("selector_width_lt", 'prog = selector_width(select(tokens, tokens, <));', ABCD),
    ("selector_width_first_a", 'prog = selector_width(select(tokens, "a", ==));', ABC),
    ("has_focus", 'prog = has_focus(select(tokens, "a", ==));', ABC),
    ("lib_count", 'prog = count(tokens, "a");', ABC),
    ("contains", 'prog = contains(tokens, "b");', ABC),
    ("max", "prog = max(indices, length - indices - 1);", ABC),
    ("min", 'prog = min(tokens, "b");', ABCD),
    ("average", 'prog = average(indicator(tokens == "a"));', ABC),
    ("load_from_location", "prog = load_from_location(tokens, 0);", ABCD),
    ("load_from_location_sop", "prog = load_from_location(tokens, length - indices - 1);",
     ABCD),
    ("shift_numeric", "prog = shift(indices + 1, 2, 0);", ABC),
    ("mark_last_instance", 'prog = mark_last_instance(tokens, "a");', ABC),
    ("mark_first_instance", 'prog = mark_first_instance(tokens, "a");', ABC),
    ("select_from_last", 'prog = aggregate(select_from_last(tokens, "a"), indices, -1);', ABC),
    ("select_from_first", 'prog = aggregate(select_from_first(tokens, "a"), indices, -1);',
     ABC),
    ("sort_by_key", "prog = sort(tokens, length - indices);", ABCD),
    ("select_next_identical", "prog = aggregate(select_next_identical(tokens), indices, -1);",
     ABC),
    ("sort_int", "prog = sort(tokens_int, tokens_int);", "int"),
]

#: rasplab standard-library programs (the paper's examples), with the alphabet they read
STDLIB_PROGRAMS: list[tuple[str, str]] = [
    ("count", ABC), ("count_less_freq", ABC), ("detect_pattern", ABC), ("double_hist", ABCD),
    ("dyck1", "()"), ("dyck2", "(){}"), ("frac_prevs", "xy"), ("hist", ABCD),
    ("hist_bos", ABCD), ("length", ABC), ("most_freq", ABCD), ("pair_balance", "()"),
    ("reverse", ABCD), ("shift_by", ABCD), ("shuffle_dyck1", "()"), ("shuffle_dyck2", "(){}"),
    ("shuffle_dyck3", "(){}[]"), ("sort", ABCD),
]

_LOAD = re.compile(r'^\s*load\s+"([^"]+)"\s*;\s*$')


def stdlib_source(name: str, seen: set[str] | None = None) -> str:
    """A library program's source with its `load`s inlined and comments dropped (the original
    resolves loads from its own working folder); its final `name = ...` becomes `prog = ...`."""
    seen = set() if seen is None else seen
    lines = []
    for line in library_source(name).splitlines():
        if line.strip().startswith("#") or not line.strip():
            continue
        m = _LOAD.match(line)
        if m:
            if m.group(1) not in seen:
                seen.add(m.group(1))
                lines.append(stdlib_source(m.group(1), seen).replace("\nprog = ", "\n_prog = "))
            continue
        lines.append(line)
    text = "\n".join(lines) + "\n"
    target = re.compile(rf"^{re.escape(name)} = ", re.M)
    if not target.search(text):
        raise ValueError(f"library program {name} does not assign {name}")
    return "\n" + target.sub("prog = ", text)


def make_inputs(alphabet: str, seed: int) -> list[Any]:
    """30 seeded inputs of lengths 1..8 (each length at least 3 times), strings over the
    alphabet, or lists of small integers for "int"; repeated tokens are common at these sizes."""
    rng = random.Random(seed)
    out: list[Any] = []
    for i in range(N_INPUTS):
        n = 1 + i % MAX_LEN
        if alphabet == "int":
            out.append([rng.randrange(0, 5) for _ in range(n)])
        else:
            out.append("".join(rng.choice(alphabet) for _ in range(n)))
    return out


def build_jobs() -> list[dict[str, Any]]:
    """The 36 programs, each with its source, alphabet and seeded inputs."""
    jobs = []
    for i, (name, source, alphabet) in enumerate(LIBRARY_PROGRAMS):
        jobs.append({"name": name, "source": source + "\n", "alphabet": alphabet,
                     "library": None, "inputs": make_inputs(alphabet, 1000 + i)})
    for i, (name, alphabet) in enumerate(STDLIB_PROGRAMS):
        jobs.append({"name": name, "source": stdlib_source(name).lstrip("\n"),
                     "alphabet": alphabet, "library": name,
                     "inputs": make_inputs(alphabet, 2000 + i)})
    return jobs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--original", required=True, help="checkout of the original RASP")
    ap.add_argument("--original-python", default=sys.executable,
                    help="a Python with the original's runtime (antlr4-python3-runtime 4.9.1)")
    ap.add_argument("-o", "--output", default=str(DEFAULT_OUT))
    args = ap.parse_args(argv)

    jobs = build_jobs()
    sent = [{"name": j["name"], "source": ORIGINAL_LIBRARY_FIXES + j["source"],
             "inputs": j["inputs"]} for j in jobs]
    results = {r["name"]: r for r in run_original(args.original, args.original_python, sent)}
    programs = []
    for job in jobs:
        result = results[job["name"]]
        if "error" in result:
            raise SystemExit(f"the original refused {job['name']}: {result['error']}")
        programs.append({**job, "outputs": result["outputs"]})
    failed = sum(isinstance(o, dict) for p in programs for o in p["outputs"])
    doc = {
        "about": "Outputs of the original RASP interpreter (tech-srl/RASP at 4776b75, "
                 "antlr4-python3-runtime 4.9.1) on each program's inputs; `source` assigns "
                 "`prog`. The original ran `original_library_fixes` first (see "
                 "benchmarks/record_original.py). Regenerate with that script.",
        "original_library_fixes": ORIGINAL_LIBRARY_FIXES,
        "programs": programs,
    }
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=1) + "\n")
    total = sum(len(p["inputs"]) for p in programs)
    print(f"{len(programs)} programs, {total} inputs, {failed} failed in the original -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
