"""Job functions for the executor tests (module level, so workers can unpickle them)."""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any


def square(x: int) -> int:
    return x * x


def boom(x: int) -> int:
    raise ValueError(f"boom {x}")


def sleepy(seconds: float) -> str:
    time.sleep(seconds)
    return "woke"


def die(code: int = 3) -> None:
    os._exit(code)


def die_once(marker: str) -> str:
    """Kills its worker the first time (leaving a marker file), succeeds on the retry."""
    path = Path(marker)
    if not path.exists():
        path.write_text("died")
        os._exit(4)
    return "second time lucky"


def counted(marker: str, value: Any) -> Any:
    """Appends a line to `marker` each time it runs (to count runs across processes)."""
    with open(marker, "a") as fh:
        fh.write("x\n")
    return value


def fake_shard(inputs, outputs, *, budget: float, shard: tuple[int, int], **options):
    """A synthesis method: shard 1 solves quickly, the others search (sleep) out the budget."""
    from rasplab.synth.result import SynthResult

    i, _ = shard
    if i == 1:
        time.sleep(0.3)
        return SynthResult(None, "program = tokens;\n", "tokens", True, 1.0, 0.3, 7)
    time.sleep(budget)
    return SynthResult(None, "", "", False, i / 10, budget, 100)


def fake_unsolved(inputs, outputs, *, budget: float, shard: tuple[int, int], **options):
    """A synthesis method where no shard solves; shard i reaches accuracy i/10 (one raises)."""
    from rasplab.synth.result import SynthResult

    i, n = shard
    if i == n - 1:
        raise RuntimeError("shard crashed")
    return SynthResult(None, f"program = {i};\n", str(i), False, i / 10, 0.1, 10 + i)


def wake_solver(name: str, library, budget: float, n_examples: int, seed: int):
    """`solve_task` for real tasks; "raises" always raises and "overruns" hangs."""
    from rasplab.synth.library.loop import solve_task

    if name == "raises":
        raise RuntimeError("this task always fails")
    if name == "overruns":
        time.sleep(120)
    return solve_task(name, library, budget, n_examples, seed)


def warm(pause: float = 0.5) -> bool:
    """Imports the search engine in a worker (a fresh worker needs seconds for that)."""
    import rasplab.synth.library.loop  # noqa: F401
    from rasplab.synth.bottomup import search  # noqa: F401

    time.sleep(pause)
    return True
