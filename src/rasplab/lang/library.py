"""The standard library: the paper's and Tracr's example programs, written in `.rasp`.

Each program lives in `stdlib/<name>.rasp` and is the variable of that name in its file; the
prelude `stdlib/rasplib.rasp` (the original RASP library) is loaded before every file.
"""
from __future__ import annotations

import difflib
from functools import lru_cache
from pathlib import Path

from rasplab.errors import RaspNameError
from rasplab.lang.ast import Node

STDLIB_DIR = Path(__file__).with_name("stdlib")
#: files in stdlib/ that hold helpers rather than a program of their own name
_NOT_PROGRAMS = {"rasplib"}


def library_names() -> list[str]:
    """The names of the library programs, sorted."""
    return sorted(p.stem for p in STDLIB_DIR.glob("*.rasp")
                  if p.stem not in _NOT_PROGRAMS and not p.stem.startswith("_"))


def library_path(name: str) -> Path:
    """The `.rasp` file defining program `name`; RaspNameError (with close matches) if none."""
    if name not in library_names():
        close = difflib.get_close_matches(name, library_names(), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise RaspNameError(f"no library program {name!r}{hint} "
                            f"(known: {' '.join(library_names())})")
    return STDLIB_DIR / f"{name}.rasp"


def library_source(name: str) -> str:
    """The `.rasp` source text of program `name`."""
    return library_path(name).read_text()


@lru_cache(maxsize=None)
def get_program(name: str) -> Node:
    """Library program `name`, parsed once (the variable `name` of `stdlib/<name>.rasp`)."""
    from rasplab.lang.parser import load_program  # the parser loads the prelude from stdlib/

    return load_program(library_path(name), name)


__all__ = ["library_names", "library_path", "library_source", "get_program", "STDLIB_DIR"]
